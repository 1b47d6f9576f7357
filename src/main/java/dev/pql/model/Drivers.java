package dev.pql.model;

import static org.apache.spark.ml.functions.vector_to_array;
import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.exp;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log1p;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * What the fitted model says about each feature — how much it loses without it (the rank), and the standardized
 * coefficient and odds ratios of each of the feature's inputs — beside what the training rows show: the upgrade
 * rate of the accounts on one side of a plain split of the feature (its discovered threshold, else a quarter of
 * its values, missing, or the category) against the rest, in one sentence. One feature is one driver, whatever
 * number of inputs the model reads it through.
 */
public final class Drivers {
  private Drivers() {}

  /** One model input: where it comes from and what the model learned about it. */
  public record Input(String input, String feature, String transform, double coefficient, double scale) {}

  /** What the model learned about one of a feature's inputs. */
  public record InputEffect(String input, String transform, double coefficient, double oddsRatioPerSd,
      double oddsRatioPerUnit) {}

  /** A row of model_drivers: one feature, all its inputs, ranked by what the model loses without it. */
  public record Driver(String feature, String kind, int rank, double importance, String behaviour,
      int behaviourRank, double behaviourImportance, String leadingInput,
      String transform, double coefficient, double oddsRatioPerSd, double oddsRatioPerUnit, String direction,
      List<InputEffect> inputs, double support, String observedSplit, double rateWith, double rateWithout,
      Estimate observedLift, String sentence, Estimate oddsRatio, double stability) {
    /** A driver as the fits describe it, before its uncertainty is known. */
    Driver(String feature, String kind, int rank, double importance, String behaviour, int behaviourRank,
        double behaviourImportance, String leadingInput, String transform, double coefficient, double oddsRatioPerSd,
        double oddsRatioPerUnit, String direction, List<InputEffect> inputs, double support, String observedSplit,
        double rateWith, double rateWithout, Estimate observedLift, String sentence) {
      this(feature, kind, rank, importance, behaviour, behaviourRank, behaviourImportance, leadingInput, transform,
          coefficient, oddsRatioPerSd, oddsRatioPerUnit, direction, inputs, support, observedSplit, rateWith,
          rateWithout, observedLift, sentence, Estimate.of(oddsRatioPerSd), Double.NaN);
    }

    /** True when its interval excludes "no effect" (an odds ratio of 1): the driver surely moves the rate. */
    public boolean saysSomething() {
      return oddsRatio.hasInterval() && (oddsRatio.lo() > 1 || oddsRatio.hi() < 1);
    }

    Driver withUncertainty(Estimate interval, double selectedShare) {
      return new Driver(feature, kind, rank, importance, behaviour, behaviourRank, behaviourImportance, leadingInput,
          transform, coefficient, oddsRatioPerSd, oddsRatioPerUnit, direction, inputs, support, observedSplit,
          rateWith, rateWithout, observedLift, sentence, interval, selectedShare);
    }
  }

  /**
   * Each driver with a simultaneous interval on its odds ratio per standard deviation and its stability. For a
   * behaviour the stepwise selection kept, {@code selected} gives, by feature, the standard error of its
   * account-clustered fit and its stability: the chance that a new sample of accounts keeps it again. For the other
   * drivers the standard error is that of the leading input's coefficient over the refits on resamples of accounts,
   * and the stability is the share of refits in which any input of the feature is in the fit. The interval is
   * normal on the log scale; its level is Bonferroni-corrected over all the drivers, so that every interval of the
   * table holds at once with probability {@code confidence}.
   */
  public static List<Driver> withUncertainty(List<Driver> drivers, List<List<Input>> refits,
      Map<String, double[]> selected, double confidence) {
    if (drivers.isEmpty()) return drivers;
    double z = Normal.quantile(1 - (1 - confidence) / 2 / drivers.size());
    List<Driver> out = new ArrayList<>();
    for (Driver d : drivers) {
      long selectedIn = refits.stream().filter(r -> r.stream()
          .anyMatch(in -> in.feature().equals(d.feature()) && in.coefficient() != 0)).count();
      double[] kept = selected.get(d.feature());
      double stability = kept != null ? kept[1] : refits.isEmpty() ? Double.NaN : (double) selectedIn / refits.size();
      double error = kept != null ? kept[0]
          : standardDeviation(refits.stream().mapToDouble(r -> r.stream().filter(in -> in.input()
              .equals(d.leadingInput())).mapToDouble(Input::coefficient).findFirst().orElse(0)).toArray());
      double beta = Math.log(d.oddsRatioPerSd());
      double lo = Math.exp(beta - z * error);
      double hi = Math.exp(beta + z * error);
      Estimate interval = Double.isFinite(lo) && Double.isFinite(hi) ? new Estimate(d.oddsRatioPerSd(), lo, hi)
          : Estimate.of(d.oddsRatioPerSd());
      out.add(d.withUncertainty(interval, stability));
    }
    return out;
  }

