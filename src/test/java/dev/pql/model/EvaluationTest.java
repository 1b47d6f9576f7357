package dev.pql.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pql.SparkTestBase;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** Holdout figures of four scored rows, computed by hand. */
class EvaluationTest extends SparkTestBase {

  @Test
  void metricsOfFourRowsEqualTheHandComputation() {
    Dataset<Row> scored = spark.sql("""
        SELECT * FROM VALUES (1D, 0.9D), (0D, 0.1D), (1D, 0.8D), (0D, 0.3D) AS t(label, p)""");
    Map<String, Double> m = Evaluation.metrics(scored, "p", true);
    assertEquals(1.0, m.get("auc_roc"), 1e-12, "both upgrades rank above both others");
    assertEquals(1.0, m.get("auc_pr"), 1e-12);
    assertEquals(-(Math.log(0.9) + Math.log(0.9) + Math.log(0.8) + Math.log(0.7)) / 4, m.get("log_loss"), 1e-12);
    assertEquals((0.01 + 0.01 + 0.04 + 0.09) / 4, m.get("brier"), 1e-12);
    // The top decile is a tenth of the rows, 0.4 of the 0.9 row: an upgrade, against a base rate of 1/2.
    assertEquals(0.1, m.get("top_decile_share_of_rows"), 1e-12);
    assertEquals(2.0, m.get("top_decile_lift"), 1e-12);
    assertEquals(0.2, m.get("top_decile_capture"), 1e-12);

    java.util.List<Evaluation.CalibrationBin> bins = Evaluation.calibration(scored, "p");
    assertEquals(4, bins.stream().mapToLong(Evaluation.CalibrationBin::rows).sum());
    assertEquals(0.1, bins.get(0).meanPredicted(), 1e-12);
    assertEquals(0.0, bins.get(0).observedRate(), 1e-12);
    assertEquals(1.0, bins.get(bins.size() - 1).observedRate(), 1e-12);
  }

  @Test
  void ruleMetricsFromConfusionCountsEqualTheCurvesOfTheSameZeroOneScores() {
    // 40 rows, 10 upgrades; "narrow" flags 3 rows (2 upgrades), under a tenth; "wide" flags 12 (7 upgrades).
    Dataset<Row> scored = spark.range(40).selectExpr("CAST(id < 10 AS DOUBLE) AS label",
        "CAST(id IN (0, 1, 20) AS DOUBLE) AS narrow", "CAST(id < 7 OR id BETWEEN 30 AND 34 AS DOUBLE) AS wide",
        "0D AS never");
    Map<String, Map<String, Double>> byRule = Evaluation.ruleMetrics(scored, Map.of(
        "narrow", org.apache.spark.sql.functions.col("narrow").equalTo(1),
        "wide", org.apache.spark.sql.functions.col("wide").equalTo(1),
        "never", org.apache.spark.sql.functions.col("never").equalTo(1)));
    for (String rule : java.util.List.of("narrow", "wide", "never")) {
      Map<String, Double> curve = Evaluation.metrics(scored, rule, false);
      assertEquals(curve.keySet(), byRule.get(rule).keySet(), rule);
      curve.forEach((k, v) -> assertEquals(v, byRule.get(rule).get(k), 1e-12, rule + " " + k));
    }
    assertEquals((1 + 0.7 - 5.0 / 30) / 2, byRule.get("wide").get("auc_roc"), 1e-12);
    // Ties handled: the top decile (4 rows) of narrow is its 3 rows and one of the 37 others drawn at random (8 of
    // them upgrades); of wide, 4 of its 12 rows drawn at random (7 of them upgrades). The base rate is 1/4.
    assertEquals((2 + 8.0 / 37) / 4 / 0.25, byRule.get("narrow").get("top_decile_lift"), 1e-12);
    assertEquals(7.0 / 12 / 0.25, byRule.get("wide").get("top_decile_lift"), 1e-12);
    assertEquals(0.1, byRule.get("never").get("top_decile_share_of_rows"), 1e-12);
    assertEquals(1.0, byRule.get("never").get("top_decile_lift"), 1e-12, "a rule that flags nothing: a random tenth");
  }
}
