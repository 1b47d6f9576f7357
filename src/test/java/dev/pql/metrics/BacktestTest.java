package dev.pql.metrics;

import static org.apache.spark.sql.functions.expr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.SparkTestBase;
import dev.pql.model.Estimate;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * Two definitions replayed on a hand-made history: six accounts over three weekly snapshots, four of which upgrade;
 * every figure worked out by hand.
 */
class BacktestTest extends SparkTestBase {
  /**
   * a upgrades on 03-20, c on 03-10, d on 03-18, e on 03-17 (open on 03-16 only); b and f never. Each row is
   * labelled 1 when its account upgrades within the (30-day) horizon after it.
   */
  private static Dataset<Row> history() {
    return spark.sql("""
        SELECT account_id, CAST(d AS DATE) AS as_of_date, label, CAST(u AS TIMESTAMP) AS upgraded_at, x, y FROM VALUES
          ('a', '2026-03-02', 1D, '2026-03-20 10:00:00', 1, 1), ('a', '2026-03-09', 1D, '2026-03-20 10:00:00', 5, 1),
          ('a', '2026-03-16', 1D, '2026-03-20 10:00:00', 6, 0),
          ('b', '2026-03-02', 0D, NULL, 7, 0), ('b', '2026-03-09', 0D, NULL, 2, 0), ('b', '2026-03-16', 0D, NULL, 1, 1),
          ('c', '2026-03-02', 1D, '2026-03-10 08:00:00', 9, 0), ('c', '2026-03-09', 1D, '2026-03-10 08:00:00', 3, 0),
          ('d', '2026-03-02', 1D, '2026-03-18 23:00:00', 0, 0), ('d', '2026-03-09', 1D, '2026-03-18 23:00:00', 1, 0),
          ('d', '2026-03-16', 1D, '2026-03-18 23:00:00', 2, 0),
          ('e', '2026-03-16', 1D, '2026-03-17 01:00:00', 5, 0),
          ('f', '2026-03-16', 0D, NULL, NULL, NULL)
        AS t(account_id, d, label, u, x, y)""");
  }

  @Test
  void precisionRecallOfUpgradesLeadTimeLiftCoverageWeeklyPqlsAndOverlapAsComputedByHand() {
    List<Backtest.Figures> f = Backtest.run(history(), List.of(
        new Backtest.Candidate("big", "1", "rule", expr("x >= 5")),
        new Backtest.Candidate("ys", "2", "rule", expr("y = 1"))), 7);

    // 13 rows, 9 followed by an upgrade: base rate 9/13; three weekly snapshots span three weeks.
    Backtest.Figures big = f.get(0);
    assertEquals(List.of(3L, 13L, 9L, 5L, 4L, 4L), List.of(big.snapshots(), big.rows(), big.upgradeRows(),
        big.pqlRows(), big.pqlUpgradeRows(), big.accounts()), "a twice, b, c and e qualify; b's row is no upgrade");
    assertEquals(0.8, big.precision().value(), 1e-12);
    assertEquals(0.8 / (9.0 / 13), big.lift().value(), 1e-12);
    assertEquals(5.0 / 13, big.coverage(), 1e-12);
    assertEquals(4.0 / 3, big.pqlsPerWeek(), 1e-12, "a, b, c and e over three weeks");
    assertEquals(Map.of("ys", 0.2), big.overlap(), "a on 03-09 of its five rows");
    // Upgrades: a, c, d and e. big flagged a first on 03-09 (11 days before its upgrade), c on 03-02 (8 days) and e
    // on 03-16 (1 day), never d: 3 of 4, lead days 1, 8, 11 (median 8; 90th percentile 8 + 0.8 * 3).
    Backtest.Upgrades u = big.upgrades();
    assertEquals(List.of(4L, 3L), List.of(u.upgrades(), u.caught()));
    assertEquals(0.75, u.recall().value(), 1e-12);
    assertEquals(4.0 / 9, u.rowRecall(), 1e-12, "the row-level share, by its own name");
    assertEquals(8.0, u.leadDaysMedian(), 1e-12);
    assertEquals(10.4, u.leadDaysP90(), 1e-12);
    // Wilson's 95% interval for 3 of 4 (0.301 to 0.954), and account-resampled intervals around the point values.
    assertEquals(0.3006, u.recall().lo(), 1e-3);
    assertEquals(0.9544, u.recall().hi(), 1e-3);
    for (Estimate e : List.of(big.precision(), big.lift())) {
      assertTrue(e.hasInterval() && e.lo() <= e.value() && e.value() <= e.hi() && e.lo() < e.hi(), e.toString());
    }

    Backtest.Figures ys = f.get(1);
    assertEquals(3, ys.pqlRows(), "a twice and b; f's null never qualifies");
    assertEquals(2.0 / 3, ys.precision().value(), 1e-12);
    assertEquals(List.of(4L, 1L), List.of(ys.upgrades().upgrades(), ys.upgrades().caught()), "a only");
    assertEquals(18.0, ys.upgrades().leadDaysMedian(), 1e-12, "a flagged on 03-02, upgraded on 03-20");
    assertEquals(Map.of("big", 1.0 / 3), ys.overlap());
  }

