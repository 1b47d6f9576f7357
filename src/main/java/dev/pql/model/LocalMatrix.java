package dev.pql.model;

import java.util.Iterator;
import java.util.Optional;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * An assembled training matrix held on the driver, column by column (a solver visits one input at a time), with
 * its 0/1 labels. This is the one place pql
 * brings rows to the driver, and only below {@code pql.model.local-solver-max-cells} (rows × inputs): 10 million
 * cells are 80 MB of doubles, a few thousand accounts over half a year of weekly snapshots. Above the bound the
 * fit stays in MLlib on the executors.
 */
record LocalMatrix(double[] values, double[] labels, boolean[] validation, long[] accounts, int rows, int width) {

  /**
   * The matrix of {@code assembled} (a vector column {@code features} and the label), or empty when its
   * {@code rows × width} exceeds {@code maxCells}. Streams partition by partition rather than collecting a list.
   */
  static Optional<LocalMatrix> collect(Dataset<Row> assembled, long rows, int width, long maxCells) {
    if (rows == 0 || rows * (long) width > maxCells || rows > Integer.MAX_VALUE) return Optional.empty();
    int n = (int) rows;
    double[] values = new double[n * width];
    double[] labels = new double[n];
    boolean[] validation = new boolean[n];
    long[] accounts = new long[n];
    Iterator<Row> it = assembled.toLocalIterator();
    int i = 0;
    while (it.hasNext()) {
      Row r = it.next();
      double[] v = ((Vector) r.getAs(0)).toArray();
      for (int j = 0; j < width; j++) values[j * n + i] = v[j];
      labels[i] = ((Number) r.get(1)).doubleValue();
      validation[i] = r.getBoolean(2);
      accounts[i] = r.getLong(3);
      i++;
    }
    return Optional.of(new LocalMatrix(values, labels, validation, accounts, n, width));
  }

  /**
   * A model's mean log loss on these rows (probabilities clipped to [1e-15, 1 − 1e-15], as {@link Evaluation}
   * does), its standard error and the AUC-ROC: the probability that an upgrade scores above a non-upgrade, ties
   * counting half (the area under the exact ROC curve).
   */
  AssembledMatrix.Figures figures(double[] coefficients, double intercept) {
    double[] margin = margins(coefficients, intercept);
    double[] losses = losses(margin);
    double sum = 0;
    double sumOfSquares = 0;
    for (double loss : losses) {
      sum += loss;
      sumOfSquares += loss * loss;
    }
    double mean = sum / rows;
    double variance = rows > 1 ? (sumOfSquares - rows * mean * mean) / (rows - 1) : Double.NaN;
    return new AssembledMatrix.Figures(mean, Math.sqrt(Math.max(variance, 0) / rows), aucRoc(margin));
  }

  /** The standard error of the mean gap between two models' row log losses, clustered by account. */
  double gapStandardError(double[] coefficientsA, double interceptA, double[] coefficientsB, double interceptB) {
    double[] a = losses(margins(coefficientsA, interceptA));
    double[] b = losses(margins(coefficientsB, interceptB));
    java.util.Map<Long, double[]> byAccount = new java.util.HashMap<>(); // account → {gap sum, rows}
    for (int i = 0; i < rows; i++) {
      double[] s = byAccount.computeIfAbsent(accounts[i], k -> new double[2]);
      s[0] += a[i] - b[i];
      s[1]++;
    }
    double sum = 0;
    double squares = 0;
    double cross = 0;
    long rowSquares = 0;
    for (double[] s : byAccount.values()) {
      sum += s[0];
      squares += s[0] * s[0];
      cross += s[0] * s[1];
      rowSquares += (long) (s[1] * s[1]);
    }
    return clusteredStandardError(byAccount.size(), sum, squares, cross, rowSquares, rows);
  }

  /**
   * The cluster-robust standard error of a mean over rows, from per-account sums: {@code accounts} clusters, the sum
   * of their gap sums D, of D², of D × n and of n² (n an account's rows), over {@code rows} rows in all:
   * √(A / (A − 1) · Σ (D − n·m)²) / N with m = ΣD / N.
   */
  static double clusteredStandardError(long accounts, double sum, double squares, double cross, long rowSquares,
      long rows) {
    if (accounts < 2 || rows == 0) return Double.NaN;
    double mean = sum / rows;
    double deviations = squares - 2 * mean * cross + mean * mean * rowSquares;
    return Math.sqrt(accounts / (accounts - 1.0) * Math.max(deviations, 0)) / rows;
  }