  private static double standardDeviation(double[] values) {
    if (values.length < 2) return Double.NaN;
    double mean = java.util.Arrays.stream(values).average().orElse(0);
    double squares = java.util.Arrays.stream(values).map(v -> (v - mean) * (v - mean)).sum();
    return Math.sqrt(squares / (values.length - 1));
  }

  static final java.util.Set<String> FIRMOGRAPHIC = java.util.Set.of("email_domain", "employees", "industry",
      "country", "timezone", "domain_class", "size_band");
  static final java.util.Set<String> LIFECYCLE = java.util.Set.of("days_since_signup", "plan");

  /** behaviour, firmographic (who the account is) or lifecycle (its age and plan). */
  static String kind(String feature) {
    return FIRMOGRAPHIC.contains(feature) ? "firmographic" : LIFECYCLE.contains(feature) ? "lifecycle" : "behaviour";
  }

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
   * The inputs of the selection's terms, named as the model names its own ({@code t_} a step, {@code x_} a graded
   * log1p), with coefficients per standard deviation of the term so that they read like the model's.
   */
  public static List<Input> inputs(List<ThresholdDiscovery.Term> terms) {
    return terms.stream().map(t -> new Input((t.step() ? "t_" : "x_") + t.feature(), t.feature(),
        t.step() ? "step " + t.operator() + " " + ThresholdDiscovery.Threshold.format(t.threshold()) : "log1p",
        t.coefficient() * t.standardDeviation(), t.standardDeviation())).toList();
  }

  /**
   * The drivers table: the behaviours the stepwise selection kept first, in the order of what the selection model
   * loses without them, then every other feature in the order of the driver fit; ranks renumbered, each behaviour
   * ranked where its first feature is.
   */
  public static List<Driver> merged(List<Driver> selected, List<Driver> rest) {
    java.util.Set<String> features = new java.util.HashSet<>();
    selected.forEach(d -> features.add(d.feature()));
    List<Driver> all = new ArrayList<>(selected);
    all.sort(Comparator.comparingInt(Driver::behaviourRank).thenComparingInt(Driver::rank));
    rest.stream().filter(d -> !features.contains(d.feature())).forEach(all::add);
    List<String> behaviours = new ArrayList<>();
    Map<String, Double> behaviourImportance = new HashMap<>();
    for (Driver d : all) {
      if (behaviours.contains(d.behaviour())) continue;
      behaviours.add(d.behaviour());
      behaviourImportance.put(d.behaviour(), d.behaviourImportance());
    }
    List<Driver> order = new ArrayList<>(all); // stable: within a behaviour, the order the fits gave
    order.sort(Comparator.comparingInt(d -> behaviours.indexOf(d.behaviour())));
    List<Driver> ranked = new ArrayList<>();
    for (int i = 0; i < order.size(); i++) {
      Driver d = order.get(i);
      ranked.add(new Driver(d.feature(), d.kind(), i + 1, d.importance(), d.behaviour(),
          behaviours.indexOf(d.behaviour()) + 1, behaviourImportance.get(d.behaviour()), d.leadingInput(),
          d.transform(), d.coefficient(), d.oddsRatioPerSd(), d.oddsRatioPerUnit(), d.direction(), d.inputs(),
          d.support(), d.observedSplit(), d.rateWith(), d.rateWithout(), d.observedLift(), d.sentence(),
          d.oddsRatio(), d.stability()));
    }
    return ranked;
  }

  /** The thresholds of the leading behaviours: one per behaviour (its strongest), at most {@code howMany}. */
  public static List<ThresholdDiscovery.Threshold> leading(List<ThresholdDiscovery.Threshold> thresholds,
      int howMany) {
    Map<String, ThresholdDiscovery.Threshold> byBehaviour = new LinkedHashMap<>();
    // A combination is a behaviour of its own: its two actions together.
    thresholds.forEach(t -> byBehaviour.putIfAbsent(dev.pql.features.FeatureNames.behaviour(t.feature())
        + (t.combination() ? " AND " + dev.pql.features.FeatureNames.behaviour(t.and().feature()) : ""), t));
    return byBehaviour.values().stream().limit(howMany).toList();
  }

  /**
   * What the model loses without each group of inputs: the increase of its mean log loss on {@code rows} when the
   * group's inputs are held at their mean over those rows. One measure for counts, steps, missing indicators
   * and categories alike, taken over all of a group's inputs at once — a feature's, or a behaviour's over all its
   * features —, where a standardized coefficient would split a feature among its inputs and favour common inputs
   * over rare, strong ones. Groups the model dropped lose nothing. One map per grouping of the features (by
   * feature, by behaviour), all from one scoring of the rows and two passes over it; only the sums reach the
   * driver.
   */
  public static List<Map<String, Double>> importances(PipelineModel model, Dataset<Row> rows, List<Input> inputs,
      List<java.util.function.Function<String, String>> groupings) {
    List<Map<String, Double>> importances = new ArrayList<>();
    // Per contribution column: its grouping, its group and the inputs it sums.
    List<Integer> columnGrouping = new ArrayList<>();
    List<String> columnGroups = new ArrayList<>();
    List<List<Integer>> columnInputs = new ArrayList<>();
    for (int k = 0; k < groupings.size(); k++) {
      Map<String, Double> importance = new HashMap<>();
      Map<String, List<Integer>> used = new LinkedHashMap<>();
      for (int i = 0; i < inputs.size(); i++) {
        String group = groupings.get(k).apply(inputs.get(i).feature());
        importance.put(group, 0.0);
        if (inputs.get(i).coefficient() != 0) used.computeIfAbsent(group, f -> new ArrayList<>()).add(i);
      }
      importances.add(importance);
      for (Map.Entry<String, List<Integer>> e : used.entrySet()) {
        columnGrouping.add(k);
        columnGroups.add(e.getKey());
        columnInputs.add(e.getValue());
      }
    }
    if (columnGroups.isEmpty()) return importances;
    Column z = vector_to_array(col("features"), "float64");
    List<Column> columns = new ArrayList<>(List.of(col(TrainingSet.LABEL),
        vector_to_array(col("rawPrediction"), "float64").getItem(1).as("margin")));
    for (int g = 0; g < columnGroups.size(); g++) {
      Column contribution = lit(0.0);
      for (int i : columnInputs.get(g)) {
        contribution = contribution.plus(z.getItem(i).multiply(inputs.get(i).coefficient()));
      }
      columns.add(contribution.as("c" + g));
    }
    Dataset<Row> contributions = model.transform(rows).select(columns.toArray(Column[]::new))
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      Column[] means = new Column[columnGroups.size()];
      for (int g = 0; g < columnGroups.size(); g++) means[g] = avg(col("c" + g));
      Row mean = contributions.agg(means[0], java.util.Arrays.copyOfRange(means, 1, means.length)).first();
      Column[] losses = new Column[columnGroups.size()];
      for (int g = 0; g < columnGroups.size(); g++) {
        losses[g] = avg(logLoss(col("margin").minus(col("c" + g)).plus(lit(mean.getDouble(g)))));
      }
      Row loss = contributions.agg(avg(logLoss(col("margin"))), losses).first();
      for (int g = 0; g < columnGroups.size(); g++) {
        importances.get(columnGrouping.get(g)).put(columnGroups.get(g), loss.getDouble(g + 1) - loss.getDouble(0));
      }
    } finally {
      contributions.unpersist();
    }
    return importances;
  }

  /** The log loss of sigmoid(margin) against the label: log(1 + e^-|m|) + max(m, 0) - y m, stable for any m. */
  private static Column logLoss(Column margin) {
    return log1p(exp(abs(margin).multiply(-1))).plus(greatest(margin, lit(0.0)))
        .minus(col(TrainingSet.LABEL).multiply(margin));
  }

  /**
   * The drivers table: one row per feature, ranked by {@link #importance}, with the effects of all its inputs and
   * the upgrade rates observed on a split of the feature — its discovered threshold when the model reads one,
   * else that of its leading input (top or bottom quarter or any use, missing, the category).
   */
  public static List<Driver> describe(Dataset<Row> training, List<Input> inputs, Map<String, Double> importance,
      Map<String, Double> behaviourImportance, int horizonDays, Resampling resampling) {
    Map<String, List<Input>> byFeature = new LinkedHashMap<>();
    for (Input in : inputs) byFeature.computeIfAbsent(in.feature(), f -> new ArrayList<>()).add(in);
    List<String> features = new ArrayList<>(byFeature.keySet());
    List<Input> described = features.stream().map(f -> described(byFeature.get(f))).toList();

    List<String> quartiled = described.stream()
        .filter(in -> in.transform().equals("value") || in.transform().equals("log1p"))
        .map(Input::feature).distinct().toList();
    Map<String, double[]> quartiles = new HashMap<>();
    if (!quartiled.isEmpty()) {
      double[][] q = training.stat().approxQuantile(quartiled.toArray(String[]::new), new double[] {0.25, 0.75},
          0.001);
      for (int i = 0; i < quartiled.size(); i++) quartiles.put(quartiled.get(i), q[i]);
    }
    List<String> splits = new ArrayList<>();
    for (Input in : described) splits.add(split(in, quartiles.get(in.feature())));
    // Per driver two splits: its observed split (2i) and the rows its leading input is supported on (2i + 1).
    List<Column> sides = new ArrayList<>();
    for (int i = 0; i < described.size(); i++) {
      sides.add(expr(splits.get(i)));
      sides.add(supported(described.get(i)));
    }
    SplitCounts counts = SplitCounts.of(training, sides, resampling.replicates(), resampling.seed());
    // Every driver's observed lift is read with the others': simultaneous (Bonferroni) intervals.
    double confidence = 1 - (1 - resampling.confidence()) / Math.max(1, described.size());
    double rows = counts.sample(0);
    double positives = counts.sample(1);

    List<Integer> order = order(features, byFeature, importance);
    List<String> rankedBehaviours = rankedBehaviours(features, order, behaviourImportance);
    List<Driver> ranked = new ArrayList<>();
    for (int rank = 0; rank < order.size(); rank++) {
      int i = order.get(rank);
      String feature = features.get(i);
      Input lead = leading(byFeature.get(feature));
      Input shown = described.get(i);
      double with = counts.sample(3 + 6 * i);
      double withPositives = counts.sample(4 + 6 * i);
      double support = counts.sample(6 + 6 * i) / rows;
      Estimate lift = counts.liftOverRest(2 * i, confidence);
      String sentence = String.format(Locale.ROOT,
          "Accounts where %s upgraded within %d days at %s against %s for the rest — %s (model: %s)",
          splits.get(i).replace("`", ""), horizonDays, rate(withPositives, with), rate(positives - withPositives,
              rows - with), lift.format("%.1fx", 1), said(shown));
      List<InputEffect> effects = byFeature.get(feature).stream().map(Drivers::effect).toList();
      InputEffect leadEffect = effect(lead);
      String direction = lead.coefficient() > 0 ? "raises" : lead.coefficient() < 0 ? "lowers" : "none";
      String behaviour = dev.pql.features.FeatureNames.behaviour(feature);
      ranked.add(new Driver(feature, kind(feature), rank + 1, importance.getOrDefault(feature, 0.0), behaviour,
          rankedBehaviours.indexOf(behaviour) + 1, behaviourImportance.getOrDefault(behaviour, 0.0), lead.input(),
          lead.transform(), lead.coefficient(), leadEffect.oddsRatioPerSd(), leadEffect.oddsRatioPerUnit(),
          direction, effects, support, splits.get(i), counts.value(2 * i, SplitCounts.RATE_WITH),
          counts.value(2 * i, SplitCounts.RATE_WITHOUT), lift, sentence));
    }
    return ranked;
  }

  /** How the observed figures' intervals are drawn: resamples of accounts, their seed, the level of all of them. */
  public record Resampling(int replicates, long seed, double confidence) {}

  /** A rate with its counts, "12.3% (45 of 366 snapshots)"; "-" of none. */
  private static String rate(double upgrades, double rows) {
    if (rows == 0) return "- (no snapshots)";
    return String.format(Locale.ROOT, "%.1f%% (%,d of %,d snapshots)", 100 * upgrades / rows, Math.round(upgrades),
        Math.round(rows));
  }

  /** The features' indexes by importance, ties by the size of their leading coefficient. */
  private static List<Integer> order(List<String> features, Map<String, List<Input>> byFeature,
      Map<String, Double> importance) {
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < features.size(); i++) order.add(i);
    // Importances and coefficients compared to 6 significant digits: two windows that hold the same counts tie,
    // and their order must not follow rounding, which differs between a cluster and local mode; names decide.
    order.sort(Comparator.<Integer>comparingDouble(i -> -significant(importance.getOrDefault(features.get(i), 0.0)))
        .thenComparingDouble(i -> -significant(Math.abs(leading(byFeature.get(features.get(i))).coefficient())))
        .thenComparing(features::get));
    return order;
  }

  /** Behaviours in the order of what the model loses without all their features, ties by their best feature. */
  private static List<String> rankedBehaviours(List<String> features, List<Integer> order,
      Map<String, Double> behaviourImportance) {
    List<String> behaviours = new ArrayList<>();
    for (int i : order) {
      String b = dev.pql.features.FeatureNames.behaviour(features.get(i));
      if (!behaviours.contains(b)) behaviours.add(b);
    }
    behaviours.sort(Comparator.comparingDouble(b -> -significant(behaviourImportance.getOrDefault(b, 0.0))));
    return behaviours;
  }

  private static double significant(double value) {
    return Double.isFinite(value) ? new java.math.BigDecimal(value).round(new java.math.MathContext(6)).doubleValue()
        : value;
  }

  private static InputEffect effect(Input in) {
    double perUnit = in.scale() == 0 ? 1 : Math.exp(in.coefficient() / in.scale());
    return new InputEffect(in.input(), in.transform(), in.coefficient(), Math.exp(in.coefficient()), perUnit);
  }

  /** The input with the largest absolute standardized coefficient. */
  private static Input leading(List<Input> inputs) {
    // Sizes equal to 9 significant digits tie — a one-hot's two levels share |coefficient| up to rounding, which
    // differs between a cluster and local mode — and the first input by name wins, the same everywhere.
    return inputs.stream().max(Comparator.<Input>comparingDouble(in -> new java.math.BigDecimal(
            Math.abs(in.coefficient())).round(new java.math.MathContext(9)).doubleValue())
        .thenComparing(Input::input, Comparator.reverseOrder())).orElseThrow();
  }

  /** The input whose split the sentence shows: the feature's step when the model uses it, else its leading one. */
  private static Input described(List<Input> inputs) {
    return inputs.stream().filter(in -> in.transform().startsWith("step ") && in.coefficient() != 0).findFirst()
        .orElseGet(() -> leading(inputs));
  }

  /** The model's odds for an input in words: per crossing for 0/1 inputs, per standard deviation otherwise. */
  private static String said(Input in) {
    double perUnit = effect(in).oddsRatioPerUnit();
    if (in.transform().startsWith("step ")) return String.format(Locale.ROOT, "odds x%.2f for meeting it", perUnit);
    if (in.transform().equals("missing")) return String.format(Locale.ROOT, "odds x%.2f when missing", perUnit);
    if (in.transform().startsWith("is ")) return String.format(Locale.ROOT, "odds x%.2f for this category", perUnit);
    return String.format(Locale.ROOT, "odds x%.2f per standard deviation of %s %s", Math.exp(in.coefficient()),
        in.transform(), in.feature());
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
