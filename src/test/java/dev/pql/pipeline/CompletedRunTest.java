package dev.pql.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.SparkTestBase;
import dev.pql.config.Settings;
import dev.pql.config.SettingsLoader;
import dev.pql.io.DeltaStore;
import dev.pql.io.Tables;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A run is taken for one with nothing to do only while the lake's files, every table but the run log, the settings
 * that shape the tables and the definitions are as the last complete run left them; any of them changed, it is not.
 */
class CompletedRunTest extends SparkTestBase {
  @Test
  void theLastCompleteRunMatchesUntilAFileATableOrASettingChanges() throws Exception {
    Path root = tempDir("pql-completed");
    Path events = Files.createDirectories(root.resolve("lake/generic/events"));
    Files.writeString(events.resolve("part-0.parquet"), "rows");
    Files.writeString(Files.createDirectories(root.resolve("lake/generic/accounts")).resolve("part-0.parquet"), "a");
    Settings settings = settings(root, Map.of());
    DeltaStore store = new DeltaStore(spark, settings.warehouse());
    lastEventOn(store, "2026-03-01");
    String lake = CompletedRun.lake(spark, settings).orElseThrow();
    assertEquals(Optional.empty(), CompletedRun.matching(spark, store, settings, lake), "no complete run yet");

    Pipeline.Outcome outcome = new Pipeline.Outcome("m1", LocalDate.of(2026, 3, 2), null, "lost to logins only",
        List.of("train"), List.of("configured events never seen: X"), "file:/w/reports/r1.html",
        Map.of("train", "too little history"));
    CompletedRun.record(spark, store, settings, lake, "r1", outcome);
    CompletedRun previous = CompletedRun.matching(spark, store, settings, lake).orElseThrow();
    assertEquals("r1", previous.runId());
    Pipeline.Outcome again = previous.outcome();
    assertEquals(List.of("m1", "2026-03-02", "lost to logins only", "[train]", "[configured events never seen: X]",
        "file:/w/reports/r1.html", "{train=too little history}"), List.of(again.modelVersion(),
        String.valueOf(again.latestScored()), again.withheld(), again.skipped().toString(), again.warnings().toString(),
        again.report(), again.skips().toString()), "what r1 said, said again");

    // The run log is written by every run, the one that finds nothing changed included: it does not count.
    store.insertNew(Tables.PIPELINE_RUNS, spark.sql("SELECT 'r2' AS run_id, 'run' AS command, 'ingest' AS stage, "
        + "current_timestamp() AS started_at, current_timestamp() AS ended_at, 0L AS rows_in, 0L AS rows_out, "
        + "0L AS rows_rejected, 0L AS rows_duplicate, CAST(NULL AS BIGINT) AS rows_held, 'skipped' AS status, "
        + "CAST(NULL AS STRING) AS message, CAST(NULL AS BIGINT) AS busiest_spark_stage_tasks, "
        + "CAST(NULL AS DOUBLE) AS largest_task_share"));
    assertTrue(CompletedRun.matching(spark, store, settings, lake).isPresent(), "the run log aside");

    // Another setting that shapes the tables, a new file, another table version: each is something to do.
    assertEquals(Optional.empty(), CompletedRun.matching(spark, store,
        settings(root, Map.of("pql.features.windows", "[7]")), lake), "another feature window");
    Files.writeString(events.resolve("part-1.parquet"), "more rows");
    String grown = CompletedRun.lake(spark, settings).orElseThrow();
    assertEquals(Optional.empty(), CompletedRun.matching(spark, store, settings, grown), "a new file in the lake");
    store.insertNew(Tables.EVENTS, store.read(Tables.EVENTS)
        .withColumn("event_id", org.apache.spark.sql.functions.lit("another")));
    assertEquals(Optional.empty(), CompletedRun.matching(spark, store, settings, lake), "events written since");
    // A marker cut short by a crash is no match either.
    store.writeText(CompletedRun.MARKER, "state=");
    assertEquals(Optional.empty(), CompletedRun.matching(spark, store, settings, lake));
  }

  @Test
  void aSourceThatCannotBeListedIsNeverTakenForUnchanged() {
    Path root = tempDir("pql-completed-missing");
    assertEquals(Optional.empty(), CompletedRun.lake(spark, settings(root, Map.of())), "no events folder");
  }

  private static Settings settings(Path root, Map<String, String> more) {
    Map<String, String> o = new java.util.HashMap<>(Map.of("pql.warehouse", root.resolve("w").toString(),
        "pql.ingest.lake", root.resolve("lake").toString()));
    o.putAll(more);
    return SettingsLoader.load(null, new java.io.File("conf/mappings/generic.conf"), o);
  }
}