  private double[] margins(double[] coefficients, double intercept) {
    double[] margin = new double[rows];
    java.util.Arrays.fill(margin, intercept);
    for (int j = 0; j < width; j++) {
      if (coefficients[j] == 0) continue;
      for (int i = 0; i < rows; i++) margin[i] += values[j * rows + i] * coefficients[j];
    }
    return margin;
  }

  /** Each row's log loss, probabilities clipped to [1e-15, 1 − 1e-15]. */
  private double[] losses(double[] margin) {
    double[] losses = new double[rows];
    for (int i = 0; i < rows; i++) {
      double p = Math.min(Math.max(1 / (1 + Math.exp(-margin[i])), 1e-15), 1 - 1e-15);
      losses[i] = -(labels[i] * Math.log(p) + (1 - labels[i]) * Math.log(1 - p));
    }
    return losses;
  }

  /** Mann–Whitney: the rank sum of the upgrades among all scores (tied scores share their mean rank). */
  private double aucRoc(double[] score) {
    Integer[] order = new Integer[rows];
    for (int i = 0; i < rows; i++) order[i] = i;
    java.util.Arrays.sort(order, java.util.Comparator.comparingDouble(i -> score[i]));
    double positives = 0;
    double rankSum = 0;
    for (int start = 0; start < rows; ) {
      int end = start;
      while (end + 1 < rows && score[order[end + 1]] == score[order[start]]) end++;
      double meanRank = (start + end) / 2.0 + 1;
      for (int k = start; k <= end; k++) {
        if (labels[order[k]] == 1) {
          positives++;
          rankSum += meanRank;
        }
      }
      start = end + 1;
    }
    double negatives = rows - positives;
    if (positives == 0 || negatives == 0) return Double.NaN;
    return (rankSum - positives * (positives + 1) / 2) / (positives * negatives);
  }

  /** The rows of one side, in a matrix of their own. */
  LocalMatrix side(boolean wanted) {
    int n = 0;
    for (boolean v : validation) if (v == wanted) n++;
    double[] subset = new double[n * width];
    double[] subsetLabels = new double[n];
    long[] subsetAccounts = new long[n];
    for (int i = 0, k = 0; i < rows; i++) {
      if (validation[i] != wanted) continue;
      for (int j = 0; j < width; j++) subset[j * n + k] = values[j * rows + i];
      subsetAccounts[k] = accounts[i];
      subsetLabels[k++] = labels[i];
    }
    boolean[] sides = new boolean[n];
    java.util.Arrays.fill(sides, wanted);
    return new LocalMatrix(subset, subsetLabels, sides, subsetAccounts, n, width);
  }

  /**
   * A resample of accounts: every row repeated as often as its account's Poisson(1) draw in {@code replicate}, a
   * draw seeded by the account's key, the replicate and {@code seed} (an account's rows move together).
   */
  LocalMatrix resample(int replicate, long seed) {
    int[] copies = new int[rows];
    int n = 0;
    for (int i = 0; i < rows; i++) {
      java.util.SplittableRandom draw = new java.util.SplittableRandom(accounts[i] * 0x9E3779B97F4A7C15L
          + replicate * 0xBF58476D1CE4E5B9L + seed);
      double u = draw.nextDouble();
      int k = 0;
      for (double cdf = Math.exp(-1), term = cdf; u > cdf && k < 20; ) {
        k++;
        term /= k;
        cdf += term;
      }
      copies[i] = k;
      n += k;
    }
    double[] sampled = new double[n * width];
    double[] sampledLabels = new double[n];
    long[] sampledAccounts = new long[n];
    for (int i = 0, k = 0; i < rows; i++) {
      for (int c = 0; c < copies[i]; c++, k++) {
        for (int j = 0; j < width; j++) sampled[j * n + k] = values[j * rows + i];
        sampledLabels[k] = labels[i];
        sampledAccounts[k] = accounts[i];
      }
    }
    return new LocalMatrix(sampled, sampledLabels, new boolean[n], sampledAccounts, n, width);
  }

  /** The value of input {@code j} in row {@code i}. */
  double at(int i, int j) {
    return values[j * rows + i];
  }

  /** Which inputs take more than one value: MLlib leaves a constant input's coefficient at 0, and so does pql. */
  boolean[] varies() {
    boolean[] varies = new boolean[width];
    for (int j = 0; j < width; j++) {
      double first = values[j * rows];
      for (int i = 1; i < rows && !varies[j]; i++) varies[j] = values[j * rows + i] != first;
    }
    return varies;
  }
}
