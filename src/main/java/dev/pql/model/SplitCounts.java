package dev.pql.model;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Labelled rows split by predicates (rules, a driver's observed split), counted on the sample and on resamples of
 * accounts: the counts behind a rule's rates, lifts and recall and their account-level bootstrap intervals. The rows
 * are summed per account first, then the accounts resampled ({@link AccountBootstrap#weightedSums}, one pass): only
 * one array of sums per partition reaches the driver.
 *
 * <p>Per replicate (row 0: the sample): the rows, their upgrades and the upgrading accounts (an account with an
 * upgrade row), then per split the rows meeting it, their upgrades and the upgrading accounts it flags on an
 * upgrade row.
 */
record SplitCounts(double[][] draws) {

  static SplitCounts of(Dataset<Row> rows, List<Column> splits, int replicates, long seed) {
    Column y = col(TrainingSet.LABEL);
    List<Column> perAccount = new ArrayList<>(List.of(count(lit(1)).cast("double").as("n"),
        sum(y).cast("double").as("y"), max(y).cast("double").as("upgrading")));
    for (int i = 0; i < splits.size(); i++) {
      Column meets = splits.get(i);
      perAccount.add(sum(when(meets, 1.0).otherwise(0.0)).as("q" + i));
      perAccount.add(sum(when(meets, y).otherwise(0.0)).cast("double").as("qy" + i));
      perAccount.add(max(when(meets, y).otherwise(0.0)).cast("double").as("caught" + i));
    }
    Dataset<Row> accounts = rows.groupBy("account_id")
        .agg(perAccount.get(0), perAccount.subList(1, perAccount.size()).toArray(Column[]::new));
    // Per replicate: the rows, upgrades and upgrading accounts, then each split's three sums; an account's weight
    // multiplies its sums, so the accounts are resampled whole.
    return new SplitCounts(AccountBootstrap.weightedSums(accounts, replicates, seed));
  }

  /** One figure of split i on each replicate (row 0: the sample). */
  interface Figure {
    double of(double rows, double upgrades, double upgrading, double with, double withUpgrades, double caught);
  }

  /** Upgrade rate of the rows meeting the split. */
  static final Figure RATE_WITH = (n, y, u, q, qy, c) -> q == 0 ? Double.NaN : qy / q;
  /** Upgrade rate of the other rows. */
  static final Figure RATE_WITHOUT = (n, y, u, q, qy, c) -> n == q ? Double.NaN : (y - qy) / (n - q);
  /** Upgrade rate of the rows meeting it over all rows'. */
  static final Figure LIFT_OVER_BASE = (n, y, u, q, qy, c) -> q == 0 || y == 0 ? Double.NaN : (qy / q) / (y / n);
  /** Upgrade rate of the rows meeting it over the other rows'. */
  static final Figure LIFT_OVER_REST = (n, y, u, q, qy, c) ->
      q == 0 || n == q || y == qy ? Double.NaN : (qy / q) / ((y - qy) / (n - q));
  /** Share of the upgrading accounts flagged on an upgrade row. */
  static final Figure RECALL = (n, y, u, q, qy, c) -> u == 0 ? Double.NaN : c / u;

  /** Split i's figure on the sample, with its percentile interval over the resamples. */
  Estimate estimate(int i, Figure figure, double confidence) {
    double[] replicates = new double[draws.length - 1];
    for (int r = 1; r < draws.length; r++) replicates[r - 1] = value(r, i, figure);
    return Estimate.bootstrap(value(0, i, figure), replicates, confidence);
  }

  /**
   * Split i's lift over the rest — its rows' upgrade rate over the other rows' — with the MOVER-R interval of the two
   * rates' Wilson intervals at their effective sizes: each rate's rows divided by its design effect, the resamples'
   * variance of the rate over the binomial variance of its rows (at least 1). Rows of one account move together, so
   * they count as fewer; and unlike a percentile interval of the ratio this keeps its coverage when few accounts
   * upgrade.
   */
  Estimate liftOverRest(int i, double confidence) {
    Estimate with = effectiveWilson(i, RATE_WITH, 3 + 3 * i, confidence);
    Estimate rest = effectiveWilson(i, RATE_WITHOUT, -1, confidence);
    return Estimate.ratio(with, rest);
  }

  /** A rate of split i at its effective size; {@code trialsAt} its trials' count, or -1 for the rows not in it. */
  private Estimate effectiveWilson(int i, Figure rate, int trialsAt, double confidence) {
    double p = value(0, i, rate);
    double trials = trialsAt >= 0 ? draws[0][trialsAt] : draws[0][0] - draws[0][3 + 3 * i];
    if (!(trials > 0) || !Double.isFinite(p)) return Estimate.UNDEFINED;
    double binomial = p * (1 - p) / trials;
    double effect = binomial > 0 ? Math.max(1, variance(i, rate) / binomial) : overallDesignEffect();
    return Estimate.wilson(p * trials / effect, trials / effect, confidence);
  }

  /** The design effect of the overall upgrade rate: for a rate of 0 or 1 of a split, whose own is not defined. */
  private double overallDesignEffect() {
    Figure overall = (n, y, u, q, qy, c) -> n == 0 ? Double.NaN : y / n;
    double p = draws[0][1] / draws[0][0];
    double binomial = p * (1 - p) / draws[0][0];
    return binomial > 0 ? Math.max(1, variance(0, overall) / binomial) : 1;
  }

  /** The variance of split i's figure over the resamples where it is defined. */
  private double variance(int i, Figure figure) {
    double sum = 0;
    double squares = 0;
    int k = 0;
    for (int r = 1; r < draws.length; r++) {
      double v = value(r, i, figure);
      if (!Double.isFinite(v)) continue;
      sum += v;
      squares += v * v;
      k++;
    }
    return k < 2 ? Double.NaN : (squares - sum * sum / k) / (k - 1);
  }

  /** Split i's figure on the sample. */
  double value(int i, Figure figure) {
    return value(0, i, figure);
  }

  /** The sample's count k of the row: 0 rows, 1 upgrades, 2 upgrading accounts, 3 + 3i .. 5 + 3i split i's. */
  double sample(int k) {
    return draws[0][k];
  }

  private double value(int r, int i, Figure figure) {
    double[] d = draws[r];
    return figure.of(d[0], d[1], d[2], d[3 + 3 * i], d[4 + 3 * i], d[5 + 3 * i]);
  }
}
