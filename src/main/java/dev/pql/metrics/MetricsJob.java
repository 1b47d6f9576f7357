package dev.pql.metrics;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.lower;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.to_date;

import dev.pql.PqlException.NotEnoughData;
import dev.pql.config.Settings;
import dev.pql.features.Firmographics;
import dev.pql.ingest.EventHistory;
import dev.pql.io.DeltaStore;
import dev.pql.io.StageContext;
import dev.pql.io.Tables;
import dev.pql.model.Estimate;
import java.sql.Date;
import java.time.LocalDate;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * The metrics stage: recomputes pql_metrics and pql_funnel from the scoring history, the accounts and the
 * conversions.
 */
public final class MetricsJob {
  private MetricsJob() {}

  /** What a metrics run wrote: its rows and the scoring history they cover. */
  public record Result(long rows, LocalDate scoredFrom, LocalDate scoredTo, LocalDate dataEnd, long inserted,
      long updated, long deleted) {}

  public static Result run(StageContext context, Settings settings) {
    DeltaStore store = context.store();
    String runId = context.runId();
    if (!store.exists(Tables.PQL_DEFINITIONS)) {
      throw new NotEnoughData("No pql_definitions table in " + store.warehouse() + ": run `pql score` first");
    }
    Dataset<Row> applied = store.read(Tables.PQL_DEFINITIONS);
    Row range = applied.agg(org.apache.spark.sql.functions.min("as_of_date"), max("as_of_date")).first();
    if (range.isNullAt(0)) throw new NotEnoughData("pql_definitions is empty: run `pql score` first");
    LocalDate dataEnd = EventHistory.dataEnd(store);
    Settings.MetricsSettings m = settings.metrics();

    PqlMetrics.Computed computed = PqlMetrics.compute(accountsAtSignup(store.read(Tables.ACCOUNTS),
        store.read(Tables.ENRICHMENT), settings),
        m.segments(), applied, store.read(Tables.PQL_QUALIFICATIONS), store.read(Tables.PQL_SCORES),
        store.read(Tables.CONVERSIONS).filter(col("is_first")),
        new PqlMetrics.Windows(m.cohortDays(), m.conversionDays(), dataEnd));
    // The curves are read twice: written as the funnel, and read at cohort_days by the metrics.
    Dataset<Row> funnel = computed.funnel().withColumn("run_id", lit(runId)).persist(StorageLevel.MEMORY_AND_DISK());
    DeltaStore.MergeCounts counts;
    try {
      store.dropObsoleteColumns(Tables.PQL_FUNNEL);
      store.sync(Tables.PQL_FUNNEL, funnel, Set.of("run_id"));
      store.dropObsoleteColumns(Tables.PQL_METRICS);
      counts = store.sync(Tables.PQL_METRICS, computed.metrics().withColumn("run_id", lit(runId)), Set.of("run_id"));
    } finally {
      funnel.unpersist();
    }
    long rows = store.read(Tables.PQL_METRICS).count();
    return new Result(rows, range.getDate(0).toLocalDate(), range.getDate(1).toLocalDate(), dataEnd,
        counts.inserted(), counts.updated(), counts.deleted());
  }

  /**
   * One row per account with its state at signup (its earliest state): signup_date, signed_up_free and the
   * segment attributes of {@link Settings.MetricsSettings#SEGMENTS}. The revenue band is the domain's first
   * enrichment row's (a vendor enriches a domain once it signs up: its first row describes the company then).
   */
  static Dataset<Row> accountsAtSignup(Dataset<Row> accounts, Dataset<Row> enrichment, Settings settings) {
    Dataset<Row> firstBand = enrichment.groupBy(col("domain").as("e_domain"))
        .agg(expr("min_by(revenue_band, valid_from)").as("revenue_band"));
    Dataset<Row> first = accounts.groupBy("account_id").agg(
            expr("min_by(struct(signup_at, plan, email_domain, employees, industry, country), valid_from)").as("s"))
        .select(col("account_id"), col("s.*"))
        .join(firstBand, lower(col("email_domain")).equalTo(col("e_domain")), "left").drop("e_domain");
    return Firmographics.classify(first, settings.domains().webmail(), settings.domains().enterprise(),
            new Firmographics.SizeBands(settings.features().sizeMidFrom(), settings.features().sizeLargeFrom()))
        .select(col("account_id"), to_date(col("signup_at")).as("signup_date"),
            lower(col("plan")).isin(settings.plans().free().toArray()).as("signed_up_free"),
            col("size_band"), lower(col("plan")).as("signup_plan"), col("domain_class"), col("industry"),
            col("country"), col("revenue_band"));
  }

  /**
   * A definition's figures for one week of segment all: what a summary shows, rates with their counts and
   * intervals. Nulls and undefined estimates are figures not known.
   */
  public record WeekFigures(String definitionName, LocalDate periodStart, long signups, long newPqls, Double pqlRate,
      Estimate cohortPqlIncidence, Double medianDaysToPql, long pqlsObserved, long pqlsConverted,
      Estimate pqlConversionRate, long nonPqlsObserved, long nonPqlsConverted, Estimate nonPqlConversionRate,
      Estimate conversionLift, int cohortDays, int conversionDays) {}

  /**
   * The figures of segment all, by definition, of the latest complete week ({@code closed} false), or of the latest
   * week whose cohort and conversion windows have all closed ({@code closed} true). A week has a row per definition
   * version: small by construction.
   */
  public static List<WeekFigures> latestWeek(DeltaStore store, boolean closed) {
    Dataset<Row> weeks = store.read(Tables.PQL_METRICS)
        .filter(col("period_type").equalTo("week").and(col("segment_by").equalTo(PqlMetrics.ALL)));
    Column done = col("is_complete").and(col("definition_name").equalTo(PqlMetrics.ANY));
    if (closed) done = done.and(col("cohort_complete")).and(col("conversion_complete"));
    Date latest = weeks.filter(done).agg(max("period_start")).first().getDate(0);
    if (latest == null) return List.of();
    return weeks.filter(col("period_start").equalTo(latest))
        .orderBy(col("definition_name").equalTo(PqlMetrics.ANY).desc(), col("new_pqls").desc(),
            col("definition_name"), col("definition_version"))
        .collectAsList().stream().map(MetricsJob::figures).toList();
  }

  private static WeekFigures figures(Row r) {
    return new WeekFigures(r.getAs("definition_name"), r.<Date>getAs("period_start").toLocalDate(), r.getAs("signups"),
        r.getAs("new_pqls"), r.getAs("pql_rate"), estimate(r, "cohort_pql_incidence"), r.getAs("median_days_to_pql"),
        r.getAs("pqls_observed"), r.getAs("pqls_converted"), estimate(r, "pql_conversion_rate"),
        r.getAs("non_pqls_observed"), r.getAs("non_pqls_converted"), estimate(r, "non_pql_conversion_rate"),
        estimate(r, "conversion_lift"), r.getAs("cohort_days"), r.getAs("conversion_days"));
  }

  /** A figure and its interval from the columns name, name_lo and name_hi. */
  private static Estimate estimate(Row r, String name) {
    return new Estimate(orNaN(r.getAs(name)), orNaN(r.getAs(name + "_lo")), orNaN(r.getAs(name + "_hi")));
  }

  private static double orNaN(Double v) {
    return v == null ? Double.NaN : v;
  }
}
