package dev.pql.metrics;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.SparkTestBase;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * The Aalen–Johansen cumulative incidence on a hand-made cohort worked out by hand, and on 400 simulated cohorts
 * whose true incidence is known, where censoring makes the naive share fall short.
 */
class CumulativeIncidenceTest extends SparkTestBase {
  private static final double Z = 1.959963984540054;

  /**
   * Ten accounts: two qualify on day 2, one converts first on day 3, two are followed to day 4 only, one qualifies
   * on day 5 and four are followed to day 9. Cohort b: three accounts followed 40 days, none qualifying.
   */
  private static Dataset<Row> cohorts() {
    return spark.sql("""
        SELECT cohort, day, outcome FROM VALUES
          ('a', 2, 'event'), ('a', 2, 'event'), ('a', 3, 'competing'), ('a', 4, 'censored'), ('a', 4, 'censored'),
          ('a', 5, 'event'), ('a', 9, 'censored'), ('a', 9, 'censored'), ('a', 9, 'censored'), ('a', 9, 'censored'),
          ('b', 40, 'censored'), ('b', 40, 'censored'), ('b', 40, 'censored')
        AS t(cohort, day, outcome)""");
  }

  @Test
  void theCurveItsDeltaMethodIntervalAndItsReadingAtADayAsWorkedOutByHand() {
    List<Row> curve = CumulativeIncidence.curve(cohorts(), List.of("cohort"), 0.95)
        .filter(col("cohort").equalTo("a")).orderBy("day").collectAsList();
    assertEquals(List.of(2, 3, 4, 5, 9), curve.stream().map(r -> r.<Integer>getAs("day")).toList());
    assertEquals(List.of(10L, 8L, 7L, 5L, 4L), curve.stream().map(r -> r.<Long>getAs("at_risk")).toList());
    // S: 0.8, 0.7, 0.7, 0.56; F: 0.2 (1 x 2/10), 0.2, 0.2, 0.34 (+ 0.7 x 1/5); competing 0.1 (0.8 x 1/8) from day 3.
    double[] incidence = {0.2, 0.2, 0.2, 0.34, 0.34};
    for (int i = 0; i < incidence.length; i++) {
      assertEquals(incidence[i], curve.get(i).<Double>getAs("incidence"), 1e-12, "day " + curve.get(i));
    }
    assertEquals(0.1, curve.get(4).<Double>getAs("competing_incidence"), 1e-12);

    // Day 5's variance term by term: sum (F - F_j)^2 d_j/(n_j(n_j - d_j)) + sum S_{j-1}^2 d1_j (n_j - d1_j)/n_j^3
    // - 2 sum (F - F_j) S_{j-1} d1_j/n_j^2, over the days with an end of either kind.
    double variance = 0.14 * 0.14 * (2.0 / (10 * 8) + 1.0 / (8 * 7)) + (2.0 * 8 / 1000 + 0.49 * 4 / 125)
        - 2 * 0.14 * (2.0 / 100);
    double k = Z * Math.sqrt(variance) / (0.34 * Math.log(0.34));
    assertEquals(Math.pow(0.34, Math.exp(-k)), curve.get(3).<Double>getAs("incidence_lo"), 1e-9);
    assertEquals(Math.pow(0.34, Math.exp(k)), curve.get(3).<Double>getAs("incidence_hi"), 1e-9);
    // Day 2 alone, without a competing end, is Greenwood's: S^2 d/(n(n - d)) = 0.64 x 2/80.
    double k2 = Z * Math.sqrt(0.64 * 2 / 80) / (0.2 * Math.log(0.2));
    assertEquals(Math.pow(0.2, Math.exp(-k2)), curve.get(0).<Double>getAs("incidence_lo"), 1e-9);

    List<Row> at = CumulativeIncidence.at(CumulativeIncidence.curve(cohorts(), List.of("cohort"), 0.95),
        List.of("cohort"), 7, 0.95).orderBy("cohort").collectAsList();
    Row a = at.get(0);
    assertEquals(0.34, a.<Double>getAs("incidence_at"), 1e-12);
    assertEquals(2, a.<Integer>getAs("days_to_half_of_it"), "0.2 is past half of 0.34");
    assertEquals(5, a.<Integer>getAs("days_to_p90_of_it"));
    assertNull(a.getAs("median_day"), "half the cohort never qualified: not reached");
    Row b = at.get(1);
    assertEquals(0.0, b.<Double>getAs("incidence_at"), 0.0);
    assertEquals(0.0, b.<Double>getAs("incidence_at_lo"), 0.0);
    assertEquals(1 - Math.pow(0.025, 1.0 / 3), b.<Double>getAs("incidence_at_hi"), 1e-12, "none of 3: exact bound");

    // Read at day 12, cohort a is censored before it with nobody followed that far: not known.
    Row late = CumulativeIncidence.at(CumulativeIncidence.curve(cohorts(), List.of("cohort"), 0.95),
        List.of("cohort"), 12, 0.95).filter(col("cohort").equalTo("a")).first();
    assertNull(late.getAs("incidence_at"));
  }

  /**
   * 400 cohorts of 150 accounts: qualifying at rate 0.01 a day, converting first at 0.005 a day, followed for a
   * uniform 0 to 120 days. The true share qualified by the end of day 30 is 2/3 (1 - exp(-0.015 x 31)).
   */
  @Test
  void onSimulatedCohortsTheIntervalCoversTheTrueIncidenceWhereTheNaiveShareFallsShort() {
    Dataset<Row> ends = spark.sql("""
        SELECT cohort, CAST(floor(least(t1, t2, c)) AS INT) AS day,
               CASE WHEN c < least(t1, t2) THEN 'censored' WHEN t1 < t2 THEN 'event' ELSE 'competing' END AS outcome
        FROM (SELECT id % 400 AS cohort,
                     -ln(1 - pmod(xxhash64(id, 1), 1000000) / 1000000.0) / 0.01 AS t1,
                     -ln(1 - pmod(xxhash64(id, 2), 1000000) / 1000000.0) / 0.005 AS t2,
                     pmod(xxhash64(id, 3), 1000000) / 1000000.0 * 120 AS c
              FROM range(0, 60000))""");
    double truth = 2.0 / 3 * (1 - Math.exp(-0.015 * 31));
    Dataset<Row> at = CumulativeIncidence.at(CumulativeIncidence.curve(ends, List.of("cohort"), 0.95),
        List.of("cohort"), 30, 0.95);
    Row r = at.agg(count(lit(1)), sum(when(col("incidence_at_lo").leq(truth).and(col("incidence_at_hi").geq(truth)),
        1).otherwise(0)), avg("incidence_at")).first();
    long covered = r.getLong(1);
    System.out.printf("cumulative incidence: true %.4f, mean estimate %.4f, %d of %d intervals cover it%n", truth,
        r.getDouble(2), covered, r.getLong(0));
    assertEquals(400, r.getLong(0));
    assertTrue(covered >= 370 && covered <= 390, covered + " of 400 cover the truth");
    assertEquals(truth, r.getDouble(2), 0.01);
    double naive = ends.agg(avg(when(col("outcome").equalTo("event").and(col("day").leq(30)), 1.0).otherwise(0.0)))
        .first().getDouble(0);
    assertTrue(naive < truth - 0.02, "qualified by day 30 over every signup counts the censored as never: " + naive);
  }
}
