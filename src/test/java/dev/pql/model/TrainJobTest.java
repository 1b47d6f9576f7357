package dev.pql.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.PqlException.NotEnoughData;
import dev.pql.SparkTestBase;
import dev.pql.definitions.DefinitionParser;
import dev.pql.config.Settings;
import dev.pql.config.SettingsLoader;
import dev.pql.io.DeltaStore;
import dev.pql.io.RunLog;
import dev.pql.io.StageContext;
import dev.pql.io.Tables;
import dev.pql.definitions.DefinitionCheck;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The train stage on a synthetic warehouse whose answer is known: 12,000 free accounts, each seen in one of
 * twelve weekly snapshots from 2026-01-05. An account upgrades 5 days after its snapshot with probability 2%,
 * plus 10 points when x >= 700 and 6 points when it adopted y within 7 days of signup; d follows x (a decoy)
 * and z is noise. w is an early sign: 8% of the other accounts with w >= 500 upgrade 20 days after their
 * snapshot, inside the 30-day label but outside the 7-day driver horizon. The data ends 2026-05-07: the locked
 * window (21 days) covers the snapshot of 03-23, calibration (7 days) that of 02-16, training the six up to 02-09.
 */
class TrainJobTest extends SparkTestBase {
  static Settings settings;
  static DeltaStore store;

  @BeforeAll
  static void warehouse() throws Exception {
    Path conf = tempDir("pql-train-conf").resolve("train.conf");
    Files.writeString(conf, "pql.model { reg-params = [0.001, 0.01], min-support = 30, evaluation-days = 21, "
        + "calibration-days = 7, driver-horizon-days = 7 }\n");
    store = new DeltaStore(spark, tempDir("pql-train").toString());
    settings = SettingsLoader.load(conf.toFile(), null, Map.of("pql.warehouse", store.warehouse()));
    spark.sql("""
        SELECT concat('a', id) AS account_id, date_add(DATE '2026-01-05', CAST(7 * (id % 12) AS INT)) AS as_of_date,
               CAST(pmod(xxhash64(id, 1), 1000) AS BIGINT) AS x,
               CAST(pmod(xxhash64(id, 2), 1000) AS BIGINT) AS z,
               CASE WHEN pmod(xxhash64(id, 3), 4) = 0 THEN NULL ELSE CAST(pmod(xxhash64(id, 4), 30) AS INT) END AS y,
               (pmod(xxhash64(id, 5), 1000000) / 1000000.0) AS u,
               CAST(pmod(xxhash64(id, 8), 1000) AS BIGINT) AS w,
               (pmod(xxhash64(id, 7), 1000000) / 1000000.0) AS u2,
               CASE WHEN id % 3 = 0 THEN 'trial' ELSE 'free' END AS plan
        FROM range(0, 12000)""")
        .selectExpr("*", "CAST(x DIV 10 + pmod(xxhash64(account_id, 6), 40) AS BIGINT) AS d",
            "u < 0.02 + CASE WHEN x >= 700 THEN 0.10 ELSE 0 END + CASE WHEN y <= 7 THEN 0.06 ELSE 0 END AS upgrades")
        .selectExpr("*", "NOT upgrades AND w >= 500 AND u2 < 0.08 AS upgrades_later")
        .createOrReplaceTempView("synthetic");
    spark.sql("SELECT account_id, as_of_date, x, z, d, w, y AS days_to_first__y, plan FROM synthetic")
        .write().format("delta").save(store.warehouse() + "/account_features");
    store.insertNew(Tables.CONVERSIONS, spark.sql("""
        SELECT account_id, CAST(date_add(as_of_date, CASE WHEN upgrades THEN 5 ELSE 20 END) AS TIMESTAMP)
                 AS converted_at, plan AS from_plan, 'team' AS to_plan, true AS is_first, 'plan-history' AS source,
               TIMESTAMP '2026-05-08 00:00:00' AS ingested_at, 'r' AS run_id
        FROM synthetic WHERE upgrades OR upgrades_later"""));
    lastEventOn(store, "2026-05-06");
  }

