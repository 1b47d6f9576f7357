package dev.pql.model;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.spark.ml.feature.Bucketizer;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Finds, for a feature, the threshold where the upgrade rate steps up ("2,000+ messages in 30 days"):
 * candidates are the feature's quantiles (finer in the tail, where thresholds of rare heavy use live); at each,
 * the rate just above is tested against the rate just below, each band holding at least min-support rows; the
 * sharpest significant step wins. Its overall figures (rate above and below, lift, precision, recall,
 * coverage) are then tested with a Bonferroni correction for every candidate tried across all features.
 * One pass over the rows bins every feature at once; only the bin counts reach the driver.
 */
public final class ThresholdDiscovery {
  private ThresholdDiscovery() {}

  /** A feature to scan: higher is likelier to upgrade ({@code atLeast}), or lower (days to first use). */
  public record Candidate(String feature, boolean atLeast) {}

  /** A discovered threshold and what it does on the training rows. */
  public record Threshold(String feature, String operator, double threshold, long rows, long qualifying,
      long qualifyingPositives, double rateQualifying, double rateRest, double baseRate, double lift,
      double precision, double recall, double coverage, double pValue, long tests, boolean significant) {

    /** The Spark SQL predicate of the rule, e.g. {@code cnt_30d__message_sent >= 1987}. */
    public String predicate() {
      return predicate(feature, operator, threshold);
    }

    /** The one spelling of a threshold as Spark SQL, shared by rules and the model's step inputs. */
    static String predicate(String feature, String operator, double threshold) {
      return "`" + feature + "` " + operator + " " + format(threshold);
    }

    static String format(double value) {
      return value == Math.rint(value) ? String.valueOf((long) value) : String.valueOf(value);
    }
  }

  private static final double[] GRID = grid();

  private static double[] grid() {
    List<Double> p = new ArrayList<>();
    for (int i = 1; i < 180; i++) p.add(i * 0.005);
    for (int i = 0; i < 199; i++) p.add(0.9 + i * 0.0005);
    return p.stream().mapToDouble(Double::doubleValue).toArray();
  }

  public static List<Threshold> discover(Dataset<Row> training, List<Candidate> candidates, long minSupport,
      double alpha) {
    if (candidates.isEmpty()) return List.of();
    // Orient every feature so that qualifying means "value >= threshold"; null never qualifies.
    List<Column> oriented = new ArrayList<>(List.of(col(TrainingSet.LABEL)));
    String[] names = new String[candidates.size()];
    for (int i = 0; i < candidates.size(); i++) {
      Candidate c = candidates.get(i);
      names[i] = "v" + i;
      Column value = col("`" + c.feature() + "`").cast("double");
      oriented.add((c.atLeast() ? value : value.multiply(-1)).as(names[i]));
    }
    Dataset<Row> values = training.select(oriented.toArray(Column[]::new));
    double[][] quantiles = values.stat().approxQuantile(names, GRID, 0.0005);

    double[][] splits = new double[names.length][];
    for (int i = 0; i < names.length; i++) {
      TreeSet<Double> cuts = new TreeSet<>();
      for (double q : quantiles[i]) cuts.add(q);
      if (!cuts.isEmpty()) cuts.remove(cuts.first()); // the minimum qualifies everything: no rule
      List<Double> s = new ArrayList<>(List.of(Double.NEGATIVE_INFINITY));
      s.addAll(cuts);
      s.add(Double.POSITIVE_INFINITY);
      splits[i] = s.stream().mapToDouble(Double::doubleValue).toArray();
    }
    String[] binNames = java.util.Arrays.stream(names).map(n -> "b" + n).toArray(String[]::new);
    List<Column> withNaN = new ArrayList<>(List.of(col(TrainingSet.LABEL)));
    for (String n : names) withNaN.add(when(col(n).isNull(), Double.NaN).otherwise(col(n)).as(n));
    Dataset<Row> binned = new Bucketizer().setInputCols(names).setOutputCols(binNames).setSplitsArray(splits)
        .setHandleInvalid("keep").transform(values.select(withNaN.toArray(Column[]::new)));
    StringBuilder stack = new StringBuilder("stack(" + names.length);
    for (int i = 0; i < names.length; i++) stack.append(", ").append(i).append(", ").append(binNames[i]);
    Dataset<Row> counts = binned.selectExpr(stack + ") AS (feature, bin)", TrainingSet.LABEL)
        .groupBy("feature", "bin").agg(count(lit(1)), sum(TrainingSet.LABEL));

    // At most a few hundred bins per feature: the histogram, not the rows.
    Map<Integer, long[][]> histograms = new HashMap<>();
    for (int i = 0; i < names.length; i++) histograms.put(i, new long[splits[i].length][2]);
    for (Row r : counts.collectAsList()) {
      long[][] h = histograms.get(r.getInt(0));
      int bin = (int) r.getDouble(1);
      h[bin][0] += r.getLong(2);
      h[bin][1] += (long) r.getDouble(3);
    }
    long tests = 0;
    for (double[] s : splits) tests += Math.max(0, s.length - 2);

    List<Threshold> found = new ArrayList<>();
    for (int i = 0; i < names.length; i++) {
      Threshold t = best(candidates.get(i), splits[i], histograms.get(i), minSupport, alpha, tests);
      if (t != null) found.add(t);
    }
    return found;
  }

