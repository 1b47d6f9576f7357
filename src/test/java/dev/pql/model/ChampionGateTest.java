package dev.pql.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.SparkTestBase;
import dev.pql.config.Settings;
import java.util.Map;
import org.apache.spark.ml.evaluation.BinaryClassificationEvaluator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * The champion gate on locked windows whose answer is known: 2,000 accounts seen in four snapshots each, whose
 * snapshots share the account's latent propensity (so rows are not independent). A score that knows more of the
 * propensity than the baseline must be published; one that knows no more must be withheld.
 */
class ChampionGateTest extends SparkTestBase {
  private static final Settings.Gate GATE = new Settings.Gate(true, 0.0, 200, 0.95);

  /**
   * account_id, label and scores: {@code truth} is the propensity, {@code partial} half of it, {@code noise} none of
   * it, {@code rule} a 0/1 cut of the partial signal.
   */
  private static Dataset<Row> window() {
    return spark.sql("""
        SELECT concat('a', a) AS account_id, s AS snapshot,
               CAST(pmod(xxhash64(a, s, 1), 1000000) / 1000000.0 < 1 / (1 + exp(-(-3 + 1.2 * (p1 + p2))))
                    AS DOUBLE) AS label,
               1 / (1 + exp(-(p1 + p2))) AS truth,
               1 / (1 + exp(-p1)) AS partial,
               pmod(xxhash64(a, s, 9), 1000000) / 1000000.0 AS noise,
               CAST(p1 > 0.5 AS DOUBLE) AS rule
        FROM (SELECT a, s, sqrt(-2 * ln(u1)) * cos(2 * pi() * u2) AS p1, sqrt(-2 * ln(u3)) * cos(2 * pi() * u4) AS p2
              FROM (SELECT id AS a,
                           (pmod(xxhash64(id, 11), 999999) + 1) / 1000000.0 AS u1,
                           pmod(xxhash64(id, 12), 1000000) / 1000000.0 AS u2,
                           (pmod(xxhash64(id, 13), 999999) + 1) / 1000000.0 AS u3,
                           pmod(xxhash64(id, 14), 1000000) / 1000000.0 AS u4
                    FROM range(0, 2000))
              CROSS JOIN (SELECT explode(sequence(1, 4)) AS s))""");
  }

  @Test
  void aModelThatKnowsMoreThanEachBaselineIsPublishedWithThePointGainsMllibMeasures() {
    Dataset<Row> rows = window().cache();
    ChampionGate.Verdict v = ChampionGate.judge(rows, "truth", Map.of("partial", "partial", "rule", "rule"), GATE, 7);
    assertTrue(v.published(), v.reason());
    assertEquals(8000, v.rows());
    assertEquals(2000, v.accounts());
    BinaryClassificationEvaluator auc = new BinaryClassificationEvaluator().setLabelCol("label");
    for (ChampionGate.Comparison c : v.comparisons()) {
      double model = auc.setRawPredictionCol("truth").evaluate(rows);
      double baseline = auc.setRawPredictionCol(c.baseline()).evaluate(rows);
      assertEquals(model, c.modelAucRoc(), 0.002, "the binned AUC is MLlib's: " + c);
      assertEquals(baseline, c.baselineAucRoc(), 0.002, c.toString());
      assertTrue(c.gainLow() > 0 && c.gainLow() < c.gain() && c.gain() < c.gainHigh(), c.toString());
    }
    assertTrue(v.reason().startsWith("beats every baseline on the locked window (8,000 rows, 2,000 accounts"),
        v.reason());
  }

