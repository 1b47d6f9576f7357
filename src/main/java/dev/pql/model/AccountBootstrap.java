package dev.pql.model;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.sequence;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The seeded account-level bootstrap, computed by Spark: every row is repeated once per replicate with the weight
 * its account draws in that replicate, so a figure aggregated with the weights is that figure on a resample of
 * accounts. An account's snapshots are not independent of each other (one account is many rows), so it is the
 * account that is resampled, and all its rows move together.
 *
 * <p>The resample is the Poisson bootstrap: each account's weight is an independent Poisson(1) draw, which for
 * more than a few dozen accounts behaves as resampling the accounts with replacement, and needs no count of them
 * beforehand. The draw is a hash of the seed, the account and the replicate: the same on every run and executor.
 */
public final class AccountBootstrap {
  private AccountBootstrap() {}

  public static final String REPLICATE = "replicate";
  public static final String WEIGHT = "weight";

  /** Poisson(1)'s cumulative probabilities of 0, 1, ..., 7 events. */
  private static final double[] POISSON_ONE_CDF =
      {0.36787944, 0.73575888, 0.91969860, 0.98101184, 0.99634015, 0.99940582, 0.99991676, 0.99998975};

  /**
   * {@code rows} once per replicate 0..replicates with {@link #REPLICATE} and {@link #WEIGHT}: replicate 0 is the
   * sample itself (every weight 1), the others are resamples of accounts.
   */
  public static Dataset<Row> replicated(Dataset<Row> rows, int replicates, long seed) {
    Column uniform = pmod(xxhash64(lit(seed), col("account_id"), col(REPLICATE)), lit(1L << 40))
        .cast("double").divide((double) (1L << 40));
    return rows.withColumn(REPLICATE, explode(sequence(lit(0), lit(replicates))))
        .withColumn(WEIGHT, when(col(REPLICATE).equalTo(0), lit(1.0)).otherwise(poissonOne(uniform)));
  }

  /** The Poisson(1) draw whose cumulative probability first reaches {@code uniform} (in [0, 1)). */
  static Column poissonOne(Column uniform) {
    Column draw = lit((double) POISSON_ONE_CDF.length);
    for (int k = POISSON_ONE_CDF.length - 1; k >= 0; k--) {
      draw = when(uniform.lt(POISSON_ONE_CDF[k]), lit((double) k)).otherwise(draw);
    }
    return draw;
  }

  /** The {@code q} quantile (0..1) of values, linearly interpolated between order statistics. */
  public static double quantile(double[] values, double q) {
    double[] sorted = values.clone();
    java.util.Arrays.sort(sorted);
    double at = q * (sorted.length - 1);
    int lo = (int) Math.floor(at);
    int hi = Math.min(sorted.length - 1, lo + 1);
    return sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]);
  }
}
