package dev.pql.features;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.SparkTestBase;
import dev.pql.io.DeltaStore;
import dev.pql.io.Tables;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** The daily pre-aggregates, by hand, and their incremental build against a full rebuild. */
class DailyAggregatesJobTest extends SparkTestBase {

  /** a1 lives in New York: Sunday 2026-03-01 and Monday 2026-03-02 (UTC dates). a2 has no time zone. */
  private static Dataset<Row> events(String where) {
    return spark.sql("""
        SELECT event_id, account_id, user_id, event, ts, to_date(ts) AS event_date, ingested_at, 'r' AS run_id,
               CAST(NULL AS MAP<STRING, STRING>) AS properties, CAST(NULL AS TIMESTAMP) AS received_at,
               CAST(NULL AS STRING) AS anonymous_id
        FROM VALUES
          ('e1', 'a1', 'u1', 'Message Sent', TIMESTAMP '2026-03-01 15:00:00', TIMESTAMP '2026-03-03 00:00:00'),
          ('e2', 'a1', 'u2', 'Message Sent', TIMESTAMP '2026-03-02 13:30:00', TIMESTAMP '2026-03-03 00:00:00'),
          ('e3', 'a1', 'u1', 'Message Sent', TIMESTAMP '2026-03-02 15:00:00', TIMESTAMP '2026-03-03 00:00:00'),
          ('e4', 'a1', NULL, 'Signed In',    TIMESTAMP '2026-03-02 23:59:59.999', TIMESTAMP '2026-03-03 00:00:00'),
          ('e5', 'a2', 'u9', 'Message Sent', TIMESTAMP '2026-03-02 10:00:00', TIMESTAMP '2026-03-03 00:00:00'),
          ('e6', 'a1', 'u3', 'Message Sent', TIMESTAMP '2026-03-01 16:00:00', TIMESTAMP '2026-03-05 00:00:00')
          AS t(event_id, account_id, user_id, event, ts, ingested_at)
        """ + " WHERE " + where);
  }

  private static DeltaStore warehouse(Dataset<Row> events) {
    Path dir = tempDir("pql-daily");
    DeltaStore store = new DeltaStore(spark, dir.toString());
    store.insertNew(Tables.EVENTS, events);
    store.insertNew(Tables.ACCOUNTS, spark.sql("""
        SELECT account_id, TIMESTAMP '2026-02-01 00:00:00' AS valid_from, CAST(NULL AS TIMESTAMP) AS valid_to,
               true AS is_current, TIMESTAMP '2026-02-01 00:00:00' AS signup_at, CAST(NULL AS STRING) AS name,
               'free' AS plan, CAST(NULL AS STRING) AS email_domain, CAST(NULL AS INT) AS employees,
               CAST(NULL AS STRING) AS industry, CAST(NULL AS STRING) AS country, timezone,
               TIMESTAMP '2026-03-03 00:00:00' AS ingested_at, 'r' AS run_id
        FROM VALUES ('a1', 'America/New_York'), ('a2', CAST(NULL AS STRING)) AS t(account_id, timezone)"""));
    return store;
  }

  @Test
  void dailyCountsWeekdayAndWorkingHoursAreThoseComputedByHand() {
    DeltaStore store = warehouse(events("true"));
    DailyAggregatesJob.build(store);
    // New York is UTC-5: 15:00Z Sunday is a Sunday; 13:30Z Monday is 08:30 (before work); 15:00Z is 10:00;
    // 23:59:59.999Z Monday is 18:59 (after work). a2 has no time zone: 10:00Z Monday is in working hours.
    assertSameRows(spark.sql("""
        SELECT * FROM VALUES
          ('a1', DATE '2026-03-01', 'Message Sent', 2L, 0L, 0L),
          ('a1', DATE '2026-03-02', 'Message Sent', 2L, 2L, 1L),
          ('a1', DATE '2026-03-02', 'Signed In', 1L, 1L, 0L),
          ('a2', DATE '2026-03-02', 'Message Sent', 1L, 1L, 1L)
          AS t(account_id, event_date, event, events, weekday_events, working_hours_events)"""),
        store.read(Tables.ACCOUNT_DAILY).select("account_id", "event_date", "event", "events", "weekday_events",
            "working_hours_events"));
    assertSameRows(spark.sql("""
        SELECT * FROM VALUES
          ('a1', DATE '2026-03-01', 'u1', 1L), ('a1', DATE '2026-03-01', 'u3', 1L),
          ('a1', DATE '2026-03-02', 'u1', 1L), ('a1', DATE '2026-03-02', 'u2', 1L),
          ('a2', DATE '2026-03-02', 'u9', 1L)
          AS t(account_id, event_date, user_id, events)"""),
        store.read(Tables.ACCOUNT_USER_DAILY).select("account_id", "event_date", "user_id", "events"));
  }

