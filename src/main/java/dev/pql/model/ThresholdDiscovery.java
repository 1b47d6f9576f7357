package dev.pql.model;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.exp;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.isnan;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log1p;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.pql.features.FeatureNames;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.feature.Bucketizer;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * Finds the behaviours that drive upgrades, and where a count steps up ("2,000+ messages in 30 days"), by a
 * stepwise logistic regression over candidate steps: for each feature, a step at each of its quantiles (finer in
 * the tail, where thresholds of rare heavy use live), at most one per feature.
 * <ul>
 *   <li><b>Conditional</b>: each round scores every candidate against the model of the terms already kept (a score
 *   test from per-bin sums of residuals), so a decoy that merely travels with a driver adds nothing once the
 *   driver is in, and a threshold is placed where the rate jumps beyond what the other drivers explain.</li>
 *   <li><b>Account-level</b>: the kept term is judged by its cluster-robust z (snapshots of one account are one
 *   draw), against a Bonferroni bound over every candidate of its round; a term that stops being significant
 *   when later terms come in is dropped again.</li>
 *   <li><b>Step or graded</b>: a step is a threshold only if it stays significant beside the graded term of its
 *   feature; otherwise the feature's effect is graded and no threshold is reported.</li>
 * </ul>
 * One pass over the rows per round bins every feature at once; only bin sums reach the driver.
 */
public final class ThresholdDiscovery {
  private ThresholdDiscovery() {}

  /**
   * A feature to scan: higher is likelier to upgrade ({@code atLeast}), or lower (days to first use); {@code graded}
   * when a smooth effect of it (log1p) is a candidate too (counts).
   */
  public record Candidate(String feature, boolean atLeast, boolean graded) {
    public Candidate(String feature, boolean atLeast) {
      this(feature, atLeast, false);
    }
  }

  /**
   * A discovered threshold and what it does on the training rows; {@code uncertainty} holds the account-level
   * intervals of its figures once {@link #measuredOn} measured it.
   */
  public record Threshold(String feature, String operator, double threshold, long rows, long qualifying,
      long qualifyingPositives, double rateQualifying, double rateRest, double baseRate, double lift,
      double precision, double recall, double coverage, double pValue, long tests, boolean significant,
      Uncertainty uncertainty, Condition and) {

    public Threshold(String feature, String operator, double threshold, long rows, long qualifying,
        long qualifyingPositives, double rateQualifying, double rateRest, double baseRate, double lift,
        double precision, double recall, double coverage, double pValue, long tests, boolean significant) {
      this(feature, operator, threshold, rows, qualifying, qualifyingPositives, rateQualifying, rateRest, baseRate,
          lift, precision, recall, coverage, pValue, tests, significant, Uncertainty.NONE, null);
    }

    /** A combination: this threshold's condition and {@code and}'s, both met. */
    public boolean combination() {
      return and != null;
    }

    /** The Spark SQL predicate of the rule, e.g. {@code cnt_30d__message_sent >= 1987}. */
    public String predicate() {
      String first = predicate(feature, operator, threshold);
      return and == null ? first : first + " AND " + predicate(and.feature(), and.operator(), and.threshold());
    }

    /** The one spelling of a threshold as Spark SQL, shared by rules and the model's step inputs. */
    static String predicate(String feature, String operator, double threshold) {
      return "`" + feature + "` " + operator + " " + format(threshold);
    }

    static String format(double value) {
      return value == Math.rint(value) ? String.valueOf((long) value) : String.valueOf(value);
    }
  }

  /** The second condition of a combination. */
  public record Condition(String feature, String operator, double threshold) {}

  /**
   * A rule's figures with their 95% intervals from the account-level bootstrap (its accounts resampled, all their
   * snapshots together): its upgrade rate, its lift over the base rate and its recall of upgrading accounts.
   */
  public record Uncertainty(Estimate rateQualifying, Estimate lift, Estimate recall) {
    public static final Uncertainty NONE = new Uncertainty(Estimate.UNDEFINED, Estimate.UNDEFINED, Estimate.UNDEFINED);
  }

  /**
   * A term the selection kept: a step (with its operator and threshold) or a graded effect (log1p of the feature),
   * its coefficient on the term's own scale, the term's standard deviation over the rows, its robust z and
   * one-sided p-value, and what the model loses without it (mean log loss, the term held at its mean).
   */
  public record Term(String feature, String form, String operator, double threshold, double coefficient,
      double standardDeviation, double z, double pValue, long tests, double importance) {
    public boolean step() {
      return form.equals("step");
    }
  }

  /**
   * What discovery found: the thresholds of the kept steps (strongest first), every kept term, what the
   * selection model loses without each feature and each behaviour, and how many candidates were scored.
   */
  public record Discovery(List<Threshold> thresholds, List<Term> terms, Map<String, Double> featureImportance,
      Map<String, Double> behaviourImportance, long candidatesScored, List<CurvePoint> curves) {
    static Discovery none() {
      return new Discovery(List.of(), List.of(), Map.of(), Map.of(), 0, List.of());
    }
  }

  /**
   * One cut of a kept step's feature, as the selection saw it when it kept the step: the rows at or above the cut
   * and in its band (up to the next cut) with their upgrades, on all training rows; the cut's conditional score z
   * in that round; whether the cut lies in the chosen cut's interval (the cuts whose z^2 is within 3.84, a 95%
   * chi-square bound, of the best one's, once scaled from rows to accounts by the design effect) and whether it is the reported cut (the best, or the number people write
   * nearest to it inside that interval).
   */
  public record CurvePoint(String feature, String operator, double cut, long rowsAtOrAbove, long upgradesAtOrAbove,
      long rowsInBand, long upgradesInBand, double z, boolean inInterval, boolean reported) {}

  static final String ACCOUNT = "account_id";
  private static final double[] GRID = grid();
  /** At most this many terms: a handful of drivers is what people read, and each round is a pass. */
  private static final int MAX_TERMS = 12;
  /** A step's qualifying side must hold upgrades of at least this many distinct accounts. */
  static final int MIN_UPGRADING_ACCOUNTS = 5;
  /** Combinations: of at most this many of the kept steps' features, in at most this many rounds. */
  private static final int PAIR_FEATURES = 10;
  private static final int PAIR_ROUNDS = 2;
  /** The shares of rows a feature's pair cuts qualify. */
  private static final double[] PAIR_SHARES = {0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7};
  /** Candidates in a row that fail the account-level test before the selection stops. */
  private static final int MAX_MISSES = 3;

  private static double[] grid() {
    List<Double> p = new ArrayList<>();
    for (int i = 1; i < 180; i++) p.add(i * 0.005);
    for (int i = 0; i < 199; i++) p.add(0.9 + i * 0.0005);
    return p.stream().mapToDouble(Double::doubleValue).toArray();
  }

  public static Discovery discover(Dataset<Row> training, List<Candidate> candidates, long minSupport,
      double alpha) {
    return discover(training, candidates, minSupport, alpha, LOCAL_MAX_CELLS);
  }

  /** pql.model.local-solver-max-cells' default: rows × candidates up to which the passes run on the driver. */
  static final long LOCAL_MAX_CELLS = 10_000_000;

