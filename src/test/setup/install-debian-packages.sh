#!/usr/bin/env bash
# Installs the Debian packages a test needs when what they provide is missing, e.g.
#   install-debian-packages.sh chromium:chromium /usr/share/fonts/truetype/liberation:fonts-liberation
# Each argument is COMMAND:PACKAGE or PATH:PACKAGE (a command on the PATH, or a file or folder the package installs). Runs apt-get as root (or through sudo); refreshes the package lists once when
# an install finds nothing. The tests call it, so a clean machine needs nothing installed by hand.
set -euo pipefail
missing=()
for pair in "$@"; do
  what="${pair%%:*}"
  command -v "$what" > /dev/null 2>&1 || [ -e "$what" ] || missing+=("${pair#*:}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then as_root=(); elif command -v sudo > /dev/null 2>&1; then as_root=(sudo -n); else
  echo "install-debian-packages: ${missing[*]} missing, and neither root nor sudo is available to install them" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Another install holding dpkg's lock (the build's own background one, install-in-background.sh): wait for it.
wait_lock=(-o DPkg::Lock::Timeout=900)
echo "install-debian-packages: installing ${missing[*]}" >&2
if ! "${as_root[@]}" apt-get "${wait_lock[@]}" install -y -q --no-install-recommends "${missing[@]}" >&2; then
  "${as_root[@]}" apt-get "${wait_lock[@]}" update -q >&2
  "${as_root[@]}" apt-get "${wait_lock[@]}" install -y -q --no-install-recommends "${missing[@]}" >&2
fi
