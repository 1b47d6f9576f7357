package dev.pql.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Debian packages a test needs, through the project's setup step: the build starts installing them all in the
 * background first (src/test/setup/install-in-background.sh, from mvn's initialize phase), and a test waits for that
 * install to end before it installs, itself, whatever is still missing (nothing, unless that install failed).
 */
final class DebianPackages {
  static final Path SETUP = ServiceProcess.HOME.resolve("src/test/setup/install-debian-packages.sh");
  /** Every package the integration tests use, with what it provides: the background install's list. */
  static final Path LIST = ServiceProcess.HOME.resolve("src/test/setup/debian-packages");
  /** Where the background install writes its output (debian.log) and, once it ends, its exit code (debian.done). */
  static final Path BACKGROUND = ServiceProcess.HOME.resolve("target/setup");

  private DebianPackages() {}

  /**
   * Installs what is missing of the given Debian packages, once the background install ended: their pairs (what each
   * provides) as src/test/setup/debian-packages lists them, the list the background install reads.
   */
  static void install(String... packages) throws IOException, InterruptedException {
    awaitBackgroundInstall();
    List<String> command = new ArrayList<>(List.of("bash", SETUP.toString()));
    command.addAll(pairs(List.of(packages)));
    Process p = new ProcessBuilder(command).inheritIO().start();
    if (!p.waitFor(15, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException("Could not install " + String.join(", ", packages) + " with " + SETUP);
    }
  }

  /** The COMMAND:PACKAGE or PATH:PACKAGE pairs of debian-packages for these packages; each must be listed there. */
  private static List<String> pairs(List<String> packages) throws IOException {
    List<String> pairs = Files.readAllLines(LIST).stream().map(String::strip)
        .filter(l -> !l.isEmpty() && !l.startsWith("#") && packages.contains(l.substring(l.lastIndexOf(':') + 1)))
        .toList();
    if (pairs.size() != packages.size()) {
      throw new IllegalStateException(LIST + " lists " + pairs + " of " + packages);
    }
    return pairs;
  }

  /** Waits (15 minutes at most) for the install the build started, when it started one that has not ended. */
  private static void awaitBackgroundInstall() throws IOException, InterruptedException {
    Path log = BACKGROUND.resolve("debian.log");
    Path done = BACKGROUND.resolve("debian.done");
    Path pid = BACKGROUND.resolve("debian.pid");
    if (!Files.exists(pid)) return; // the build started none (mvn -Dpql.setup.skip)
    // A build killed during its install leaves no exit code: its process is gone then.
    java.util.Optional<ProcessHandle> installer = ProcessHandle.of(Long.parseLong(Files.readString(pid).strip()));
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(15);
    while (!Files.exists(done) && installer.map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
      Thread.sleep(500);
    }
    if (Files.exists(done) && !Files.readString(done).strip().equals("0")) {
      System.err.println("The build's background install failed (" + log + "):\n" + Files.readString(log));
    }
  }
}
