package dev.pql.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The small generated lake every integration test runs on, and the pipeline run on it in local mode with the
 * local launcher (jobs/pql): the reference the cluster run is compared with. Made once per test JVM.
 */
final class SampleRun {
  static final Path WORK = Path.of(System.getProperty("pql.it.work", "target/it")).toAbsolutePath();
  /** Both runs use one run id, so that run ids and model versions in the tables agree. */
  static final String RUN_ID = "it-run";
  static final Duration RUN_TIMEOUT = Duration.ofMinutes(15);

  /** -Dpql.it.reuse=true (when iterating on one test): keep the lake and local warehouse of an earlier run. */
  private static final boolean REUSE = Boolean.getBoolean("pql.it.reuse");

  private static Path lake;
  private static Path localWarehouse;

  private SampleRun() {}

  /**
   * The configuration of every integration run: 500 accounts over 90 days, short label windows so the model
   * trains on several snapshots, one regularization point and few optimizer iterations (speed, not quality), and no Spark UI (no ports to share).
   */
  static synchronized Path config() {
    Path config = WORK.resolve("it.conf");
    {
      write(config, String.join("\n",
          "include file(\"" + ServiceProcess.HOME.resolve("conf/application.conf") + "\")",
          "pql {",
          "  spark { master = \"local[2]\", shuffle-partitions = 4, conf { \"spark.ui.enabled\" = \"false\" } }",
          "  generate { accounts = 500, days = 90, big-account-event-share = 0.1 }",
          "  model { horizon-days = 14, driver-horizon-days = 14, evaluation-days = 14, min-support = 50,",
          "          reg-params = [0.003], max-iterations = 25 }",
          "}", ""));
    }
    return config;
  }

  static synchronized Path lake() throws InterruptedException {
    if (lake == null) {
      Path dir = WORK.resolve("lake");
      if (REUSE && Files.isDirectory(dir.resolve("truth"))) return lake = dir;
      deleteRecursively(dir);
      int code = pql(WORK.resolve("logs/generate.log"), Map.of(), "generate", "--config", config().toString(),
          "-Dpql.generate.output=" + dir);
      assertEquals(0, code, "generate");
      lake = dir;
    }
    return lake;
  }

  static synchronized Path localWarehouse() throws InterruptedException {
    if (localWarehouse == null) {
      Path dir = WORK.resolve("warehouse-local");
      if (REUSE && Files.isDirectory(dir.resolve("pql_metrics"))) return localWarehouse = dir;
      deleteRecursively(dir);
      assertEquals(0, pql(WORK.resolve("logs/run-local.log"), Map.of(), "run", "--config", config().toString(),
          "--lake", lake().toString(), "--warehouse", dir.toString(), "--run-id", RUN_ID), "local run");
      localWarehouse = dir;
    }
    return localWarehouse;
  }

  /** jobs/pql with its arguments, to the end; returns its exit code. */
  static int pql(Path log, Map<String, String> env, String... args) throws InterruptedException {
    List<String> command = new ArrayList<>(List.of(ServiceProcess.HOME.resolve("jobs/pql").toString()));
    command.addAll(List.of(args));
    Map<String, String> environment = new java.util.HashMap<>(env);
    environment.putIfAbsent("PQL_JAVA_OPTS", "-Xmx2g");
    try (ServiceProcess p = ServiceProcess.start("pql " + args[0], command, environment, log)) {
      int code = p.await(RUN_TIMEOUT);
      if (code != 0) System.err.println(p.tail());
      return code;
    }
  }

  /** An environment file over the shared configuration: its include, then the given lines. */
  static Path environment(Path file, String... lines) {
    write(file, "include file(\"" + config() + "\")\n" + String.join("\n", lines) + "\n");
    return file;
  }

  static void write(Path file, String text) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) return;
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