  /**
   * @param localMaxCells rows × candidates up to which the binned rows are held on the driver for the selection's
   *     passes (pql.model.local-solver-max-cells); above it every pass is a Spark job
   */
  public static Discovery discover(Dataset<Row> training, List<Candidate> candidates, long minSupport,
      double alpha, long localMaxCells) {
    if (candidates.isEmpty()) return Discovery.none();
    Binned binned = Binned.of(training, candidates, localMaxCells);
    if (binned == null) return Discovery.none(); // no candidate has a cut to test
    try {
      return new Stepwise(binned, minSupport, alpha).run();
    } finally {
      binned.rows().release();
    }
  }

  /**
   * The thresholds' figures (rates, lift, recall, coverage) on other rows — the training rows of the model's own
   * label —, each keeping the p-value and tests of its selection, with account-level bootstrap intervals. Recall is
   * of upgrading accounts: the share of accounts with an upgrade row that the rule flags on one of those rows.
   * The rows are summed per account, then the accounts resampled: only (replicates + 1) rows of sums reach the
   * driver.
   */
  public static List<Threshold> measuredOn(Dataset<Row> rows, List<Threshold> thresholds, int replicates, long seed,
      double confidence) {
    if (thresholds.isEmpty()) return thresholds;
    SplitCounts counts = SplitCounts.of(rows, thresholds.stream()
        .map(t -> org.apache.spark.sql.functions.expr(t.predicate())).toList(), replicates, seed);
    List<Threshold> measured = new ArrayList<>();
    long n = (long) counts.sample(0);
    for (int i = 0; i < thresholds.size(); i++) {
      Threshold t = thresholds.get(i);
      long q = (long) counts.sample(3 + 3 * i);
      double base = n == 0 ? 0 : counts.sample(1) / n;
      double rateQ = zeroIfNaN(counts.value(i, SplitCounts.RATE_WITH));
      Uncertainty u = new Uncertainty(counts.estimate(i, SplitCounts.RATE_WITH, confidence),
          counts.estimate(i, SplitCounts.LIFT_OVER_BASE, confidence),
          counts.estimate(i, SplitCounts.RECALL, confidence));
      measured.add(new Threshold(t.feature(), t.operator(), t.threshold(), n, q, (long) counts.sample(4 + 3 * i),
          rateQ, zeroIfNaN(counts.value(i, SplitCounts.RATE_WITHOUT)), base,
          zeroIfNaN(counts.value(i, SplitCounts.LIFT_OVER_BASE)), rateQ, zeroIfNaN(counts.value(i,
          SplitCounts.RECALL)), n == 0 ? 0 : (double) q / n, t.pValue(), t.tests(), t.significant(), u, t.and()));
    }
    return measured;
  }

  /**
   * The curves' rows and upgrades counted again on other rows — the training rows of the model's own label — so
   * that a plot reads upgrade rates, not the driver rows' (whose upgrades are over-sampled); the score, interval and
   * reported cut stay the selection's. A point's band runs from its cut to the next point's. One aggregation over
   * the rows; only (feature, band) counts reach the driver.
   */
  public static List<CurvePoint> curvesOn(Dataset<Row> rows, List<CurvePoint> curves) {
    if (curves.isEmpty()) return curves;
    Map<String, List<CurvePoint>> byFeature = new LinkedHashMap<>();
    for (CurvePoint p : curves) byFeature.computeIfAbsent(p.feature(), f -> new ArrayList<>()).add(p);
    List<String> features = new ArrayList<>(byFeature.keySet());
    String[] names = new String[features.size()];
    String[] bins = new String[features.size()];
    double[][] splits = new double[features.size()][];
    List<Column> values = new ArrayList<>(List.of(col(TrainingSet.LABEL)));
    for (int f = 0; f < features.size(); f++) {
      List<CurvePoint> points = byFeature.get(features.get(f));
      boolean atLeast = points.get(0).operator().equals(">=");
      // Oriented so that qualifying is "value >= cut"; a null qualifies for nothing (the invalid bucket).
      Column value = col("`" + features.get(f) + "`").cast("double");
      names[f] = "v" + f;
      bins[f] = "b" + f;
      values.add(when(value.isNull(), Double.NaN).otherwise(atLeast ? value : value.multiply(-1)).as(names[f]));
      double[] edges = points.stream().mapToDouble(p -> atLeast ? p.cut() : -p.cut()).sorted().distinct().toArray();
      splits[f] = new double[edges.length + 2];
      splits[f][0] = Double.NEGATIVE_INFINITY;
      System.arraycopy(edges, 0, splits[f], 1, edges.length);
      splits[f][edges.length + 1] = Double.POSITIVE_INFINITY;
    }
    StringBuilder stack = new StringBuilder("stack(" + features.size());
    for (int f = 0; f < features.size(); f++) stack.append(", ").append(f).append(", ").append(bins[f]);
    List<Row> counts = new Bucketizer().setInputCols(names).setOutputCols(bins).setSplitsArray(splits)
        .setHandleInvalid("keep").transform(rows.select(values.toArray(Column[]::new)))
        .selectExpr(TrainingSet.LABEL, stack + ") AS (f, bin)")
        .groupBy("f", "bin").agg(count(lit(1)), sum(TrainingSet.LABEL)).collectAsList();
    List<CurvePoint> out = new ArrayList<>();
    for (int f = 0; f < features.size(); f++) {
      int m = splits[f].length - 1; // buckets 0..m-1 hold values; bucket m the nulls
      long[] n = new long[m + 1];
      double[] up = new double[m + 1];
      for (Row r : counts) {
        if (r.getInt(0) != f) continue;
        int b = (int) r.getDouble(1);
        n[b] = r.getLong(2);
        up[b] = r.isNullAt(3) ? 0 : r.getDouble(3);
      }
      for (CurvePoint p : byFeature.get(features.get(f))) {
        double edge = p.operator().equals(">=") ? p.cut() : -p.cut();
        int b = java.util.Arrays.binarySearch(splits[f], edge);
        long atOrAbove = 0;
        double upgrades = 0;
        for (int k = b; k < m; k++) {
          atOrAbove += n[k];
          upgrades += up[k];
        }
        out.add(new CurvePoint(p.feature(), p.operator(), p.cut(), atOrAbove, Math.round(upgrades), n[b],
            Math.round(up[b]), p.z(), p.inInterval(), p.reported()));
      }
    }
    return out;
  }

  private static double zeroIfNaN(double v) {
    return Double.isNaN(v) ? 0 : v;
  }

  /**
   * The rows as observations partitioned by account: label, account and each feature's bin among its cuts, the
   * feature oriented so that qualifying means "value >= cut" (the last bin holds the nulls, which never qualify).
   */
  record Binned(Observations rows, List<Candidate> candidates, double[][] splits) {
    static Binned of(Dataset<Row> training, List<Candidate> candidates) {
      return of(training, candidates, LOCAL_MAX_CELLS);
    }

