package dev.pql.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.SparkTestBase;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * Thresholds planted in 300,000 synthetic rows of 30,000 accounts (ten snapshots each, x the same in all of
 * them): the upgrade rate rises slowly with x and steps up by 6 points at x >= 700; it steps up by 5 points when
 * y <= 7 (y null: never, no step); z does nothing. In a second world nothing moves the rate; in a third it grows
 * smoothly with a count, with no step.
 */
class ThresholdDiscoveryTest extends SparkTestBase {

  private static Dataset<Row> rows() {
    return spark.sql("""
        SELECT account_id, x, y, z,
               CASE WHEN u < 0.01 + 0.02 * x / 1000 + CASE WHEN x >= 700 THEN 0.06 ELSE 0 END
                              + CASE WHEN y <= 7 THEN 0.05 ELSE 0 END THEN 1D ELSE 0D END AS label
        FROM (SELECT id % 30000 AS account_id, id % 1000 AS x,
                     CASE WHEN id % 17 = 0 THEN NULL ELSE CAST(id DIV 1000 % 30 AS INT) END AS y,
                     (id * 7919) % 500 AS z,
                     (xxhash64(id, 7) & 268435455) / 268435456.0 AS u
              FROM range(0, 300000))""");
  }

  @Test
  void theCutGridIsExactAndTheSameWhereverTheRowsSitAndInWhateverOrderTheyCome() {
    // 1..20,000 with every tenth value null; a second column of decimals and counts above 1,000.
    Dataset<Row> rows = spark.sql("""
        SELECT CASE WHEN id % 10 = 0 THEN NULL ELSE CAST(id AS DOUBLE) END AS a, id * 1.23456 AS b
        FROM range(1, 20001)""");
    String[] names = {"a", "b"};
    double[] grid = {0.001, 0.5, 0.9, 0.9995, 1.0};
    double[][] one = ThresholdDiscovery.Binned.quantiles(rows.repartition(1), names, grid);
    double[][] many = ThresholdDiscovery.Binned.quantiles(rows.repartition(13, org.apache.spark.sql.functions.rand(7))
        .sortWithinPartitions(org.apache.spark.sql.functions.rand(3)), names, grid);
    assertTrue(java.util.Arrays.deepEquals(one, many), java.util.Arrays.deepToString(one) + " vs "
        + java.util.Arrays.deepToString(many));
    // Of the 18,000 values not ending in 0, the one of rank ceil(p n), to three significant digits.
    assertEquals(List.of(19.0, 10000.0, 18000.0, 20000.0, 20000.0),
        java.util.Arrays.stream(one[0]).boxed().toList());
    assertEquals(24.7, one[1][0], "the 20th of 20,000, 24.6912, to three digits");
  }

  @Test
  void cutsKeepThreeSignificantDigitsAlike() {
    assertEquals(999.0, ThresholdDiscovery.Binned.threeDigits(999));
    assertEquals(2140.0, ThresholdDiscovery.Binned.threeDigits(2137));
    assertEquals(-2140.0, ThresholdDiscovery.Binned.threeDigits(-2137));
    assertEquals(0.123, ThresholdDiscovery.Binned.threeDigits(0.12345));
    assertEquals(-0.123, ThresholdDiscovery.Binned.threeDigits(-0.12345));
    assertEquals(12.4, ThresholdDiscovery.Binned.threeDigits(12.35 + 1e-9));
    assertEquals(0.0, ThresholdDiscovery.Binned.threeDigits(0));
  }

  @Test
  void findsEachPlantedStepAndNothingWhereThereIsNone() {
    List<ThresholdDiscovery.Threshold> found = ThresholdDiscovery.discover(rows(), List.of(
            new ThresholdDiscovery.Candidate("x", true, true), new ThresholdDiscovery.Candidate("y", false),
            new ThresholdDiscovery.Candidate("z", true, true)), 1000, 0.01).thresholds();
    Map<String, ThresholdDiscovery.Threshold> byFeature = found.stream()
        .collect(Collectors.toMap(ThresholdDiscovery.Threshold::feature, Function.identity()));

    ThresholdDiscovery.Threshold x = byFeature.get("x");
    assertTrue(Math.abs(x.threshold() - 700) <= 7, "x step at 700, found " + x);
    assertEquals(">=", x.operator());
    assertTrue(x.significant(), x.toString());
    assertEquals(0.3, x.coverage(), 0.01, "x >= 700 holds for 30% of rows");
    assertTrue(x.rateQualifying() > 2 * x.rateRest(), x.toString());

    ThresholdDiscovery.Threshold y = byFeature.get("y");
    assertEquals(7.0, y.threshold(), "y step at 7: " + y);
    assertEquals("<=", y.operator());
    assertEquals("`y` <= 7", y.predicate());
    assertTrue(y.significant(), y.toString());

    assertFalse(byFeature.containsKey("z") && byFeature.get("z").significant(), "z has no effect: " + byFeature.get("z"));
    assertEquals(300_000, x.rows());
  }