  @Test
  void learnsThePlantedStepsRanksThemAboveTheDecoyAndRegistersAReloadableModel() {
    // The explanations of a model never registered (its run killed before registration): dropped by this training.
    List<dev.pql.io.TableContract> explanations = List.of(Tables.MODEL_DRIVERS, Tables.DISCOVERED_RULES,
        Tables.THRESHOLD_CURVES);
    for (dev.pql.io.TableContract table : explanations) {
      store.insertNew(table, spark.createDataFrame(List.of(ghost(table.schema())), table.schema()));
    }
    TrainJob.Result r = TrainJob.run(new StageContext(spark, store,
        new RunLog(spark, store, "train-1", "train"), Instant.parse("2026-05-08T00:00:00Z")), settings.model(),
        settings.features(), settings.domains(), settings.plans().free(),
        List.of(org.apache.spark.sql.functions.expr("x >= 700")));

    assertEquals(List.of(LocalDate.parse("2026-02-09"), LocalDate.parse("2026-02-10"), LocalDate.parse("2026-02-16"),
        LocalDate.parse("2026-03-18"), LocalDate.parse("2026-04-07")), List.of(r.trainTo(), r.calibrationFrom(),
        r.calibrationTo(), r.evaluationFrom(), r.evaluationTo()), "training, calibration and the locked window");
    assertEquals(List.of(6000L, 1000L, 1000L), List.of(r.trainingRows(), r.calibrationRows(), r.evaluationRows()),
        "six, one and one weekly snapshots of 1,000 accounts");
    // Two steps beat either one alone: the model is published, the best rule being one of the steps.
    assertTrue(r.verdict().published(), r.verdict().reason());
    assertEquals(List.of("best_rule"), r.verdict().comparisons().stream().map(ChampionGate.Comparison::baseline)
        .toList(), "no login or activity feature here: the rule is the only baseline");

    ThresholdDiscovery.Threshold xStep = r.rules().stream().filter(t -> t.feature().equals("x")).findFirst()
        .orElseThrow();
    assertTrue(Math.abs(xStep.threshold() - 700) <= 70, "x's step at 700 within 10%: " + xStep);
    ThresholdDiscovery.Threshold y = r.rules().stream().filter(t -> t.feature().equals("days_to_first__y"))
        .findFirst().orElseThrow();
    assertEquals("<=", y.operator());
    assertTrue(Math.abs(y.threshold() - 7) <= 0.7, "y within 7 days: " + y);
    // Beside the one active definition (x >= 700) on the locked window: the x step adds (almost) nothing, the y
    // step what the definition misses; every caught upgrade came 5 days after its account's one snapshot.
    dev.pql.metrics.Backtest.Reach xReach = r.lockedReach().get(r.rules().indexOf(xStep));
    dev.pql.metrics.Backtest.Reach yReach = r.lockedReach().get(r.rules().indexOf(y));
    System.out.println("reach: x " + xReach + "\n y " + yReach);
    assertTrue(xReach.added() <= 0.2 * xReach.own().caught(), xReach.toString());
    assertTrue(yReach.added() > 0 && yReach.added() < yReach.own().caught(), yReach.toString());
    assertEquals(yReach.added(), Math.round(yReach.addedRecall().value() * yReach.own().upgrades()));
    assertTrue(yReach.addedRecall().lo() < yReach.addedRecall().value()
        && yReach.addedRecall().value() < yReach.addedRecall().hi(), yReach.toString());
    assertEquals(List.of(5.0, 5.0, 5.0), List.of(yReach.own().leadDaysMedian(),
        yReach.own().leadDaysMedianLo(), yReach.own().leadDaysMedianHi()));

    List<Drivers.Driver> drivers = r.drivers();
    assertEquals(List.of("x", "days_to_first__y"), drivers.stream().limit(2).map(Drivers.Driver::feature).toList(),
        "the planted features lead, the decoy follows: " + drivers);
    Drivers.Driver x = drivers.get(0);
    assertEquals("t_x", x.leadingInput(), "x is read through its step");
    assertEquals("`x` >= " + ThresholdDiscovery.Threshold.format(xStep.threshold()), x.observedSplit());
    assertTrue(x.importance() > drivers.get(2).importance() && drivers.get(2).importance() >= 0, drivers.toString());
    assertEquals(drivers.size(), drivers.stream().map(Drivers.Driver::feature).distinct().count(), "one row a feature");
    assertEquals(List.of("x", "y"), List.of(x.behaviour(), drivers.get(1).behaviour()));
    assertEquals(List.of(1, 2), List.of(x.behaviourRank(), drivers.get(1).behaviourRank()));
    // The early sign predicts the 30-day label, but an account with it does not upgrade within the week: it is
    // no driver and no rule.
    Drivers.Driver w = drivers.stream().filter(d -> d.feature().equals("w")).findFirst().orElseThrow();
    assertTrue(w.behaviourRank() > 2 && w.importance() < drivers.get(1).importance() / 10, w.toString());
    assertTrue(r.rules().stream().noneMatch(t -> t.feature().equals("w")), r.rules().toString());
    assertTrue(r.metrics().get("model.auc_roc") > 0.6, r.metrics().toString());

    // Registered, reloadable, and every discovered rule is a valid definition over the features.
    Row run = store.read(Tables.MODEL_RUNS).filter("model_version = 'train-1'").first();
    assertEquals(r.featureSetVersion(), run.getAs("feature_set_version"));
    assertEquals(1000L, (long) run.getAs("evaluation_rows"));
    assertEquals("published", run.getAs("status"));
    assertEquals(r.verdict().reason(), run.getAs("status_reason"));
    Map<String, String> parameters = run.getJavaMap(run.fieldIndex("parameters"));
    assertEquals("7", parameters.get("driver.horizon_days"));
    assertEquals("10000", parameters.get("driver.rows"), "ten weekly snapshots up to 03-11 (03-18 minus 7 days)");
    // The figures BI tools chart are plain columns too, each the metrics map's value.
    Map<String, Double> metrics = run.getJavaMap(run.fieldIndex("metrics"));
    for (String[] plain : Tables.MODEL_RUN_PLAIN_METRICS) {
      assertEquals(metrics.get(plain[1]), run.<Double>getAs(plain[0]), plain[0]);
    }
    assertTrue(run.<Double>getAs("auc_roc_lo") < run.<Double>getAs("auc_roc")
        && run.<Double>getAs("auc_roc") < run.<Double>getAs("auc_roc_hi"), run.toString());
    PipelineModel.load(r.modelPath());
    Dataset<Row> features = store.readIfExists("account_features");
    for (Row rule : store.read(Tables.DISCOVERED_RULES).collectAsList()) {
      DefinitionCheck.check(spark, DefinitionParser.parse(rule.getAs("definition"), "discovered_rules"),
          features.schema());
      // Each figure sits inside its account-level interval, and recall counts accounts, so it is at most 1.
      for (String f : List.of("rate_qualifying", "lift", "recall")) {
        double v = rule.getAs(f);
        assertTrue(rule.<Double>getAs(f + "_lo") <= v && v <= rule.<Double>getAs(f + "_hi"), f + " of " + rule);
      }
      assertTrue(rule.<Double>getAs("recall_hi") <= 1.0, rule.toString());
    }
    // The model's ranking carries its interval too.
    Map<String, Double> figures = run.getJavaMap(run.fieldIndex("metrics"));
    assertTrue(figures.get("model.auc_roc_lo") < figures.get("model.auc_roc")
        && figures.get("model.auc_roc") < figures.get("model.auc_roc_hi") + 0.01, figures.toString());
    assertTrue(figures.get("model.top_decile_lift_lo") < figures.get("model.top_decile_lift_hi"), figures.toString());
    assertEquals(r.rules().size(), store.read(Tables.DISCOVERED_RULES).count());
    for (dev.pql.io.TableContract table : explanations) {
      assertEquals(0, store.read(table).filter("model_version = 'ghost'").count(), table.name() + ": the ghost's rows");
      assertTrue(store.read(table).filter("model_version = 'train-1'").count() > 0, table.name() + ": the model's");
    }
    assertEquals(r.drivers().size(), store.read(Tables.MODEL_DRIVERS).count(), "one row a driver, nothing else");

    // Scoring finds it as the latest, and refuses it for features with another column set.
    assertEquals("train-1", ModelRegistry.load(store, null, features.schema(), settings.model(), settings.features())
        .version());
    dev.pql.PqlException.SchemaError e = assertThrows(dev.pql.PqlException.SchemaError.class,
        () -> ModelRegistry.load(store, "train-1", features.drop("z").schema(), settings.model(), settings.features()));
    assertTrue(e.getMessage().startsWith("Model train-1 was trained on feature set " + r.featureSetVersion()
        + " but the features are feature set fs-"), e.getMessage());
  }

