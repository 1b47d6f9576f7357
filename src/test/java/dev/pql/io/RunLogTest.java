package dev.pql.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.SparkTestBase;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** A stage's Spark jobs are named after it, and its pipeline_runs row says how it ended. */
class RunLogTest extends SparkTestBase {
  @Test
  void aStagesJobsCarryItsNameInTheirGroupAndTheGroupBeforeIsRestored() {
    DeltaStore store = new DeltaStore(spark, tempDir("pql-runlog").toString());
    RunLog log = new RunLog(spark, store, "run-1", "features");
    spark.sparkContext().setJobGroup("outer", "the caller's group", false);
    log.stage("features.snapshots", () -> log.inJobGroup("features.snapshots.inner",
        () -> spark.range(10).count()), n -> new RunLog.StageCounts(0, n, 0, 0));
    long counted = log.stage("features.daily", () -> spark.range(5).count(), n -> new RunLog.StageCounts(0, n, 0, 0));

    var tracker = spark.sparkContext().statusTracker();
    assertEquals(0, tracker.getJobIdsForGroup("outer").length, "no job of a stage runs in the caller's group");
    for (String group : List.of("pql features.snapshots.inner", "pql features.daily")) {
      assertTrue(tracker.getJobIdsForGroup(group).length > 0, group);
    }
    assertEquals(5, counted);
    assertEquals("outer", spark.sparkContext().getLocalProperty("spark.jobGroup.id"), "the caller's group again");
    assertEquals("the caller's group", spark.sparkContext().getLocalProperty("spark.job.description"));
    spark.sparkContext().clearJobGroup();
    assertNull(spark.sparkContext().getLocalProperty("spark.jobGroup.id"));

    assertThrows(IllegalStateException.class, () -> log.stage("train", () -> {
      throw new IllegalStateException("boom");
    }, x -> RunLog.StageCounts.NONE));
    Map<String, String> status = new TreeMap<>();
    store.read(Tables.PIPELINE_RUNS).filter("run_id = 'run-1'").collectAsList()
        .forEach(r -> status.put(r.getAs("stage"), r.getAs("status")));
    assertEquals(Map.of("features.daily", "succeeded", "features.snapshots", "succeeded", "train", "failed"), status);
  }

  @Test
  void substagesRunningAtOnceCountTheirOwnTasksAndAreWrittenInTheEnclosingStagesCommit() {
    DeltaStore store = new DeltaStore(spark, tempDir("pql-runlog-concurrent").toString());
    RunLog log = new RunLog(spark, store, "run-2", "train");
    log.stage("train", () -> Concurrently.both(
        () -> log.stage("train.fit", () -> sleepingTasks(3), n -> RunLog.StageCounts.NONE),
        () -> log.stage("train.drivers", () -> sleepingTasks(5), n -> RunLog.StageCounts.NONE)),
        b -> RunLog.StageCounts.NONE);

    Map<String, Integer> tasks = new TreeMap<>();
    log.results().forEach(r -> tasks.put(r.stage(), r.balance().tasks()));
    // Each substage's busiest Spark stage is its own (the other thread's 5 sleeping tasks would outweigh 3).
    assertEquals(3, tasks.get("train.fit"));
    assertEquals(5, tasks.get("train.drivers"));
    assertEquals(5, tasks.get("train"), "the enclosing stage sees both");
    assertEquals(3, store.read(Tables.PIPELINE_RUNS).filter("run_id = 'run-2'").count());
    assertEquals(2, io.delta.tables.DeltaTable.forPath(spark, store.path(Tables.PIPELINE_RUNS)).history()
        .filter("operation <> 'CREATE TABLE'").count(), "the stage's start, then one commit for its end and both "
        + "substages'");
  }

