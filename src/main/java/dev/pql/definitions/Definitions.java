package dev.pql.definitions;

import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.analysis.UnresolvedAttribute;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** The definitions a stage applies: parsed from their folder or text and checked against the feature schema. */
public final class Definitions {
  private Definitions() {}

  /**
   * The active definitions of a folder against a lake's features: those that fit, checked; and those that cannot
   * fire on this lake, by name, with the features they read of events the lake never had.
   */
  public record Fitted(List<RuleMatches.Rule> fit, Map<String, List<String>> unfit) {}

  /** The features built per event, {@code <family>__<event>}: what a definition of another product names. */
  private static final Pattern EVENT_FEATURE = Pattern.compile(
      "(cnt_\\d{1,4}d|cnt_first_\\d{1,4}d|users_\\d{1,4}d|cnt_total|days_to_first|usage_vs_limit)__(.+)");

  /**
   * The active definitions of the folder, each checked against the features: a mistake fails before any work. A
   * definition whose only unknown columns are features of events this lake never had (the definitions of another
   * product, e.g. the generated product's on a music service's log) is not a mistake but cannot fire here: it is
   * left out, in {@link Fitted#unfit}, for the run to warn about. An unknown event close to a known one (at most
   * two edits, as `mesage_sent` to `message_sent`) is taken for a typo and fails.
   */
  public static Fitted fitted(SparkSession spark, String folder, StructType features) {
    List<RuleMatches.Rule> fit = new ArrayList<>();
    Map<String, List<String>> unfit = new LinkedHashMap<>();
    for (Definition d : DefinitionParser.loadFolder(new File(folder))) {
      if (!d.active()) continue;
      List<String> absent = absentEventFeatures(spark, d, features);
      if (absent.isEmpty()) {
        fit.add(checked(spark, d, features));
      } else {
        DefinitionCheck.checkText(spark, d); // its functions are still checked
        unfit.put(d.name(), absent);
      }
    }
    return new Fitted(fit, unfit);
  }

  /** The active definitions of the folder that fit the features, each checked: a mistake fails before any work. */
  public static List<RuleMatches.Rule> active(SparkSession spark, String folder, StructType features) {
    return fitted(spark, folder, features).fit();
  }

  /**
   * The columns of the definition's `when` that are per-event features of events the lake never had, when every
   * unknown column is one; else none (the check then names the unknown column).
   */
  static List<String> absentEventFeatures(SparkSession spark, Definition d, StructType features) {
    Expression parsed;
    try {
      parsed = spark.sessionState().sqlParser().parseExpression(d.when());
    } catch (Exception e) { // a ParseException, declared: the check says what is wrong with it
      return List.of();
    }
    Set<String> known = java.util.Arrays.stream(features.fields()).map(f -> f.name().toLowerCase(Locale.ROOT))
        .collect(Collectors.toSet());
    Set<String> knownEvents = new java.util.HashSet<>();
    for (StructField f : features.fields()) {
      Matcher m = EVENT_FEATURE.matcher(f.name().toLowerCase(Locale.ROOT));
      if (m.matches()) knownEvents.add(m.group(2));
    }
    List<String> absent = new ArrayList<>();
    for (String column : columnsNamed(parsed)) {
      if (known.contains(column.toLowerCase(Locale.ROOT))) continue;
      Matcher m = EVENT_FEATURE.matcher(column.toLowerCase(Locale.ROOT));
      if (!m.matches() || knownEvents.stream()
          .anyMatch(e -> dev.pql.config.SettingsLoader.editDistance(e, m.group(2)) <= 2)) {
        return List.of(); // a mistake or a typo: the check names it
      }
      if (!absent.contains(column)) absent.add(column);
    }
    return absent;
  }

  private static List<String> columnsNamed(Expression e) {
    List<String> names = new ArrayList<>();
    if (e instanceof UnresolvedAttribute a) names.add(a.name());
    scala.collection.Iterator<Expression> children = e.children().iterator();
    while (children.hasNext()) names.addAll(columnsNamed(children.next()));
    return names;
  }

  /**
   * The active definitions of the folder, checked as far as possible without the feature columns (a first run,
   * before any event names are known): the folder exists, each file parses, each `when` parses and calls only
   * allowed functions. Returns how many are active.
   */
  public static int checkedText(SparkSession spark, String folder) {
    int active = 0;
    for (Definition d : DefinitionParser.loadFolder(new File(folder))) {
      if (!d.active()) continue;
      DefinitionCheck.checkText(spark, d);
      active++;
    }
    return active;
  }

  /** One definition checked against the features, with the columns its `when` reads. */
  public static RuleMatches.Rule checked(SparkSession spark, Definition d, StructType features) {
    return new RuleMatches.Rule(d, DefinitionCheck.check(spark, d, features));
  }

  /** A definition stored as text (discovered_rules.definition), parsed and checked. */
  public static RuleMatches.Rule checked(SparkSession spark, String hocon, String source, StructType features) {
    return checked(spark, DefinitionParser.parse(hocon, source), features);
  }
}