  /** A row of the schema whose model_version is 'ghost', every other column a zero, an empty text or collection. */
  private static Row ghost(org.apache.spark.sql.types.StructType schema) {
    Object[] values = new Object[schema.fields().length];
    for (int i = 0; i < values.length; i++) {
      org.apache.spark.sql.types.StructField f = schema.fields()[i];
      values[i] = f.name().equals("model_version") ? "ghost" : zero(f.dataType());
    }
    return org.apache.spark.sql.RowFactory.create(values);
  }

  private static Object zero(org.apache.spark.sql.types.DataType type) {
    if (type instanceof org.apache.spark.sql.types.StringType) return "";
    if (type instanceof org.apache.spark.sql.types.DoubleType) return 0.0;
    if (type instanceof org.apache.spark.sql.types.LongType) return 0L;
    if (type instanceof org.apache.spark.sql.types.IntegerType) return 0;
    if (type instanceof org.apache.spark.sql.types.BooleanType) return false;
    if (type instanceof org.apache.spark.sql.types.DateType) return java.sql.Date.valueOf("2026-01-01");
    if (type instanceof org.apache.spark.sql.types.TimestampType) {
      return java.sql.Timestamp.valueOf("2026-01-01 00:00:00");
    }
    if (type instanceof org.apache.spark.sql.types.ArrayType) return List.of();
    if (type instanceof org.apache.spark.sql.types.MapType) return Map.of();
    if (type instanceof org.apache.spark.sql.types.StructType st) return ghost(st);
    throw new IllegalArgumentException("no zero for " + type);
  }

