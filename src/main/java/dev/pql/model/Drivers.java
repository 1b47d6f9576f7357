package dev.pql.model;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * What the fitted model says about each of its inputs — standardized coefficient, odds ratios, direction, rank —
 * beside what the training rows show: the upgrade rate of the accounts on one side of a plain split of the
 * feature (a step input's threshold, else a quarter of its values, missing, or the category) against the
 * rest, in one sentence.
 */
public final class Drivers {
  private Drivers() {}

  /** One model input: where it comes from and what the model learned about it. */
  public record Input(String input, String feature, String transform, double coefficient, double scale) {}

  /** A row of model_drivers. */
  public record Driver(String input, String feature, String transform, double coefficient, double oddsRatioPerSd,
      double oddsRatioPerUnit, String direction, int rank, double support, String observedSplit, double rateWith,
      double rateWithout, double observedLift, String sentence) {}

  /** Names the inputs of the coefficient vector after the features they come from. */
  public static List<Input> inputs(List<String> names, double[] coefficients, double[] scales, ModelInputs model) {
    List<Input> inputs = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      String feature;
      String transform;
      if (name.startsWith("m_")) {
        feature = name.substring(2);
        transform = "missing";
      } else if (name.startsWith("t_")) {
        feature = name.substring(2);
        transform = model.steps().stream().filter(st -> st.input().equals(name)).findFirst()
            .map(st -> "step " + st.operator() + " " + ThresholdDiscovery.Threshold.format(st.threshold()))
            .orElse("step");
      } else if (name.startsWith("oh_")) {
        feature = model.categorical().stream().filter(c -> name.startsWith("oh_" + c + "_")).findFirst()
            .orElse(name.substring(3));
        transform = "is " + name.substring(("oh_" + feature + "_").length());
      } else {
        feature = name.substring(2);
        boolean log = model.numeric().stream().anyMatch(n -> n.name().equals(feature) && n.log());
        transform = log ? "log1p" : "value";
      }
      inputs.add(new Input(name, feature, transform, coefficients[i], scales[i]));
    }
    return inputs;
  }

  /**
   * The discovered thresholds the model confirms — their step input raises the odds — ranked by that input's
   * standardized coefficient, at most {@code howMany}.
   */
  public static List<ThresholdDiscovery.Threshold> confirmed(List<Input> inputs,
      List<ThresholdDiscovery.Threshold> thresholds, int howMany) {
    Map<String, Double> stepCoefficient = new HashMap<>();
    for (Input in : inputs) {
      if (in.transform().startsWith("step ")) stepCoefficient.put(in.feature(), in.coefficient());
    }
    return thresholds.stream()
        .filter(t -> t.significant() && stepCoefficient.getOrDefault(t.feature(), 0.0) > 0)
        .sorted(Comparator.comparingDouble(t -> -stepCoefficient.get(t.feature())))
        .limit(howMany)
        .toList();
  }

  /**
   * The drivers table: every input, ranked by absolute standardized coefficient, with observed upgrade rates of
   * a split of its feature (a step's threshold; for a value its top or bottom quarter or any use; missing; the
   * category).
   */
  public static List<Driver> describe(Dataset<Row> training, List<Input> inputs, int horizonDays) {
    List<String> quartiled = inputs.stream()
        .filter(in -> in.transform().equals("value") || in.transform().equals("log1p"))
        .map(Input::feature).distinct().toList();
    Map<String, double[]> quartiles = new HashMap<>();
    if (!quartiled.isEmpty()) {
      double[][] q = training.stat().approxQuantile(quartiled.toArray(String[]::new), new double[] {0.25, 0.75},
          0.001);
      for (int i = 0; i < quartiled.size(); i++) quartiles.put(quartiled.get(i), q[i]);
    }

    List<String> splits = new ArrayList<>();
    for (Input in : inputs) splits.add(split(in, quartiles.get(in.feature())));
    List<Column> aggs = new ArrayList<>(List.of(count(lit(1)), sum(TrainingSet.LABEL)));
    for (int i = 0; i < inputs.size(); i++) {
      Column side = expr(splits.get(i));
      aggs.add(sum(when(side, 1).otherwise(0)));
      aggs.add(sum(when(side, col(TrainingSet.LABEL)).otherwise(0)));
      aggs.add(sum(when(supported(inputs.get(i)), 1).otherwise(0)));
    }
    Row r = training.agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(Column[]::new)).first();
    double rows = r.getLong(0);
    double positives = r.getDouble(1);

    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) order.add(i);
    order.sort(Comparator.comparingDouble(i -> -Math.abs(inputs.get(i).coefficient())));
    List<Driver> ranked = new ArrayList<>();
    for (int rank = 0; rank < order.size(); rank++) {
      int i = order.get(rank);
      Input in = inputs.get(i);
      double with = r.getLong(2 + 3 * i);
      double withPositives = r.getDouble(3 + 3 * i);
      double support = r.getLong(4 + 3 * i) / rows;
      double rateWith = with == 0 ? Double.NaN : withPositives / with;
      double rateWithout = rows - with == 0 ? Double.NaN : (positives - withPositives) / (rows - with);
      double lift = rateWith / rateWithout;
      double perSd = Math.exp(in.coefficient());
      double perUnit = in.scale() == 0 ? 1 : Math.exp(in.coefficient() / in.scale());
      String direction = in.coefficient() > 0 ? "raises" : in.coefficient() < 0 ? "lowers" : "none";
      String said = splits.get(i).replace("`", "");
      String sentence = String.format(Locale.ROOT,
          "Accounts where %s upgraded within %d days at %.1f%% against %.1f%% for the rest — %.1fx "
              + "(model: odds x%.2f per standard deviation of %s %s)",
          said, horizonDays, 100 * rateWith, 100 * rateWithout, lift, perSd, in.transform(), in.feature());
      ranked.add(new Driver(in.input(), in.feature(), in.transform(), in.coefficient(), perSd, perUnit, direction,
          rank + 1, support, splits.get(i), rateWith, rateWithout, lift, sentence));
    }
    return ranked;
  }

  /** The SQL predicate of the observed split of an input's feature. */
  static String split(Input in, double[] quartiles) {
    String f = "`" + in.feature() + "`";
    if (in.transform().equals("missing")) return f + " IS NULL";
    if (in.transform().startsWith("step ")) return f + " " + in.transform().substring(5);
    if (in.transform().startsWith("is ")) return f + " = '" + in.transform().substring(3).replace("'", "\\'") + "'";
    boolean up = in.coefficient() >= 0;
    double q = up ? quartiles[1] : quartiles[0];
    if (in.transform().equals("log1p") && up && q <= 0) return f + " > 0";
    // Three significant digits: a readable split ("depth_30d >= 18.8"), whose rates are those of that split.
    double rounded = new java.math.BigDecimal(q).round(new java.math.MathContext(3)).doubleValue();
    return f + (up ? " >= " : " <= ") + ThresholdDiscovery.Threshold.format(rounded);
  }

  /** Rows where the input carries information: non-zero, present, or of the category. */
  private static Column supported(Input in) {
    Column f = col("`" + in.feature() + "`");
    if (in.transform().equals("missing")) return f.isNull();
    if (in.transform().startsWith("step ")) return expr(split(in, null));
    if (in.transform().startsWith("is ")) return f.equalTo(in.transform().substring(3));
    return f.isNotNull().and(f.notEqual(0));
  }
}