  /** bins[k] = rows and positives of [splits[k], splits[k+1]); the last bin holds the nulls. */
  private static Threshold best(Candidate c, double[] splits, long[][] bins, long minSupport, double alpha,
      long tests) {
    int m = splits.length - 2; // candidate thresholds are splits[1..m]; bins 0..m hold values, bin m+1 nulls
    long rows = 0;
    long positives = 0;
    for (long[] b : bins) {
      rows += b[0];
      positives += b[1];
    }
    // Rows and positives at or above each candidate: bins j..m.
    long[] atLeastRows = new long[m + 2];
    long[] atLeastPositives = new long[m + 2];
    for (int k = m; k >= 0; k--) {
      atLeastRows[k] = atLeastRows[k + 1] + bins[k][0];
      atLeastPositives[k] = atLeastPositives[k + 1] + bins[k][1];
    }
    int bestJ = -1;
    double bestZ = 0;
    for (int j = 1; j <= m; j++) {
      if (atLeastRows[j] < minSupport || rows - atLeastRows[j] < minSupport) continue;
      long[] above = band(bins, j, m, +1, minSupport);
      long[] below = band(bins, j - 1, 0, -1, minSupport);
      if (above[0] < minSupport || below[0] < minSupport) continue;
      double z = z(above[1], above[0], below[1], below[0]);
      if (z > bestZ) {
        bestZ = z;
        bestJ = j;
      }
    }
    if (bestJ < 0) return null;
    long q = atLeastRows[bestJ];
    long qp = atLeastPositives[bestJ];
    double base = (double) positives / rows;
    double rateQ = (double) qp / q;
    double rateRest = (double) (positives - qp) / (rows - q);
    double z = z(qp, q, positives - qp, rows - q);
    double p = 1 - new NormalDistribution().cumulativeProbability(z);
    double threshold = c.atLeast() ? splits[bestJ] : -splits[bestJ];
    return new Threshold(c.feature(), c.atLeast() ? ">=" : "<=", threshold, rows, q, qp, rateQ, rateRest, base,
        rateQ / base, rateQ, positives == 0 ? 0 : (double) qp / positives, (double) q / rows, p, tests,
        p < alpha / tests);
  }

  /** Rows and positives of the bins from {@code from} towards {@code to} until they hold min-support rows. */
  private static long[] band(long[][] bins, int from, int to, int step, long minSupport) {
    long n = 0;
    long pos = 0;
    for (int k = from; step > 0 ? k <= to : k >= to; k += step) {
      n += bins[k][0];
      pos += bins[k][1];
      if (n >= minSupport) break;
    }
    return new long[] {n, pos};
  }

  /** Two-proportion z statistic of rate a (pa of na) above rate b (pb of nb). */
  private static double z(long pa, long na, long pb, long nb) {
    double pooled = (double) (pa + pb) / (na + nb);
    double se = Math.sqrt(pooled * (1 - pooled) * (1.0 / na + 1.0 / nb));
    return se == 0 ? 0 : ((double) pa / na - (double) pb / nb) / se;
  }
}