  @Test
  void aModelThatKnowsNothingMoreIsWithheldAndItsIntervalCoversNoGain() {
    Dataset<Row> rows = window().cache();
    // The baseline itself in another guise: the same ranking, so no gain at all.
    ChampionGate.Verdict same = ChampionGate.judge(rows.withColumn("copy", rows.col("partial").multiply(0.5)),
        "copy", Map.of("partial", "partial"), GATE, 7);
    assertFalse(same.published(), same.reason());
    ChampionGate.Comparison c = same.comparisons().get(0);
    assertEquals(0, c.gain(), 1e-4, "the same ranking, up to the bins of 0.001 in log-odds");
    assertTrue(same.reason().startsWith("does not surely beat partial: AUC-ROC"), same.reason());

    // Noise against a real baseline: withheld, and the interval says it loses.
    ChampionGate.Verdict noise = ChampionGate.judge(rows, "noise", Map.of("rule", "rule"), GATE, 7);
    assertFalse(noise.published());
    assertTrue(noise.comparisons().get(0).gainHigh() < 0, noise.reason());

    // Switched off, the gate publishes whatever it measured, and says it did not judge.
    ChampionGate.Verdict off = ChampionGate.judge(rows, "noise", Map.of("rule", "rule"),
        new Settings.Gate(false, 0.0, 200, 0.95), 7);
    assertTrue(off.published());
    assertTrue(off.reason().startsWith("the gate is off"), off.reason());
  }

  @Test
  void accountsAreResampledWholeSoTheIntervalWidensWithRepeatedSnapshots() {
    // The same accounts with each row repeated four times more: a row-level bootstrap would narrow the interval
    // by half; resampling accounts keeps it (within the resampling noise).
    Dataset<Row> rows = window();
    Dataset<Row> repeated = rows.withColumn("copy", org.apache.spark.sql.functions.explode(
        org.apache.spark.sql.functions.sequence(org.apache.spark.sql.functions.lit(1),
            org.apache.spark.sql.functions.lit(4))));
    ChampionGate.Comparison once = ChampionGate.judge(rows, "truth", Map.of("partial", "partial"), GATE, 7)
        .comparisons().get(0);
    ChampionGate.Comparison four = ChampionGate.judge(repeated, "truth", Map.of("partial", "partial"), GATE, 7)
        .comparisons().get(0);
    double widthOnce = once.gainHigh() - once.gainLow();
    double widthFour = four.gainHigh() - four.gainLow();
    assertTrue(widthFour > 0.75 * widthOnce && widthFour < 1.33 * widthOnce, widthOnce + " vs " + widthFour);
  }

  @Test
  void eachScoreCarriesItsAucAndTopDecileLiftWithAccountLevelIntervals() {
    Dataset<Row> rows = window().cache();
    ChampionGate.Verdict v = ChampionGate.judge(rows, "truth", Map.of("noise", "noise", "rule", "rule"), GATE, 7);
    assertEquals(java.util.Set.of("truth", "noise", "rule"), v.rankings().keySet());
    for (String score : v.rankings().keySet()) {
      ChampionGate.Ranking r = v.rankings().get(score);
      Map<String, Double> exact = Evaluation.metrics(rows, score, false);
      assertEquals(exact.get("auc_roc"), r.aucRoc().value(), 0.002, score);
      assertEquals(exact.get("top_decile_lift"), r.topDecileLift().value(), 0.02, "ties filled at random: " + score);
      assertTrue(r.aucRoc().lo() < r.aucRoc().value() && r.aucRoc().value() < r.aucRoc().hi(), score + " " + r);
      assertTrue(r.topDecileLift().lo() < r.topDecileLift().value()
          && r.topDecileLift().value() < r.topDecileLift().hi(), score + " " + r);
    }
    ChampionGate.Ranking noise = v.rankings().get("noise");
    assertTrue(noise.aucRoc().lo() < 0.5 && noise.aucRoc().hi() > 0.5, "noise ranks nothing: " + noise);
    assertTrue(noise.topDecileLift().lo() < 1 && noise.topDecileLift().hi() > 1, "noise lifts nothing: " + noise);
    ChampionGate.Ranking truth = v.rankings().get("truth");
    assertTrue(truth.topDecileLift().lo() > 1.5, "the propensity surely lifts the top decile: " + truth);
  }
}
