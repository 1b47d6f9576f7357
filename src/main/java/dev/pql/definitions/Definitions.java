package dev.pql.definitions;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/** The definitions a stage applies: parsed from their folder or text and checked against the feature schema. */
public final class Definitions {
  private Definitions() {}

  /** The active definitions of the folder, each checked against the features: fails before any work. */
  public static List<RuleMatches.Rule> active(SparkSession spark, String folder, StructType features) {
    List<RuleMatches.Rule> rules = new ArrayList<>();
    for (Definition d : DefinitionParser.loadFolder(new File(folder))) {
      if (d.active()) rules.add(checked(spark, d, features));
    }
    return rules;
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