    static Binned of(Dataset<Row> training, List<Candidate> candidates, long localMaxCells) {
      List<Column> oriented = new ArrayList<>(List.of(col(TrainingSet.LABEL), col(ACCOUNT)));
      String[] names = new String[candidates.size()];
      for (int i = 0; i < candidates.size(); i++) {
        Candidate c = candidates.get(i);
        names[i] = "v" + i;
        Column value = col("`" + c.feature() + "`").cast("double");
        oriented.add((c.atLeast() ? value : value.multiply(-1)).as(names[i]));
      }
      Dataset<Row> values = training.select(oriented.toArray(Column[]::new));
      double[][] quantiles = quantiles(values, names, GRID);
      // A feature whose quantiles are one value (almost every row the same, the rest beyond the grid's last point)
      // has no cut to test: it is left out, with its column.
      List<Candidate> cut = new ArrayList<>();
      List<String> cutNames = new ArrayList<>();
      List<double[]> cutSplits = new ArrayList<>();
      for (int i = 0; i < names.length; i++) {
        double[] s = splits(quantiles[i], candidates.get(i).atLeast());
        if (s.length < 3) continue;
        cut.add(candidates.get(i));
        cutNames.add(names[i]);
        cutSplits.add(s);
      }
      if (cut.isEmpty()) return null;
      return binned(values, cut, cutNames.toArray(String[]::new), cutSplits.toArray(double[][]::new), localMaxCells);
    }

    /**
     * A feature's bucket edges: minus infinity, its distinct quantiles but the lowest (which every row meets) with
     * the numbers people write between them, plus infinity.
     */
    private static double[] splits(double[] quantiles, boolean atLeast) {
      TreeSet<Double> cuts = new TreeSet<>();
      for (double q : quantiles) cuts.add(q);
      if (!cuts.isEmpty()) {
        // Numbers people write inside the range are cuts too, so that a rounded rule is exactly a bin edge.
        double low = cuts.first();
        double high = cuts.last();
        for (double p : PeopleNumbers.upTo(Math.max(Math.abs(low), Math.abs(high)))) {
          double edge = atLeast ? p : -p;
          if (edge > low && edge <= high) cuts.add(edge);
        }
        cuts.remove(cuts.first()); // the minimum qualifies everything: no rule
      }
      List<Double> s = new ArrayList<>(List.of(Double.NEGATIVE_INFINITY));
      s.addAll(cuts);
      s.add(Double.POSITIVE_INFINITY);
      return s.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static Binned binned(Dataset<Row> values, List<Candidate> candidates, String[] names, double[][] splits,
        long localMaxCells) {
      String[] bins = new String[names.length];
      List<Column> kept = new ArrayList<>(List.of(col(TrainingSet.LABEL).cast("double"),
          col(ACCOUNT).cast("string")));
      for (int i = 0; i < names.length; i++) {
        bins[i] = "b" + i;
        kept.add(col(bins[i]).cast("int"));
      }
      List<Column> withNaN = new ArrayList<>(List.of(col(TrainingSet.LABEL), col(ACCOUNT)));
      for (String n : names) withNaN.add(when(col(n).isNull(), Double.NaN).otherwise(col(n)).as(n));
      int n = names.length;
      // Whole accounts in one partition, so that each pass sums an account's score where its rows are.
      int partitions = Math.max(1, values.sparkSession().sparkContext().defaultParallelism());
      JavaRDD<ClusteredLogit.Observation> rows = new Bucketizer().setInputCols(names).setOutputCols(bins)
          .setSplitsArray(splits).setHandleInvalid("keep").transform(values.select(withNaN.toArray(Column[]::new)))
          .select(kept.toArray(Column[]::new)).repartition(partitions, col(ACCOUNT)).javaRDD()
          .map(r -> {
            short[] b = new short[n];
            for (int i = 0; i < n; i++) b[i] = (short) r.getInt(2 + i);
            return new ClusteredLogit.Observation(r.getDouble(0), r.getString(1), b);
          }).persist(StorageLevel.MEMORY_AND_DISK());
      return new Binned(Observations.of(rows, n, localMaxCells), candidates, splits);
    }

    /**
     * Each column's quantiles at the probabilities {@code grid}, exact over its values rounded to three significant
     * digits (nulls and NaN left out): the smallest value at or above each rank. A value histogram sums the same
     * counts whichever partition a row sits in and in whatever order the partial sums meet, so the same rows give
     * the same cuts on any cluster, and with them the count of tests behind each step's Bonferroni bound and
     * stability (Spark's approxQuantile merges its sketches in the order their blocks arrive). Rounding bounds the
     * histogram at 900 values a decade, so what reaches the driver is small whatever the rows.
     */
    static double[][] quantiles(Dataset<Row> values, String[] names, double[] grid) {
      int n = names.length;
      List<Map<Double, Long>> histograms = values.select(java.util.Arrays.stream(names).map(c -> col(c).cast("double"))
          .toArray(Column[]::new)).javaRDD().mapPartitions((java.util.Iterator<Row> it) -> {
            List<Map<Double, Long>> h = new ArrayList<>();
            for (int i = 0; i < n; i++) h.add(new HashMap<>());
            while (it.hasNext()) {
              Row r = it.next();
              for (int i = 0; i < n; i++) {
                if (r.isNullAt(i) || Double.isNaN(r.getDouble(i))) continue;
                h.get(i).merge(threeDigits(r.getDouble(i)), 1L, Long::sum);
              }
            }
            return List.of(h).iterator();
          }).treeReduce((a, b) -> {
            for (int i = 0; i < n; i++) {
              Map<Double, Long> into = a.get(i);
              b.get(i).forEach((v, c) -> into.merge(v, c, Long::sum));
            }
            return a;
          }, 2);
      double[][] out = new double[n][];
      for (int i = 0; i < n; i++) {
        java.util.TreeMap<Double, Long> sorted = new java.util.TreeMap<>(histograms.get(i));
        long total = sorted.values().stream().mapToLong(Long::longValue).sum();
        if (total == 0) {
          out[i] = new double[0];
          continue;
        }
        out[i] = new double[grid.length];
        var entries = sorted.entrySet().iterator();
        Map.Entry<Double, Long> at = entries.next();
        long upTo = at.getValue();
        for (int k = 0; k < grid.length; k++) {
          long rank = Math.max(1, (long) Math.ceil(grid[k] * total));
          while (upTo < rank && entries.hasNext()) {
            at = entries.next();
            upTo += at.getValue();
          }
          out[i][k] = at.getKey();
        }
      }
      return out;
    }

    /** v to three significant digits, the same way for v and −v; whole numbers below 1,000 as they are. */
    static double threeDigits(double v) {
      double magnitude = Math.abs(v);
      if (magnitude == 0 || Double.isInfinite(v) || (magnitude < 1000 && v == Math.rint(v))) return v;
      int exponent = (int) Math.floor(Math.log10(magnitude)) - 2;
      if (exponent < -300) return v;
      if (exponent < 0) {
        double scale = Math.pow(10, -exponent); // exact up to 1e22: the quotient is the decimal's nearest double
        return Math.rint(v * scale) / scale;
      }
      double step = Math.pow(10, exponent);
      return Math.rint(v / step) * step;
    }

    /**
     * Per feature and cut, how many distinct accounts each side of the step holds, and how many distinct upgrading
     * accounts its qualifying side holds: {@code atLeast[i][j]} accounts with a row at or above cut j,
     * {@code upgradersAtLeast[i][j]} with an upgrade row there, {@code below[i][j]} with a row below it or null.
     * One pass over the rows, whose accounts each sit in one partition; fixed across the selection's rounds.
     */
    record Support(long[][] atLeast, long[][] upgradersAtLeast, long[][] below) {}

    Support support() {
      int n = candidates.size();
      int[] offset = offsets();
      int cells = offset[n];
      int[] last = new int[n];
      for (int i = 0; i < n; i++) last[i] = values(i);
      double[] h = rows.aggregate((java.util.Iterator<ClusteredLogit.Observation> it) -> {
        // Per account: its highest value bin, its highest upgrade-row value bin, its lowest bin (a null as 0).
        Map<String, short[]> byAccount = new HashMap<>();
        while (it.hasNext()) {
          ClusteredLogit.Observation o = it.next();
          short[] a = byAccount.computeIfAbsent(o.account(), k -> {
            short[] init = new short[3 * n];
            java.util.Arrays.fill(init, 2 * n, 3 * n, Short.MAX_VALUE);
            return init;
          });
          for (int i = 0; i < n; i++) {
            short b = o.bins()[i];
            short value = b <= last[i] ? b : 0;
            a[i] = (short) Math.max(a[i], value);
            if (o.label() == 1) a[n + i] = (short) Math.max(a[n + i], value);
            a[2 * n + i] = (short) Math.min(a[2 * n + i], value);
          }
        }
        double[] hist = new double[3 * cells];
        for (short[] a : byAccount.values()) {
          for (int i = 0; i < n; i++) {
            hist[offset[i] + a[i]]++;
            if (a[n + i] > 0) hist[cells + offset[i] + a[n + i]]++;
            hist[2 * cells + offset[i] + a[2 * n + i]]++;
          }
        }
        return List.of(hist).iterator();
      }, ThresholdDiscovery::add);
      long[][] atLeast = new long[n][];
      long[][] upgraders = new long[n][];
      long[][] below = new long[n][];
      for (int i = 0; i < n; i++) {
        int m = values(i);
        atLeast[i] = new long[m + 2];
        upgraders[i] = new long[m + 2];
        below[i] = new long[m + 2];
        for (int j = m; j >= 1; j--) {
          atLeast[i][j] = (j < m ? atLeast[i][j + 1] : 0) + Math.round(h[offset[i] + j]);
          upgraders[i][j] = (j < m ? upgraders[i][j + 1] : 0) + Math.round(h[cells + offset[i] + j]);
        }
        for (int j = 1; j <= m + 1; j++) below[i][j] = below[i][j - 1] + Math.round(h[2 * cells + offset[i] + j - 1]);
      }
      return new Support(atLeast, upgraders, below);
    }

    /** Where each feature's bins start in one histogram of all features' bins side by side; the last is its size. */
    int[] offsets() {
      int[] offset = new int[candidates.size() + 1];
      for (int i = 0; i < candidates.size(); i++) offset[i + 1] = offset[i] + values(i) + 2;
      return offset;
    }

    /** Number of value bins of feature i (cuts are bins 1..m; bin m+1 holds the nulls). */
    int values(int i) {
      return splits[i].length - 2;
    }

    /** "Feature i at or above cut j", 0 or 1. */
    ClusteredLogit.Term step(int i, int j) {
      int m = values(i);
      return o -> o.bins()[i] >= j && o.bins()[i] <= m ? 1 : 0;
    }

    /**
     * log1p of feature i, read from its bin: the bin's lower edge (a count's own value where each value is a cut,
     * the quantile below it in a long tail); 0 below the first cut and when null.
     */
    ClusteredLogit.Term graded(int i) {
      int m = values(i);
      double[] value = new double[m + 2];
      for (int k = 1; k <= m; k++) value[k] = Math.log1p(Math.max(0, splits[i][k]));
      return o -> value[o.bins()[i]];
    }

    /** The feature's value at cut j, in its own direction. */
    double cut(int i, int j) {
      return candidates.get(i).atLeast() ? splits[i][j] : -splits[i][j];
    }
  }

