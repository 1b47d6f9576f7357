package dev.pql.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/**
 * A real standalone cluster (a master and a worker started from the project's jars) runs the whole pipeline,
 * submitted with jobs/pql-submit: two executor JVMs besides the driver, and the same tables as local mode wrote
 * from the same lake files (the reference run of {@link SampleRun}, which ran on S3: its lake and warehouse are now
 * plain local folders).
 */
class ClusterIT {
  @Test
  void theClusterRunsThePipelineInTwoExecutorJvmsAndWritesWhatLocalModeWrites() throws Exception {
    SampleRun.Reference reference = SampleRun.reference();
    Path lake = reference.lake();
    Path expected = reference.warehouse();
    Path work = SampleRun.WORK.resolve("cluster");
    Path warehouse = SampleRun.WORK.resolve("warehouse-cluster");
    SampleRun.deleteRecursively(work);
    SampleRun.deleteRecursively(warehouse);
    LocalSparkHome spark = LocalSparkHome.create(work.resolve("spark-home"));
    int masterPort = ServiceProcess.freePort();
    Path workerDir = work.resolve("worker");

    // The environment file a data engineer would write: the shared settings, this master, one-core executors.
    Path environment = work.resolve("standalone.conf");
    SampleRun.environment(environment,
        "pql.submit {",
        "  master = \"spark://127.0.0.1:" + masterPort + "\"",
        "  packages = []   # the Spark home holds Delta already",
        "  resources.default { driver-memory = \"1g\", executor-memory = \"1g\", executor-cores = 1, num-executors = 2 }",
        "  resources.run = ${pql.submit.resources.default}",
        "}");

    Set<Long> executorPids = ConcurrentHashMap.newKeySet();
    long driverPid;
    try (ServiceProcess master = spark.startMaster(masterPort, work.resolve("logs/master.log"));
        ServiceProcess worker = spark.startWorker(masterPort, 2, "3g", workerDir, work.resolve("logs/worker.log"))) {
      try (ServiceProcess submit = ServiceProcess.start("pql-submit run", List.of(
          ServiceProcess.HOME.resolve("jobs/pql-submit").toString(), "run", "--config", environment.toString(),
          "--lake", lake.toString(), "--warehouse", warehouse.toString(), "--run-id", SampleRun.RUN_ID),
          spark.env, work.resolve("logs/submit.log"))) {
        driverPid = submit.handle().pid(); // jobs/pql-submit execs spark-submit, which runs the driver (client mode)
        // The executors are the worker's own children, each its own JVM. (Not its further descendants: a process
        // an executor forks shows the executor's command line until it execs.)
        long deadline = System.nanoTime() + SampleRun.RUN_TIMEOUT.toNanos();
        while (submit.handle().isAlive() && System.nanoTime() < deadline) {
          worker.handle().children()
              .filter(p -> p.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
              .forEach(p -> executorPids.add(p.pid()));
          Thread.sleep(500);
        }
        assertEquals(0, submit.await(Duration.ofSeconds(30)), "pql-submit run:\n" + submit.tail());
        assertTrue(master.output().contains("Registered app pql run"), master.tail());
      }
      assertEquals(2, executorPids.size(), "executor JVMs under the worker: " + executorPids);
      assertTrue(executorPids.stream().noneMatch(pid -> pid == driverPid), "the driver is not one of them");
      assertEquals(List.of("0", "1"), LocalSparkHome.executorDirectories(workerDir).stream()
          .map(d -> d.substring(d.indexOf('/') + 1)).toList(), "one application, executors 0 and 1");
    }

    // The jar submitted holds pql and its two small libraries, none of what the cluster provides.
    try (java.util.zip.ZipFile jar = new java.util.zip.ZipFile(ServiceProcess.HOME.resolve("target/pql-cluster.jar").toFile())) {
      List<String> entries = jar.stream().map(java.util.zip.ZipEntry::getName).toList();
      assertTrue(entries.contains("dev/pql/cli/Main.class") && entries.contains("com/typesafe/config/Config.class"));
      assertTrue(entries.stream().noneMatch(e -> e.startsWith("org/apache/spark/") || e.startsWith("io/delta/")
          || e.startsWith("org/apache/hadoop/") || e.startsWith("scala/")), "no Spark, Delta, Hadoop or Scala inside");
    }

    SparkSession session = ItSpark.session();
    TableComparison.largestDifference = 0;
    List<String> compared = TableComparison.assertSameTables(session, expected.toString(), warehouse.toString());
    System.out.printf("ClusterIT: %d executor JVMs; %d tables equal to local mode's; largest floating point "
        + "difference %.3g%n", executorPids.size(), compared.size(), TableComparison.largestDifference);
    assertTrue(compared.containsAll(List.of("events", "account_features", "model_runs", "pql_scores", "pql_metrics",
        "definition_backtest")), "compared " + compared);
  }
}
