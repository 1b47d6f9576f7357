package dev.pql.definitions;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Executes checked definitions on feature rows (the last step of parse, check, translate, execute): which
 * definitions each row matches, and the values of the columns that made each matched `when` true.
 */
public final class RuleMatches {
  private RuleMatches() {}

  /** A checked definition and the feature columns its `when` reads. */
  public record Rule(Definition definition, List<String> columns) {}

  public static final String MATCHED = "rules_matched";
  public static final String REASONS = "rule_reasons";

  /**
   * Adds {@value #MATCHED} (the names of the definitions the row meets, in the given order) and {@value #REASONS}
   * (for each, every column its `when` reads with its value, as reason structs).
   */
  public static Dataset<Row> apply(Dataset<Row> rows, List<Rule> rules) {
    List<Column> names = new ArrayList<>();
    List<Column> reasons = new ArrayList<>();
    for (Rule r : rules) {
      Column met = DefinitionTranslator.condition(r.definition());
      names.add(when(met, lit(r.definition().name())));
      for (String column : r.columns()) {
        reasons.add(when(met, dev.pql.io.Tables.reason("rules", r.definition().name(), column,
            col("`" + column + "`"))));
      }
    }
    return rows.withColumn(MATCHED, nonNull(names, "string"))
        .withColumn(REASONS, nonNull(reasons, dev.pql.io.Tables.REASON.simpleString()));
  }

  /**
   * The rules no row meets (one aggregate over the rows): on the stored snapshots, the definitions that never
   * fired on this lake — an event name it does not have, a bar above anything seen.
   */
  public static List<String> neverMet(Dataset<Row> rows, List<Rule> rules) {
    if (rules.isEmpty()) return List.of();
    Column[] met = rules.stream().map(r -> org.apache.spark.sql.functions.count(
        when(DefinitionTranslator.condition(r.definition()), 1))).toArray(Column[]::new);
    Row counts = rows.agg(met[0], java.util.Arrays.copyOfRange(met, 1, met.length)).first();
    List<String> never = new ArrayList<>();
    for (int i = 0; i < rules.size(); i++) {
      if (counts.getLong(i) == 0) never.add(rules.get(i).definition().name());
    }
    return never;
  }

  /** The non-null elements of the columns as an array (empty, of the element type, when there are none). */
  public static Column nonNull(List<Column> elements, String elementType) {
    if (elements.isEmpty()) return expr("CAST(array() AS array<" + elementType + ">)");
    return org.apache.spark.sql.functions.filter(array(elements.toArray(Column[]::new)), Column::isNotNull);
  }
}