  @Test
  void aStageOnRecordFromItsStartIsMarkedAbandonedByALaterRunAndEveryCommitNamesItsRun() {
    String warehouse = tempDir("pql-runlog-dead").toString();
    StageContext dying = StageContext.open(spark, warehouse, "run-dies", "run", java.time.Instant.now());
    // An Error is not caught as a failure: the stage's row stays as its start wrote it, as after a kill -9.
    assertThrows(StackOverflowError.class, () -> dying.log().stage("ingest.events", () -> {
      throw new StackOverflowError("killed");
    }, x -> RunLog.StageCounts.NONE));
    StageContext evaluating = StageContext.open(spark, warehouse, "run-evaluates", "evaluate", java.time.Instant.now());
    assertThrows(StackOverflowError.class, () -> evaluating.log().stage("evaluate", () -> {
      throw new StackOverflowError("still running, elsewhere");
    }, x -> RunLog.StageCounts.NONE));
    DeltaStore store = dying.store();
    assertEquals("running", status(store, "run-dies"));

    StageContext next = StageContext.open(spark, warehouse, "run-next", "run", java.time.Instant.now());
    assertEquals(1, next.log().abandonDeadRuns(java.util.Set.of("run", "ingest")));
    assertEquals("abandoned", status(store, "run-dies"));
    assertEquals("running", status(store, "run-evaluates"), "a command that does not take the lease may be alive");
    assertTrue(store.read(Tables.PIPELINE_RUNS).filter("run_id = 'run-dies'").first().<String>getAs("message")
        .contains("run run-next found it dead"));
    assertEquals(List.of("pql run run-dies (run)", "pql run run-evaluates (evaluate)", "pql run run-next (run)"),
        io.delta.tables.DeltaTable.forPath(spark, store.path(Tables.PIPELINE_RUNS)).history()
            .filter("operation <> 'CREATE TABLE'").select("userMetadata").distinct().orderBy("userMetadata")
            .as(org.apache.spark.sql.Encoders.STRING()).collectAsList(), "each commit names the run that made it");
    spark.conf().unset(DeltaStore.USER_METADATA);
  }

  /**
   * A stage's start is appended and its end replaces that row's file by name: neither reads the table's files (no
   * query and no scan of pipeline_runs), and each stage keeps one row. A run id given again finds its stages on record
   * and replaces them by key.
   */
  @Test
  void aStagesEndReplacesItsRunningRowWithoutReadingTheTableAndARunIdGivenAgainReplacesItsRows() throws Exception {
    DeltaStore store = new DeltaStore(spark, tempDir("pql-runlog-own").toString());
    new RunLog(spark, store, "run-0", "run").skipped("ingest", "nothing new"); // the table exists, with a file
    RunLog log = new RunLog(spark, store, "run-3", "run");
    log.skipped("ingest", "nothing new"); // reads the run's stages on record, once
    List<String> reads = queriesRunBy(() -> {
      log.stage("features", () -> log.stage("features.daily", () -> 1L, n -> new RunLog.StageCounts(0, n, 0, 0)),
          n -> new RunLog.StageCounts(0, n, 0, 0));
      log.stage("train", () -> 2L, n -> new RunLog.StageCounts(0, n, 0, 0));
    });
    // Two stages' starts and ends: four writes of their rows, and no other query (a keyed write runs some eight,
    // reading the table's state and the files its keys may be in).
    assertEquals(java.util.Collections.nCopies(4, "deltaTransactionalWrite"), reads);
    Map<String, String> status = new TreeMap<>();
    store.read(Tables.PIPELINE_RUNS).filter("run_id = 'run-3'").collectAsList()
        .forEach(r -> assertNull(status.put(r.getAs("stage"), r.getAs("status")), "one row per stage: " + r));
    assertEquals(Map.of("ingest", "skipped", "features", "succeeded", "features.daily", "succeeded", "train",
        "succeeded"), status);

    RunLog again = new RunLog(spark, store, "run-3", "run");
    again.stage("train", () -> 3L, n -> new RunLog.StageCounts(0, n, 0, 0));
    assertEquals(List.of(3L), store.read(Tables.PIPELINE_RUNS).filter("run_id = 'run-3' AND stage = 'train'")
        .select("rows_out").as(org.apache.spark.sql.Encoders.LONG()).collectAsList(), "the rerun's row replaces it");
    assertEquals(5, store.read(Tables.PIPELINE_RUNS).count());
  }

  /** A compaction while a stage runs moves its running row to another file: the stage's end replaces it by key. */
  @Test
  void aStageWhoseRunningRowWasCompactedAwayEndsWithOneRow() {
    DeltaStore store = new DeltaStore(spark, tempDir("pql-runlog-compacted").toString());
    new RunLog(spark, store, "run-0", "run").skipped("ingest", "nothing new");
    RunLog log = new RunLog(spark, store, "run-5", "run");
    log.stage("score", () -> io.delta.tables.DeltaTable.forPath(spark, store.path(Tables.PIPELINE_RUNS)).optimize()
        .executeCompaction().count(), n -> RunLog.StageCounts.NONE);
    assertEquals(List.of("succeeded"), store.read(Tables.PIPELINE_RUNS).filter("run_id = 'run-5'").select("status")
        .as(org.apache.spark.sql.Encoders.STRING()).collectAsList());
  }

  private static String status(DeltaStore store, String runId) {
    return store.read(Tables.PIPELINE_RUNS).filter("run_id = '" + runId + "'").first().getAs("status");
  }

  /** One Spark stage of {@code n} tasks of 200 ms each. */
  private long sleepingTasks(int n) {
    spark.range(0, n, 1, n).foreachPartition((org.apache.spark.api.java.function.ForeachPartitionFunction<Long>)
        rows -> Thread.sleep(200));
    return n;
  }
}
