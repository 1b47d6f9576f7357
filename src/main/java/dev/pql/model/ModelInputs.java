package dev.pql.model;

import dev.pql.features.FeatureNames;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Which columns of account_features the model reads, and how: counts and heavy-tailed ratios through
 * log1p, other numbers as they are, nullable numbers with a missing indicator, a few low-cardinality strings
 * one-hot encoded. The feature-set version fingerprints this choice, so that a model is never applied to
 * features it was not trained on.
 */
public record ModelInputs(List<Numeric> numeric, List<String> categorical, List<Step> steps,
    String featureSetVersion) {

  /** A discovered threshold the model also reads as a 0/1 input, so that it can learn a step where one is. */
  public record Step(String feature, String operator, double threshold) {
    public String input() {
      return "t_" + feature;
    }

    public String predicate() {
      return ThresholdDiscovery.Threshold.predicate(feature, operator, threshold);
    }
  }

  /** These inputs with the steps of the given single-feature thresholds. */
  public ModelInputs withSteps(List<ThresholdDiscovery.Threshold> thresholds) {
    // A combination is a rule, not an input: the model reads one step per feature.
    List<Step> s = thresholds.stream().filter(t -> !t.combination())
        .map(t -> new Step(t.feature(), t.operator(), t.threshold())).toList();
    return new ModelInputs(numeric, categorical, s, featureSetVersion);
  }

  /**
   * These inputs without the features that sum over many actions ({@link FeatureNames#COMPOSITES}):
   * what the driver fit reads, so that each action keeps the credit a total over all actions would share.
   */
  public ModelInputs actionsOnly() {
    java.util.function.Predicate<String> kept = f -> !FeatureNames.COMPOSITES.contains(f);
    return new ModelInputs(numeric.stream().filter(n -> kept.test(n.name())).toList(), categorical,
        steps.stream().filter(s -> kept.test(s.feature())).toList(), featureSetVersion);
  }

  /**
   * The numeric features to scan for thresholds: sooner is likelier for days-to-first, more for the rest; the
   * counts (read through log1p) also as a graded effect.
   */
  public List<ThresholdDiscovery.Candidate> scanned() {
    return numeric.stream().map(n -> {
      boolean atLeast = !n.name().startsWith("days_");
      return new ThresholdDiscovery.Candidate(n.name(), atLeast, atLeast && n.log());
    }).toList();
  }

  /** A numeric feature: log-transformed or not, and whether it can be null (then it gets an indicator). */
  public record Numeric(String name, boolean log, boolean nullable) {}

  static final Set<String> KEYS = Set.of("account_id", "as_of_date");
  static final Set<String> CATEGORICAL = Set.of("plan", "domain_class", "size_band", "industry", "country",
      "revenue_band");
  static final Set<String> LOGGED_RATIOS = Set.of("employees", "trend_7d", "depth_30d");

  /** The inputs the configuration makes of a feature table: what train fits and what score must find again. */
  public static ModelInputs forFeatures(StructType features, dev.pql.config.Settings.ModelSettings model,
      dev.pql.config.Settings.FeatureSettings settings) {
    List<String> excluded = new ArrayList<>(model.excludeFeatures());
    excluded.addAll(redundant(features, settings));
    return of(features, excluded);
  }

  public static ModelInputs of(StructType features, List<String> excluded) {
    List<Numeric> numeric = new ArrayList<>();
    List<String> categorical = new ArrayList<>();
    StringBuilder fingerprint = new StringBuilder();
    for (StructField f : features.fields()) {
      if (KEYS.contains(f.name()) || excluded.contains(f.name())) continue;
      DataType t = f.dataType();
      if (t instanceof NumericType) {
        boolean log = t.equals(DataTypes.LongType) || LOGGED_RATIOS.contains(f.name());
        numeric.add(new Numeric(f.name(), log, f.nullable()));
      } else if (t.equals(DataTypes.StringType) && CATEGORICAL.contains(f.name())) {
        categorical.add(f.name());
      } else {
        continue;
      }
      fingerprint.append(f.name()).append(':').append(t.simpleString()).append(';');
    }
    return new ModelInputs(List.copyOf(numeric), List.copyOf(categorical), List.of(),
        "fs-" + sha256(fingerprint.toString()));
  }

  /**
   * Family columns that repeat a key-event column exactly (logins_30d is cnt_30d__signed_in when "Signed In" is
   * the one login event; usage_vs_limit__file_uploaded is cnt_total__file_uploaded over a constant limit): the
   * model reads the key-event column alone, so that one behaviour is one driver.
   */
  public static List<String> redundant(StructType features, dev.pql.config.Settings.FeatureSettings settings) {
    java.util.Set<String> columns = java.util.Set.of(features.fieldNames());
    List<String> redundant = new ArrayList<>();
    // Each family column beside the key-event column it repeats when the family has one event.
    Map<List<String>, List<String>> families = Map.of(
        List.of("logins_7d", FeatureNames.COUNT_7D, "logins_30d", FeatureNames.COUNT_30D), settings.loginEvents(),
        List.of("invites_30d", FeatureNames.COUNT_30D, "invites_total", FeatureNames.COUNT_TOTAL),
        settings.inviteEvents(),
        List.of("limits_reached_30d", FeatureNames.COUNT_30D, "limits_reached_total", FeatureNames.COUNT_TOTAL),
        settings.limitEvents(),
        List.of("hand_raises_30d", FeatureNames.COUNT_30D, "hand_raises_total", FeatureNames.COUNT_TOTAL),
        settings.handRaiseEvents());
    families.forEach((pairs, events) -> {
      if (events.size() != 1) return;
      String snake = FeatureNames.snake(events.get(0));
      for (int i = 0; i < pairs.size(); i += 2) {
        if (columns.contains(FeatureNames.column(pairs.get(i + 1), snake))) redundant.add(pairs.get(i));
      }
    });
    for (dev.pql.config.Settings.PlanLimit limit : settings.planLimits()) {
      String snake = FeatureNames.snake(limit.event());
      String count = limit.sinceSignup() ? FeatureNames.countTotal(snake)
          : FeatureNames.count30d(snake);
      if (columns.contains(count)) redundant.add(FeatureNames.usageVsLimit(snake));
    }
    return redundant;
  }

  /**
   * These inputs without the numeric columns that carry nothing on the given rows (all null, or one value),
   * such as the counts of the upgrade event itself among accounts that have not upgraded. The feature-set
   * version stays that of the feature table.
   */
  public ModelInputs withoutConstants(org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> rows) {
    if (numeric.isEmpty()) return this;
    List<org.apache.spark.sql.Column> aggs = new ArrayList<>();
    for (Numeric n : numeric) {
      aggs.add(org.apache.spark.sql.functions.min(org.apache.spark.sql.functions.col("`" + n.name() + "`")));
      aggs.add(org.apache.spark.sql.functions.max(org.apache.spark.sql.functions.col("`" + n.name() + "`")));
    }
    org.apache.spark.sql.Row r = rows.agg(aggs.get(0), aggs.subList(1, aggs.size())
        .toArray(org.apache.spark.sql.Column[]::new)).first();
    List<Numeric> kept = new ArrayList<>();
    for (int i = 0; i < numeric.size(); i++) {
      Object min = r.get(2 * i);
      Object max = r.get(2 * i + 1);
      if (min != null && !min.equals(max)) kept.add(numeric.get(i));
    }
    return new ModelInputs(List.copyOf(kept), categorical, steps, featureSetVersion);
  }

  /** Every column the model reads. */
  public List<String> columns() {
    List<String> all = new ArrayList<>();
    numeric.forEach(n -> all.add(n.name()));
    all.addAll(categorical);
    return all;
  }

  private static String sha256(String text) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
