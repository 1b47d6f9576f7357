package dev.pql.scoring;

import static org.apache.spark.ml.functions.vector_to_array;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.percent_rank;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.slice;
import static org.apache.spark.sql.functions.sort_array;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.when;

import dev.pql.definitions.RuleMatches;
import dev.pql.model.Drivers;
import dev.pql.model.ModelInputs;
import dev.pql.model.UpgradeModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;

/**
 * The learned definition: the model's probability for each open account, its percentile among the date's open
 * accounts, the features that push it up most, and whether it passes the cutoff of the configured policy.
 */
public final class LearnedScore {
  private LearnedScore() {}

  public static final String PROBABILITY = "probability";
  public static final String PERCENTILE = "percentile";
  public static final String REASONS = "learned_reasons";
  public static final String QUALIFIES = "learned_qualifies";

  /**
   * Adds {@value #PROBABILITY}, {@value #PERCENTILE} and {@value #REASONS}: the {@code reasons} features whose
   * log-odds contribution (coefficient times standardized input, summed over the feature's inputs) lies most
   * above that of the average open account of its as-of date, with their values. Two passes: the average
   * contributions per date, then the rows.
   */
  public static Dataset<Row> apply(Dataset<Row> rows, PipelineModel model, ModelInputs inputs, int reasons) {
    Dataset<Row> transformed = model.transform(rows);
    List<Drivers.Input> named = Drivers.inputs(UpgradeModel.inputNames(model, rows),
        UpgradeModel.regression(model).coefficients().toArray(), UpgradeModel.scales(model), inputs);
    Map<String, List<Integer>> byFeature = new LinkedHashMap<>();
    for (int i = 0; i < named.size() && reasons > 0; i++) {
      if (named.get(i).coefficient() != 0) byFeature.computeIfAbsent(named.get(i).feature(), f -> new ArrayList<>()).add(i);
    }
    List<String> features = new ArrayList<>(byFeature.keySet());
    Column z = vector_to_array(col("features"), "float64");
    // Every contribution in one projection: a withColumn per feature would analyse the plan once per feature.
    List<Column> contributions = new ArrayList<>(List.of(col("*")));
    for (int g = 0; g < features.size(); g++) {
      Column c = lit(0.0);
      for (int i : byFeature.get(features.get(g))) c = c.plus(z.getItem(i).multiply(named.get(i).coefficient()));
      contributions.add(c.as("pql_c" + g));
    }
    Dataset<Row> withContributions = transformed.select(contributions.toArray(Column[]::new));
    Column reasonArray;
    if (features.isEmpty()) {
      reasonArray = RuleMatches.nonNull(List.of(), dev.pql.io.Tables.REASON.simpleString());
    } else {
      // Each date's average open account: one row per date, joined back.
      Column[] means = new Column[features.size()];
      for (int g = 0; g < features.size(); g++) means[g] = avg(col("pql_c" + g)).as("pql_m" + g);
      withContributions = withContributions.join(org.apache.spark.sql.functions.broadcast(withContributions
          .groupBy("as_of_date").agg(means[0], java.util.Arrays.copyOfRange(means, 1, means.length))), "as_of_date");
      List<Column> candidates = new ArrayList<>();
      for (int g = 0; g < features.size(); g++) {
        Column lift = col("pql_c" + g).minus(org.apache.spark.sql.functions.coalesce(col("pql_m" + g), lit(0.0)));
        // Contribution first, so that sorting the structs sorts by it.
        candidates.add(when(lift.gt(0), struct(lift.as("contribution"), lit(features.get(g)).as("feature"),
            col("`" + features.get(g) + "`").cast("string").as("value"))));
      }
      Column top = slice(sort_array(RuleMatches.nonNull(candidates, "struct<contribution:double,feature:string,"
          + "value:string>"), false), 1, reasons);
      reasonArray = org.apache.spark.sql.functions.transform(top, r -> struct(lit("learned").as("source"),
          lit("learned").as("definition"), r.getField("feature").as("feature"), r.getField("value").as("value"),
          r.getField("contribution").as("contribution")));
    }
    Dataset<Row> scored = withContributions
        .withColumn(PROBABILITY, vector_to_array(col("probability"), "float64").getItem(1))
        .withColumn(REASONS, reasonArray);
    // Every column the pipeline and the reasons added beside the probability goes: the rows leave with their own.
    List<String> kept = new ArrayList<>(List.of(rows.columns()));
    kept.addAll(List.of(PROBABILITY, REASONS));
    return scored.select(kept.stream().map(c -> col("`" + c + "`")).toArray(Column[]::new))
        .withColumn(PERCENTILE, percent_rank().over(Window.partitionBy("as_of_date").orderBy(PROBABILITY)));
  }

  /** Adds {@value #QUALIFIES}: true for the {@code k} most likely rows of each as-of date (ties by account id). */
  public static Dataset<Row> topK(Dataset<Row> scored, int k) {
    return scored.withColumn(QUALIFIES, row_number().over(Window.partitionBy("as_of_date")
        .orderBy(col(PROBABILITY).desc(), col("account_id"))).leq(k));
  }

  /** Adds {@value #QUALIFIES}: true where the probability reaches {@code cutoff}. */
  public static Dataset<Row> atLeast(Dataset<Row> scored, double cutoff) {
    return scored.withColumn(QUALIFIES, col(PROBABILITY).geq(cutoff));
  }

  /**
   * The lowest probability whose rows, taken from the most likely down, upgraded at {@code target} precision or
   * better: the cutoff of the largest top set that meets the target. Infinity when none does.
   */
  public static double precisionCutoff(Dataset<Row> labelled, String probability, String label, double target) {
    org.apache.spark.sql.expressions.WindowSpec fromTop = Window.orderBy(col(probability).desc())
        .rowsBetween(Window.unboundedPreceding(), Window.currentRow());
    // One ordered pass over the evaluation rows, which the window gathers on one partition: tens of thousands of
    // rows, not the lake.
    Row r = labelled.select(col(probability).cast("double").as(probability),
            org.apache.spark.sql.functions.sum(col(label)).over(fromTop).as("hits"),
            org.apache.spark.sql.functions.count(lit(1)).over(fromTop).as("taken"))
        .filter(col("hits").divide(col("taken")).geq(target))
        .agg(org.apache.spark.sql.functions.min(col(probability))).first();
    return r.isNullAt(0) ? Double.POSITIVE_INFINITY : r.getDouble(0);
  }
}
