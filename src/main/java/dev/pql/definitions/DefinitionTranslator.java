package dev.pql.definitions;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;

import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;

/** Translates a definition into the Spark column that says whether a feature row meets it. */
public final class DefinitionTranslator {
  private DefinitionTranslator() {}

  private static final Map<String, String> SEGMENT_COLUMNS = Map.of("country", "country", "industry", "industry",
      "size-band", "size_band", "domain-class", "domain_class");

  /** Whether a row meets the definition: its `when`, its segment filters and its window after signup. */
  public static Column condition(Definition d) {
    Column c = expr(d.when());
    for (Map.Entry<String, List<String>> segment : d.segments().entrySet()) {
      if (!segment.getValue().isEmpty()) c = c.and(col(SEGMENT_COLUMNS.get(segment.getKey())).isin(segment.getValue().toArray()));
    }
    if (d.withinDaysOfSignup() != null) c = c.and(col("days_since_signup").leq(d.withinDaysOfSignup()));
    return coalesce(c, lit(false));
  }
}