  /** 2,000 accounts over ten snapshots; a count c whose log1p moves the odds when {@code slope} is not 0. */
  private static Dataset<Row> counts(double slope) {
    return spark.sql("""
        SELECT account_id, c, d,
               CASE WHEN u < 1 / (1 + exp(3.5 - %s * ln(1 + c))) THEN 1D ELSE 0D END AS label
        FROM (SELECT id %% 2000 AS account_id,
                     CAST(pow(2, (xxhash64(id %% 2000, 1) & 1023) / 100.0) + id DIV 2000 AS BIGINT) AS c,
                     CAST((xxhash64(id, 2) & 1023) AS BIGINT) AS d,
                     (xxhash64(id, 3) & 268435455) / 268435456.0 AS u
              FROM range(0, 20000))""".formatted(slope));
  }

  /**
   * A feature almost always 0 (one row in 20,000 above it, beyond the grid's last quantile; at 100M events the
   * shipped "usage limit reached in the first 7 days" was one) has a single quantile and no cut to test: it is left
   * out, beside a feature with cuts as alone, and discovery goes on (Spark's bucketizer refuses a column without a
   * cut, which failed training).
   */
  @Test
  void aFeatureWhoseQuantilesAreOneValueIsLeftOutAndDiscoveryGoesOn() {
    Dataset<Row> rows = counts(1.5).withColumn("rare", org.apache.spark.sql.functions.expr(
        "CASE WHEN monotonically_increasing_id() = 7 THEN 3 ELSE 0 END")).cache();
    ThresholdDiscovery.Discovery both = ThresholdDiscovery.discover(rows, List.of(
        new ThresholdDiscovery.Candidate("rare", true, true), new ThresholdDiscovery.Candidate("c", true, true)),
        100, 0.01);
    assertEquals(List.of("c"), both.terms().stream().map(t -> t.feature()).distinct().toList(),
        "c's step is found, rare is no candidate: " + both.terms());
    ThresholdDiscovery.Discovery alone = ThresholdDiscovery.discover(rows, List.of(
        new ThresholdDiscovery.Candidate("rare", true, true)), 100, 0.01);
    assertEquals(List.of(), alone.terms());
    rows.unpersist();
  }

  @Test
  void findsNothingWhereNothingMovesTheRate() {
    ThresholdDiscovery.Discovery d = ThresholdDiscovery.discover(counts(0), List.of(
        new ThresholdDiscovery.Candidate("c", true, true), new ThresholdDiscovery.Candidate("d", true, true)),
        100, 0.01);
    assertEquals(List.of(), d.terms(), "nothing moves the rate");
    assertTrue(d.candidatesScored() > 100, "every cut was a candidate: " + d.candidatesScored());
  }

  @Test
  void rowsHeldOnTheDriverAndRowsLeftOnTheExecutorsSelectTheSameTerms() {
    // Small rows are held on the driver for the selection's passes; with no room there (0 cells) every pass is a
    // Spark job. The same partitions are summed either way: the same terms, to rounding.
    Dataset<Row> rows = counts(0.5).cache();
    List<ThresholdDiscovery.Candidate> candidates = List.of(new ThresholdDiscovery.Candidate("c", true, true),
        new ThresholdDiscovery.Candidate("d", true, true));
    List<ThresholdDiscovery.Term> local = ThresholdDiscovery.discover(rows, candidates, 100, 0.01).terms();
    List<ThresholdDiscovery.Term> distributed = ThresholdDiscovery.discover(rows, candidates, 100, 0.01, 0).terms();
    rows.unpersist();
    assertEquals(1, local.size(), local.toString());
    assertEquals(local.size(), distributed.size(), distributed.toString());
    for (int i = 0; i < local.size(); i++) {
      assertEquals(local.get(i).feature(), distributed.get(i).feature());
      assertEquals(local.get(i).form(), distributed.get(i).form());
      assertEquals(local.get(i).coefficient(), distributed.get(i).coefficient(), 1e-9);
      assertEquals(local.get(i).z(), distributed.get(i).z(), 1e-9);
    }
  }