  /**
   * A candidate term of the selection: feature i, a step at cut j, or graded (j = -1); or a combination, feature i
   * at or above cut j and feature {@code other} at or above {@code otherCut}.
   */
  record Choice(int feature, int cut, int other, int otherCut) {
    Choice(int feature, int cut) {
      this(feature, cut, -1, 0);
    }

    boolean graded() {
      return cut < 0;
    }

    boolean pair() {
      return other >= 0;
    }
  }

  /** Per feature and bin: rows, upgrades and the sums of a round's residuals and weights. */
  record Sums(long[][] rows, double[][] positives, double[][] residual, double[][] weight) {}

  /** The stepwise selection over one binned training set. */
  private static final class Stepwise {
    private final Binned binned;
    private final long minSupport;
    private final Binned.Support support;
    private final double alpha;
    private final List<Choice> kept = new ArrayList<>();
    private final Map<Choice, Long> testsOf = new HashMap<>();
    private final Set<Choice> dropped = new HashSet<>();
    private Sums marginal;
    private long scored;
    private final Map<Integer, List<CurvePoint>> curves = new LinkedHashMap<>();
    /** Each combination found: rows, upgrades, and its qualifying rows and their upgrades. */
    private final Map<Choice, double[]> pairFigures = new HashMap<>();

    Stepwise(Binned binned, long minSupport, double alpha) {
      this.binned = binned;
      this.support = binned.support();
      this.minSupport = minSupport;
      this.alpha = alpha;
    }

    Discovery run() {
      ClusteredLogit.Fit fit = fit(kept);
      Sums sums = null;
      int misses = 0;
      for (int round = 0; round < 4 * MAX_TERMS && kept.size() < MAX_TERMS; round++) {
        if (sums == null) {
          sums = sums(fit);
          if (marginal == null) marginal = sums;
        }
        Best best = best(sums);
        if (best == null) break;
        if (misses == 0) scored += best.tests();
        List<Choice> trial = new ArrayList<>(kept);
        trial.add(best.choice());
        ClusteredLogit.Fit tried = fit(trial);
        if (pValue(tried.z(trial.size())) >= alpha / best.tests()) {
          // Strong row by row, not once accounts are the unit (a few accounts' many snapshots): the next best
          // candidates get their chance, a few of them; then nothing is left to find.
          dropped.add(best.choice());
          if (++misses == MAX_MISSES) break;
          continue;
        }
        misses = 0;
        Choice chosen = rounded(best.choice(), sums, tried.z(trial.size()));
        if (!chosen.equals(best.choice())) {
          trial.set(trial.size() - 1, chosen);
          tried = fit(trial);
        }
        kept.add(chosen);
        testsOf.put(chosen, best.tests());
        fit = backward(tried);
        sums = null;
      }
      if (marginal == null) marginal = sums(fit);
      return discovery(gradedOrStepped(pairs(fit)));
    }

