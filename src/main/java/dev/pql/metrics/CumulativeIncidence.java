package dev.pql.metrics;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.exp;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.lag;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.pow;
import static org.apache.spark.sql.functions.sqrt;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;

/**
 * Time to an event (reaching PQL) with a competing end (converting to paid first) and censoring (the follow-up ends),
 * as the Aalen–Johansen cumulative incidence: the probability of the event by day t, P(T ≤ t, event first). Counting
 * only the accounts that did qualify, by the period they qualified in, measures the survivors; this counts every
 * account of a cohort from its signup, and one still being followed is neither a failure nor left out.
 *
 * <p>Its variance is the delta-method one of Marubini and Valsecchi (1995), which reduces to Greenwood's without a
 * competing end; the interval is taken on log(−log F), so it stays inside 0..1. With no event yet, the upper bound is
 * the exact binomial one for no event among those still at risk.
 *
 * <p>Everything is a window over a group's days, computed by Spark: a group (a cohort) has one row per day on which
 * something happened.
 */
public final class CumulativeIncidence {
  private CumulativeIncidence() {}

  public static final String DAY = "day";
  public static final String OUTCOME = "outcome";
  /** The outcomes: the event of interest, the competing end, and the end of follow-up without either. */
  public static final String EVENT = "event";
  public static final String COMPETING = "competing";
  public static final String CENSORED = "censored";

  /**
   * The curve of each group.
   *
   * @param ends one row per account: the group columns, {@link #DAY} (days from the start, at least 0) and
   *     {@link #OUTCOME} (which of the three ended its follow-up on that day)
   * @return per group and day with an end: the group columns, day, cohort_size (the group's accounts), at_risk (still
   *     followed at the day's start), events, competing, censored (that day), incidence, incidence_lo, incidence_hi
   *     (the event's cumulative incidence by the day's end and its interval) and competing_incidence
   */
  public static Dataset<Row> curve(Dataset<Row> ends, List<String> groups, double confidence) {
    Column[] keys = groups.stream().map(org.apache.spark.sql.functions::col).toArray(Column[]::new);
    WindowSpec group = Window.partitionBy(keys);
    WindowSpec upTo = group.orderBy(DAY).rowsBetween(Window.unboundedPreceding(), Window.currentRow());
    WindowSpec before = group.orderBy(DAY).rowsBetween(Window.unboundedPreceding(), -1);
    List<Column> byDay = new ArrayList<>(List.of(keys));
    byDay.add(col(DAY));
    Column ended = col("events").plus(col("competing")).plus(col("censored"));
    Column n = col("at_risk");
    Column d = col("events").plus(col("competing"));
    Column factor = lit(1.0).minus(d.divide(n));
    Column events = col("events");
    Column sPrev = col("s_prev");
    Column f = col("incidence");
    Dataset<Row> counted = ends.groupBy(byDay.toArray(Column[]::new)).agg(
            sum(when(col(OUTCOME).equalTo(EVENT), 1L).otherwise(0L)).as("events"),
            sum(when(col(OUTCOME).equalTo(COMPETING), 1L).otherwise(0L)).as("competing"),
            sum(when(col(OUTCOME).equalTo(CENSORED), 1L).otherwise(0L)).as("censored"))
        .withColumn("cohort_size", sum(ended).over(group))
        .withColumn("at_risk", col("cohort_size").minus(coalesce(sum(ended).over(before), lit(0L))))
        // The Kaplan–Meier survival from either end, as a product of factors; a factor of 0 ends it for good.
        .withColumn("s", when(max(when(factor.leq(0), 1).otherwise(0)).over(upTo).equalTo(1), lit(0.0))
            .otherwise(exp(sum(when(factor.gt(0), log(factor)).otherwise(0.0)).over(upTo))))
        .withColumn("s_prev", coalesce(lag(col("s"), 1).over(group.orderBy(DAY)), lit(1.0)))
        .withColumn("incidence", sum(sPrev.multiply(events).divide(n)).over(upTo))
        .withColumn("competing_incidence", sum(sPrev.multiply(col("competing")).divide(n)).over(upTo));
    // The variance's sums over days up to t of terms in F(t_j); expanded so that F(t) multiplies running sums.
    Column a = when(n.gt(d), d.divide(n.multiply(n.minus(d)))).otherwise(0.0);
    Column e = sPrev.multiply(events).divide(pow(n, 2));
    Dataset<Row> sums = counted
        .withColumn("va", sum(a).over(upTo))
        .withColumn("vb", sum(f.multiply(a)).over(upTo))
        .withColumn("vc", sum(f.multiply(f).multiply(a)).over(upTo))
        .withColumn("vd", sum(pow(sPrev, 2).multiply(events).multiply(n.minus(events)).divide(pow(n, 3))).over(upTo))
        .withColumn("ve", sum(e).over(upTo))
        .withColumn("vg", sum(f.multiply(e)).over(upTo));
    Column variance = greatest(lit(0.0), f.multiply(f).multiply(col("va")).minus(f.multiply(col("vb")).multiply(2))
        .plus(col("vc")).plus(col("vd")).minus(f.multiply(col("ve")).multiply(2)).plus(col("vg").multiply(2)));
    List<Column> out = new ArrayList<>(byDay);
    out.addAll(List.of(col("cohort_size"), col("at_risk"), col("events"), col("competing"), col("censored"),
        least(lit(1.0), f).as("incidence")));
    out.addAll(interval(f, sqrt(variance), n, confidence));
    out.add(least(lit(1.0), col("competing_incidence")).as("competing_incidence"));
    return sums.select(out.toArray(Column[]::new));
  }

