package dev.pql.definitions;

import dev.pql.PqlException.ConfigurationError;
import java.util.List;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.SubqueryExpression;
import org.apache.spark.sql.catalyst.parser.ParseException;
import org.apache.spark.sql.catalyst.plans.logical.LocalRelation;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Project;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Checks a definition's `when` with Spark's own parser and analyzer against the feature columns, before any
 * work: it must be a deterministic, row-level boolean expression — no unknown column, subquery, aggregate,
 * window function or generator. The error names the definition's file, its name and the offending part.
 */
public final class DefinitionCheck {
  private DefinitionCheck() {}

  /** Checks the definition; returns the feature columns its `when` reads, in the order of the feature table. */
  public static List<String> check(SparkSession spark, Definition d, StructType features) {
    String where = d.source() + ": definition '" + d.name() + "'";
    Dataset<Row> empty = spark.createDataFrame(List.of(), features);
    LogicalPlan analyzed;
    try {
      analyzed = empty.selectExpr("(" + d.when() + ") AS pql_when").queryExecution().analyzed();
    } catch (Exception failure) {
      // Scala does not declare them: Spark's parse and analysis errors arrive unchecked.
      if (failure instanceof ParseException) {
        throw new ConfigurationError(where + ": 'when' is not a Spark SQL expression: "
            + firstLine(failure.getMessage()) + " In: " + d.when(), failure);
      }
      if (!(failure instanceof AnalysisException e)) {
        throw failure instanceof RuntimeException r ? r : new IllegalStateException(failure);
      }
      String error = e.getErrorClass() == null ? "" : e.getErrorClass();
      if (error.startsWith("UNRESOLVED_COLUMN")) {
        throw new ConfigurationError(where + ": 'when' uses unknown column " + e.getMessageParameters()
            .get("objectName") + "; did you mean one of " + e.getMessageParameters().get("proposal") + "? In: "
            + d.when(), e);
      }
      throw new ConfigurationError(where + ": 'when' is not valid here: " + firstLine(e.getMessage()) + " In: "
          + d.when(), e);
    }
    LogicalPlan foreign = notRowLevel(analyzed);
    if (foreign != null) {
      String kind = foreign.nodeName().equals("Aggregate") ? "an aggregate function"
          : foreign.nodeName().equals("Window") ? "a window function"
          : foreign.nodeName().equals("Generate") ? "a generator" : foreign.nodeName();
      throw new ConfigurationError(where + ": 'when' must be a row-level expression over one account's features, "
          + "but it uses " + kind + ": " + d.when(), null);
    }
    Expression e = (Expression) ((Project) analyzed).projectList().head();
    if (SubqueryExpression.hasSubquery(e)) {
      throw new ConfigurationError(where + ": 'when' must not contain a subquery: " + d.when(), null);
    }
    if (!e.deterministic()) {
      throw new ConfigurationError(where + ": 'when' must be deterministic (no rand(), uuid(), ...): " + d.when(),
          null);
    }
    if (!e.dataType().equals(DataTypes.BooleanType)) {
      throw new ConfigurationError(where + ": 'when' must be a boolean expression, but it is of type "
          + e.dataType().simpleString() + ": " + d.when(), null);
    }
    java.util.Set<String> read = new java.util.HashSet<>();
    scala.collection.JavaConverters.asJavaCollection(e.references().toSeq()).forEach(a -> read.add(a.name()));
    return java.util.Arrays.stream(features.fieldNames()).filter(read::contains).toList();
  }

  /** The first node of the plan that is neither a projection nor the feature rows: what makes it not row-level. */
  private static LogicalPlan notRowLevel(LogicalPlan plan) {
    if (!(plan instanceof Project) && !(plan instanceof LocalRelation)) return plan;
    for (LogicalPlan child : scala.collection.JavaConverters.seqAsJavaListConverter(plan.children()).asJava()) {
      LogicalPlan found = notRowLevel(child);
      if (found != null) return found;
    }
    return null;
  }

  /** The first non-blank line: Spark's messages open with a blank line and end with the plan or the SQL text. */
  private static String firstLine(String message) {
    return message.strip().lines().findFirst().orElse("").strip();
  }
}
