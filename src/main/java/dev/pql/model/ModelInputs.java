package dev.pql.model;

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
public record ModelInputs(List<Numeric> numeric, List<String> categorical, String featureSetVersion) {

  /** A numeric feature: log-transformed or not, and whether it can be null (then it gets an indicator). */
  public record Numeric(String name, boolean log, boolean nullable) {}

  static final Set<String> KEYS = Set.of("account_id", "as_of_date");
  static final Set<String> CATEGORICAL = Set.of("plan", "domain_class", "size_band", "industry", "country");
  static final Set<String> LOGGED_RATIOS = Set.of("employees", "trend_7d", "depth_30d");

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
    return new ModelInputs(List.copyOf(numeric), List.copyOf(categorical), "fs-" + sha256(fingerprint.toString()));
  }

  /**
   * Family columns that repeat a key-event column exactly (logins_30d is cnt_30d__signed_in when "Signed In" is
   * the one login event): the model reads the key-event column alone, so that one behaviour is one driver.
   */
  public static List<String> redundant(StructType features, dev.pql.config.Settings.FeatureSettings settings) {
    java.util.Set<String> columns = java.util.Set.of(features.fieldNames());
    List<String> redundant = new ArrayList<>();
    Map<List<String>, List<String>> families = Map.of(
        List.of("logins_7d", "cnt_7d__", "logins_30d", "cnt_30d__"), settings.loginEvents(),
        List.of("invites_30d", "cnt_30d__", "invites_total", "cnt_total__"), settings.inviteEvents(),
        List.of("limits_reached_30d", "cnt_30d__", "limits_reached_total", "cnt_total__"), settings.limitEvents(),
        List.of("hand_raises_30d", "cnt_30d__", "hand_raises_total", "cnt_total__"), settings.handRaiseEvents());
    families.forEach((pairs, events) -> {
      if (events.size() != 1) return;
      String snake = dev.pql.features.FeatureNames.snake(events.get(0));
      for (int i = 0; i < pairs.size(); i += 2) {
        if (columns.contains(pairs.get(i + 1) + snake)) redundant.add(pairs.get(i));
      }
    });
    return redundant;
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
