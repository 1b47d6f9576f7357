package dev.pql.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.io.FaultInjection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/**
 * Runs killed as {@code kill -9} kills them, then rerun: one chain of {@code jobs/pql run}s on one warehouse, each
 * halted at the next kill point (inside a Delta write, or between two tables' commits, in each stage that writes
 * in several steps), then a run to the end — which must leave the tables an uninterrupted run writes, with every
 * killed run in pipeline_runs. While that last run holds the warehouse, a second run is started: it is refused with
 * exit 5.
 *
 * <p>Every run starts outside the installation, as a scheduler starts it: lake and warehouse are relative paths, read
 * and written in the working directory, and the shipped definitions are found in the installation (the second run
 * also without {@code --config}, on the installation's own configuration).
 */
class FaultIT {
  /** The kill points, in the order a run reaches them; each run of the chain dies at the next one. */
  static final List<String> KILL_POINTS = List.of(
      "in-write:events",               // ingest: nothing of the events' MERGE committed
      "after-commit:account_daily",    // features: daily aggregates written, snapshots not
      "after-commit:model_drivers",    // train: explanations written, the model not registered
      "after-commit:pql_scores",       // score: the kill that lost the CRM feed when pql_new came last
      "in-write:pql_metrics");         // metrics: the last stage, mid-write

  /** Columns that say which run wrote a row or when: they differ between the chain and the uninterrupted run. */
  static final Set<String> RUN_COLUMNS = Set.of("run_id", "model_version", "model_path");

  /** The reference run's lake, which every run of the chain reads. */
  private static Path lake;

  @Test
  void aRunKilledAtAnyPointIsFinishedByTheNextAndTwoRunsAtOnceAreRefused() throws Exception {
    // The uninterrupted run is the reference run every integration test works from (on a cluster and s3a, same lake
    // and configuration); the chain reads that lake from the folder the S3 server kept it in.
    SampleRun.Reference reference = SampleRun.reference();
    Path expected = reference.warehouse();
    Path work = SampleRun.WORK.resolve("fault");
    SampleRun.deleteRecursively(work);
    Files.createDirectories(work);
    lake = reference.lake();

    Path warehouse = work.resolve("chain");
    List<String> killed = new ArrayList<>();
    for (String point : KILL_POINTS) {
      String runId = "killed-" + (killed.size() + 1);
      int code = run(work, warehouse, runId, Map.of(FaultInjection.VARIABLE, point));
      assertEquals(137, code, runId + " halts at " + point);
      assertTrue(SampleRun.read(work.resolve(runId + ".log")).contains("halted at the fault point " + point));
      killed.add(runId);
    }
    finishWhileASecondRunIsRefused(work, warehouse);
    whereItWasToldAndWithTheShippedDefinitions(work, warehouse);

    SparkSession spark = ItSpark.session();
    // The reference ran on a cluster and the chain in local mode, and the chain trained its model again after its
    // run was killed, on the same rows read from other files (a killed MERGE's rewrite, other partitions): sums in
    // another order. Every table must hold the same rows, floating point within TableComparison's tolerance, run
    // ids and model versions aside.
    String expectedModel = latestModel(spark, expected);
    String actualModel = latestModel(spark, warehouse);
    TableComparison.largestDifference = 0;
    List<String> compared = TableComparison.assertSameTables(spark, expected.toString(), warehouse.toString(),
        RUN_COLUMNS, Map.of(actualModel, expectedModel), Set.of("pipeline_runs"));
    assertTrue(compared.containsAll(List.of("events", "events_rejected", "account_daily", "account_features",
        "model_runs", "model_drivers", "discovered_rules", "threshold_curves", "pql_scores", "pql_new",
        "pql_metrics", "definition_backtest")), "compared " + compared);

    // Every run is in the log; each killed one's last stage is abandoned (marked by the run after it).
    Map<String, String> lastStatus = new TreeMap<>();
    for (Row r : spark.read().format("delta").load(warehouse.resolve("pipeline_runs").toString())
        .filter("status = 'abandoned'").select("run_id", "stage").collectAsList()) {
      lastStatus.merge(r.getString(0), r.getString(1), (a, b) -> a + "," + b);
    }
    assertEquals(Set.copyOf(killed), lastStatus.keySet(), "abandoned stages by run: " + lastStatus);
    System.out.printf("FaultIT: %d kill points, then one run to the end in local mode: %d tables equal to the "
        + "uninterrupted cluster run's (largest floating point difference %.3g); abandoned stages %s%n",
        KILL_POINTS.size(), compared.size(), TableComparison.largestDifference, lastStatus);
  }

