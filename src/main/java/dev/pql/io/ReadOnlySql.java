package dev.pql.io;

import java.util.concurrent.atomic.AtomicReference;
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
 * {@code reflect} and {@code java_method}; and files outside the warehouse ({@code text.`/etc/hostname`},
 * {@code delta.`s3a://other`}), which reach past the served tables. The switch is one-way and per JVM: no client
 * setting turns it off.
 */
public final class ReadOnlySql extends AbstractFunction1<SparkSessionExtensions, BoxedUnit> {
  /** The warehouse whose files may be read, once enforced; null before. */
  private static final AtomicReference<String> WAREHOUSE = new AtomicReference<>();
  /** Commands that only show: what BI tools and JDBC drivers send to browse a catalog. */
  private static final Pattern READING_COMMAND = Pattern.compile(
      "(Show|Describe|Explain|SetCommand|SetNamespace|SetCatalog|UseStatement|ResetCommand).*");

  /**
   * Makes every later statement of every session of this JVM read-only, reading files under the warehouse only.
   *
   * @param warehouse the warehouse's fully qualified location (file:/..., s3a://...)
   */
  public static void enforce(String warehouse) {
    WAREHOUSE.compareAndSet(null, warehouse.endsWith("/") ? warehouse : warehouse + "/");
  }

  @Override
  public BoxedUnit apply(SparkSessionExtensions extensions) {
    extensions.injectCheckRule(new AbstractFunction1<SparkSession, Function1<LogicalPlan, BoxedUnit>>() {
      @Override
      public Function1<LogicalPlan, BoxedUnit> apply(SparkSession session) {
        return new AbstractFunction1<LogicalPlan, BoxedUnit>() {
          @Override
          public BoxedUnit apply(LogicalPlan plan) {
            String warehouse = WAREHOUSE.get();
            if (warehouse != null) check(plan, warehouse);
            return BoxedUnit.UNIT;
          }
        };
      }
    });
    return BoxedUnit.UNIT;
  }

  /**
   * Throws when the plan (or any plan inside it) writes, runs code or reads files outside {@code warehouse} (a
   * path such as {@code text.`/etc/hostname`}, or a table of another catalog).
   */
  static void check(LogicalPlan plan, String warehouse) {
    String node = plan.getClass().getSimpleName();
    if (plan instanceof org.apache.spark.sql.catalyst.plans.logical.Command && !READING_COMMAND.matcher(node).matches()
        || node.equals("InsertIntoStatement") || node.contains("ScriptTransformation")) {
      throw refused("it changes the warehouse or the catalog (" + node + ")");
    }
    for (String path : readPaths(plan)) {
      if (!(path + "/").startsWith(warehouse)) {
        throw refused("it reads " + path + ", outside the served warehouse; read the tables of the served database");
      }
    }
    scala.collection.Iterator<Expression> expressions = plan.expressions().iterator();
    while (expressions.hasNext()) checkExpression(expressions.next(), warehouse);
    scala.collection.Iterator<LogicalPlan> children = plan.children().iterator();
    while (children.hasNext()) check(children.next(), warehouse);
  }

  /** The locations a relation reads ("?" for one whose location cannot be told); none for other nodes. */
  private static java.util.List<String> readPaths(LogicalPlan plan) {
    if (plan instanceof org.apache.spark.sql.execution.datasources.LogicalRelation r) {
      if (r.relation() instanceof org.apache.spark.sql.execution.datasources.HadoopFsRelation fs) {
        return scala.collection.JavaConverters.seqAsJavaList(fs.location().rootPaths()).stream()
            .map(Object::toString).toList();
      }
      return java.util.List.of("?");
    }
    if (plan instanceof org.apache.spark.sql.execution.datasources.v2.DataSourceV2Relation v) {
      return java.util.List.of(v.table() instanceof org.apache.spark.sql.delta.catalog.DeltaTableV2 delta
          ? delta.path().toString() : "?");
    }
    if (plan.getClass().getSimpleName().equals("HiveTableRelation")) return java.util.List.of("?");
    return java.util.List.of();
  }

  private static void checkExpression(Expression e, String warehouse) {
    String name = e.getClass().getSimpleName();
    if (name.equals("CallMethodViaReflection")) throw refused("it calls Java methods (reflect, java_method)");
    if (e instanceof org.apache.spark.sql.catalyst.expressions.SubqueryExpression s) check(s.plan(), warehouse);
    scala.collection.Iterator<Expression> children = e.children().iterator();
    while (children.hasNext()) checkExpression(children.next(), warehouse);
  }

  private static UnsupportedOperationException refused(String why) {
    return new UnsupportedOperationException("pql serve-sql is read-only: this statement is refused because " + why);
  }
}
