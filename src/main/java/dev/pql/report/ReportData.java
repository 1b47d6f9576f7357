package dev.pql.report;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.StructField;

/**
 * The figures a report plots, each a small frame cut from one table: bounded by construction (a model's drivers, the
 * cuts of its reported thresholds, weeks times definitions, reject reasons, a run's stages), so that only they reach
 * the driver. Every number is finite or null: a browser's JSON has no NaN.
 */
public final class ReportData {
  private ReportData() {}

  /** Behaviours shown in the drivers chart, by rank. */
  static final int BEHAVIOURS = 15;
  /** Features whose threshold curve is drawn, reported ones first. */
  static final int CURVES = 6;

  /** The model_runs row of {@code version}, its metrics finite. */
  public static Dataset<Row> model(Dataset<Row> modelRuns, String version) {
    return finite(modelRuns.filter(col("model_version").equalTo(version))
        .withColumn("metrics", expr("transform_values(metrics, (k, v) -> "
            + "CASE WHEN isnan(v) OR abs(v) = double('infinity') THEN NULL ELSE v END)")));
  }

  /**
   * Each of the model's leading behaviours once (its best-ranked feature), by behaviour rank: the odds ratio per
   * standard deviation with its interval, stability and the sentence that says it.
   */
  public static Dataset<Row> drivers(Dataset<Row> modelDrivers, String version) {
    Dataset<Row> ofModel = modelDrivers.filter(col("model_version").equalTo(version)
        .and(col("behaviour_rank").leq(BEHAVIOURS)));
    return finite(ofModel
        .withColumn("n", row_number().over(Window.partitionBy("behaviour").orderBy(col("rank"))))
        .filter(col("n").equalTo(1))
        .select("behaviour_rank", "behaviour", "feature", "kind", "odds_ratio_per_sd", "odds_ratio_per_sd_lo",
            "odds_ratio_per_sd_hi", "stability", "observed_lift", "observed_lift_lo", "observed_lift_hi", "sentence")
        .orderBy("behaviour_rank"));
  }

  /**
   * Every cut of the features the model's thresholds were reported on (or, when none was, of the features with the
   * strongest cuts), ordered by feature and cut.
   */
  public static Dataset<Row> curves(Dataset<Row> thresholdCurves, String version) {
    Dataset<Row> ofModel = thresholdCurves.filter(col("model_version").equalTo(version));
    Dataset<Row> features = ofModel.groupBy("feature")
        .agg(max(when(col("reported"), 1).otherwise(0)).as("is_reported"), max(expr("abs(z)")).as("strongest"))
        .orderBy(col("is_reported").desc(), col("strongest").desc(), col("feature")).limit(CURVES)
        .select("feature", "is_reported");
    return finite(ofModel.join(features, "feature")
        .select("feature", "operator", "cut", "rows_qualifying", "upgrades_qualifying", "rate_qualifying",
            "rows_in_band", "upgrades_in_band", "rate_in_band", "z", "in_interval", "reported", "is_reported")
        .orderBy(col("is_reported").desc(), col("feature"), col("cut")));
  }

  /** The weekly figures of every definition over all accounts (no segment): PQLs, conversion and cohort incidence. */
  public static Dataset<Row> weeks(Dataset<Row> pqlMetrics) {
    return finite(pqlMetrics.filter(col("period_type").equalTo("week").and(col("segment_by").equalTo("all")))
        .select("period_start", "definition_name", "source", "is_complete", "signups", "new_pqls", "pql_rate",
            "cohort_days", "cohort_signups", "cohort_pqls", "cohort_complete", "cohort_pql_incidence",
            "cohort_pql_incidence_lo", "cohort_pql_incidence_hi", "conversion_days", "pqls_observed",
            "pqls_converted", "pql_conversion_rate", "pql_conversion_rate_lo", "pql_conversion_rate_hi",
            "non_pqls_observed", "non_pqls_converted", "non_pql_conversion_rate", "non_pql_conversion_rate_lo",
            "non_pql_conversion_rate_hi", "conversion_complete", "median_days_to_pql")
        .orderBy("period_start", "definition_name"));
  }

  /** The rows a run rejected, by reason, with one example's detail. */
  public static Dataset<Row> rejected(Dataset<Row> eventsRejected, String runId) {
    return eventsRejected.filter(col("run_id").equalTo(runId)).groupBy("reason")
        .agg(count(lit(1)).as("rows"), min("detail").as("example"))
        .orderBy(col("rows").desc(), col("reason"));
  }

  /**
   * A run's stages as they ended (its last row of each: succeeded, failed, skipped or abandoned), in the order they
   * started, with their seconds and counts.
   */
  public static Dataset<Row> stages(Dataset<Row> pipelineRuns, String runId) {
    Dataset<Row> ofRun = pipelineRuns.filter(col("run_id").equalTo(runId));
    return ofRun
        .withColumn("n", row_number().over(Window.partitionBy("stage").orderBy(
            when(col("status").equalTo("running"), 1).otherwise(0), col("ended_at").desc_nulls_last())))
        .filter(col("n").equalTo(1))
        .select(col("stage"), col("status"), col("started_at"), expr("CASE WHEN ended_at IS NULL THEN NULL ELSE "
            + "(unix_micros(ended_at) - unix_micros(started_at)) / 1e6 END").as("seconds"), col("rows_in"),
            col("rows_out"), col("rows_rejected"), col("rows_duplicate"), col("message"))
        .orderBy("started_at", "stage");
  }

  /** Every float column with NaN and infinities as null. */
  static Dataset<Row> finite(Dataset<Row> rows) {
    List<Column> columns = new ArrayList<>();
    for (StructField f : rows.schema().fields()) {
      Column c = col("`" + f.name() + "`");
      boolean floating = f.dataType() instanceof DoubleType || f.dataType() instanceof FloatType;
      columns.add(floating ? when(c.isNaN().or(expr("abs(`" + f.name() + "`) = double('infinity')")), lit(null))
          .otherwise(c).as(f.name()) : c);
    }
    return rows.select(columns.toArray(Column[]::new));
  }
}