  @Test
  void aDefinitionThatNeverQualifiesHasUndefinedFiguresNotNaN() {
    Backtest.Figures none = Backtest.run(history(), List.of(new Backtest.Candidate("none", "1", "rule",
        expr("x > 100"))), 7).get(0);
    assertEquals(0, none.pqlRows());
    assertEquals(Estimate.UNDEFINED, none.precision());
    assertEquals("-", none.precision().format("%.1f%%", 100));
    assertEquals(List.of(4L, 0L), List.of(none.upgrades().upgrades(), none.upgrades().caught()));
    assertEquals(0.0, none.upgrades().recall().value(), 1e-12, "none of four caught is a figure: 0%");
    assertTrue(none.upgrades().recall().hi() > 0.4, "and its interval says four upgrades cannot say much");
    assertTrue(Double.isNaN(none.upgrades().leadDaysMedian()));
  }

  @Test
  void aDefinitionWhosePqlsNeverUpgradeHasAnIntervalThatSaysHowFewTheyWere() {
    // Only b's three rows qualify, and b never upgrades. Every resample of accounts says 0% too: the interval is
    // Wilson's over the one account that qualified, 0 to 79%.
    Backtest.Figures never = Backtest.run(history(), List.of(new Backtest.Candidate("never", "1", "rule",
        expr("account_id = 'b'"))), 7).get(0);
    assertEquals(List.of(3L, 0L, 1L), List.of(never.pqlRows(), never.pqlUpgradeRows(), never.accounts()));
    assertEquals(0.0, never.precision().value());
    assertEquals(0.0, never.precision().lo());
    assertEquals(Estimate.wilson(0, 1, 0.95).hi(), never.precision().hi(), 1e-12);
    assertTrue(never.precision().hi() > 0.7, never.precision().toString());
    assertEquals(never.precision().hi() / (9.0 / 13), never.lift().hi(), 1e-12, "the lift's, over the base rate");
    // Where nothing upgraded at all (b's and f's rows alone): the same interval, and no lift over a zero base rate.
    Backtest.Figures none = Backtest.run(history().filter("account_id IN ('b', 'f')"), List.of(
        new Backtest.Candidate("b", "1", "rule", expr("account_id = 'b'"))), 7).get(0);
    assertEquals(Estimate.wilson(0, 1, 0.95).hi(), none.precision().hi(), 1e-12);
    assertTrue(Double.isNaN(none.lift().value()), none.lift().toString());
  }

  @Test
  void theMedianLeadsIntervalIsTheOrderStatisticsAroundTheMiddleRoundedOutward() {
    // Leads 1..100 read on the 1% grid as Spark's percentile does (interpolated): q(p) = 1 + 99p.
    List<Double> grid = new java.util.ArrayList<>();
    for (int j = 0; j <= 100; j++) grid.add(1 + 0.99 * j);
    double[] ci = Backtest.medianInterval(grid, 100);
    // The exact binomial interval of the median of 100 is ranks 40 to 61; the normal bound rounded outward holds it.
    assertEquals(1 + 0.99 * 39, ci[0], 1e-9);
    assertEquals(1 + 0.99 * 61, ci[1], 1e-9);
    assertTrue(ci[0] <= 40 && ci[1] >= 61);
    // One upgrade caught: the interval is everything seen.
    assertEquals(List.of(grid.get(0), grid.get(100)), java.util.Arrays.stream(Backtest.medianInterval(grid, 1))
        .boxed().toList());
  }
}
