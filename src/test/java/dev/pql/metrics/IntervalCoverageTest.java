package dev.pql.metrics;

import static org.apache.spark.sql.functions.expr;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.SparkTestBase;
import dev.pql.model.Estimate;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * Do the backtest's 95% intervals cover the truth 95% of the time, where an account's snapshots are not independent?
 * 400 seeded worlds of 150 accounts, each seen on 8 weekly snapshots. Each account has its own propensity u ~ N(0, 1)
 * and a lasting trait t (30% of accounts) that the rule reads; every snapshot of an account upgrades with probability
 * sigmoid(-2 + t + 1.5 u), so its snapshots move together. The rule's true precision and lift follow from the model
 * by integration. A correct method covers each in 92.5-97.5% of the worlds (it passes about 98% of the time);
 * intervals that count rows as independent draws fall well short here.
 */
class IntervalCoverageTest extends SparkTestBase {
  static final int WORLDS = 400;
  static final int ACCOUNTS = 150;
  static final int SNAPSHOTS = 8;

  /** A uniform in (0, 1) from a hash of the world, the account and a draw number: the same on any partitioning. */
  private static String uniform(String draw) {
    return "((pmod(xxhash64(11, w, a, " + draw + "), 1099511627776) + 0.5) / 1099511627776D)";
  }

  private static Dataset<Row> worlds() {
    String normal = "sqrt(-2 * ln(" + uniform("'u1'") + ")) * cos(2 * pi() * " + uniform("'u2'") + ")";
    return spark.sql("SELECT w, a FROM range(" + WORLDS + ") AS ws(w) CROSS JOIN range(" + ACCOUNTS + ") AS acs(a)")
        .selectExpr("w", "a", normal + " AS u", "CAST(" + uniform("'t'") + " < 0.3 AS INT) AS t")
        .crossJoin(spark.range(SNAPSHOTS).toDF("s"))
        .selectExpr("w AS " + Backtest.GROUP, "concat(w, '-', a) AS account_id",
            "date_add(DATE'2026-03-02', CAST(7 * s AS INT)) AS as_of_date", "t AS x",
            "CAST(" + uniform("s") + " < 1 / (1 + exp(2 - t - 1.5 * u)) AS DOUBLE) AS label")
        .withColumn("upgraded_at", expr("CASE WHEN label = 1 THEN CAST(date_add(as_of_date, 1) AS TIMESTAMP) END"));
  }

  static double meanSigmoid(double a, double b) {
    return dev.pql.Integrals.meanSigmoid(a, b);
  }

  @Test
  void accountResampledIntervalsCoverTheTruthAndRowLevelOnesFallShort() {
    double precision = meanSigmoid(-1, 1.5);
    double lift = precision / (0.3 * precision + 0.7 * meanSigmoid(-2, 1.5));
    Map<Object, List<Backtest.Figures>> replays = Backtest.byGroup(worlds(),
        List.of(new Backtest.Candidate("trait", "1", "rule", expr("x = 1"))), 7);
    int precisionCovered = 0;
    int liftCovered = 0;
    int rowLevelCovered = 0;
    for (List<Backtest.Figures> world : replays.values()) {
      Backtest.Figures f = world.get(0);
      if (covers(f.precision(), precision)) precisionCovered++;
      if (covers(f.lift(), lift)) liftCovered++;
      if (covers(Estimate.wilson(f.pqlUpgradeRows(), f.pqlRows(), 0.95), precision)) rowLevelCovered++;
    }
    String figures = String.format("true precision %.4f, lift %.3f; covered in %d worlds: precision %d, lift %d, "
        + "row-level precision %d", precision, lift, replays.size(), precisionCovered, liftCovered, rowLevelCovered);
    System.out.println(figures);
    assertTrue(replays.size() == WORLDS, figures);
    for (int covered : new int[] {precisionCovered, liftCovered}) {
      assertTrue(covered >= 0.925 * WORLDS && covered <= 0.975 * WORLDS, figures);
    }
    assertTrue(rowLevelCovered < 0.85 * WORLDS, "intervals over rows are too narrow here: " + figures);
  }

  private static boolean covers(Estimate e, double truth) {
    return e.hasInterval() && e.lo() <= truth && truth <= e.hi();
  }
}
