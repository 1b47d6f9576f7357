package dev.pql.definitions;

import dev.pql.PqlException.ConfigurationError;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.analysis.UnresolvedFunction;
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

  /**
   * The functions a `when` may call: comparison, arithmetic, logic, null handling, casts, date and string functions
   * and the array ones an activation column needs. Anything else (raise_error, assert_true, reflect, java_method,
   * file readers, ...) is refused before any work, whatever it would do when run.
   */
  static final Set<String> FUNCTIONS = Set.of(
      // null handling and logic
      "coalesce", "ifnull", "nvl", "nvl2", "nullif", "isnull", "isnotnull", "isnan", "nanvl", "if",
      // arithmetic
      "abs", "greatest", "least", "ln", "log", "log10", "log2", "log1p", "exp", "pow", "power", "sqrt", "round",
      "bround", "floor", "ceil", "ceiling", "sign", "signum", "mod", "pmod", "negative", "positive",
      // casts
      "boolean", "tinyint", "smallint", "int", "bigint", "float", "double", "decimal", "string", "date",
      // dates
      "date_add", "date_sub", "datediff", "to_date", "year", "month", "day", "dayofmonth", "dayofweek",
      "weekofyear", "date_trunc", "trunc", "months_between", "add_months", "last_day", "make_date",
      // strings
      "lower", "upper", "lcase", "ucase", "trim", "ltrim", "rtrim", "length", "char_length", "substr",
      "substring", "left", "right", "concat", "concat_ws", "startswith", "endswith", "contains", "instr", "locate",
      "replace", "regexp_like", "like", "ilike", "rlike",
      // arrays (activation_milestones)
      "array_contains", "size", "cardinality", "element_at");

  /**
   * The checks that need no feature columns, for a run that does not know them yet: the very text scoring reads
   * parses, and calls only allowed functions.
   */
  public static void checkText(SparkSession spark, Definition d) {
    String where = d.source() + ": definition '" + d.name() + "'";
    Expression parsed;
    try {
      parsed = spark.sessionState().sqlParser().parseExpression(d.when());
    } catch (Exception failure) {
      if (failure instanceof ParseException) {
        throw new ConfigurationError(where + ": 'when' is not a Spark SQL expression: "
            + firstLine(failure.getMessage()) + " In: " + d.when(), failure);
      }
      throw failure instanceof RuntimeException r ? r : new IllegalStateException(failure);
    }
    refuseFunctions(where, d, parsed);
  }

  private static void refuseFunctions(String where, Definition d, Expression parsed) {
    List<String> refused = calledFunctions(parsed).stream().filter(f -> !FUNCTIONS.contains(f)).distinct().toList();
    if (!refused.isEmpty()) {
      throw new ConfigurationError(where + ": 'when' calls " + String.join(", ", refused) + ", which a definition "
          + "may not call (comparison, arithmetic, logic, null handling, casts, date and string functions only; "
          + "README \"Definitions\"): " + d.when(), null);
    }
  }

  /** Checks the definition; returns the feature columns its `when` reads, in the order of the feature table. */
  public static List<String> check(SparkSession spark, Definition d, StructType features) {
    String where = d.source() + ": definition '" + d.name() + "'";
    Dataset<Row> empty = spark.createDataFrame(List.of(), features);
    LogicalPlan analyzed;
    Expression parsed;
    try {
      // The very text scoring reads, not wrapped in anything: "true) OR (false" is no expression.
      parsed = spark.sessionState().sqlParser().parseExpression(d.when());
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
    refuseFunctions(where, d, parsed);
    java.util.Set<String> read = new java.util.HashSet<>();
    scala.collection.JavaConverters.asJavaCollection(e.references().toSeq()).forEach(a -> read.add(a.name()));
    return java.util.Arrays.stream(features.fieldNames()).filter(read::contains).toList();
  }

  /** The names of the functions an expression calls, lower case, as the parser read them. */
  static List<String> calledFunctions(Expression e) {
    List<String> names = new java.util.ArrayList<>();
    if (e instanceof UnresolvedFunction f) names.add(f.nameParts().last().toLowerCase(java.util.Locale.ROOT));
    for (Expression child : scala.collection.JavaConverters.seqAsJavaListConverter(e.children()).asJava()) {
      names.addAll(calledFunctions(child));
    }
    return names;
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
