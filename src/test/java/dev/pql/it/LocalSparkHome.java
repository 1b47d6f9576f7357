package dev.pql.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A Spark installation made of the jars Maven fetched (target/lib): SPARK_HOME/jars, and a bin/spark-submit that
 * starts SparkSubmit with them, as a distribution's would. Starts a standalone master and worker on 127.0.0.1.
 */
final class LocalSparkHome {
  final Path home;
  final Map<String, String> env;

  private LocalSparkHome(Path home) {
    this.home = home;
    // Without SPARK_SCALA_VERSION the worker looks for a source build and every executor fails to start.
    this.env = Map.of("SPARK_HOME", home.toString(), "SPARK_SCALA_VERSION", "2.12", "SPARK_LOCAL_IP", "127.0.0.1");
  }

  static LocalSparkHome create(Path home) {
    try {
      SampleRun.deleteRecursively(home);
      Files.createDirectories(home.resolve("bin"));
      Files.createSymbolicLink(home.resolve("jars"), ServiceProcess.HOME.resolve("target/lib"));
      // A distribution's conf/ holds its logging setup; the driver logs as jobs/pql does.
      Files.createDirectories(home.resolve("conf"));
      Files.copy(ServiceProcess.HOME.resolve("conf/log4j2.properties"), home.resolve("conf/log4j2.properties"));
      Path submit = home.resolve("bin/spark-submit");
      StringBuilder script = new StringBuilder("#!/usr/bin/env bash\n# spark-submit of a Spark home made of Maven's jars\n")
          .append("exec '").append(Path.of(System.getProperty("java.home"), "bin", "java")).append("' -Xmx2g");
      for (String option : ServiceProcess.JVM_OPTIONS) script.append(' ').append(option);
      script.append(" -cp \"$SPARK_HOME/conf:$SPARK_HOME/jars/*\" org.apache.spark.deploy.SparkSubmit \"$@\"\n");
      Files.writeString(submit, script);
      Files.setPosixFilePermissions(submit, PosixFilePermissions.fromString("rwxr-xr-x"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new LocalSparkHome(home);
  }

  String classpath() {
    return home.resolve("jars") + "/*";
  }

  /** A standalone master on 127.0.0.1; returns it listening. */
  ServiceProcess startMaster(int port, Path log) throws InterruptedException {
    ServiceProcess master = ServiceProcess.start("spark master", ServiceProcess.java("512m", classpath(),
        "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", String.valueOf(port),
        "--webui-port", String.valueOf(ServiceProcess.freePort())), env, log);
    master.awaitOutput("I have been elected leader", Duration.ofSeconds(90));
    return master;
  }

  /**
   * A worker offering cores and memory to the master, with the given environment (this home's and more), which
   * the executors it starts inherit; returns it registered.
   */
  ServiceProcess startWorker(int masterPort, int cores, String memory, Path workDir, Path log,
      Map<String, String> environment) throws InterruptedException {
    ServiceProcess worker = ServiceProcess.start("spark worker", ServiceProcess.java("512m", classpath(),
        "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", String.valueOf(cores),
        "--memory", memory, "--webui-port", String.valueOf(ServiceProcess.freePort()), "--work-dir",
        workDir.toString(), "spark://127.0.0.1:" + masterPort), environment, log);
    worker.awaitOutput("Successfully registered with master", Duration.ofSeconds(90));
    return worker;
  }

  static List<String> executorDirectories(Path workDir) throws IOException {
    try (var apps = Files.list(workDir)) {
      return apps.filter(Files::isDirectory).flatMap(app -> {
        try (var executors = Files.list(app)) {
          return executors.filter(Files::isDirectory).map(p -> workDir.relativize(p).toString()).toList().stream();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }).sorted().toList();
    }
  }
}
