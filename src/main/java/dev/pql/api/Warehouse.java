package dev.pql.api;

import static org.apache.spark.sql.functions.col;

import dev.pql.config.Settings;
import dev.pql.config.SettingsLoader;
import dev.pql.definitions.Definition;
import dev.pql.definitions.DefinitionParser;
import dev.pql.io.DeltaStore;
import dev.pql.io.RunIds;
import dev.pql.io.RunLog;
import dev.pql.io.StageContext;
import dev.pql.io.Tables;
import dev.pql.metrics.Backtest;
import dev.pql.metrics.EvaluateJob;
import dev.pql.model.ModelRegistry;
import dev.pql.scoring.ScoringHistory;
import java.io.File;
import java.sql.Date;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * pql's warehouse for code that already has a Spark session with Delta (a notebook, another JVM job, PySpark through
 * {@code spark._jvm.dev.pql.api.Warehouse}): evaluate a candidate rule beside the active definitions, and read the
 * latest model's drivers and discovered rules, the latest leads and the metrics as Datasets. Nothing here writes;
 * the figures are those of {@code pql evaluate} and the tables of the pipeline.
 *
 * <pre>{@code
 * Warehouse w = Warehouse.open(spark, "/data/pql");
 * w.evaluate("cnt_30d__message_sent >= 2000").show();
 * w.drivers().show();
 * }</pre>
 */
public final class Warehouse {
  private final SparkSession spark;
  private final Settings settings;
  private final DeltaStore store;

  private Warehouse(SparkSession spark, Settings settings) {
    this.spark = spark;
    this.settings = settings;
    this.store = new DeltaStore(spark, settings.warehouse());
  }

  /** The warehouse at {@code path}, with pql's default configuration (reference.conf, PQL_HOME's definitions). */
  public static Warehouse open(SparkSession spark, String path) {
    return new Warehouse(spark, SettingsLoader.load(null, null, Map.of("pql.warehouse", path)));
  }

  /** The warehouse at {@code path} with a configuration file, as {@code pql <command> --config FILE}. */
  public static Warehouse open(SparkSession spark, String path, String configFile) {
    return new Warehouse(spark, SettingsLoader.load(configFile == null ? null : new File(configFile), null,
        Map.of("pql.warehouse", path)));
  }

  /** The settings in effect: horizon, definitions folder, plans. */
  public Settings settings() {
    return settings;
  }

  /**
   * A candidate rule (a SQL condition over account_features, as {@code pql evaluate --rule}) replayed on every
   * stored snapshot beside the active definitions: one row per definition, the candidate first.
   */
  public Dataset<Row> evaluate(String rule) {
    return evaluate(Definition.candidate(rule, null), null, null);
  }

  /** The same for a whole definition file's text (HOCON, as in conf/definitions/), over snapshots from..to. */
  public Dataset<Row> evaluateDefinition(String hocon, LocalDate from, LocalDate to) {
    return evaluate(DefinitionParser.parse(hocon, "evaluateDefinition"), from, to);
  }

  /** A candidate over the snapshots from {@code from} to {@code to} (null: open), as rows. */
  public Dataset<Row> evaluate(Definition candidate, LocalDate from, LocalDate to) {
    return rows(evaluation(candidate, from, to));
  }

  /** The evaluation as {@code pql evaluate} prints it (the same record its report is made from). */
  public EvaluateJob.Result evaluation(Definition candidate, LocalDate from, LocalDate to) {
    Instant now = Instant.now();
    StageContext context = new StageContext(spark, store, new RunLog(spark, store, RunIds.newId(now), "api"), now);
    return EvaluateJob.run(context, settings, candidate, from, to);
  }

  /** The latest model's drivers (model_drivers), best first. */
  public Dataset<Row> drivers() {
    return ofLatestModel(Tables.MODEL_DRIVERS).orderBy(col("rank"));
  }

  /** The latest model's discovered rules (discovered_rules), each with its definition as HOCON. */
  public Dataset<Row> discoveredRules() {
    return ofLatestModel(Tables.DISCOVERED_RULES);
  }

  /** The qualified accounts of the latest scored snapshot (pql_scores where is_pql), most likely first. */
  public Dataset<Row> leads() {
    LocalDate latest = ScoringHistory.latestScored(store);
    Dataset<Row> scores = store.read(Tables.PQL_SCORES);
    if (latest == null) return scores.limit(0);
    return scores.filter(col("as_of_date").equalTo(Date.valueOf(latest)).and(col("is_pql")))
        .orderBy(col("probability").desc_nulls_last(), col("account_id"));
  }

  /** pql_metrics: PQLs per week and month, PQL conversion and time to PQL. */
  public Dataset<Row> metrics() {
    return store.read(Tables.PQL_METRICS);
  }

  /** pql_funnel: the cumulative incidence of reaching PQL by days since signup, per signup cohort. */
  public Dataset<Row> funnel() {
    return store.read(Tables.PQL_FUNNEL);
  }

  /** Any of pql's tables by name (see {@code pql tables}), account_features included. */
  public Dataset<Row> table(String name) {
    Dataset<Row> rows = store.readIfExists(name);
    if (rows == null) {
      throw new dev.pql.PqlException.NotEnoughData("No table " + name + " in " + store.warehouse());
    }
    return rows;
  }

  private Dataset<Row> ofLatestModel(dev.pql.io.TableContract table) {
    ModelRegistry.Latest latest = ModelRegistry.latest(store);
    Dataset<Row> rows = store.read(table);
    return latest == null ? rows.limit(0) : rows.filter(col("model_version").equalTo(latest.version()));
  }

  /**
   * An evaluation's figures, one row per definition (the candidate first), in definition_backtest's columns (without
   * run_id): a handful of rows made on the driver.
   */
  public Dataset<Row> rows(EvaluateJob.Result result) {
    List<Row> rows = new ArrayList<>();
    for (Backtest.Figures f : result.figures()) rows.add(RowFactory.create(f.columns(result.horizonDays(), null)));
    StructType schema = new StructType(java.util.Arrays.stream(Tables.DEFINITION_BACKTEST.schema().fields())
        .filter(field -> !field.name().equals("run_id")).toArray(org.apache.spark.sql.types.StructField[]::new));
    return spark.createDataFrame(rows, schema);
  }
}
