package dev.pql.ingest;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pql.SparkTestBase;
import dev.pql.config.Settings;
import dev.pql.config.SettingsLoader;
import dev.pql.features.FeatureStore;
import dev.pql.features.SnapshotDates;
import dev.pql.generate.LakeGenerator;
import dev.pql.io.DeltaStore;
import dev.pql.io.RunLog;
import dev.pql.io.StageContext;
import dev.pql.io.Tables;
import dev.pql.pipeline.StageRunner;
import dev.pql.pipeline.Stages;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.StructField;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every shipped mapping ingests its layout by configuration alone: the generated lake in both layouts
 * (checked against the generator's truth) and, where ../shared/datasets exists, the real samples.
 */
class LakeMappingsTest extends SparkTestBase {
  static final Path SHARED = Path.of("../shared/datasets");
  static final int DAYS = 75;
  static Path lake;
  static LakeGenerator.Summary truth;

  @BeforeAll
  static void generate() {
    lake = tempDir("pql-lake");
    Settings s = SettingsLoader.load(null, null, Map.of(
        "pql.generate.output", lake.toString(), "pql.generate.accounts", "150",
        "pql.generate.days", String.valueOf(DAYS), "pql.generate.files", "2",
        "pql.generate.trial-share", "0.6",
        "pql.generate.layouts", "[generic, segment, amplitude, mixpanel, posthog, snowplow]"));
    truth = LakeGenerator.generate(spark, s.generate(), s.domains());
    // Every fault the ingest must count is in the lake, and upgrades to compare.
    for (String fault : List.of("duplicate_rows", "rows.missing_event_id", "rows.timestamp_out_of_range",
        "converted_accounts")) {
      assertTrue(truth.get(fault) >= 5, fault + ": " + truth.get(fault));
    }
  }

  private static IngestJob.Result ingest(String mapping, String lakeDir, Path warehouse) {
    Settings s = SettingsLoader.load(null, new File("conf/mappings/" + mapping),
        Map.of("pql.ingest.lake", lakeDir, "pql.warehouse", warehouse.toString()));
    DeltaStore store = new DeltaStore(spark, s.warehouse());
    return IngestJob.run(new StageContext(spark, store, new RunLog(spark, store, "run-" + mapping, "ingest"),
        Instant.now()), s);
  }

  /** A layout's warehouse and what its ingest counted. */
  private record Ingested(Path warehouse, IngestJob.Result result) {}

  /** Each layout ingested once, for every test that reads it. */
  private static final Map<String, Ingested> INGESTED = new java.util.HashMap<>();

  /** The lake in a layout, ingested by its shipped mapping into a warehouse of its own (once per class). */
  private static synchronized Ingested ingested(String mapping) {
    return INGESTED.computeIfAbsent(mapping, m -> {
      Path warehouse = tempDir("pql-w-" + m.replace(".conf", ""));
      return new Ingested(warehouse, ingest(m, lake.toString(), warehouse));
    });
  }

  /** The generic layout ingested once: the tables every other layout must give. */
  private static Path generic() {
    return ingested("generic.conf").warehouse();
  }

  private static void assertTruth(IngestJob.Result r) {
    assertEquals(truth.get("source_rows"), r.eventRowsRead());
    assertEquals(truth.get("unique_events"), r.eventsWritten());
    assertEquals(truth.get("duplicate_rows"), r.eventsDuplicate());
    assertEquals(truth.get("malformed_rows"), r.eventsRejected());
    assertEquals(truth.get("rows.missing_event_id"), r.rejectedByReason().get("MISSING_EVENT_ID"));
    assertEquals(truth.get("rows.timestamp_out_of_range"), r.rejectedByReason().get("TIMESTAMP_OUT_OF_RANGE"));
  }

  /** Per layout whose visitors log in: its format and the filter that finds an event before the login. */
  static final Map<String, String[]> PRE_LOGIN = Map.of(
      "amplitude", new String[] {"json", "user_id IS NULL AND device_id IS NOT NULL"},
      "mixpanel", new String[] {"json", "properties.distinct_id LIKE '$device:%' AND properties.`$user_id` IS NULL"},
      "snowplow", new String[] {"parquet", "user_id IS NULL AND domain_userid IS NOT NULL"});

  @Test
  void eachAnalyticsToolsExportIngestsTheSameEventsByConfigurationAlone() {
    String[] columns = {"event_id", "account_id", "user_id", "event", "date_trunc('second', ts) AS ts", "event_date"};
    DeltaStore reference = new DeltaStore(spark, generic().toString());
    for (String vendor : java.util.List.of("amplitude", "mixpanel", "posthog", "snowplow")) {
      Path warehouse = ingested(vendor + ".conf").warehouse();
      IngestJob.Result r = ingested(vendor + ".conf").result();
      assertTruth(r);
      assertEquals(truth.get("accounts"), r.accounts(), vendor);
      DeltaStore store = new DeltaStore(spark, warehouse.toString());
      // Each user's first events there are a visitor's, without the user id: stitched, they are the user's again.
      if (PRE_LOGIN.containsKey(vendor)) {
        String[] read = PRE_LOGIN.get(vendor);
        long visits = spark.read().format(read[0]).load(lake + "/" + vendor + "/events").filter(read[1]).count();
        assertTrue(visits > 100, vendor + ": " + visits + " events before a login");
      }
      // Mixpanel keeps whole seconds: every layout is compared at that precision.
      assertSameRows(reference.read(Tables.EVENTS).selectExpr(columns), store.read(Tables.EVENTS).selectExpr(columns));
      assertSameRows(reference.read(Tables.CONVERSIONS).select("account_id", "converted_at", "is_first"),
          store.read(Tables.CONVERSIONS).select("account_id", "converted_at", "is_first"));
    }
  }

  /**
   * Past the ingest, the pipeline sees one lake whatever its export: the daily snapshots built on the Amplitude and
   * PostHog layouts hold the generic layout's rows, every feature equal (floating point to rounding: the same rows
   * in other partitions). The snapshots and the conversions are all that training reads, so the drivers and rules
   * learned on them are the generic layout's too; whether they are right is WorldsTest's question.
   */
  @Test
  void theSnapshotsBuiltOnTheAmplitudeAndPostHogLayoutsAreTheGenericLayouts() {
    Dataset<Row> generic = snapshots("generic.conf");
    assertTrue(generic.columns().length > 100, "a wide snapshot: " + generic.columns().length + " columns");
    long rows = generic.count();
    assertTrue(rows > 3_000, "daily snapshots: " + rows + " rows");
    for (String vendor : List.of("amplitude", "posthog")) {
      Dataset<Row> other = snapshots(vendor + ".conf");
      assertEquals(List.of(generic.columns()), List.of(other.columns()), vendor + ": columns");
      assertEquals(Map.of(), differences(generic, other), vendor + ": rows of each column that differ");
    }
  }

  /**
   * Daily snapshots from the third week, on the count windows of 7 and 30 days (with those the shipped definitions
   * name), built from a layout's ingested warehouse.
   */
  private static Dataset<Row> snapshots(String mapping) {
    Path warehouse = ingested(mapping).warehouse();
    Settings s = SettingsLoader.load(null, new File("conf/mappings/" + mapping), Map.of("pql.ingest.lake",
        lake.toString(), "pql.warehouse", warehouse.toString(), "pql.features.windows", "[7, 30]",
        "pql.features.signup-windows", "[]", "pql.features.user-windows", "[]"));
    StageContext context = StageContext.open(spark, s.warehouse(), "features-" + mapping, "features", Instant.now());
    LocalDate start = s.generate().startDate();
    Stages.features(StageRunner.forCommand(context), s, SnapshotDates.between(start.plusDays(14),
        start.plusDays(DAYS), false, null));
    return FeatureStore.snapshots(context.store());
  }

  /**
   * Per column, the rows (by account and as-of date) whose values differ: nulls alike, floating point within a
   * relative 1e-9; a row in one table only counts in every column.
   */
  private static Map<String, Long> differences(Dataset<Row> expected, Dataset<Row> actual) {
    List<String> keys = List.of("account_id", "as_of_date");
    Dataset<Row> joined = expected.as("e").join(actual.as("a"),
        scala.collection.JavaConverters.asScalaBuffer(keys).toSeq(), "full_outer");
    List<Column> counts = new java.util.ArrayList<>();
    for (StructField f : expected.schema().fields()) {
      if (keys.contains(f.name())) continue;
      Column e = col("e.`" + f.name() + "`");
      Column a = col("a.`" + f.name() + "`");
      Column same = f.dataType() instanceof DoubleType || f.dataType() instanceof FloatType
          ? e.eqNullSafe(a).or(abs(e.minus(a)).leq(greatest(lit(1.0), abs(e)).multiply(1e-9)))
          : e.eqNullSafe(a);
      counts.add(sum(when(coalesce(same, lit(false)), 0L).otherwise(1L)).as(f.name()));
    }
    Row totals = joined.agg(counts.get(0), counts.subList(1, counts.size()).toArray(Column[]::new)).first();
    Map<String, Long> differing = new java.util.TreeMap<>();
    for (int i = 0; i < totals.size(); i++) {
      if (totals.getLong(i) > 0) differing.put(totals.schema().fields()[i].name(), totals.getLong(i));
    }
    return differing;
  }

  @Test
  void genericAndSegmentLayoutsOfOneLakeIngestToTheSameTablesAndMatchTheTruth() {
    Path generic = generic();
    Path segment = tempDir("pql-w-segment");
    IngestJob.Result g = ingested("generic.conf").result();
    IngestJob.Result s = ingest("segment-warehouse.conf", lake.toString(), segment);
    for (IngestJob.Result r : new IngestJob.Result[] {g, s}) {
      assertTruth(r);
      assertEquals(truth.get("accounts"), r.accounts());
      assertEquals(truth.get("converted_accounts"), r.convertedAccounts());
    }
    DeltaStore a = new DeltaStore(spark, generic.toString());
    DeltaStore b = new DeltaStore(spark, segment.toString());
    String eventColumns = "event_id, account_id, user_id, event, ts, event_date";
    assertSameRows(a.read(Tables.EVENTS).selectExpr(eventColumns.split(", ")),
        b.read(Tables.EVENTS).selectExpr(eventColumns.split(", ")));
    String[] accountColumns = {"account_id", "valid_from", "valid_to", "signup_at", "plan", "email_domain", "employees",
        "industry", "country"};
    assertSameRows(a.read(Tables.ACCOUNTS).selectExpr(accountColumns), b.read(Tables.ACCOUNTS).selectExpr(accountColumns));
    assertSameRows(a.read(Tables.CONVERSIONS).select("account_id", "converted_at", "is_first"),
        b.read(Tables.CONVERSIONS).select("account_id", "converted_at", "is_first"));
    assertSameRows(spark.read().parquet(lake + "/truth/accounts").filter("converted_at IS NOT NULL")
            .selectExpr("account_id", "converted_at"),
        a.read(Tables.CONVERSIONS).filter("is_first").selectExpr("account_id", "converted_at"));
  }

  @Test
  void theSparkifyLogIngestsByConfigurationAlone() {
    assumeTrue(Files.isDirectory(SHARED), "../shared/datasets is not here (a user's clone has none)");
    IngestJob.Result r = ingest("sparkify.conf", SHARED.resolve("sparkify-log-2018-11").toString(),
        tempDir("pql-w-sparkify"));
    assertEquals(8056, r.eventRowsRead());
    assertEquals(8056, r.eventsWritten() + r.eventsRejected() + r.eventsDuplicate());
    assertEquals(Map.of("MISSING_ACCOUNT_ID", 286L), r.rejectedByReason());
    assertEquals(97, r.accounts());
    assertEquals(8, r.convertedAccounts());
  }

  @Test
  void theSegmentWebShopExportIngestsByConfigurationAlone() {
    assumeTrue(Files.isDirectory(SHARED), "../shared/datasets is not here (a user's clone has none)");
    IngestJob.Result r = ingest("segment-ecommerce.conf", SHARED.resolve("segment-ecommerce").toString(),
        tempDir("pql-w-shop"));
    assertEquals(16008, r.eventRowsRead());
    assertEquals(16008, r.eventsWritten() + r.eventsRejected() + r.eventsDuplicate());
    assertEquals(31, r.eventsDuplicate());
    assertEquals(250, r.accounts());
    assertEquals(36, r.convertedAccounts());
  }
}
