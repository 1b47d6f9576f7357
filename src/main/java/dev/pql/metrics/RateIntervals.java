package dev.pql.metrics;

import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sqrt;
import static org.apache.spark.sql.functions.when;

import java.util.List;
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
    Column known = trials.gt(0);
    Column[] bounds = wilsonBounds(successes, trials, confidence);
    return List.of(when(known, successes.cast("double").divide(trials)).as(name), when(known, bounds[0]).as(name
        + "_lo"), when(known, bounds[1]).as(name + "_hi"));
  }

  /**
   * {@code name}, {@code name_lo}, {@code name_hi}: the ratio of two rates of separate accounts, (a / n1) / (c / n2),
   * with the MOVER-R interval of Donner and Zou (2012), built from the two rates' Wilson intervals: it stays sensible
   * where Katz's interval on the log collapses (a rate of 0% or 100% from a handful of accounts). Null when the
   * second rate is 0 (the ratio is unbounded).
   */
  static List<Column> riskRatio(String name, Column a, Column n1, Column c, Column n2, double confidence) {
    Column known = n1.gt(0).and(n2.gt(0)).and(c.gt(0));
    Column p1 = a.cast("double").divide(n1);
    Column p2 = c.cast("double").divide(n2);
    Column[] w1 = wilsonBounds(a, n1, confidence);
    Column[] w2 = wilsonBounds(c, n2, confidence);
    Column product = p1.multiply(p2);
    // l(2p - l) and u(2p - u) of each rate's bounds.
    Column lower1 = w1[0].multiply(p1.multiply(2).minus(w1[0]));
    Column upper1 = w1[1].multiply(p1.multiply(2).minus(w1[1]));
    Column lower2 = w2[0].multiply(p2.multiply(2).minus(w2[0]));
    Column upper2 = w2[1].multiply(p2.multiply(2).minus(w2[1]));
    Column lo = product.minus(sqrt(greatest(lit(0.0), product.multiply(product).minus(lower1.multiply(upper2)))))
        .divide(upper2);
    Column hi = product.plus(sqrt(greatest(lit(0.0), product.multiply(product).minus(upper1.multiply(lower2)))))
        .divide(lower2);
    return List.of(when(known, p1.divide(p2)).as(name), when(known, greatest(lit(0.0), lo)).as(name + "_lo"),
        when(known.and(lower2.gt(0)), hi).as(name + "_hi"));
  }

  /** The Wilson bounds of successes / trials (trials > 0). */
  private static Column[] wilsonBounds(Column successes, Column trials, double confidence) {
    double z = z(confidence);
    Column n = trials.cast("double");
    Column p = successes.cast("double").divide(n);
    Column z2n = lit(z * z).divide(n);
    Column centre = p.plus(z2n.divide(2)).divide(z2n.plus(1));
    Column half = lit(z).divide(z2n.plus(1))
        .multiply(sqrt(p.multiply(lit(1.0).minus(p)).divide(n).plus(z2n.divide(n.multiply(4)))));
    return new Column[] {greatest(lit(0.0), centre.minus(half)), least(lit(1.0), centre.plus(half))};
  }

  private static double z(double confidence) {
    return dev.pql.model.Normal.twoSided(confidence);
  }
}
