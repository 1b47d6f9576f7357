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
 * killed run in pipeline_runs. Then two runs at once: the second is refused with exit 5 while the first holds the
 * warehouse.
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

  @Test
  void aRunKilledAtAnyPointIsFinishedByTheNextAndTwoRunsAtOnceAreRefused() throws Exception {
    Path work = SampleRun.WORK.resolve("fault");
    SampleRun.deleteRecursively(work);
    Path lake = work.resolve("lake");
    dev.pql.config.Settings generate = dev.pql.config.SettingsLoader.load(config(work).toFile(), null,
        Map.of("pql.generate.output", lake.toString()));
    dev.pql.generate.LakeGenerator.generate(ItSpark.session(), generate.generate(), generate.domains());

    Path expected = work.resolve("uninterrupted");
    assertEquals(0, run(work, expected, "uninterrupted", Map.of()), "the uninterrupted run");

    Path warehouse = work.resolve("chain");
    List<String> killed = new ArrayList<>();
    for (String point : KILL_POINTS) {
      String runId = "killed-" + (killed.size() + 1);
      int code = run(work, warehouse, runId, Map.of(FaultInjection.VARIABLE, point));
      assertEquals(137, code, runId + " halts at " + point);
      assertTrue(SampleRun.read(work.resolve(runId + ".log")).contains("halted at the fault point " + point));
      killed.add(runId);
    }
    assertEquals(0, run(work, warehouse, "finishes", Map.of()), "the run after the last kill");

    SparkSession spark = ItSpark.session();
    String expectedModel = latestModel(spark, expected);
    // The rerun reads the same rows from other files (a killed MERGE's rewrite, other partitions), so the fits sum
    // them in another order: a driver's stability over 20 refits differed by 1.7e-5 relative between two runs.
    List<String> compared;
    TableComparison.tolerance = 1e-4;
    try {
      compared = TableComparison.assertSameTables(spark, expected.toString(), warehouse.toString(), RUN_COLUMNS,
          Map.of(latestModel(spark, warehouse), expectedModel), Set.of("pipeline_runs"));
    } finally {
      TableComparison.tolerance = TableComparison.TOLERANCE;
    }
    assertTrue(compared.containsAll(List.of("events", "events_rejected", "account_daily", "account_features",
        "model_runs", "model_drivers", "pql_scores", "pql_new", "pql_metrics")), "compared " + compared);

    // Every run is in the log; each killed one's last stage is abandoned (marked by the run after it).
    Map<String, String> lastStatus = new TreeMap<>();
    for (Row r : spark.read().format("delta").load(warehouse.resolve("pipeline_runs").toString())
        .filter("status = 'abandoned'").select("run_id", "stage").collectAsList()) {
      lastStatus.merge(r.getString(0), r.getString(1), (a, b) -> a + "," + b);
    }
    assertEquals(Set.copyOf(killed), lastStatus.keySet(), "abandoned stages by run: " + lastStatus);
    System.out.printf("FaultIT: %d kill points, then one run to the end: %d tables equal to an uninterrupted "
        + "run's; abandoned stages %s%n", KILL_POINTS.size(), compared.size(), lastStatus);

    twoRunsAtOnce(work, warehouse);
  }

  /** A run holding the warehouse, and a second one started meanwhile: refused with exit 5, naming the first. */
  private static void twoRunsAtOnce(Path work, Path warehouse) throws Exception {
    List<String> first = command(work, warehouse, "holder");
    try (ServiceProcess holder = ServiceProcess.start("pql run holder", first, Map.of("PQL_JAVA_OPTS", "-Xmx2g"),
        work.resolve("holder.log"))) {
      Path lease = warehouse.resolve(dev.pql.io.WarehouseLease.NAME);
      long deadline = System.nanoTime() + 120_000_000_000L;
      while (!Files.exists(lease) && holder.handle().isAlive() && System.nanoTime() < deadline) Thread.sleep(100);
      assertTrue(Files.exists(lease), "the first run holds the lease: " + holder.tail());
      assertEquals(5, run(work, warehouse, "second", Map.of()), "a second run while the first holds the warehouse");
      String refusal = SampleRun.read(work.resolve("second.log"));
      assertTrue(refusal.contains("is in use by run holder (run, process " + holder.handle().pid()), refusal);
      assertEquals(0, holder.await(SampleRun.RUN_TIMEOUT), holder.tail());
    }
    assertTrue(!Files.exists(warehouse.resolve(dev.pql.io.WarehouseLease.NAME)), "released at the end");
  }

  private static String latestModel(SparkSession spark, Path warehouse) {
    return spark.read().format("delta").load(warehouse.resolve("model_runs").toString())
        .orderBy(org.apache.spark.sql.functions.col("trained_at").desc()).first().getAs("model_version");
  }

  private static int run(Path work, Path warehouse, String runId, Map<String, String> env) throws Exception {
    return SampleRun.pql(work.resolve(runId + ".log"), env, command(work, warehouse, runId).subList(1, 10)
        .toArray(String[]::new));
  }

  private static List<String> command(Path work, Path warehouse, String runId) {
    return List.of(ServiceProcess.HOME.resolve("jobs/pql").toString(), "run", "--config", config(work).toString(),
        "--lake", work.resolve("lake").toString(), "--warehouse", warehouse.toString(), "--run-id", runId);
  }

  /**
   * A lake small enough for seven runs and large enough to train: 400 accounts over 110 days, most on a trial,
   * short windows and horizons, the gate off (the question here is what a crash leaves, not the model's worth).
   */
  private static Path config(Path work) {
    Path config = work.resolve("fault.conf");
    SampleRun.write(config, String.join("\n",
        "include file(\"" + ServiceProcess.HOME.resolve("conf/application.conf") + "\")",
        "pql {",
        "  spark { master = \"local[2]\", shuffle-partitions = 2, conf { \"spark.ui.enabled\" = \"false\" } }",
        "  generate { accounts = 400, days = 110, big-account-event-share = 0, trial-share = 0.6 }",
        "  model { horizon-days = 14, driver-horizon-days = 14, evaluation-days = 14, calibration-days = 14,",
        "          min-support = 10, reg-params = [0.003], max-iterations = 20, gate.enabled = false }",
        "  run.first-snapshot-after-days = 14",
        "  features { windows = [7, 30], signup-windows = [7], user-windows = [30] }",
        "}", ""));
    return config;
  }
}