  /** incidence_lo and incidence_hi: the log(−log) interval, or the exact binomial bound where F is 0 or 1. */
  private static List<Column> interval(Column f, Column sd, Column atRisk, double confidence) {
    double z = dev.pql.model.Normal.twoSided(confidence);
    double tail = (1 - confidence) / 2;
    Column inside = f.gt(0).and(f.lt(1));
    Column k = sd.multiply(z).divide(f.multiply(log(f)));
    Column noneYet = lit(1.0).minus(pow(lit(tail), lit(1.0).divide(atRisk)));
    return List.of(
        when(inside, pow(f, exp(k.multiply(-1)))).when(f.leq(0), lit(0.0))
            .otherwise(pow(lit(tail), lit(1.0).divide(atRisk))).as("incidence_lo"),
        when(inside, pow(f, exp(k))).when(f.leq(0), noneYet).otherwise(lit(1.0)).as("incidence_hi"));
  }

  /**
   * The curve read at day {@code day} of each group: the incidence and its interval at the last day up to it, and
   * the days by which the curve first reaches half and nine tenths of that incidence (the median and 90th
   * percentile time of the group's events up to the day) and half of the group (its median time to the event,
   * null when not reached). The incidence is null when nobody was followed to the day and some were censored before
   * it: then the curve does not reach it.
   *
   * @param confidence the interval's, for the exact bound of a group with no end up to the day
   * @return the group columns, incidence_at, incidence_at_lo, incidence_at_hi, days_to_half_of_it,
   *     days_to_p90_of_it, median_day
   */
  public static Dataset<Row> at(Dataset<Row> curve, List<String> groups, int day, double confidence) {
    Column[] keys = groups.stream().map(org.apache.spark.sql.functions::col).toArray(Column[]::new);
    WindowSpec group = Window.partitionBy(keys);
    Column upToDay = col(DAY).leq(day);
    Column followed = max(col(DAY)).over(group).geq(day)
        .or(sum(when(col(DAY).lt(day), col("censored")).otherwise(0L)).over(group).equalTo(0));
    Column atLast = col(DAY).equalTo(col("last_day"));
    // Nothing ended up to the day: every account was followed to it without the event.
    Column fAt = coalesce(max(when(atLast, col("incidence"))).over(group), lit(0.0));
    Dataset<Row> marked = curve.withColumn("last_day", max(when(upToDay, col(DAY))).over(group))
        .withColumn("followed", followed)
        .withColumn("f_at", fAt)
        .withColumn("lo_at", max(when(atLast, col("incidence_lo"))).over(group))
        .withColumn("hi_at", max(when(atLast, col("incidence_hi"))).over(group));
    double tail = (1 - confidence) / 2;
    Column noneYet = lit(1.0).minus(pow(lit(tail), lit(1.0).divide(col("cohort_size"))));
    Column inTime = col("followed").and(upToDay).and(col("f_at").gt(0));
    List<Column> aggs = new ArrayList<>(List.of(
        max(when(col("followed"), col("f_at"))).as("incidence_at"),
        max(when(col("followed"), coalesce(col("lo_at"), lit(0.0)))).as("incidence_at_lo"),
        max(when(col("followed"), coalesce(col("hi_at"), noneYet))).as("incidence_at_hi"),
        min(when(inTime.and(col("incidence").geq(col("f_at").multiply(0.5))), col(DAY))).as("days_to_half_of_it"),
        min(when(inTime.and(col("incidence").geq(col("f_at").multiply(0.9))), col(DAY))).as("days_to_p90_of_it"),
        min(when(col("incidence").geq(0.5), col(DAY))).as("median_day")));
    return marked.groupBy(keys).agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(Column[]::new));
  }
}
