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
