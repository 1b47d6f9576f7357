package dev.pql.metrics;

import static org.apache.spark.sql.functions.expr;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pql.SparkTestBase;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** Two definitions replayed on eight labelled rows over two weekly snapshots; every figure worked out by hand. */
class BacktestTest extends SparkTestBase {
  @Test
  void precisionRecallLiftCoverageWeeklyPqlsAndOverlapAsComputedByHand() {
    Dataset<Row> labelled = spark.sql("""
        SELECT account_id, CAST(d AS DATE) AS as_of_date, label, x, y FROM VALUES
          ('a', '2026-03-02', 1D, 5, 1), ('b', '2026-03-02', 0D, 5, 0), ('c', '2026-03-02', 0D, 1, 1),
          ('d', '2026-03-02', 1D, 1, 0), ('a', '2026-03-09', 1D, 6, 0), ('b', '2026-03-09', 0D, 2, 0),
          ('e', '2026-03-09', 0D, 7, 1), ('f', '2026-03-09', 0D, 0, NULL)
        AS t(account_id, d, label, x, y)""");
    List<Backtest.Figures> f = Backtest.run(labelled, List.of(
        new Backtest.Candidate("big", "1", "rule", expr("x >= 5")),
        new Backtest.Candidate("ys", "2", "rule", expr("y = 1"))), 7);

    // 8 rows, 3 upgrades: base rate 0.375; two weekly snapshots span two weeks.
    Backtest.Figures big = f.get(0);
    assertEquals(List.of(2L, 8L, 3L, 4L, 2L, 3L), List.of(big.snapshots(), big.rows(), big.upgrades(), big.pqlRows(),
        big.pqlUpgrades(), big.accounts()));
    assertEquals(0.5, big.precision(), 1e-12);
    assertEquals(2.0 / 3, big.recall(), 1e-12);
    assertEquals(0.5 / 0.375, big.lift(), 1e-12);
    assertEquals(0.5, big.coverage(), 1e-12);
    assertEquals(1.5, big.pqlsPerWeek(), 1e-12, "a, b and e over two weeks");
    assertEquals(Map.of("ys", 0.5), big.overlap(), "a on 03-02 and e on 03-09 of its four rows");

    Backtest.Figures ys = f.get(1);
    assertEquals(3, ys.pqlRows(), "f's null never qualifies");
    assertEquals(1.0 / 3, ys.precision(), 1e-12);
    assertEquals(1.0 / 3, ys.recall(), 1e-12);
    assertEquals((1.0 / 3) / 0.375, ys.lift(), 1e-12);
    assertEquals(0.375, ys.coverage(), 1e-12);
    assertEquals(Map.of("big", 2.0 / 3), ys.overlap());
  }
}