  @Test
  void aLateEventRebuildsOnlyItsOwnDayAndEqualsAFullRebuild() {
    DeltaStore incremental = warehouse(events("ingested_at < TIMESTAMP '2026-03-04 00:00:00'"));
    DailyAggregatesJob.Result first = DailyAggregatesJob.build(incremental);
    assertEquals(List.of(LocalDate.parse("2026-03-01"), LocalDate.parse("2026-03-02")), first.days());
    List<String> mondayFiles = Arrays.asList(incremental.read(Tables.ACCOUNT_DAILY)
        .filter("event_date = DATE '2026-03-02'").inputFiles());

    // e6 arrives late for Sunday.
    incremental.insertNew(Tables.EVENTS, events("true"));
    DailyAggregatesJob.Result second = DailyAggregatesJob.build(incremental);
    assertEquals(List.of(LocalDate.parse("2026-03-01")), second.days());
    assertEquals(2, second.eventsRead());
    assertEquals(mondayFiles, Arrays.asList(incremental.read(Tables.ACCOUNT_DAILY)
        .filter("event_date = DATE '2026-03-02'").inputFiles()), "Monday's files must not be rewritten");
    // Delta's own record of the commit: it replaced Sunday alone, writing Sunday's one row (a1, Message Sent).
    Row commit = spark.sql("DESCRIBE HISTORY delta.`" + incremental.warehouse() + "/account_daily` LIMIT 1").first();
    Map<String, String> metrics = commit.getJavaMap(commit.fieldIndex("operationMetrics"));
    Map<String, String> parameters = commit.getJavaMap(commit.fieldIndex("operationParameters"));
    assertEquals("1", metrics.get("numOutputRows"), metrics.toString());
    assertEquals("1", metrics.get("numRemovedFiles"), metrics.toString());
    assertTrue(parameters.get("predicate").contains("2026-03-01") && !parameters.get("predicate").contains("2026-03-02"),
        parameters.toString());

    DeltaStore full = warehouse(events("true"));
    DailyAggregatesJob.build(full);
    assertSameRows(full.read(Tables.ACCOUNT_DAILY), incremental.read(Tables.ACCOUNT_DAILY));
    assertSameRows(full.read(Tables.ACCOUNT_USER_DAILY), incremental.read(Tables.ACCOUNT_USER_DAILY));

    assertEquals(List.of(), DailyAggregatesJob.build(incremental).days(), "nothing new, nothing rebuilt");
  }

  @Test
  void eachListedZoneIsConvertedAsSparkConvertsItRowByRow() {
    // 2026's switches to summer time: New York on 03-08 at 07:00Z (UTC-5 to UTC-4), Berlin on 03-29 at 01:00Z
    // (UTC+1 to UTC+2). Kolkata (UTC+5:30) is not listed and is converted row by row; a null zone is UTC; a listed
    // name that is no zone is never used as a literal.
    Dataset<Row> rows = spark.sql("""
        SELECT * FROM VALUES
          (TIMESTAMP '2026-03-08 06:59:59', 'America/New_York', TIMESTAMP '2026-03-08 01:59:59'),
          (TIMESTAMP '2026-03-08 07:00:00', 'America/New_York', TIMESTAMP '2026-03-08 03:00:00'),
          (TIMESTAMP '2026-03-29 00:30:00', 'Europe/Berlin', TIMESTAMP '2026-03-29 01:30:00'),
          (TIMESTAMP '2026-03-29 01:30:00', 'Europe/Berlin', TIMESTAMP '2026-03-29 03:30:00'),
          (TIMESTAMP '2026-03-02 10:00:00', 'Asia/Kolkata', TIMESTAMP '2026-03-02 15:30:00'),
          (TIMESTAMP '2026-03-02 10:00:00', CAST(NULL AS STRING), TIMESTAMP '2026-03-02 10:00:00')
          AS t(ts, zone, expected)""");
    List<String> listed = List.of("America/New_York", "Europe/Berlin", "Not a zone");
    assertSameRows(rows.select(col("ts"), col("zone"), col("expected").as("local")),
        rows.select(col("ts"), col("zone"), DailyAggregates.localTime(col("ts"), col("zone"), listed).as("local")));
  }
}