  /**
   * The run after the last kill, to the end; once it has taken over the dead run's lease, a second run is started
   * and refused with exit 5, naming it.
   */
  private static void finishWhileASecondRunIsRefused(Path work, Path warehouse) throws Exception {
    Path lease = warehouse.resolve(dev.pql.io.WarehouseLease.NAME);
    assertTrue(Files.exists(lease), "the killed run's lease is left behind");
    try (ServiceProcess finishes = ServiceProcess.start("pql run finishes", command(work, warehouse, "finishes"),
        Map.of("PQL_JAVA_OPTS", SampleRun.PQL_JAVA_OPTS, "PQL_LOG_FILE",
            SampleRun.logFile(work.resolve("finishes.log")).toString()),
        work.resolve("finishes.log"), work)) {
      long deadline = System.nanoTime() + 120_000_000_000L;
      while (!leaseHeldBy(lease, "finishes") && finishes.handle().isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertTrue(leaseHeldBy(lease, "finishes"), "the last run takes the dead run's lease over: " + finishes.tail());
      // With the installation's own configuration (no --config), the warehouse named relative to its working
      // directory: the lease it finds is the one there.
      assertEquals(5, SampleRun.pqlIn(work, work.resolve("second.log"), Map.of(), "run", "--lake",
          work.relativize(lake).toString(), "--warehouse", work.relativize(warehouse).toString(), "--run-id", "second",
          "-Dpql.spark.master=local[2]", "-Dpql.spark.conf.spark.ui.enabled=false"),
          "a second run while the first holds the warehouse");
      String refusal = SampleRun.read(work.resolve("second.log"));
      assertTrue(refusal.contains("is in use by run finishes (run, process " + finishes.handle().pid()), refusal);
      assertEquals(0, finishes.await(SampleRun.RUN_TIMEOUT), "the run after the last kill: " + finishes.tail());
    }
    assertTrue(!Files.exists(lease), "released at the end");
  }

  /** The chain, run from its own folder, read the lake and wrote the warehouse there and applied the shipped rules. */
  private static void whereItWasToldAndWithTheShippedDefinitions(Path work, Path warehouse) throws Exception {
    assertTrue(Files.isDirectory(warehouse.resolve("pql_scores/_delta_log")), "the warehouse is where it was told");
    assertTrue(SampleRun.read(work.resolve("killed-2.log")).contains(" event rows read, "), "the lake was found");
    assertTrue(!Files.exists(ServiceProcess.HOME.resolve(warehouse.getFileName())), "nothing in the installation");
    try (var here = Files.list(work)) {
      assertEquals(List.of(), here.map(p -> p.getFileName().toString())
          .filter(n -> !n.equals(warehouse.getFileName().toString()) && !n.endsWith(".log")).toList(),
          "nothing in the working directory but the warehouse and the logs (no spark-warehouse)");
    }
    Set<String> shipped = new java.util.TreeSet<>();
    try (var files = Files.list(ServiceProcess.HOME.resolve("conf/definitions"))) {
      files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".conf"))
          .forEach(n -> shipped.add(n.replace(".conf", "")));
    }
    Set<String> applied = new java.util.TreeSet<>();
    ItSpark.session().read().format("delta").load(warehouse.resolve("pql_definitions").toString())
        .filter("source = 'rules'").select("definition_name").distinct().collectAsList()
        .forEach(r -> applied.add(r.getString(0)));
    assertEquals(shipped, applied, "every shipped definition, found from " + work);
  }

  private static boolean leaseHeldBy(Path lease, String runId) {
    try {
      return Files.readString(lease).contains("run_id=" + runId + "\n");
    } catch (java.io.IOException e) {
      return false; // not there, or being rewritten
    }
  }

  private static String latestModel(SparkSession spark, Path warehouse) {
    return spark.read().format("delta").load(warehouse.resolve("model_runs").toString())
        .orderBy(org.apache.spark.sql.functions.col("trained_at").desc()).first().getAs("model_version");
  }

  private static int run(Path work, Path warehouse, String runId, Map<String, String> env) throws Exception {
    return SampleRun.pqlIn(work, work.resolve(runId + ".log"), env, command(work, warehouse, runId).subList(1, 10)
        .toArray(String[]::new));
  }

  /** A run of the chain, from {@code work}: lake and warehouse relative to it. */
  private static List<String> command(Path work, Path warehouse, String runId) {
    return List.of(ServiceProcess.HOME.resolve("jobs/pql").toString(), "run", "--config",
        SampleRun.config().toString(), "--lake", work.relativize(lake).toString(), "--warehouse",
        work.relativize(warehouse).toString(), "--run-id", runId);
  }
}
