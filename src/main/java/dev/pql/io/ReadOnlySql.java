package dev.pql.io;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.SparkSessionExtensions;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import scala.Function1;
import scala.runtime.AbstractFunction1;
import scala.runtime.BoxedUnit;

/**
 * A Spark session extension ({@code spark.sql.extensions}) that makes SQL read-only once {@link #enforce()} is
 * called: serve-sql registers the warehouse's tables, then enforces it, so a client can read the registered tables
 * and nothing else. Refused, at analysis, before anything runs: every command but SHOW, DESCRIBE, EXPLAIN, USE and
 * SET (so INSERT, DELETE, UPDATE, MERGE, CREATE, DROP, ALTER, ADD JAR, CACHE ...); Hive's TRANSFORM scripts;
 * {@code reflect} and {@code java_method}; and files read by path ({@code parquet.`/etc`}, {@code delta.`s3a://..`}),
 * which reach past the registered tables. The switch is one-way and per JVM: no client setting turns it off.
 */
public final class ReadOnlySql extends AbstractFunction1<SparkSessionExtensions, BoxedUnit> {
  private static final AtomicBoolean ENFORCED = new AtomicBoolean();
  /** Commands that only show: what BI tools and JDBC drivers send to browse a catalog. */
  private static final Pattern READING_COMMAND = Pattern.compile(
      "(Show|Describe|Explain|SetCommand|SetNamespace|SetCatalog|UseStatement|ResetCommand).*");

  /** Makes every later statement of every session of this JVM read-only. */
  public static void enforce() {
    ENFORCED.set(true);
  }

  @Override
  public BoxedUnit apply(SparkSessionExtensions extensions) {
    extensions.injectCheckRule(new AbstractFunction1<SparkSession, Function1<LogicalPlan, BoxedUnit>>() {
      @Override
      public Function1<LogicalPlan, BoxedUnit> apply(SparkSession session) {
        return new AbstractFunction1<LogicalPlan, BoxedUnit>() {
          @Override
          public BoxedUnit apply(LogicalPlan plan) {
            if (ENFORCED.get()) check(plan);
            return BoxedUnit.UNIT;
          }
        };
      }
    });
    return BoxedUnit.UNIT;
  }

  /** Throws when the plan (or any plan inside it) writes, runs code or reads a file by path. */
  static void check(LogicalPlan plan) {
    String node = plan.getClass().getSimpleName();
    if (plan instanceof org.apache.spark.sql.catalyst.plans.logical.Command && !READING_COMMAND.matcher(node).matches()
        || node.equals("InsertIntoStatement") || node.contains("ScriptTransformation")) {
      throw refused("it changes the warehouse or the catalog (" + node + ")");
    }
    if (plan instanceof org.apache.spark.sql.execution.datasources.LogicalRelation r && r.catalogTable().isEmpty()
        || plan instanceof org.apache.spark.sql.execution.datasources.v2.DataSourceV2Relation v
            && v.identifier().isDefined() && v.catalog().isDefined() && isPath(v)) {
      throw refused("it reads files by path; read the tables of the served database");
    }
    scala.collection.Iterator<Expression> expressions = plan.expressions().iterator();
    while (expressions.hasNext()) checkExpression(expressions.next());
    scala.collection.Iterator<LogicalPlan> children = plan.children().iterator();
    while (children.hasNext()) check(children.next());
  }

  private static boolean isPath(org.apache.spark.sql.execution.datasources.v2.DataSourceV2Relation v) {
    String[] namespace = v.identifier().get().namespace();
    return namespace.length == 1 && namespace[0].matches("(?i)delta|parquet|json|csv|orc|text|avro|binaryFile");
  }

  private static void checkExpression(Expression e) {
    String name = e.getClass().getSimpleName();
    if (name.equals("CallMethodViaReflection")) throw refused("it calls Java methods (reflect, java_method)");
    if (e instanceof org.apache.spark.sql.catalyst.expressions.SubqueryExpression s) check(s.plan());
    scala.collection.Iterator<Expression> children = e.children().iterator();
    while (children.hasNext()) checkExpression(children.next());
  }

  private static UnsupportedOperationException refused(String why) {
    return new UnsupportedOperationException("pql serve-sql is read-only: this statement is refused because " + why);
  }
}
