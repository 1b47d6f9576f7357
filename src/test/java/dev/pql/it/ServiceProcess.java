package dev.pql.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A process an integration test starts (a Spark master, an S3 server, a pql launcher): its output goes to a log
 * file the test can search, and close() stops it and every process it started, whatever happened.
 */
final class ServiceProcess implements AutoCloseable {
  /** The JVM options Spark 3.5 needs on Java 17, as the pom gives them to the tests (it.jvm). */
  static final List<String> JVM_OPTIONS = Arrays.asList(System.getProperty("it.jvm", "").trim().split("\\s+"));
  static final Path HOME = Path.of(System.getProperty("it.home", ".")).toAbsolutePath();

  final String name;
  final Path log;
  private final Process process;

  private ServiceProcess(String name, Path log, Process process) {
    this.name = name;
    this.log = log;
    this.process = process;
  }

  static ServiceProcess start(String name, List<String> command, Map<String, String> env, Path log) {
    return start(name, command, env, log, HOME);
  }

  /** The process in the given working directory. */
  static ServiceProcess start(String name, List<String> command, Map<String, String> env, Path log, Path directory) {
    ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    builder.environment().putAll(env);
    try {
      Files.createDirectories(log.getParent());
      return new ServiceProcess(name, log, builder.start());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start " + name + ": " + command, e);
    }
  }

  /** A java command with Spark's module openings, the classpath and a main class. */
  static List<String> java(String heap, String classpath, String mainClass, String... args) {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + heap));
    command.addAll(JVM_OPTIONS);
    command.addAll(List.of("-Duser.timezone=UTC", "-cp", classpath, mainClass));
    command.addAll(List.of(args));
    return command;
  }

  /** Waits until the process's output contains text; fails with the output when it ends or times out first. */
  void awaitOutput(String text, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (output().contains(text)) return;
      if (!process.isAlive()) throw new AssertionError(name + " ended before printing '" + text + "':\n" + tail());
      Thread.sleep(200);
    }
    throw new AssertionError(name + " did not print '" + text + "' within " + timeout + ":\n" + tail());
  }

  /** Waits until something listens on the port. */
  void awaitPort(int port, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return;
      } catch (IOException notYet) {
        if (!process.isAlive()) throw new AssertionError(name + " ended before listening on " + port + ":\n" + tail());
        Thread.sleep(200);
      }
    }
    throw new AssertionError(name + " did not listen on " + port + " within " + timeout + ":\n" + tail());
  }

  /** Waits for the process to end and returns its exit code; fails with its output on timeout. */
  int await(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError(name + " did not end within " + timeout + ":\n" + tail());
    }
    return process.exitValue();
  }

  ProcessHandle handle() {
    return process.toHandle();
  }

  String output() {
    try {
      return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String tail() {
    String out = output();
    return out.length() > 6000 ? "..." + out.substring(out.length() - 6000) : out;
  }

  /** SIGTERM to the process and everything it started, then SIGKILL to whatever is left after 30 s. */
  @Override
  public void close() {
    List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
    all.add(process.toHandle());
    all.forEach(ProcessHandle::destroy);
    for (ProcessHandle p : all) {
      try {
        p.onExit().get(30, TimeUnit.SECONDS);
      } catch (Exception stillAlive) {
        p.destroyForcibly();
      }
    }
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