  @Test
  void theThreeSplitsEndWhereTheLabelsEndSoLateConversionsMakeNoNegatives() {
    Settings lagged = SettingsLoader.load(null, null, Map.of("pql.warehouse", "unused", "pql.model.label-lag-days",
        "5"));
    TrainJob.Windows w = TrainJob.Windows.of(LocalDate.parse("2026-05-07"), lagged.model());
    assertEquals(List.of(LocalDate.parse("2026-05-02"), LocalDate.parse("2026-04-02"), LocalDate.parse("2026-03-06"),
            LocalDate.parse("2026-02-04"), LocalDate.parse("2026-01-08"), LocalDate.parse("2026-01-07")),
        List.of(w.labelEnd(), w.evaluationTo(), w.evaluationFrom(), w.calibrationTo(), w.calibrationFrom(),
            w.trainTo()), "labels end 5 days before the data; 28-day windows, each a whole horizon before the next");
  }

  @Test
  void tooShortAHistoryIsAClearErrorNotAModel() {
    Settings.ModelSettings longHorizon = new Settings.ModelSettings(90, 7, 28, 28, 0, null, null, List.of(0.01),
        List.of(0.5), 0.25, 7, 50, 8, 100, 0.01, List.of(), 10_000_000, new Settings.Gate(true, 0, 200, 0.95), 20);
    NotEnoughData e = assertThrows(NotEnoughData.class, () -> TrainJob.run(new StageContext(spark, store,
        new RunLog(spark, store, "train-2", "train"), Instant.parse("2026-05-08T00:00:00Z")), longHorizon,
        settings.features(), settings.domains(), settings.plans().free(), List.of()));
    assertTrue(e.getMessage().startsWith(
        "Too little labelled history to train, calibrate and evaluate honestly: 0 training rows"),
        e.getMessage());
  }
}
