package dev.pql.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.FileReadCounter;
import dev.pql.SparkTestBase;
import dev.pql.config.Settings;
import dev.pql.config.SettingsLoader;
import dev.pql.io.DeltaStore;
import dev.pql.io.RunLog;
import dev.pql.io.StageContext;
import dev.pql.io.Tables;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The features stage on a small ingested warehouse: partitions, reruns, catalog and scans. */
class FeaturesJobTest extends SparkTestBase {
  static DeltaStore store;
  static Settings settings;

  @BeforeAll
  static void warehouse() {
    store = newWarehouse();
    try {
      java.nio.file.Path conf = tempDir("pql-conf").resolve("features.conf");
      java.nio.file.Files.writeString(conf, "pql.features.login-events = [\"Signed In\", \"Logged In\"]\n");
      settings = SettingsLoader.load(conf.toFile(), null, Map.of("pql.warehouse", store.warehouse()));
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** 1,000 events of a0-a2 from 2026-02-01 00:00, one a minute; a3 has none. */
  private static DeltaStore newWarehouse() {
    DeltaStore store = new DeltaStore(spark, tempDir("pql-features").toString());
    store.insertNew(Tables.EVENTS, spark.sql("""
        SELECT concat('e', id) AS event_id, concat('a', id % 3) AS account_id, concat('u', id % 5) AS user_id,
               CASE WHEN id % 4 = 0 THEN 'Signed In' ELSE 'Message Sent' END AS event,
               ts, to_date(ts) AS event_date, TIMESTAMP '2026-04-01 00:00:00' AS ingested_at, 'r' AS run_id,
               CAST(NULL AS MAP<STRING, STRING>) AS properties, CAST(NULL AS TIMESTAMP) AS received_at,
               CAST(NULL AS STRING) AS anonymous_id
        FROM (SELECT id, TIMESTAMP '2026-02-01 00:00:00' + make_interval(0, 0, 0, 0, CAST(id AS INT), 0, 0) AS ts
              FROM range(0, 1000))"""));
    store.insertNew(Tables.ACCOUNTS, spark.sql("""
        SELECT concat('a', id) AS account_id, TIMESTAMP '2026-02-01 00:00:00' AS valid_from,
               CAST(NULL AS TIMESTAMP) AS valid_to, true AS is_current, TIMESTAMP '2026-02-01 00:00:00' AS signup_at,
               CAST(NULL AS STRING) AS name, 'free' AS plan, CAST(NULL AS STRING) AS email_domain,
               CAST(NULL AS INT) AS employees, CAST(NULL AS STRING) AS industry, CAST(NULL AS STRING) AS country,
               CAST(NULL AS STRING) AS timezone, TIMESTAMP '2026-04-01 00:00:00' AS ingested_at, 'r' AS run_id
        FROM range(0, 4)"""));
    return store;
  }

  @Test
  void theConversionEventAndExcludedEventsNeverBecomeFeatures() {
    DeltaStore store = newWarehouse();
    // a0 paid (a "Plan Upgraded" event) and started a checkout before: neither may be counted anywhere.
    store.insertNew(Tables.EVENTS, spark.sql("""
        SELECT event_id, 'a0' AS account_id, 'u0' AS user_id, event, ts, to_date(ts) AS event_date,
               TIMESTAMP '2026-04-01 00:00:00' AS ingested_at, 'r' AS run_id,
               CAST(NULL AS MAP<STRING, STRING>) AS properties, CAST(NULL AS TIMESTAMP) AS received_at,
               CAST(NULL AS STRING) AS anonymous_id
        FROM VALUES ('c1', 'Checkout Started', TIMESTAMP '2026-02-01 02:00:00'),
                    ('c2', 'Plan Upgraded', TIMESTAMP '2026-02-01 03:00:00') AS e(event_id, event, ts)"""));
    Settings excluding = SettingsLoader.load(null, null, Map.of("pql.warehouse", store.warehouse(),
        "pql.features.exclude-events", "[\"Checkout Started\"]", "pql.ingest.conversions.source", "event",
        // A configuration that names the conversion event among others: it still gets no feature.
        "pql.features.hand-raise-events", "[\"Contact Sales Clicked\", \"Plan Upgraded\"]",
        "pql.ingest.conversions.event-filter", "event = 'Plan Upgraded'"));
    FeaturesJob.Result r = FeaturesJob.run(new StageContext(spark, store, new RunLog(spark, store, "x-1", "features"),
        Instant.parse("2026-04-02T00:00:00Z")), excluding.features(), excluding.domains(),
        List.of(LocalDate.parse("2026-02-02")));
    assertTrue(r.keyEvents().contains("Message Sent") && !r.keyEvents().contains("Plan Upgraded")
        && !r.keyEvents().contains("Checkout Started"), "no feature for either: " + r.keyEvents());
    assertEquals(0, store.read(Tables.ACCOUNT_DAILY).filter("event IN ('Plan Upgraded', 'Checkout Started')").count());
    Dataset<Row> features = store.readIfExists("account_features");
    assertTrue(java.util.Arrays.stream(features.columns()).noneMatch(c -> c.contains("plan_upgraded")
        || c.contains("checkout_started")), String.join(", ", features.columns()));
    assertEquals(features.filter("account_id = 'a1'").first().<Object>getAs("breadth_total"),
        features.filter("account_id = 'a0'").first().<Object>getAs("breadth_total"),
        "a0 did the same two kinds of thing as a1, once the excluded ones are left out");
  }

  private static FeaturesJob.Result run(DeltaStore store, List<LocalDate> dates, String runId) {
    return FeaturesJob.run(new StageContext(spark, store, new RunLog(spark, store, runId, "features"),
        Instant.parse("2026-04-02T00:00:00Z")), settings.features(), settings.domains(), dates);
  }

  @Test
  void aBackfillWritesOnePartitionPerDateAndARerunChangesNothing() {
    List<LocalDate> mondays = SnapshotDates.between(LocalDate.parse("2026-02-01"), LocalDate.parse("2026-03-31"),
        true, DayOfWeek.MONDAY);
    assertEquals(9, mondays.size());
    FeaturesJob.Result first = run(store, mondays, "f-1");
    List<String> unseen = List.of("Contact Sales Clicked", "File Uploaded", "Integration Connected", "Invite Sent",
        "Logged In", "Pricing Page Viewed", "Project Created", "Usage Limit Reached");
    assertEquals(unseen, first.unseenEvents(), "configured events never seen are reported");
    List<String> keyEvents = new java.util.ArrayList<>(unseen);
    keyEvents.addAll(List.of("Message Sent", "Signed In"));
    java.util.Collections.sort(keyEvents);
    assertEquals(keyEvents, first.keyEvents(), "the events seen and the events named, so that their columns exist");
    Dataset<Row> features = spark.read().format("delta").load(store.warehouse() + "/account_features");
    // The width the run reports is the table's: 10 key events x (total, 7 windows, 5 since signup, 2 of distinct
    // users, days to first) and the rest.
    assertEquals(new FeaturesJob.Width(features.columns().length, 10, 16), first.width());
    assertEquals(features.columns().length - 160, Arrays.stream(features.columns()).filter(c -> !c.contains("__")
        || c.startsWith("usage_vs_limit__")).count(), "every per-key-event column is counted once");
    // a3 has no events and is present with zero counts; all four accounts signed up before every Monday.
    assertEquals(9 * 4, features.count());
    assertEquals(9, features.select("as_of_date").distinct().count());
    assertEquals(0L, features.filter("account_id = 'a3'").selectExpr("max(cnt_total__message_sent)").first().getLong(0));
    java.util.List<Row> before = features.collectAsList();

    FeaturesJob.Result again = run(store, mondays, "f-2");
    assertEquals(List.of(), again.daily().days(), "no new events: no day rebuilt");
    assertSameRows(spark.createDataFrame(before, features.schema()),
        spark.read().format("delta").load(store.warehouse() + "/account_features"));
  }

  private static List<LocalDate> mondays(int k) {
    return SnapshotDates.between(LocalDate.parse("2026-02-02"), LocalDate.parse("2026-02-02").plusWeeks(k - 1), true,
        DayOfWeek.MONDAY);
  }

  @Test
  void aBackfillReadsTheEventsOnceWhateverTheNumberOfSnapshots() {
    for (int k : new int[] {1, 26}) {
      DeltaStore fresh = newWarehouse();
      try (FileReadCounter reads = new FileReadCounter(fresh.warehouse() + "/events")) {
        FeaturesJob.Result r = run(fresh, mondays(k), "scan-" + k);
        assertEquals(k, r.asOfDates().size());
        assertTrue(reads.filesRead() > 0, "the counter sees the reads");
        assertEquals(1, reads.scans(), k + " snapshot(s): times the events files were read");
      }
    }
  }

  @Test
  void anyNumberOfSnapshotsReadsEachDailyTableOnce() {
    DailyAggregatesJob.build(store);
    for (int k : new int[] {1, 26}) {
      try (FileReadCounter daily = new FileReadCounter(store.warehouse() + "/account_daily");
          FileReadCounter userDaily = new FileReadCounter(store.warehouse() + "/account_user_daily");
          FileReadCounter eventUserDaily = new FileReadCounter(store.warehouse() + "/account_event_user_daily")) {
        PointInTimeFeatures.snapshots(store.read(Tables.ACCOUNT_DAILY), store.read(Tables.ACCOUNT_USER_DAILY),
                store.read(Tables.ACCOUNT_EVENT_USER_DAILY), store.read(Tables.ACCOUNTS), mondays(k),
                PointInTimeFeatures.Spec.of(settings.features(), FeatureNames.snakeNames(List.of("Message Sent"))))
            .write().format("noop").mode("overwrite").save();
        assertTrue(daily.filesRead() > 0 && userDaily.filesRead() > 0, "the counters see the reads");
        assertEquals(1, daily.scans(), k + " snapshot(s): account_daily reads");
        assertEquals(1, userDaily.scans(), k + " snapshot(s): account_user_daily reads");
        assertEquals(1, eventUserDaily.scans(), k + " snapshot(s): account_event_user_daily reads");
      }
    }
  }

  @Test
  void aWindowAddedLaterRebuildsEveryStoredSnapshotSoNoneReadsItAsNull() {
    DeltaStore store = newWarehouse();
    List<LocalDate> first = List.of(LocalDate.parse("2026-02-09"), LocalDate.parse("2026-02-16"));
    Settings narrow = SettingsLoader.load(null, null, Map.of("pql.warehouse", store.warehouse(),
        "pql.features.windows", "[7]", "pql.features.signup-windows", "[]", "pql.features.user-windows", "[]"));
    FeaturesJob.run(new StageContext(spark, store, new RunLog(spark, store, "w-1", "features"),
        Instant.parse("2026-04-02T00:00:00Z")), narrow.features(), narrow.domains(), first);
    Settings wider = SettingsLoader.load(null, null, Map.of("pql.warehouse", store.warehouse(),
        "pql.features.windows", "[14]", "pql.features.signup-windows", "[7]", "pql.features.user-windows", "[]"));
    FeaturesJob.Result r = FeaturesJob.run(new StageContext(spark, store, new RunLog(spark, store, "w-2", "features"),
        Instant.parse("2026-04-02T00:00:00Z")), wider.features(), wider.domains(), List.of(LocalDate.parse(
        "2026-02-23")));
    assertEquals(List.of(LocalDate.parse("2026-02-09"), LocalDate.parse("2026-02-16"), LocalDate.parse("2026-02-23")),
        r.asOfDates(), "the two stored dates are rebuilt with the new date");
    Dataset<Row> features = spark.read().format("delta").load(store.warehouse() + "/account_features");
    assertEquals(0, features.filter("cnt_14d__message_sent IS NULL OR cnt_first_7d__message_sent IS NULL").count(),
        "every account is 8 or more days old at every date: no null");
    // One event an hour from 02-01 00:00, three in four a message: the first 7 days (02-01 .. 02-07) hold 168
    // events, 126 messages; the 14 days before 02-23 (02-09 .. 02-22) 336 events, 252 messages.
    assertEquals(126L, features.filter("as_of_date = DATE'2026-02-09'")
        .selectExpr("sum(cnt_first_7d__message_sent)").first().getLong(0));
    assertEquals(252L, features.filter("as_of_date = DATE'2026-02-23'")
        .selectExpr("sum(cnt_14d__message_sent)").first().getLong(0));
    // A rerun with the same windows rebuilds only the date asked for.
    FeaturesJob.Result again = FeaturesJob.run(new StageContext(spark, store, new RunLog(spark, store, "w-3",
        "features"), Instant.parse("2026-04-02T00:00:00Z")), wider.features(), wider.domains(),
        List.of(LocalDate.parse("2026-02-23")));
    assertEquals(List.of(LocalDate.parse("2026-02-23")), again.asOfDates());
    // Narrowed back: every date is rebuilt again, and the dropped columns are gone, not left null.
    FeaturesJob.Result narrowed = FeaturesJob.run(new StageContext(spark, store, new RunLog(spark, store, "w-4",
        "features"), Instant.parse("2026-04-02T00:00:00Z")), narrow.features(), narrow.domains(), List.of());
    assertEquals(3, narrowed.asOfDates().size());
    Dataset<Row> after = spark.read().format("delta").load(store.warehouse() + "/account_features");
    assertEquals(List.of(), Arrays.stream(after.columns()).filter(c -> c.startsWith("cnt_14d__")
        || c.startsWith("cnt_first_")).toList());
    assertEquals(3, after.select("as_of_date").distinct().count());
  }
  @Test
  void snapshotsOfSomeAccountsAtTheirOwnDatesAreTheStoredSnapshotsOfThoseDates() {
    DeltaStore store = newWarehouse();
    List<LocalDate> days = SnapshotDates.between(LocalDate.parse("2026-02-02"), LocalDate.parse("2026-03-12"), false,
        DayOfWeek.MONDAY);
    run(store, days, "at-1");
    // Four accounts at dates of their own, one of them (a3) without events; a2 twice.
    Dataset<Row> moments = spark.sql("""
        SELECT account_id, CAST(as_of_date AS DATE) AS as_of_date FROM VALUES ('a0', '2026-02-05'),
          ('a1', '2026-02-19'), ('a2', '2026-02-27'), ('a2', '2026-03-11'), ('a3', '2026-02-10')
          AS m(account_id, as_of_date)""");
    Dataset<Row> built = FeatureStore.snapshotsAt(store, settings.features(), settings.domains(), moments);
    Dataset<Row> stored = spark.read().format("delta").load(store.warehouse() + "/account_features")
        .join(moments, scala.collection.JavaConverters.asScalaBuffer(List.of("account_id", "as_of_date")).toSeq())
        .select(Arrays.stream(built.columns()).map(c -> org.apache.spark.sql.functions.col("`" + c + "`"))
            .toArray(org.apache.spark.sql.Column[]::new));
    assertEquals(5, stored.count());
    assertSameRows(stored, built);
    // Fewer windows configured: the stored ones are built all the same.
    Settings narrower = SettingsLoader.load(null, null, Map.of("pql.warehouse", store.warehouse(),
        "pql.features.windows", "[7]", "pql.features.login-events", "[\"Signed In\", \"Logged In\"]"));
    assertSameRows(stored, FeatureStore.snapshotsAt(store, narrower.features(), narrower.domains(), moments));
    // Other key events: the stored columns of the others cannot be built.
    Settings other = SettingsLoader.load(null, null, Map.of("pql.warehouse", store.warehouse(),
        "pql.features.key-events", "[\"Message Sent\"]"));
    dev.pql.PqlException.NotEnoughData e = org.junit.jupiter.api.Assertions.assertThrows(
        dev.pql.PqlException.NotEnoughData.class, () -> FeatureStore.snapshotsAt(store, other.features(),
            other.domains(), moments));
    assertTrue(e.getMessage().contains("run `pql features` first"), e.getMessage());
  }
}
