package dev.pql.model;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log;
import static org.apache.spark.sql.functions.pow;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.feature.Bucketizer;
import org.apache.spark.mllib.evaluation.BinaryClassificationMetrics;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import scala.Tuple2;

/**
 * Holdout quality of a score (a probability, or any number where higher means likelier to upgrade): ranking
 * (AUC-ROC, AUC-PR), probability quality (log loss, Brier score), what the top decile holds, and a
 * calibration table. Every figure is an aggregate computed by Spark; nothing is collected but the figures.
 */
public final class Evaluation {
  private Evaluation() {}

  /** One calibration bin: its rows, the mean predicted probability and the observed upgrade rate. */
  public record CalibrationBin(int bin, long rows, double meanPredicted, double observedRate) {}

  /** A row's log loss of a predicted probability against the label, the probability clipped away from 0 and 1. */
  static Column logLoss(Column probability) {
    Column p = least(greatest(probability, lit(1e-15)), lit(1 - 1e-15));
    Column y = col(TrainingSet.LABEL);
    return y.multiply(log(p)).plus(lit(1).minus(y).multiply(log(lit(1).minus(p)))).multiply(-1);
  }

  /** Ranking and top-decile figures of any score; log loss and Brier only when the score is a probability. */
  public static Map<String, Double> metrics(Dataset<Row> scored, String score, boolean isProbability) {
    Map<String, Double> m = new LinkedHashMap<>();
    // One curve for both areas (BinaryClassificationEvaluator builds one per metric), with its 1,000 bins.
    BinaryClassificationMetrics curve = new BinaryClassificationMetrics(scored
        .select(col(score).cast("double"), col(TrainingSet.LABEL).cast("double")).javaRDD()
        .map(r -> new Tuple2<Object, Object>(r.getDouble(0), r.getDouble(1))).rdd(), 1000);
    try {
      m.put("auc_roc", curve.areaUnderROC());
      m.put("auc_pr", curve.areaUnderPR());
    } finally {
      curve.unpersist();
    }
    // Exact (relative error 0): a locked window is thousands of rows, and an approximate cut would depend on how
    // the rows are partitioned, so a cluster and local mode would report different figures.
    double cut = scored.stat().approxQuantile(score, new double[] {0.9}, 0.0)[0];
    Column y = col(TrainingSet.LABEL);
    Column above = col(score).gt(cut);
    Column at = col(score).equalTo(cut);
    List<Column> aggs = new ArrayList<>(List.of(count(lit(1)).as("rows"), sum(y).as("positives"),
        sum(when(above, 1).otherwise(0)).as("above_rows"), sum(when(above, y).otherwise(0)).as("above_positives"),
        sum(when(at, 1).otherwise(0)).as("at_rows"), sum(when(at, y).otherwise(0)).as("at_positives")));
    if (isProbability) {
      aggs.add(avg(logLoss(col(score))).as("log_loss"));
      aggs.add(avg(pow(col(score).minus(y), 2)).as("brier"));
    }
    Row r = scored.agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(Column[]::new)).first();
    double rows = r.getLong(0);
    double positives = r.getDouble(1);
    m.put("rows", rows);
    m.put("base_rate", positives / rows);
    m.putAll(topDecile(rows, positives, r.getLong(2), r.getDouble(3), r.getLong(4), r.getDouble(5)));
    if (isProbability) {
      m.put("log_loss", r.getDouble(6));
      m.put("brier", r.getDouble(7));
    }
    return m;
  }

  /**
   * The top decile's figures when scores tie: a tenth of the rows, from the highest score down, the rows tied at the
   * cut drawn at random to fill it — the expected share of upgrades such a draw catches. Without it a 0/1 rule that
   * flags fewer than a tenth of the rows would have its "top decile" be every row (lift 1), and one that flags more
   * would have it be all its flagged rows.
   *
   * @param above rows scored above the cut, and their upgrades
   * @param at rows scored exactly at the cut, and their upgrades
   */
  static Map<String, Double> topDecile(double rows, double positives, double above, double abovePositives,
      double at, double atPositives) {
    double target = 0.1 * rows;
    double fill = Math.max(0, Math.min(target - above, at));
    double topRows = above + fill;
    double topPositives = abovePositives + (at > 0 ? fill * atPositives / at : 0);
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("top_decile_share_of_rows", topRows / rows);
    m.put("top_decile_lift", (topPositives / topRows) / (positives / rows));
    m.put("top_decile_capture", topPositives / positives);
    return m;
  }

  /**
   * The figures {@link #metrics} gives a 0/1 score, for many rules at once: a rule's curve has one corner, so
   * every figure follows from its confusion counts, and one aggregate counts them for all the rules. AUC-ROC is
   * (1 + TPR − FPR) / 2 and AUC-PR the trapezoids through (0, precision), (recall, precision) and
   * (1, base rate), as MLlib's curves give for two score values. The top decile is a tenth of the rows with ties
   * drawn at random ({@link #topDecile}), as {@link #metrics} takes it.
   */
  public static Map<String, Map<String, Double>> ruleMetrics(Dataset<Row> scored, Map<String, Column> rules) {
    Column y = col(TrainingSet.LABEL);
    List<Column> aggs = new ArrayList<>(List.of(count(lit(1)), sum(y)));
    for (Column rule : rules.values()) {
      aggs.add(sum(when(rule, 1).otherwise(0)));
      aggs.add(sum(when(rule, y).otherwise(0)));
    }
    Row r = scored.agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(Column[]::new)).first();
    double rows = r.getLong(0);
    double positives = r.getDouble(1);
    Map<String, Map<String, Double>> all = new LinkedHashMap<>();
    int i = 2;
    for (String name : rules.keySet()) {
      all.put(name, binaryMetrics(rows, positives, r.getLong(i), r.getDouble(i + 1)));
      i += 2;
    }
    return all;
  }

  private static Map<String, Double> binaryMetrics(double rows, double positives, double flagged,
      double flaggedPositives) {
    double baseRate = positives / rows;
    double recall = flaggedPositives / positives;
    double falsePositiveRate = (flagged - flaggedPositives) / (rows - positives);
    double precision = flagged > 0 ? flaggedPositives / flagged : baseRate;
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("auc_roc", (1 + recall - falsePositiveRate) / 2);
    m.put("auc_pr", recall * precision + (1 - recall) * (precision + baseRate) / 2);
    m.put("rows", rows);
    m.put("base_rate", baseRate);
    // The 0.9 quantile of a 0/1 score: 1 when more than a tenth of the rows are flagged, else 0.
    boolean cutAtOne = flagged > rows - Math.ceil(0.9 * rows);
    m.putAll(cutAtOne ? topDecile(rows, positives, 0, 0, flagged, flaggedPositives)
        : topDecile(rows, positives, flagged, flaggedPositives, rows - flagged, positives - flaggedPositives));
    return m;
  }

  /**
   * Bins by predicted probability, predicted against observed: deciles of rows, the top decile in five bins of 2%
   * each, where the leads are (fewer bins when predictions tie).
   */
  public static List<CalibrationBin> calibration(Dataset<Row> scored, String probability) {
    double[] probs = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.92, 0.94, 0.96, 0.98};
    double[] cuts = scored.stat().approxQuantile(probability, probs, 0.0);
    java.util.TreeSet<Double> splits = new java.util.TreeSet<>();
    splits.add(Double.NEGATIVE_INFINITY);
    for (double c : cuts) splits.add(c);
    splits.add(Double.POSITIVE_INFINITY);
    Dataset<Row> binned = new Bucketizer().setInputCol(probability).setOutputCol("bin")
        .setSplits(splits.stream().mapToDouble(Double::doubleValue).toArray()).transform(scored);
    List<CalibrationBin> bins = new ArrayList<>();
    // At most ten rows: the table itself.
    for (Row r : binned.groupBy("bin").agg(count(lit(1)), avg(probability), avg(TrainingSet.LABEL))
        .orderBy("bin").collectAsList()) {
      bins.add(new CalibrationBin((int) r.getDouble(0), r.getLong(1), r.getDouble(2), r.getDouble(3)));
    }
    return bins;
  }
}
