package dev.pql.scoring;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.array_contains;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.when;

import dev.pql.definitions.Definition;
import dev.pql.definitions.RuleMatches;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Turns the rule matches, the learned score and the activation of open accounts into leads: the opportunity
 * size band and its activation bar, whether the account is a PQL, on which paths, of which type, and why.
 */
public final class Leads {
  private Leads() {}

  /** The PQL types in order of precedence: a hand-raiser asked, which says more than any usage. */
  static final List<Definition.Type> PRECEDENCE = List.of(Definition.Type.HAND_RAISER,
      Definition.Type.USAGE_LIMIT_REACHED, Definition.Type.SELF_SERVE_PURCHASE, Definition.Type.USAGE);

  /**
   * Adds the opportunity band (size_band by employees, a listed enterprise domain counting as large, no employee
   * count as small), its activation bar, and whether the activation reaches it.
   */
  public static Dataset<Row> sizeAndActivation(Dataset<Row> rows, Map<String, Double> bars) {
    Column band = when(col("domain_class").equalTo("enterprise"), lit("large"))
        .otherwise(coalesce(col("size_band"), lit("small")));
    Column bar = when(col("pql_band").equalTo("large"), lit(bars.get("large")))
        .when(col("pql_band").equalTo("mid"), lit(bars.get("mid")))
        .otherwise(lit(bars.get("small")));
    return rows.withColumn("pql_band", band)
        .withColumn("activation_bar", bar)
        .withColumn("activation", col("activation_share").cast("double"))
        .withColumn("activation_qualifies", coalesce(col("activation").geq(col("activation_bar")), lit(false)));
  }

  /**
   * The pql_scores columns from rows with rule matches, optionally a learned score, and activation: is_pql, the
   * sources that qualify it, the type by precedence among the matched rules (usage for learned or activation
   * alone), and the reasons of every qualifying path plus the learned score's.
   */
  public static Dataset<Row> combine(Dataset<Row> rows, List<RuleMatches.Rule> rules, boolean learned) {
    Column byRules = size(col(RuleMatches.MATCHED)).gt(0);
    Column byModel = learned ? coalesce(col(LearnedScore.QUALIFIES), lit(false)) : lit(false);
    Column byActivation = col("activation_qualifies");
    Column sources = RuleMatches.nonNull(List.of(when(byRules, lit("rules")), when(byModel, lit("learned")),
        when(byActivation, lit("activation"))), "string");
    Column type = lit(null).cast("string");
    for (int i = PRECEDENCE.size() - 1; i >= 0; i--) {
      List<String> ofType = new ArrayList<>();
      for (RuleMatches.Rule r : rules) {
        if (r.definition().type() == PRECEDENCE.get(i)) ofType.add(r.definition().name());
      }
      for (String name : ofType) {
        type = when(array_contains(col(RuleMatches.MATCHED), name), lit(PRECEDENCE.get(i).key())).otherwise(type);
      }
    }
    type = when(col("pql_sources_n").equalTo(0), lit(null).cast("string"))
        .otherwise(coalesce(type, lit(Definition.Type.USAGE.key())));
    Column activationReason = when(byActivation, array(dev.pql.io.Tables.reason("activation", "activation",
        "activation_share", col("activation"))))
        .otherwise(RuleMatches.nonNull(List.of(), dev.pql.io.Tables.REASON.simpleString()));
    Column learnedReasons = learned ? col(LearnedScore.REASONS)
        : RuleMatches.nonNull(List.of(), dev.pql.io.Tables.REASON.simpleString());
    return rows.withColumn("sources", sources)
        .withColumn("pql_sources_n", size(col("sources")))
        .withColumn("is_pql", col("pql_sources_n").gt(0))
        .withColumn("source", when(col("pql_sources_n").equalTo(0), lit(null).cast("string"))
            .when(col("pql_sources_n").equalTo(1), element_at(col("sources"), 1)).otherwise(lit("several")))
        .withColumn("pql_type", type)
        .withColumn("reasons", concat(col(RuleMatches.REASONS), learnedReasons, activationReason))
        .drop("pql_sources_n");
  }
}
