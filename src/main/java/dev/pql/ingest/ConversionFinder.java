package dev.pql.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lag;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.lower;
import static org.apache.spark.sql.functions.row_number;

import dev.pql.PqlException.SchemaError;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;

/** Pure transforms that find conversions (free to paid) in the account history or in events. */
public final class ConversionFinder {
  private ConversionFinder() {}

  /** Every change of plan from a free plan to a paid plan in the complete account history. */
  public static Dataset<Row> fromPlanHistory(Dataset<Row> history, List<String> freePlans, List<String> paidPlans) {
    WindowSpec timeline = Window.partitionBy("account_id").orderBy("valid_from");
    return history
        .withColumn("from_plan", lag(col("plan"), 1).over(timeline))
        .filter(lower(col("from_plan")).isin(freePlans.toArray()).and(lower(col("plan")).isin(paidPlans.toArray())))
        .select(col("account_id"), col("valid_from").as("converted_at"), col("from_plan"), col("plan").as("to_plan"),
            col("ingested_at"), col("run_id"))
        .withColumn("source", lit("plan-history"));
  }

  /**
   * Events matching {@code filter} (a SQL predicate over event columns) as conversions, with plans from
   * the {@code fromPlan} and {@code toPlan} expressions. The expressions are checked against the event
   * columns first, so a mistake stops the run before anything is written.
   */
  public static Dataset<Row> fromEvents(Dataset<Row> events, String filter, String fromPlan, String toPlan) {
    check(events, "pql.ingest.conversions.event-filter", filter);
    check(events, "pql.ingest.conversions.from-plan", fromPlan);
    check(events, "pql.ingest.conversions.to-plan", toPlan);
    return events.filter(expr(filter))
        .select(col("account_id"), col("ts").as("converted_at"), lower(expr(fromPlan).cast("string")).as("from_plan"),
            lower(expr(toPlan).cast("string")).as("to_plan"), col("ingested_at"), col("run_id"))
        .withColumn("source", lit("event"));
  }

  /**
   * Adds new conversions to the stored ones (a stored row wins at the same key, so reruns change nothing)
   * and marks each account's first conversion.
   */
  public static Dataset<Row> merge(Dataset<Row> stored, Dataset<Row> found) {
    Dataset<Row> all = stored.drop("is_first").withColumn("priority", lit(0))
        .unionByName(found.withColumn("priority", lit(1)));
    return all
        .withColumn("copy", row_number().over(
            Window.partitionBy("account_id", "converted_at").orderBy(col("priority"), col("ingested_at"))))
        .filter(col("copy").equalTo(1))
        .withColumn("is_first", row_number().over(Window.partitionBy("account_id").orderBy("converted_at")).equalTo(1))
        .drop("copy", "priority");
  }

  private static void check(Dataset<Row> events, String key, String expression) {
    try {
      events.select(expr(expression)).schema();
    } catch (Exception e) { // AnalysisException / ParseException, thrown undeclared from Scala
      String reason = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
      throw new SchemaError(key + " = \"" + expression + "\" does not fit the event columns ("
          + String.join(", ", events.columns()) + "): " + reason);
    }
  }

}
