package dev.pql.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.SparkTestBase;
import dev.pql.config.Settings;
import dev.pql.config.SettingsLoader;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.ml.evaluation.BinaryClassificationEvaluator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The generated lake is a fair test: realistic rates, real but imperfect signal, decoys, and faults. */
class LakeGeneratorTest extends SparkTestBase {
  static Path lake;
  static LakeGenerator.Summary summary;
  static Settings settings;

  @BeforeAll
  static void generate() {
    lake = tempDir("pql-lake");
    settings = SettingsLoader.load(null, null, Map.of(
        "pql.generate.output", lake.toString(),
        "pql.generate.accounts", "2500",
        "pql.generate.days", "120",
        "pql.generate.seed", "7",
        "pql.generate.layouts", "[generic]")); // what these tests read (LakeMappingsTest reads the Segment one)
    summary = LakeGenerator.generate(spark, settings.generate(), settings.domains());
    spark.read().parquet(lake + "/generic/events").createOrReplaceTempView("events");
    spark.read().parquet(lake + "/truth/hazard").createOrReplaceTempView("hazard");
    spark.read().parquet(lake + "/truth/accounts").createOrReplaceTempView("truth_accounts");
  }

  /** Free-account days with a full 30-day horizon, labelled by an upgrade within the next 30 days. */
  private static Dataset<Row> labelledDays() {
    return spark.sql("""
        SELECT h.account_id, h.date, h.hazard,
               CAST(a.converted_at IS NOT NULL AND a.converted_at >= date_add(h.date, 1)
                    AND a.converted_at < date_add(h.date, 31) AS DOUBLE) AS label
        FROM hazard h JOIN truth_accounts a USING (account_id)
        WHERE date_add(h.date, 30) <= (SELECT max(date) FROM hazard) AND dayofweek(h.date) = 2
        """);
  }

  @Test
  void everyPlantedDriverIsCommonEnoughToBeLearned() {
    Row r = spark.sql("SELECT avg(cast(active_team as int)), avg(cast(heavy_messaging as int)), "
        + "avg(cast(early_integration as int)), avg(cast(usage_limit as int)), avg(cast(asked_for_sales as int)) "
        + "FROM hazard").first();
    for (int i = 0; i < r.size(); i++) {
      System.out.printf("driver %s present on %.4f of free account-days%n", Hazard.DRIVERS.get(i).name(), r.getDouble(i));
      assertTrue(r.getDouble(i) >= 0.005 && r.getDouble(i) <= 0.5, Hazard.DRIVERS.get(i).name() + " " + r.getDouble(i));
    }
  }

  @Test
  void thirtyDayUpgradeRateOfFreeAccountsIsBetweenTwoAndEightPercent() {
    double rate = labelledDays().selectExpr("avg(label)").first().getDouble(0);
    System.out.printf("30-day upgrade rate of free accounts: %.4f%n", rate);
    assertTrue(rate >= 0.02 && rate <= 0.08, "30-day upgrade rate " + rate);
  }

  @Test
  void trueHazardPredictsThirtyDayUpgradesWithAucBetweenPoint75AndPoint90() {
    double auc = new BinaryClassificationEvaluator().setRawPredictionCol("hazard").setLabelCol("label")
        .setMetricName("areaUnderROC").evaluate(labelledDays());
    System.out.printf("oracle AUC-ROC: %.4f%n", auc);
    assertTrue(auc >= 0.75 && auc <= 0.90, "oracle AUC " + auc);
  }

  @Test
  void decoysCorrelateWithTheDriversTheyFollow() {
    Dataset<Row> features = spark.sql("""
        WITH snapshots AS (SELECT DISTINCT date FROM hazard WHERE dayofweek(date) = 2),
        f AS (
          SELECT h.account_id, h.date,
            count_if(e.event = 'Message Sent' AND e.ts >= date_sub(h.date, 29)) AS messages_30d,
            count_if(e.event = 'Report Exported' AND e.ts >= date_sub(h.date, 29)) AS exports_30d,
            count(DISTINCT CASE WHEN e.ts >= date_sub(h.date, 6) THEN e.user_id END) AS users_7d,
            count_if(e.event = 'Settings Changed' AND e.ts >= date_sub(h.date, 29)) AS settings_30d,
            count_if(e.event = 'Contact Sales Clicked' AND e.ts >= date_sub(h.date, 29)) AS sales_30d,
            count_if(e.event = 'Pricing Page Viewed' AND e.ts >= date_sub(h.date, 29)) AS pricing_30d,
            count_if(e.event = 'Integration Connected') AS integrations,
            count_if(e.event = 'Help Center Viewed') AS help_total
          FROM hazard h JOIN snapshots s ON h.date = s.date
          LEFT JOIN events e ON e.account_id = h.account_id AND e.ts < date_add(h.date, 1)
          GROUP BY h.account_id, h.date)
        SELECT * FROM f
        """).cache();
    double exports = features.stat().corr("messages_30d", "exports_30d");
    double settingsChanged = features.stat().corr("users_7d", "settings_30d");
    double pricing = features.stat().corr("sales_30d", "pricing_30d");
    double help = features.stat().corr("integrations", "help_total");
    System.out.printf("decoy correlations: exports %.2f, settings %.2f, pricing %.2f, help %.2f%n",
        exports, settingsChanged, pricing, help);
    long strong = java.util.stream.DoubleStream.of(exports, settingsChanged, pricing, help).filter(r -> r >= 0.4).count();
    assertTrue(strong >= 3, "at least three decoys with correlation >= 0.4");
  }

  @Test
  void theBigAccountHoldsAboutAThirdOfAllEvents() {
    double share = (double) summary.get("big_account_events") / summary.get("unique_events");
    System.out.printf("big account share: %.3f of %,d events%n", share, summary.get("unique_events"));
    assertTrue(share > 0.28 && share < 0.38, "big account share " + share);
  }

  @Test
  void everySourceRowIsCountedOnceInTheTruth() {
    long rows = spark.read().parquet(lake + "/generic/events").count();
    assertEquals(summary.get("source_rows"), rows);
    assertEquals(rows, summary.get("unique_events") + summary.get("duplicate_rows") + summary.get("malformed_rows"));
    assertTrue(summary.get("late_events") > 0 && summary.get("duplicate_rows") > 0 && summary.get("malformed_rows") > 0);
  }

  @Test
  void usageJumpsAfterAnUpgrade() {
    Row r = spark.sql("""
        SELECT count_if(e.ts < a.converted_at)
                 / count(DISTINCT CASE WHEN e.ts < a.converted_at THEN concat(e.account_id, e.event_date) END)
                 AS per_day_before,
               count_if(e.ts >= a.converted_at)
                 / count(DISTINCT CASE WHEN e.ts >= a.converted_at THEN concat(e.account_id, e.event_date) END)
                 AS per_day_after
        FROM (SELECT *, to_date(ts) AS event_date FROM events WHERE event = 'Message Sent') e
        JOIN truth_accounts a ON a.account_id = e.account_id AND a.converted_at IS NOT NULL
        """).first();
    double before = ((Number) r.get(0)).doubleValue();
    double after = ((Number) r.get(1)).doubleValue();
    System.out.printf("messages per active account-day before/after upgrade: %.1f / %.1f%n", before, after);
    assertTrue(after > 1.5 * before, "usage after upgrade " + after + " vs before " + before);
  }
}