  @Test
  void reportsASmoothEffectAsGradedWithoutAThreshold() {
    ThresholdDiscovery.Discovery d = ThresholdDiscovery.discover(counts(0.5), List.of(
        new ThresholdDiscovery.Candidate("c", true, true), new ThresholdDiscovery.Candidate("d", true, true)),
        100, 0.01);
    assertEquals(List.of(), d.thresholds(), "a smooth effect has no threshold: " + d.terms());
    assertEquals(1, d.terms().size(), d.terms().toString());
    ThresholdDiscovery.Term c = d.terms().get(0);
    assertEquals("c", c.feature());
    assertEquals("graded", c.form());
    assertEquals(0.5, c.coefficient(), 0.15, "the planted slope on log1p(c): " + c);
  }
  @Test
  void supportCountsDistinctAccountsOnEachSideAndDistinctUpgradingAccounts() {
    // 300 accounts seen 1 to 12 times each, their counts c drifting from snapshot to snapshot, some nulls.
    Dataset<Row> rows = spark.sql("""
        SELECT CAST(a AS STRING) AS account_id, CASE WHEN (a + s) % 11 = 0 THEN NULL ELSE (a * 7 + s * 13) % 50 END
                 AS c, CASE WHEN (xxhash64(a, s) & 1023) < 80 THEN 1D ELSE 0D END AS label
        FROM range(300) AS t(a) CROSS JOIN range(12) AS u(s) WHERE s <= a % 12""").cache();
    ThresholdDiscovery.Binned binned = ThresholdDiscovery.Binned.of(rows,
        List.of(new ThresholdDiscovery.Candidate("c", true, true)));
    try {
      ThresholdDiscovery.Binned.Support support = binned.support();
      int m = binned.values(0);
      assertTrue(m > 5, "cuts: " + m);
      // By brute force, each cut's three distinct counts in one aggregation.
      List<String> counts = new java.util.ArrayList<>();
      for (int j = 1; j <= m; j++) {
        double cut = binned.cut(0, j);
        counts.add("count(DISTINCT CASE WHEN c >= " + cut + " THEN account_id END)");
        counts.add("count(DISTINCT CASE WHEN c >= " + cut + " AND label = 1 THEN account_id END)");
        counts.add("count(DISTINCT CASE WHEN c < " + cut + " OR c IS NULL THEN account_id END)");
      }
      Row truth = rows.selectExpr(counts.toArray(String[]::new)).first();
      for (int j = 1; j <= m; j++) {
        String at = "c >= " + binned.cut(0, j);
        assertEquals(truth.getLong(3 * (j - 1)), support.atLeast()[0][j], at);
        assertEquals(truth.getLong(3 * (j - 1) + 1), support.upgradersAtLeast()[0][j], at + ", upgrading");
        assertEquals(truth.getLong(3 * (j - 1) + 2), support.below()[0][j], "below: " + at);
      }
    } finally {
      binned.rows().release();
    }
  }

  /**
   * 4,000 accounts over ten snapshots, counts a and b drawn apart per account; the log-odds rise by {@code together}
   * where a >= 48 and b >= 30 both hold, and by {@code alone} for each of them alone (added, no interaction).
   */
  private static Dataset<Row> pairs(double together, double alone) {
    return spark.sql("""
        SELECT account_id, a, b, n,
               CASE WHEN u < 1 / (1 + exp(3.5 - %s * CASE WHEN a >= 48 AND b >= 30 THEN 1 ELSE 0 END
                                              - %s * (CASE WHEN a >= 48 THEN 1 ELSE 0 END
                                                      + CASE WHEN b >= 30 THEN 1 ELSE 0 END)))
                    THEN 1D ELSE 0D END AS label
        FROM (SELECT id %% 4000 AS account_id,
                     CAST((xxhash64(id %% 4000, 1) & 1023) * 100 / 1024 AS BIGINT) AS a,
                     CAST((xxhash64(id %% 4000, 2) & 1023) * 60 / 1024 AS BIGINT) AS b,
                     CAST((xxhash64(id %% 4000, 4) & 1023) * 80 / 1024 AS BIGINT) AS n,
                     (xxhash64(id, 3) & 268435455) / 268435456.0 AS u
              FROM range(0, 40000))""".formatted(together, alone));
  }

