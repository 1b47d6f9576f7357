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

  /**
   * The weighted sums of numeric columns on every replicate, in one pass over the rows: row r holds, for replicate r
   * (0: the sample), the sum over rows of the weight its account draws in r times each column. The weights are those
   * {@link #replicated} gives, the same hash computed here instead of in SQL, and each partition adds into one
   * array: no row is repeated per replicate and only one array per partition reaches the driver.
   *
   * @param rows a string column {@code account_id} first, then the numeric columns to sum
   */
  public static double[][] weightedSums(Dataset<Row> rows, int replicates, long seed) {
    int width = rows.columns().length - 1;
    if (width == 0) return new double[replicates + 1][0];
    double[] total = rows.javaRDD().mapPartitions((org.apache.spark.api.java.function.FlatMapFunction<
        java.util.Iterator<Row>, double[]>) it -> {
          // A weight is the account's: each account's rows are added up first, then weighted once per replicate
          // (a tenth of the work where accounts have ten snapshots), a bounded number of accounts at a time.
          double[] sums = new double[(replicates + 1) * width];
          java.util.Map<String, double[]> byAccount = new java.util.HashMap<>();
          while (it.hasNext()) {
            Row row = it.next();
            double[] values = byAccount.computeIfAbsent(row.getString(0), a -> new double[width]);
            for (int k = 0; k < width; k++) {
              if (!row.isNullAt(k + 1)) values[k] += ((Number) row.get(k + 1)).doubleValue();
            }
            if ((long) byAccount.size() * width >= HELD_CELLS) weighAndClear(byAccount, seed, replicates, sums);
          }
          weighAndClear(byAccount, seed, replicates, sums);
          return java.util.List.of(sums).iterator();
        }).treeReduce((a, b) -> {
          for (int i = 0; i < a.length; i++) a[i] += b[i];
          return a;
        });
    double[][] draws = new double[replicates + 1][width];
    for (int r = 0; r <= replicates; r++) System.arraycopy(total, r * width, draws[r], 0, width);
    return draws;
  }

  /** Accounts' summed values a partition holds at most before they are weighed: 32 MB of doubles. */
  private static final long HELD_CELLS = 4_000_000;

  /** Each held account's sums added to every replicate's with its weight there; the accounts then let go. */
  private static void weighAndClear(java.util.Map<String, double[]> byAccount, long seed, int replicates,
      double[] sums) {
    double[] weights = new double[replicates + 1];
    for (java.util.Map.Entry<String, double[]> e : byAccount.entrySet()) {
      double[] values = e.getValue();
      int width = values.length;
      weights(seed, e.getKey(), weights);
      for (int r = 0; r <= replicates; r++) {
        if (weights[r] == 0) continue;
        for (int k = 0, at = r * width; k < width; k++) sums[at + k] += weights[r] * values[k];
      }
    }
    byAccount.clear();
  }

  /**
   * An account's weight in replicates 0..weights.length - 1, as {@link #replicated}'s SQL draws it: Spark's
   * {@code xxhash64(seed, account_id, replicate)} (seed 42, the long, the UTF-8 bytes, the int), its residue modulo
   * 2^40 as a uniform, and the Poisson(1) count whose cumulative probability first exceeds it.
   */
  static void weights(long seed, String account, double[] weights) {
    org.apache.spark.unsafe.types.UTF8String id = org.apache.spark.unsafe.types.UTF8String.fromString(account);
    long prefix = org.apache.spark.sql.catalyst.expressions.XXH64.hashLong(seed, 42);
    prefix = org.apache.spark.sql.catalyst.expressions.XXH64.hashUnsafeBytes(id.getBaseObject(), id.getBaseOffset(),
        id.numBytes(), prefix);
    weights[0] = 1;
    for (int r = 1; r < weights.length; r++) {
      long hash = org.apache.spark.sql.catalyst.expressions.XXH64.hashInt(r, prefix);
      double uniform = (double) Math.floorMod(hash, 1L << 40) / (double) (1L << 40);
      int draw = POISSON_ONE_CDF.length;
      for (int k = 0; k < POISSON_ONE_CDF.length; k++) {
        if (uniform < POISSON_ONE_CDF[k]) {
          draw = k;
          break;
        }
      }
      weights[r] = draw;
    }
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
