package dev.pql.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pql.SparkTestBase;
import dev.pql.config.Settings;
import dev.pql.config.SettingsLoader;
import dev.pql.features.SnapshotDates;
import dev.pql.generate.LakeGenerator;
import dev.pql.io.DeltaStore;
import dev.pql.io.RunLog;
import dev.pql.io.StageContext;
import dev.pql.io.Tables;
import dev.pql.model.TrainJob;
import dev.pql.pipeline.StageRunner;
import dev.pql.pipeline.Stages;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every shipped mapping ingests its layout by configuration alone: the generated lake in both layouts
 * (checked against the generator's truth) and, where ../shared/datasets exists, the real samples.
 */
class LakeMappingsTest extends SparkTestBase {
  static final Path SHARED = Path.of("../shared/datasets");
  static final int DAYS = 100;
  static Path lake;
  static LakeGenerator.Summary truth;

  @BeforeAll
  static void generate() {
    lake = tempDir("pql-lake");
    Settings s = SettingsLoader.load(null, null, Map.of(
        "pql.generate.output", lake.toString(), "pql.generate.accounts", "300",
        "pql.generate.days", String.valueOf(DAYS), "pql.generate.files", "2",
        // Most on a trial, over 100 days: enough upgrades in each window to train on (the drivers comparison).
        "pql.generate.trial-share", "0.6",
        "pql.generate.layouts", "[generic, segment, amplitude, mixpanel, posthog, snowplow]"));
    truth = LakeGenerator.generate(spark, s.generate(), s.domains());
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
   * Past the ingest, the pipeline sees one lake whatever its export: snapshots built and a model trained on the
   * Amplitude and PostHog layouts find the generic layout's drivers (each behaviour's rank, coefficient, odds ratio
   * and interval) and its rules.
   */
  @Test
  void theModelLearnedOnTheAmplitudeAndPostHogLayoutsFindsTheGenericLayoutsDriversAndRules() {
    Map<String, double[]> generic = learned("generic.conf");
    assertTrue(generic.keySet().stream().anyMatch(k -> k.startsWith("driver ")), "drivers: " + generic.keySet());
    assertTrue(generic.keySet().stream().anyMatch(k -> k.startsWith("rule ")), "rules: " + generic.keySet());
    for (String vendor : List.of("amplitude", "posthog")) {
      Map<String, double[]> other = learned(vendor + ".conf");
      assertEquals(List.copyOf(generic.keySet()), List.copyOf(other.keySet()), vendor + ": drivers and rules");
      // The same rows in other partitions: sums in another order, equal to rounding.
      generic.forEach((k, v) -> {
        for (int i = 0; i < v.length; i++) {
          assertEquals(v[i], other.get(k)[i], 1e-6 * Math.max(1, Math.abs(v[i])), vendor + ": " + k + " [" + i + "]");
        }
      });
    }
  }

  /**
   * What a layout's model learned, in order: each driving feature of a behaviour (its behaviour's rank, its
   * coefficient and odds ratio per sd with its interval) and each rule (its rows, qualifying rows and lift). Daily
   * snapshots from the third week (enough upgrades in each window at this size), then training with short windows
   * and one regularization point (speed; the model's quality is WorldsTest's question).
   */
  private static Map<String, double[]> learned(String mapping) {
    Path warehouse = ingested(mapping).warehouse();
    Map<String, String> overrides = new java.util.HashMap<>(Map.of("pql.ingest.lake", lake.toString(),
        "pql.warehouse", warehouse.toString(), "pql.features.windows", "[7, 30]", "pql.features.signup-windows",
        "[]", "pql.features.user-windows", "[]", "pql.model.reg-params", "[0.003]", "pql.model.max-iterations",
        "25", "pql.model.gate.enabled", "false", "pql.model.min-support", "20"));
    overrides.putAll(Map.of("pql.model.horizon-days", "14", "pql.model.driver-horizon-days", "14",
        "pql.model.evaluation-days", "7", "pql.model.calibration-days", "7"));
    Settings s = SettingsLoader.load(null, new File("conf/mappings/" + mapping), overrides);
    StageContext context = StageContext.open(spark, s.warehouse(), "learn-" + mapping, "train", Instant.now());
    StageRunner runner = StageRunner.forCommand(context);
    LocalDate start = s.generate().startDate();
    Stages.features(runner, s, SnapshotDates.between(start.plusDays(14), start.plusDays(DAYS), false, null));
    TrainJob.Result r = Stages.train(runner, s, "learned on " + mapping, null).result();
    Map<String, double[]> learned = new java.util.LinkedHashMap<>();
    r.drivers().stream().filter(d -> d.behaviourImportance() > 0 && d.coefficient() != 0).forEach(d -> learned.put(
        "driver " + d.behaviourRank() + " " + d.feature(), new double[] {d.coefficient(), d.oddsRatio().value(),
            d.oddsRatio().lo(), d.oddsRatio().hi()}));
    r.rules().forEach(t -> learned.put("rule " + t.feature() + " " + t.operator() + " " + t.threshold(),
        new double[] {t.rows(), t.qualifying(), t.lift()}));
    System.out.println(mapping + ": " + r.trainingRows() + " training rows, " + r.trainingPositives()
        + " upgrades; " + learned.keySet());
    return learned;
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