    /**
     * The step at the number people write nearest to the chosen cut (1, 2, 3, 5, 10, 20, 25, 50, ...) when one lies
     * inside the cut's interval, the chosen step otherwise; the feature's curve is recorded either way.
     */
    private Choice rounded(Choice chosen, Sums s, double robustZ) {
      int i = chosen.feature();
      double[] z = cutScores(i, s);
      // The scores count rows; an account's snapshots are one draw. Their chi-square differences are scaled by the
      // design effect, the chosen cut's score against its account-clustered z, to count accounts.
      double best2 = z[chosen.cut()] * z[chosen.cut()];
      double designEffect = Math.max(1, best2 / Math.max(1e-9, robustZ * robustZ));
      double bound = best2 - 3.84 * designEffect;
      int lo = chosen.cut();
      while (lo > 1 && z[lo - 1] * z[lo - 1] >= bound && !Double.isNaN(z[lo - 1])) lo--;
      int hi = chosen.cut();
      while (hi < binned.values(i) && z[hi + 1] * z[hi + 1] >= bound && !Double.isNaN(z[hi + 1])) hi++;
      double cut = Math.abs(binned.cut(i, chosen.cut()));
      int best = chosen.cut();
      double distance = Double.POSITIVE_INFINITY;
      for (int j = lo; j <= hi; j++) {
        double value = Math.abs(binned.cut(i, j));
        double d = Math.abs(Math.log(value) - Math.log(cut));
        if (PeopleNumbers.is(value) && d < distance && !dropped.contains(new Choice(i, j))) {
          distance = d;
          best = j;
        }
      }
      curves.put(i, curve(i, z, lo, hi, best));
      return new Choice(i, best);
    }

    /** The conditional score z of each cut of feature i in the round of {@code s}; NaN where support is short. */
    private double[] cutScores(int i, Sums s) {
      int m = binned.values(i);
      double[] z = new double[m + 2];
      java.util.Arrays.fill(z, Double.NaN);
      double allW = 0;
      for (int k = 0; k <= m + 1; k++) allW += s.weight()[i][k];
      double u = 0;
      double w = 0;
      for (int j = m; j >= 1; j--) {
        u += s.residual()[i][j];
        w += s.weight()[i][j];
        if (supported(i, j)) z[j] = z(u, w - w * w / allW);
      }
      return z;
    }

    private boolean supported(int i, int j) {
      return support.atLeast()[i][j] >= minSupport && support.below()[i][j] >= minSupport
          && support.upgradersAtLeast()[i][j] >= MIN_UPGRADING_ACCOUNTS;
    }

    /** Feature i's curve: each supported cut with its rows and upgrades on all rows, its z and where it stands. */
    private List<CurvePoint> curve(int i, double[] z, int lo, int hi, int reported) {
      Candidate c = binned.candidates().get(i);
      int m = binned.values(i);
      List<CurvePoint> points = new ArrayList<>();
      long rows = 0;
      double upgrades = 0;
      for (int j = m; j >= 1; j--) {
        rows += marginal.rows()[i][j];
        upgrades += marginal.positives()[i][j];
        if (Double.isNaN(z[j])) continue;
        points.add(new CurvePoint(c.feature(), c.atLeast() ? ">=" : "<=", binned.cut(i, j), rows,
            Math.round(upgrades), marginal.rows()[i][j], Math.round(marginal.positives()[i][j]), z[j],
            j >= lo && j <= hi, j == reported));
      }
      java.util.Collections.reverse(points);
      return points;
    }

    /**
     * Combinations: pairs of conditions on two features of the kept steps, each at one of a dozen cuts, scored against
     * the model of the terms kept (a score test over quadrant sums from one pass). The best pair is kept only if it
     * is significant beside both of its parts (an interaction: together they lift beyond what each does alone), at a
     * Bonferroni bound over every pair scored; parts the pair explains then drop out.
     */
    private ClusteredLogit.Fit pairs(ClusteredLogit.Fit fit) {
      return combinations(interactions(fit));
    }

    private ClusteredLogit.Fit interactions(ClusteredLogit.Fit fit) {
      int[] features = pairFeatures();
      if (features.length < 2) return fit;
      int[][] cuts = new int[features.length][];
      for (int f = 0; f < features.length; f++) cuts[f] = pairCuts(features[f]);
      for (int round = 0; round < PAIR_ROUNDS && kept.size() < MAX_TERMS; round++) {
        Best best = bestPair(pairSums(fit, kept, features, cuts), features, cuts);
        if (best == null) return fit;
        scored += best.tests();
        Choice pair = best.choice();
        // Beside its two parts at its own cuts, in place of kept steps of the same features: two steps of one count
        // a cut apart say the same and would blur what the pair adds.
        List<Choice> trial = new ArrayList<>(kept);
        trial.removeIf(c -> !c.pair() && !c.graded() && (c.feature() == pair.feature() || c.feature() == pair.other()));
        trial.add(new Choice(pair.feature(), pair.cut()));
        trial.add(new Choice(pair.other(), pair.otherCut()));
        trial.add(pair);
        if (pValue(fit(trial).z(trial.size())) >= alpha / best.tests()) return fit;
        kept.add(pair);
        testsOf.put(pair, best.tests());
        fit = backward(fit(kept));
      }
      return fit;
    }

    /**
     * Two kept steps that only move the rate together: for each two kept steps of two features, the best pair of
     * those features, scored in place of both (against the model without them), replaces them when it is
     * significant and neither step is significant beside it, at its own cut or at the pair's (p >= alpha, not
     * corrected: the doubt goes to the two single rules). Where only the combination moves the hazard each part
     * alone stands in for it, and with fewer upgrades than an interaction test needs beside both parts, the parts
     * say nothing beside the combination; where two steps add up, each still says something beside their pair.
     */
    private ClusteredLogit.Fit combinations(ClusteredLogit.Fit fit) {
      List<Choice> steps = kept.stream().filter(c -> !c.graded() && !c.pair()).toList();
      for (int a = 0; a < steps.size(); a++) {
        for (int b = a + 1; b < steps.size(); b++) {
          Choice first = steps.get(a);
          Choice second = steps.get(b);
          if (!kept.contains(first) || !kept.contains(second) || first.feature() == second.feature()) continue;
          List<Choice> without = new ArrayList<>(kept);
          without.remove(first);
          without.remove(second);
          int[] features = {first.feature(), second.feature()};
          int[][] cuts = {pairCuts(first.feature()), pairCuts(second.feature())};
          Best best = bestPair(pairSums(fit(without), without, features, cuts), features, cuts);
          if (best == null) continue;
          scored += best.tests();
          Choice pair = best.choice();
          List<Choice> trial = new ArrayList<>(without);
          trial.add(pair);
          if (pValue(fit(trial).z(trial.size())) >= alpha / best.tests()
              || addsBeside(trial, first, pair.cut()) || addsBeside(trial, second, pair.otherCut())) {
            continue;
          }
          kept.set(kept.indexOf(first), pair);
          kept.remove(second);
          testsOf.put(pair, best.tests());
          fit = backward(fit(kept));
        }
      }
      return fit;
    }

    /** Whether a kept step, at its own cut or at the pair's cut of its feature, is significant beside the model. */
    private boolean addsBeside(List<Choice> model, Choice step, int pairCut) {
      for (int cut : new int[] {step.cut(), pairCut}) {
        List<Choice> with = new ArrayList<>(model);
        with.add(new Choice(step.feature(), cut));
        if (pValue(fit(with).z(with.size())) < alpha) return true;
      }
      return false;
    }

