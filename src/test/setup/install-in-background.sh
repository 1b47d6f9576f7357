#!/usr/bin/env bash
# Starts install-debian-packages.sh on every package of debian-packages in the background and returns at once. The
# build calls it first (mvn's initialize phase), so that a clean machine installs Chromium and Jupyter while the code
# compiles and the unit tests run, instead of the integration tests waiting a minute for apt. Its output goes to
# OUT/debian.log, its process id to OUT/debian.pid and its exit code, once it ends, to OUT/debian.done; the tests
# wait for that file before they look for what they need (and install it themselves if this install failed). With
# all installed it ends at once.
#   install-in-background.sh OUT
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$1"
mkdir -p "$out"
rm -f "$out/debian.done" "$out/debian.pid"
mapfile -t pairs < <(grep -v -e '^#' -e '^$' "$here/debian-packages")
# setsid and nohup: the install outlives mvn (a `mvn test` that ends first) and no signal of mvn's reaches it.
nohup setsid bash -c 'echo $$ > "$1/debian.pid"; "$0" "${@:2}" > "$1/debian.log" 2>&1; echo $? > "$1/debian.done"' \
  "$here/install-debian-packages.sh" "$out" "${pairs[@]}" > /dev/null 2>&1 < /dev/null &