  private static List<ThresholdDiscovery.Candidate> abn() {
    return List.of(new ThresholdDiscovery.Candidate("a", true, true), new ThresholdDiscovery.Candidate("b", true, true),
        new ThresholdDiscovery.Candidate("n", true, true));
  }

  @Test
  void findsTwoActionsTogetherAsOneCombinationAndNotAsTwoRules() {
    ThresholdDiscovery.Discovery d = ThresholdDiscovery.discover(pairs(1.6, 0), abn(), 100, 0.01);
    List<ThresholdDiscovery.Threshold> pairs = d.thresholds().stream()
        .filter(ThresholdDiscovery.Threshold::combination).toList();
    assertEquals(1, pairs.size(), "one combination: " + d.thresholds());
    ThresholdDiscovery.Threshold p = pairs.get(0);
    Map<String, Double> cuts = Map.of(p.feature(), p.threshold(), p.and().feature(), p.and().threshold());
    assertEquals(java.util.Set.of("a", "b"), cuts.keySet(), p.predicate());
    // Each cut where it was planted, or the number people write nearest to it (50 for 48, 30 for 30).
    assertTrue(Math.abs(cuts.get("a") - 48) <= 4.8 || cuts.get("a") == 50, p.predicate());
    assertTrue(Math.abs(cuts.get("b") - 30) <= 3, p.predicate());
    assertEquals(List.of(), d.thresholds().stream().filter(t -> !t.combination()).toList(),
        "neither part alone is a rule: " + d.thresholds());
  }

  @Test
  void keepsTwoActionsThatAddUpAsTwoRulesAndNoCombination() {
    ThresholdDiscovery.Discovery d = ThresholdDiscovery.discover(pairs(0, 1.0), abn(), 100, 0.01);
    assertEquals(java.util.Set.of("a", "b"), d.thresholds().stream().map(ThresholdDiscovery.Threshold::feature)
        .collect(Collectors.toSet()), "two rules: " + d.thresholds());
    assertTrue(d.thresholds().stream().noneMatch(ThresholdDiscovery.Threshold::combination), d.thresholds()
        .toString());
  }

  @Test
  void findsAnActionThatMattersOnlyInLargeAccountsAsACombinationWithTheirSize() {
    // 4,000 accounts of 1 to 4,096 employees (log-uniform); the log-odds rise by 1.8 only where a >= 50 in an
    // account of 250 or more employees. (Pairs are cut at a dozen shares and the numbers people write: a size cut
    // planted between them, at 200, came out as 250 beside a single size step that picks up the rest.)
    Dataset<Row> rows = spark.sql("""
        SELECT account_id, a, employees,
               CASE WHEN u < 1 / (1 + exp(3.5 - 1.8 * CASE WHEN a >= 50 AND employees >= 250 THEN 1 ELSE 0 END))
                    THEN 1D ELSE 0D END AS label
        FROM (SELECT id % 4000 AS account_id,
                     CAST((xxhash64(id % 4000, 1) & 1023) * 100 / 1024 AS BIGINT) AS a,
                     CAST(pow(2, (xxhash64(id % 4000, 5) & 1023) * 12 / 1024.0) AS INT) AS employees,
                     (xxhash64(id, 3) & 268435455) / 268435456.0 AS u
              FROM range(0, 40000))""");
    ThresholdDiscovery.Discovery d = ThresholdDiscovery.discover(rows, List.of(
        new ThresholdDiscovery.Candidate("a", true, true), new ThresholdDiscovery.Candidate("employees", true, true)),
        100, 0.01);
    List<ThresholdDiscovery.Threshold> pairs = d.thresholds().stream()
        .filter(ThresholdDiscovery.Threshold::combination).toList();
    assertEquals(1, pairs.size(), "one combination: " + d.thresholds());
    ThresholdDiscovery.Threshold p = pairs.get(0);
    Map<String, Double> cuts = Map.of(p.feature(), p.threshold(), p.and().feature(), p.and().threshold());
    assertEquals(java.util.Set.of("a", "employees"), cuts.keySet(), p.predicate());
    assertEquals(50.0, cuts.get("a"), p.predicate());
    assertEquals(250.0, cuts.get("employees"), p.predicate());
    assertEquals(List.of(), d.thresholds().stream().filter(t -> !t.combination()).toList(),
        "neither part alone is a rule: " + d.thresholds());
  }

