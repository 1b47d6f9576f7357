package dev.pql.scoring;

import static org.apache.spark.ml.functions.vector_to_array;
import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.exp;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log10;
import static org.apache.spark.sql.functions.percent_rank;
import static org.apache.spark.sql.functions.pow;
import static org.apache.spark.sql.functions.round;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.slice;
import static org.apache.spark.sql.functions.sort_array;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.when;

import dev.pql.definitions.RuleMatches;
import dev.pql.features.FeatureNames;
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
   * Adds {@value #PROBABILITY}, {@value #PERCENTILE} and {@value #REASONS}: the {@code reasons} behaviours whose net
   * log-odds contribution (coefficient times standardized input, summed over all the inputs of the behaviour's
   * features) lies furthest from that of the average open account of its as-of date, up or down, each once; with its
   * leading feature's value and the probability the account would have with the behaviour at the average's level.
   * Two passes: the average contributions per date, then the rows.
   */
  public static Dataset<Row> apply(Dataset<Row> rows, PipelineModel model, ModelInputs inputs, int reasons) {
    Dataset<Row> transformed = model.transform(rows);
    List<Drivers.Input> named = Drivers.inputs(UpgradeModel.inputNames(model, rows),
        UpgradeModel.regression(model).coefficients().toArray(), UpgradeModel.scales(model), inputs);
    Map<String, List<Integer>> byBehaviour = new LinkedHashMap<>();
    Map<String, Map<String, Double>> weightByFeature = new LinkedHashMap<>();
    for (int i = 0; i < named.size() && reasons > 0; i++) {
      Drivers.Input input = named.get(i);
      if (input.coefficient() == 0) continue;
      String behaviour = FeatureNames.behaviour(input.feature());
      byBehaviour.computeIfAbsent(behaviour, b -> new ArrayList<>()).add(i);
      weightByFeature.computeIfAbsent(behaviour, b -> new LinkedHashMap<>())
          .merge(input.feature(), Math.abs(input.coefficient()), Double::sum);
    }
    List<String> behaviours = new ArrayList<>(byBehaviour.keySet());
    Column z = vector_to_array(col("features"), "float64");
    // Every contribution in one projection: a withColumn per behaviour would analyse the plan once per behaviour.
    List<Column> contributions = new ArrayList<>(List.of(col("*")));
    for (int g = 0; g < behaviours.size(); g++) {
      Column c = lit(0.0);
      for (int i : byBehaviour.get(behaviours.get(g))) c = c.plus(z.getItem(i).multiply(named.get(i).coefficient()));
      contributions.add(c.as("pql_c" + g));
    }
    Dataset<Row> withContributions = transformed.select(contributions.toArray(Column[]::new));
    Column reasonArray = RuleMatches.nonNull(List.of(), dev.pql.io.Tables.REASON.simpleString());
    if (!behaviours.isEmpty()) {
      // Each date's average open account: one row per date, joined back.
      Column[] means = new Column[behaviours.size()];
      for (int g = 0; g < behaviours.size(); g++) means[g] = avg(col("pql_c" + g)).as("pql_m" + g);
      withContributions = withContributions.join(org.apache.spark.sql.functions.broadcast(withContributions
          .groupBy("as_of_date").agg(means[0], java.util.Arrays.copyOfRange(means, 1, means.length))), "as_of_date");
      reasonArray = reasons(behaviours, weightByFeature, reasons);
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

  /**
   * The reasons of a row with contributions pql_c* and date means pql_m*: the largest net contributions by size,
   * each with its behaviour's leading feature (the largest summed |coefficient| of its inputs) and value, and the
   * probability without it: the model's margin less the net contribution, through the logistic function.
   */
  private static Column reasons(List<String> behaviours, Map<String, Map<String, Double>> weightByFeature,
      int reasons) {
    Column margin = vector_to_array(col("rawPrediction"), "float64").getItem(1);
    List<Column> candidates = new ArrayList<>();
    for (int g = 0; g < behaviours.size(); g++) {
      String behaviour = behaviours.get(g);
      String leading = weightByFeature.get(behaviour).entrySet().stream()
          .max(Map.Entry.comparingByValue()).orElseThrow().getKey();
      Column net = col("pql_c" + g).minus(org.apache.spark.sql.functions.coalesce(col("pql_m" + g), lit(0.0)));
      Column without = lit(1.0).divide(lit(1.0).plus(exp(margin.minus(net).multiply(-1))));
      // Size first, so that sorting the structs sorts by it.
      candidates.add(when(abs(net).gt(1e-9), struct(abs(net).as("size"), net.as("contribution"),
          lit(behaviour).as("behaviour"), lit(leading).as("feature"),
          col("`" + leading + "`").cast("string").as("value"), without.as("without"))));
    }
    Column top = slice(sort_array(RuleMatches.nonNull(candidates, "struct<size:double,contribution:double,"
        + "behaviour:string,feature:string,value:string,without:double>"), false), 1, reasons);
    return org.apache.spark.sql.functions.transform(top, r -> struct(lit("learned").as("source"),
        lit("learned").as("definition"), r.getField("feature").as("feature"), r.getField("value").as("value"),
        significant(r.getField("contribution")).as("contribution"), r.getField("behaviour").as("behaviour"),
        significant(r.getField("without")).as("probability_without")));
  }

  /** A number to 3 significant figures (0 stays 0). */
  static Column significant(Column x) {
    Column scale = pow(lit(10.0), lit(2.0).minus(floor(log10(abs(x)))));
    return when(x.equalTo(0), lit(0.0)).otherwise(round(x.multiply(scale)).divide(scale));
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