    /**
     * The features pairs are made of: those of the kept steps (a pair is looked for among what already matters
     * alone, as an interaction is among its main effects), then who the account is (its size: an action that
     * matters only in large accounts), at most {@value #PAIR_FEATURES}. Two actions that only move the rate
     * together still each move it alone, so each is kept first.
     */
    private int[] pairFeatures() {
      java.util.stream.IntStream firmographic = java.util.stream.IntStream.range(0, binned.candidates().size())
          .filter(i -> Drivers.FIRMOGRAPHIC.contains(binned.candidates().get(i).feature()));
      return java.util.stream.IntStream.concat(kept.stream().filter(c -> !c.graded() && !c.pair())
          .mapToInt(Choice::feature), firmographic).distinct().limit(PAIR_FEATURES).toArray();
    }

    /**
     * A feature's cuts for pairs, ascending: the supported cuts nearest to qualifying 5% to 70% of the rows, and the
     * supported numbers people write qualifying 3% to 80%.
     */
    private int[] pairCuts(int i) {
      int m = binned.values(i);
      double total = 0;
      for (int k = 0; k <= m + 1; k++) total += marginal.rows()[i][k];
      double[] share = new double[m + 2];
      double above = 0;
      for (int j = m; j >= 1; j--) {
        above += marginal.rows()[i][j];
        share[j] = above / total;
      }
      TreeSet<Integer> cuts = new TreeSet<>();
      for (double target : PAIR_SHARES) {
        int nearest = -1;
        for (int j = 1; j <= m; j++) {
          if (supported(i, j) && (nearest < 0 || Math.abs(share[j] - target) < Math.abs(share[nearest] - target))) {
            nearest = j;
          }
        }
        if (nearest > 0) cuts.add(nearest);
      }
      for (int j = 1; j <= m; j++) {
        if (supported(i, j) && PeopleNumbers.is(Math.abs(binned.cut(i, j))) && share[j] >= 0.03 && share[j] <= 0.8) {
          cuts.add(j);
        }
      }
      return cuts.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * One pass: for each pair of features, the rows, upgrades, residuals and weights of each cell of their levels
     * (a feature's level is how many of its pair cuts it reaches; a null reaches none).
     */
    private double[][] pairSums(ClusteredLogit.Fit fit, List<Choice> model, int[] features, int[][] cuts) {
      int n = features.length;
      int[] offset = new int[n * n + 1];
      for (int f = 0; f < n; f++) {
        for (int g = 0; g < n; g++) {
          int cell = f * n + g;
          offset[cell + 1] = offset[cell] + (g > f ? (cuts[f].length + 1) * (cuts[g].length + 1) : 0);
        }
      }
      int cells = offset[n * n];
      int[] last = new int[n];
      for (int f = 0; f < n; f++) last[f] = binned.values(features[f]);
      List<ClusteredLogit.Term> terms = terms(model);
      double[] h = binned.rows().aggregate((java.util.Iterator<ClusteredLogit.Observation> it) -> {
        double[] a = new double[4 * cells];
        int[] level = new int[n];
        while (it.hasNext()) {
          ClusteredLogit.Observation o = it.next();
          double p = 1 / (1 + Math.exp(-fit.margin(o, terms)));
          for (int f = 0; f < n; f++) {
            int bin = o.bins()[features[f]];
            int l = 0;
            while (l < cuts[f].length && bin <= last[f] && bin >= cuts[f][l]) l++;
            level[f] = l;
          }
          for (int f = 0; f < n; f++) {
            for (int g = f + 1; g < n; g++) {
              int cell = offset[f * n + g] + level[f] * (cuts[g].length + 1) + level[g];
              a[cell] += 1;
              a[cells + cell] += o.label();
              a[2 * cells + cell] += o.label() - p;
              a[3 * cells + cell] += p * (1 - p);
            }
          }
        }
        return List.of(a).iterator();
      }, ThresholdDiscovery::add);
      double[][] out = new double[n * n][];
      for (int f = 0; f < n; f++) {
        for (int g = f + 1; g < n; g++) {
          int cell = f * n + g;
          int size = offset[cell + 1] - offset[cell];
          out[cell] = new double[4 * size];
          for (int k = 0; k < 4; k++) System.arraycopy(h, k * cells + offset[cell], out[cell], k * size, size);
        }
      }
      return out;
    }

    /** The pair with the largest score among the supported ones, and how many were scored; its figures recorded. */
    private Best bestPair(double[][] sums, int[] features, int[][] cuts) {
      int n = features.length;
      Choice best = null;
      double bestZ = 0;
      double[] bestFigures = null;
      long tests = 0;
      for (int f = 0; f < n; f++) {
        for (int g = f + 1; g < n; g++) {
          int cf = cuts[f].length + 1;
          int cg = cuts[g].length + 1;
          double[] cell = sums[f * n + g];
          int size = cf * cg;
          // Suffix sums: q[k][x][y] = the cells at level x or more of f and y or more of g.
          double[][][] q = new double[4][cf + 1][cg + 1];
          for (int k = 0; k < 4; k++) {
            for (int x = cf - 1; x >= 0; x--) {
              for (int y = cg - 1; y >= 0; y--) {
                q[k][x][y] = cell[k * size + x * cg + y] + q[k][x + 1][y] + q[k][x][y + 1] - q[k][x + 1][y + 1];
              }
            }
          }
          double rows = q[0][0][0];
          double allW = q[3][0][0];
          for (int x = 1; x < cf; x++) {
            for (int y = 1; y < cg; y++) {
              if (q[0][x][y] < minSupport || rows - q[0][x][y] < minSupport
                  || q[1][x][y] < MIN_UPGRADING_ACCOUNTS) {
                continue;
              }
              tests++;
              Choice c = new Choice(features[f], cuts[f][x - 1], features[g], cuts[g][y - 1]);
              double w = q[3][x][y];
              double z = z(q[2][x][y], w - w * w / allW);
              if (z > bestZ && !dropped.contains(c) && !kept.contains(c)) {
                bestZ = z;
                best = c;
                bestFigures = new double[] {rows, q[1][0][0], q[0][x][y], q[1][x][y]};
              }
            }
          }
        }
      }
      if (best == null) return null;
      pairFigures.put(best, bestFigures);
      return new Best(best, bestZ, tests);
    }

    /** Drops, one at a time, the least significant kept term while one is no longer significant. */
    private ClusteredLogit.Fit backward(ClusteredLogit.Fit fit) {
      while (true) {
        int worst = -1;
        double worstRatio = 1;
        for (int t = 0; t < kept.size(); t++) {
          double ratio = pValue(fit.z(t + 1)) / (alpha / testsOf.get(kept.get(t)));
          if (ratio >= worstRatio) {
            worstRatio = ratio;
            worst = t;
          }
        }
        if (worst < 0) return fit;
        dropped.add(kept.remove(worst)); // no later round brings it back
        fit = fit(kept);
      }
    }

    /**
     * Each kept step of a count beside the graded term of its count: the step gives way to the graded term (the
     * effect grows with the count, without a step) when the graded term is significant beside it and it is not
     * beside the graded term; otherwise it is a threshold. A step at 1 ("did it at all") is presence and stays.
     */
    private ClusteredLogit.Fit gradedOrStepped(ClusteredLogit.Fit fit) {
      boolean changed = false;
      for (Choice step : List.copyOf(kept)) {
        if (step.graded() || step.pair() || !binned.candidates().get(step.feature()).graded()) continue;
        // "Did it at all" (a count at 1 or more) is presence, not a point on a scale: no graded alternative.
        if (binned.cut(step.feature(), step.cut()) <= 1) continue;
        Choice graded = new Choice(step.feature(), -1);
        if (kept.contains(graded)) continue;
        List<Choice> both = new ArrayList<>(kept);
        both.add(graded);
        ClusteredLogit.Fit beside = fit(both);
        // The graded term takes over only when it carries what the step does not: significant beside the step
        // while the step is not beside it. Two terms that say the same (a count that is mostly 0 or 1) keep the step.
        long tests = testsOf.get(step);
        boolean stepHolds = pValue(beside.z(both.indexOf(step) + 1)) < alpha / tests;
        boolean gradedAdds = pValue(beside.z(both.indexOf(graded) + 1)) < alpha / tests;
        if (!stepHolds && gradedAdds) {
          kept.set(kept.indexOf(step), graded);
          testsOf.put(graded, tests);
          changed = true;
        }
      }
      return changed || kept.size() != fit.beta().length - 1 ? fit(kept) : fit;
    }

    /** The coefficients of the last fit of each term: warm starts, since fits differ by a term or two. */
    private final Map<Choice, Double> coefficients = new HashMap<>();
    private double intercept;

    private ClusteredLogit.Fit fit(List<Choice> terms) {
      double[] start = new double[terms.size() + 1];
      start[0] = intercept;
      for (int t = 0; t < terms.size(); t++) start[t + 1] = coefficients.getOrDefault(terms.get(t), 0.0);
      ClusteredLogit.Fit f = ClusteredLogit.fit(binned.rows(), terms(terms), start);
      intercept = f.beta()[0];
      for (int t = 0; t < terms.size(); t++) coefficients.put(terms.get(t), f.beta()[t + 1]);
      return f;
    }

    private List<ClusteredLogit.Term> terms(List<Choice> choices) {
      return choices.stream().map(this::term).toList();
    }

    private ClusteredLogit.Term term(Choice c) {
      if (c.graded()) return binned.graded(c.feature());
      ClusteredLogit.Term first = binned.step(c.feature(), c.cut());
      if (!c.pair()) return first;
      ClusteredLogit.Term second = binned.step(c.other(), c.otherCut());
      return o -> first.value(o) * second.value(o);
    }

    /** Per feature and bin, the sums of the round's residuals and weights: one pass over the rows. */
    private Sums sums(ClusteredLogit.Fit fit) {
      int n = binned.candidates().size();
      int[] offset = binned.offsets();
      int cells = offset[n];
      List<ClusteredLogit.Term> terms = terms(kept);
      // Four histograms side by side: rows, upgrades, residuals and weights of every (feature, bin).
      double[] h = binned.rows().aggregate((java.util.Iterator<ClusteredLogit.Observation> it) -> {
        double[] a = new double[4 * cells];
        while (it.hasNext()) {
          ClusteredLogit.Observation o = it.next();
          double p = 1 / (1 + Math.exp(-fit.margin(o, terms)));
          double r = o.label() - p;
          double w = p * (1 - p);
          for (int i = 0; i < n; i++) {
            int cell = offset[i] + o.bins()[i];
            a[cell] += 1;
            a[cells + cell] += o.label();
            a[2 * cells + cell] += r;
            a[3 * cells + cell] += w;
          }
        }
        return List.of(a).iterator();
      }, ThresholdDiscovery::add); // the partitions' histograms added up: the driver gets one
      Sums s = new Sums(new long[n][], new double[n][], new double[n][], new double[n][]);
      for (int i = 0; i < n; i++) {
        int bins = binned.values(i) + 2;
        s.rows()[i] = new long[bins];
        s.positives()[i] = new double[bins];
        s.residual()[i] = new double[bins];
        s.weight()[i] = new double[bins];
        for (int k = 0; k < bins; k++) {
          s.rows()[i][k] = Math.round(h[offset[i] + k]);
          s.positives()[i][k] = h[cells + offset[i] + k];
          s.residual()[i][k] = h[2 * cells + offset[i] + k];
          s.weight()[i][k] = h[3 * cells + offset[i] + k];
        }
      }
      return s;
    }

    /** The round's best candidate by its score statistic, and how many candidates it was chosen among. */
    private record Best(Choice choice, double z, long tests) {}

    private Best best(Sums s) {
      Choice best = null;
      double bestZ = 0;
      long tests = 0;
      for (int i = 0; i < binned.candidates().size(); i++) {
        final int feature = i;
        if (kept.stream().anyMatch(c -> c.feature() == feature && !c.graded() && !c.pair())) continue;
        // Support is counted in accounts: 200 snapshots can be ten accounts (an unsupported cut's z is NaN).
        double[] z = cutScores(i, s);
        for (int j = binned.values(i); j >= 1; j--) {
          if (Double.isNaN(z[j])) continue;
          tests++;
          Choice c = new Choice(i, j);
          // Equal scores (the same rows: users_30d >= 1 is cnt_30d >= 1) go to the candidate listed first, the
          // simpler family of the grammar, not to rounding noise.
          if (z[j] > bestZ * (1 + 1e-9) && !dropped.contains(c)) {
            bestZ = z[j];
            best = c;
          }
        }
      }
      return best == null ? null : new Best(best, bestZ, tests);
    }

    private static double z(double score, double information) {
      return information > 1e-12 ? score / Math.sqrt(information) : 0;
    }

    private Discovery discovery(ClusteredLogit.Fit fit) {
      Map<String, Double> featureImportance = new LinkedHashMap<>();
      Map<String, Double> behaviourImportance = new LinkedHashMap<>();
      double[][] moments = importance(fit, featureImportance, behaviourImportance);
      List<Term> terms = new ArrayList<>();
      List<Threshold> thresholds = new ArrayList<>();
      for (int t = 0; t < kept.size(); t++) {
        Choice c = kept.get(t);
        Candidate candidate = binned.candidates().get(c.feature());
        double z = fit.z(t + 1);
        double p = pValue(z);
        long tests = testsOf.get(c);
        String operator = candidate.atLeast() ? ">=" : "<=";
        double cut = c.graded() ? Double.NaN : binned.cut(c.feature(), c.cut());
        double sd = Math.sqrt(Math.max(0, moments[1][t] - moments[0][t] * moments[0][t]));
        if (c.pair()) {
          thresholds.add(combination(c, p, tests));
          terms.addAll(parts(c, fit.beta()[t + 1], sd, z, p, tests, featureImportance, behaviourImportance));
          continue;
        }
        terms.add(new Term(candidate.feature(), c.graded() ? "graded" : "step", c.graded() ? null : operator, cut,
            fit.beta()[t + 1], sd, z, p, tests, featureImportance.getOrDefault(candidate.feature(), 0.0)));
        if (!c.graded()) thresholds.add(threshold(c, operator, cut, p, tests));
      }
      terms.sort(java.util.Comparator.comparingDouble(t -> -t.importance()));
      thresholds.sort(java.util.Comparator.comparingDouble(t -> -featureImportance.getOrDefault(
          t.predicate().contains(" AND ") ? label(t) : t.feature(), 0.0)));
      List<CurvePoint> keptCurves = new ArrayList<>();
      for (Choice c : kept) {
        if (!c.graded() && !c.pair() && curves.containsKey(c.feature())) keptCurves.addAll(curves.get(c.feature()));
      }
      return new Discovery(List.copyOf(thresholds), List.copyOf(terms), featureImportance, behaviourImportance,
          scored, List.copyOf(keptCurves));
    }

    /**
     * A kept combination's two parts as terms of the selection, so that the drivers lead with both behaviours: each a
     * step at its own cut carrying the combination's coefficient, z and importance.
     */
    private List<Term> parts(Choice c, double coefficient, double sd, double z, double p, long tests,
        Map<String, Double> featureImportance, Map<String, Double> behaviourImportance) {
      double importance = featureImportance.getOrDefault(label(c), 0.0);
      String together = FeatureNames.behaviour(binned.candidates().get(c.feature()).feature()) + " AND "
          + FeatureNames.behaviour(binned.candidates().get(c.other()).feature());
      List<Term> parts = new ArrayList<>();
      for (int[] part : new int[][] {{c.feature(), c.cut()}, {c.other(), c.otherCut()}}) {
        Candidate candidate = binned.candidates().get(part[0]);
        featureImportance.putIfAbsent(candidate.feature(), importance);
        behaviourImportance.putIfAbsent(FeatureNames.behaviour(candidate.feature()),
            behaviourImportance.getOrDefault(together, importance));
        parts.add(new Term(candidate.feature(), "step", candidate.atLeast() ? ">=" : "<=",
            binned.cut(part[0], part[1]), coefficient, sd, z, p, tests, importance));
      }
      return parts;
    }

    /** A combination's name in the importance maps: its two features, joined. */
    private String label(Choice c) {
      return binned.candidates().get(c.feature()).feature() + " AND " + binned.candidates().get(c.other()).feature();
    }

    private static String label(Threshold t) {
      return t.feature() + " AND " + t.and().feature();
    }

    /** A kept combination's figures on the rows (from the pass that found it), with the selection's p-value. */
    private Threshold combination(Choice c, double p, long tests) {
      Candidate first = binned.candidates().get(c.feature());
      Candidate second = binned.candidates().get(c.other());
      double[] f = pairFigures.get(c);
      return figures(first.feature(), first.atLeast() ? ">=" : "<=", binned.cut(c.feature(), c.cut()), (long) f[0],
          f[1], (long) f[2], f[3], p, tests, new Condition(second.feature(), second.atLeast() ? ">=" : "<=",
          binned.cut(c.other(), c.otherCut())));
    }

    /** The marginal figures of a kept step on the rows, with the selection's p-value. */
    private Threshold threshold(Choice c, String operator, double cut, double p, long tests) {
      int i = c.feature();
      int m = binned.values(i);
      long rows = 0;
      double positives = 0;
      long q = 0;
      double qp = 0;
      for (int k = 0; k <= m + 1; k++) {
        rows += marginal.rows()[i][k];
        positives += marginal.positives()[i][k];
        if (k >= c.cut() && k <= m) {
          q += marginal.rows()[i][k];
          qp += marginal.positives()[i][k];
        }
      }
      return figures(binned.candidates().get(i).feature(), operator, cut, rows, positives, q, qp, p, tests, null);
    }

    /** A rule's rates, lift, recall and coverage from its rows and upgrades and those of all rows. */
    private static Threshold figures(String feature, String operator, double cut, long rows, double positives, long q,
        double qp, double p, long tests, Condition and) {
      double base = positives / rows;
      double rateQ = q == 0 ? 0 : qp / q;
      double rateRest = rows == q ? 0 : (positives - qp) / (rows - q);
      return new Threshold(feature, operator, cut, rows, q, (long) qp, rateQ, rateRest, base,
          base == 0 ? 0 : rateQ / base, rateQ, positives == 0 ? 0 : qp / positives, (double) q / rows, p, tests, true,
          Uncertainty.NONE, and);
    }

    /**
     * What the selection model loses without each feature and each behaviour (the increase of its mean log loss
     * when their terms are held at their means), filled into the maps; returns the terms' means and mean squares.
     */
    private double[][] importance(ClusteredLogit.Fit fit, Map<String, Double> byFeature,
        Map<String, Double> byBehaviour) {
      int k = kept.size();
      double[][] moments = new double[2][k];
      if (k == 0) return moments;
      List<ClusteredLogit.Term> terms = terms(kept);
      double[] first = binned.rows().mapReduce(o -> {
        double[] a = new double[2 * k + 1];
        for (int t = 0; t < k; t++) {
          double x = terms.get(t).value(o);
          a[t] = x;
          a[k + t] = x * x;
        }
        a[2 * k] = 1;
        return a;
      }, ThresholdDiscovery::add);
      for (int t = 0; t < k; t++) {
        moments[0][t] = first[t] / first[2 * k];
        moments[1][t] = first[k + t] / first[2 * k];
      }
      Map<String, List<Integer>> groups = new LinkedHashMap<>();
      for (int t = 0; t < k; t++) {
        Choice c = kept.get(t);
        String feature = binned.candidates().get(c.feature()).feature();
        String behaviour = FeatureNames.behaviour(feature);
        if (c.pair()) {
          feature = label(c);
          behaviour += " AND " + FeatureNames.behaviour(binned.candidates().get(c.other()).feature());
        }
        groups.computeIfAbsent("f:" + feature, g -> new ArrayList<>()).add(t);
        groups.computeIfAbsent("b:" + behaviour, g -> new ArrayList<>()).add(t);
      }
      List<List<Integer>> members = List.copyOf(groups.values());
      double[] means = moments[0];
      double[] beta = fit.beta();
      double[] loss = binned.rows().mapReduce(o -> {
        double m = fit.margin(o, terms);
        double[] a = new double[members.size() + 2];
        a[0] = logLoss(m, o.label());
        for (int g = 0; g < members.size(); g++) {
          double held = m;
          for (int t : members.get(g)) held -= beta[t + 1] * (terms.get(t).value(o) - means[t]);
          a[g + 1] = logLoss(held, o.label());
        }
        a[members.size() + 1] = 1;
        return a;
      }, ThresholdDiscovery::add);
      double rows = loss[members.size() + 1];
      int g = 1;
      for (String group : groups.keySet()) {
        double lost = (loss[g++] - loss[0]) / rows;
        (group.startsWith("f:") ? byFeature : byBehaviour).put(group.substring(2), lost);
      }
      return moments;
    }
  }

  private static double[] add(double[] x, double[] y) {
    for (int i = 0; i < x.length; i++) x[i] += y[i];
    return x;
  }

  /** The log loss of sigmoid(margin) against the label, stable for any margin. */
  private static double logLoss(double margin, double label) {
    return Math.log1p(Math.exp(-Math.abs(margin))) + Math.max(margin, 0) - label * margin;
  }

  /** One-sided p-value of a z statistic, never below what a double resolves. */
  static double pValue(double z) {
    return Normal.cdf(-z);
  }
}