  @Test
  void findsNoCombinationWhereNothingMovesTheRate() {
    ThresholdDiscovery.Discovery d = ThresholdDiscovery.discover(pairs(0, 0), abn(), 100, 0.01);
    assertEquals(List.of(), d.thresholds(), "nothing moves the rate");
  }

  @Test
  void reportsTheNumberPeopleWriteInsideTheCutsIntervalAndTheCurveAroundIt() {
    // 2,000 accounts seen three times, a count from 0 to 99 whose step is at 51: the cuts next to it fit about as
    // well at this size, 50 among them; cuts far from it do not.
    Dataset<Row> rows = spark.sql("""
        SELECT account_id, a, CASE WHEN u < 1 / (1 + exp(3 - 1.2 * CASE WHEN a >= 51 THEN 1 ELSE 0 END))
                                THEN 1D ELSE 0D END AS label
        FROM (SELECT id % 2000 AS account_id, CAST((xxhash64(id % 2000, 1) & 1023) * 100 / 1024 AS BIGINT) AS a,
                     (xxhash64(id, 3) & 268435455) / 268435456.0 AS u
              FROM range(0, 6000))""");
    ThresholdDiscovery.Discovery d = ThresholdDiscovery.discover(rows,
        List.of(new ThresholdDiscovery.Candidate("a", true, true)), 100, 0.01);
    ThresholdDiscovery.Threshold a = d.thresholds().get(0);
    List<ThresholdDiscovery.CurvePoint> curve = d.curves();
    List<Double> interval = curve.stream().filter(ThresholdDiscovery.CurvePoint::inInterval)
        .map(ThresholdDiscovery.CurvePoint::cut).toList();
    System.out.println("a: " + a.predicate() + ", interval " + interval);
    assertTrue(interval.contains(50.0) && interval.contains(51.0), "50 fits about as well as 51: " + interval);
    assertEquals(50.0, a.threshold(), "the number people write, inside the interval: " + a);
    assertEquals(List.of(50.0), curve.stream().filter(ThresholdDiscovery.CurvePoint::reported)
        .map(ThresholdDiscovery.CurvePoint::cut).toList());
    assertFalse(interval.contains(20.0) || interval.contains(80.0), "far cuts fit worse: " + interval);
    // The curve: cuts ascending, rows at or above each falling, each band's rows what lies between two cuts.
    for (int k = 1; k < curve.size(); k++) {
      assertTrue(curve.get(k).cut() > curve.get(k - 1).cut());
      assertEquals(curve.get(k - 1).rowsAtOrAbove() - curve.get(k - 1).rowsInBand(), curve.get(k).rowsAtOrAbove());
    }
    // Counted again on the same rows, the same curve; the last listed cut's band runs to the end.
    List<ThresholdDiscovery.CurvePoint> again = ThresholdDiscovery.curvesOn(rows, curve);
    assertEquals(curve.subList(0, curve.size() - 1), again.subList(0, curve.size() - 1));
    ThresholdDiscovery.CurvePoint last = again.get(again.size() - 1);
    assertEquals(curve.get(curve.size() - 1).rowsAtOrAbove(), last.rowsInBand());
    assertEquals(last.rowsAtOrAbove(), last.rowsInBand());
    ThresholdDiscovery.CurvePoint first = curve.get(0);
    ThresholdDiscovery.CurvePoint reported = curve.stream().filter(ThresholdDiscovery.CurvePoint::reported)
        .findFirst().orElseThrow();
    double below = (double) (first.upgradesAtOrAbove() - reported.upgradesAtOrAbove())
        / (first.rowsAtOrAbove() - reported.rowsAtOrAbove());
    assertTrue((double) reported.upgradesAtOrAbove() / reported.rowsAtOrAbove() > 2 * below,
        "the rate steps up at the cut: " + reported + " against " + below + " below it");
  }
}
