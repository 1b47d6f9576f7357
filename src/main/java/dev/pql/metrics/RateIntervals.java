package dev.pql.metrics;

import static org.apache.spark.sql.functions.exp;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log;
import static org.apache.spark.sql.functions.sqrt;
import static org.apache.spark.sql.functions.when;

import java.util.List;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.spark.sql.Column;

/**
 * Closed-form intervals of rates whose trials are distinct accounts, as Spark columns: a table of many rows gets
 * each row's interval without a bootstrap. A rate without trials is null, and so is its interval.
 */
final class RateIntervals {
  private RateIntervals() {}

  /**
   * {@code name}, {@code name_lo}, {@code name_hi}: successes / trials with its Wilson score interval, which stays
   * inside 0..1 and keeps its coverage near 0 and 1 (as {@link dev.pql.model.Estimate#wilson}).
   */
  static List<Column> wilson(String name, Column successes, Column trials, double confidence) {
    double z = z(confidence);
    Column n = trials.cast("double");
    Column p = successes.cast("double").divide(n);
    Column z2n = lit(z * z).divide(n);
    Column centre = p.plus(z2n.divide(2)).divide(z2n.plus(1));
    Column half = lit(z).divide(z2n.plus(1))
        .multiply(sqrt(p.multiply(lit(1.0).minus(p)).divide(n).plus(z2n.divide(n.multiply(4)))));
    Column known = trials.gt(0);
    return List.of(when(known, p).as(name), when(known, greatest(lit(0.0), centre.minus(half))).as(name + "_lo"),
        when(known, least(lit(1.0), centre.plus(half))).as(name + "_hi"));
  }

  /**
   * {@code name}, {@code name_lo}, {@code name_hi}: the ratio of two rates of separate accounts, (a / n1) / (c / n2),
   * with Katz's interval on its log; the interval is null when either rate has no success (its log is unbounded).
   */
  static List<Column> riskRatio(String name, Column a, Column n1, Column c, Column n2, double confidence) {
    Column known = n1.gt(0).and(n2.gt(0)).and(c.gt(0));
    Column ratio = a.cast("double").divide(n1).divide(c.cast("double").divide(n2));
    Column bounded = known.and(a.gt(0));
    Column se = sqrt(lit(1.0).divide(a).minus(lit(1.0).divide(n1)).plus(lit(1.0).divide(c))
        .minus(lit(1.0).divide(n2)));
    double z = z(confidence);
    return List.of(when(known, ratio).as(name),
        when(bounded, exp(log(ratio).minus(se.multiply(z)))).as(name + "_lo"),
        when(bounded, exp(log(ratio).plus(se.multiply(z)))).as(name + "_hi"));
  }

  private static double z(double confidence) {
    return new NormalDistribution().inverseCumulativeProbability(0.5 + confidence / 2);
  }
}
