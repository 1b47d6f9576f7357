package dev.pql.metrics;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.date_add;
import static org.apache.spark.sql.functions.date_trunc;
import static org.apache.spark.sql.functions.datediff;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.to_date;
import static org.apache.spark.sql.functions.when;

import java.sql.Date;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * PQL funnel metrics per period (week from Monday, month), definition version and segment, from the scoring
 * history. A definition version counts only on the as-of dates it was applied; definition {@code any} is an
 * account's first qualification on any definition, over every scored date. Rates leave out windows that are still
 * open instead of counting them as failures.
 */
public final class PqlMetrics {
  private PqlMetrics() {}

  public static final String ANY = "any";
  public static final String ALL = "all";
  public static final List<String> PERIODS = List.of("week", "month");

  /**
   * The windows: N days after signup for the cohort view, H days after qualifying (or a non-PQL's score) for the
   * conversion view, and the first day without events, before which a conversion window must end.
   */
  public record Windows(int cohortDays, int conversionDays, LocalDate dataEnd) {}

  private static final String[] DEFINITION = {"definition_name", "definition_version"};
  private static final String[] ACCOUNT_DEFINITION = {"account_id", "definition_name", "definition_version"};
  private static final String[] PERIOD_DEFINITION = {"definition_name", "definition_version", "period_type",
      "period_start"};
  private static final List<String> MEASURES = List.of("signups", "cohort_signups", "cohort_pqls", "new_pqls",
      "pqls_observed", "pqls_converted", "non_pqls", "non_pqls_observed", "non_pqls_converted");
  /** The confidence of every interval of the metrics and the funnel. */
  static final double CONFIDENCE = 0.95;

  /** pql_metrics's rows and pql_funnel's (without run_id); the metrics read the funnel's curves at cohort_days. */
  public record Computed(Dataset<Row> metrics, Dataset<Row> funnel) {}

  /** The group of a funnel curve: a definition version's signup cohort of one period, in one segment. */
  static final List<String> COHORT = List.of("definition_name", "definition_version", "period_type", "period_start",
      "segment_by", "segment");

  /**
   * The metrics table's rows and the funnel's (without run_id).
   *
   * @param accounts account_id, signup_date, signed_up_free and one string column per segment
   * @param applied as_of_date, definition_name, definition_version, source: the definitions applied per scored date
   * @param qualifications account_id, definition_name, definition_version, first_qualified_on
   * @param scored account_id, as_of_date: the open accounts scored
   * @param conversions account_id, converted_at: first conversions
   */
  public static Computed compute(Dataset<Row> accounts, List<String> segments, Dataset<Row> applied,
      Dataset<Row> qualifications, Dataset<Row> scored, Dataset<Row> conversions, Windows w) {
    History h = History.of(accounts, segments, applied, qualifications, conversions);
    Dataset<Row> facts = signupFacts(h, w).withColumn("period", explode(col("periods"))).drop("periods")
        .unionByName(pqlFacts(h, w).withColumn("period", explode(col("periods"))).drop("periods"), true)
        .unionByName(nonPqlFacts(h, scored, w), true)
        .withColumn("segment", explode(col("segments")))
        .select(col("definition_name"), col("definition_version"), col("period.period_type").as("period_type"),
            col("period.period_start").as("period_start"), col("segment.segment_by").as("segment_by"),
            col("segment.segment").as("segment"), col("signups"), col("cohort_signups"), col("cohort_pqls"),
            col("new_pqls"), col("pqls_observed"), col("pqls_converted"), col("non_pqls"), col("non_pqls_observed"),
            col("non_pqls_converted"));

    List<Column> sums = new ArrayList<>();
    for (String m : MEASURES) sums.add(coalesce(sum(m), lit(0L)).as(m));
    Dataset<Row> totals = facts
        .groupBy("definition_name", "definition_version", "period_type", "period_start", "segment_by", "segment")
        .agg(sums.get(0), sums.subList(1, sums.size()).toArray(new Column[0]));
    Dataset<Row> curves = CumulativeIncidence.curve(funnelEnds(h), COHORT, CONFIDENCE);
    Dataset<Row> headline = CumulativeIncidence.at(curves, COHORT, w.cohortDays(), CONFIDENCE);
    return new Computed(rows(h.spans(), totals.join(headline, COHORT.toArray(String[]::new), "left"), w),
        funnel(curves, h.spans()));
  }

  /**
   * The scoring history as the facts read it: the definitions applied on each date (and ANY), each account's first
   * qualification per definition (and on any), each definition version's span, first conversions, and the
   * accounts with their segments.
   */
  private record History(Dataset<Row> appliedAll, Dataset<Row> qualified, Dataset<Row> spans,
      Dataset<Row> firstConversion, Dataset<Row> people) {
    static History of(Dataset<Row> accounts, List<String> segments, Dataset<Row> applied,
        Dataset<Row> qualifications, Dataset<Row> conversions) {
      Dataset<Row> appliedAll = applied.select(col("as_of_date"), col("definition_name"), col("definition_version"),
              col("source"))
          .unionByName(applied.select("as_of_date").distinct()
              .select(col("as_of_date"), lit(ANY).as("definition_name"), lit(ALL).as("definition_version"),
                  lit(ANY).as("source")));
      Dataset<Row> qualified = qualifications.select(col("account_id"), col("definition_name"),
              col("definition_version"), col("first_qualified_on"))
          .unionByName(qualifications.groupBy("account_id").agg(min("first_qualified_on").as("first_qualified_on"))
              .select(col("account_id"), lit(ANY).as("definition_name"), lit(ALL).as("definition_version"),
                  col("first_qualified_on")));
      // A handful of rows per definition version: its first and last applied date.
      Dataset<Row> spans = appliedAll.groupBy("definition_name", "definition_version", "source")
          .agg(min("as_of_date").as("applied_from"), max("as_of_date").as("applied_to"));
      Dataset<Row> firstConversion = conversions.groupBy("account_id").agg(min("converted_at").as("converted_at"));
      Dataset<Row> people = accounts.select(col("account_id"), col("signup_date"), col("signed_up_free"),
          segmentsOf(segments));
      return new History(appliedAll, qualified, spans, firstConversion, people);
    }
  }

  /** One row per free signup and definition version: the signup, and whether its cohort was observed and qualified. */
  private static Dataset<Row> signupFacts(History h, Windows w) {
    return h.people().filter(col("signed_up_free")).crossJoin(org.apache.spark.sql.functions.broadcast(h.spans()))
        .join(h.qualified(), ACCOUNT_DEFINITION, "left")
        .withColumn("cohort_observed", col("signup_date").geq(col("applied_from"))
            .and(date_add(col("signup_date"), w.cohortDays()).leq(col("applied_to"))))
        .select(col("definition_name"), col("definition_version"), col("segments"), periodsOf(col("signup_date")),
            lit(1L).as("signups"), flag(col("cohort_observed")).as("cohort_signups"),
            flag(col("cohort_observed").and(col("first_qualified_on").leq(date_add(col("signup_date"),
                w.cohortDays())))).as("cohort_pqls"));
  }

  /** One row per account's first qualification on a definition version: observed, converted, time to PQL. */
  private static Dataset<Row> pqlFacts(History h, Windows w) {
    Column qualifiedOn = col("first_qualified_on");
    Column pqlObserved = date_add(qualifiedOn, w.conversionDays()).leq(lit(Date.valueOf(w.dataEnd())));
    return h.qualified().join(org.apache.spark.sql.functions.broadcast(h.spans()), DEFINITION)
        .join(h.people(), "account_id")
        .join(h.firstConversion(), "account_id", "left")
        .select(col("definition_name"), col("definition_version"), col("segments"), periodsOf(qualifiedOn),
            lit(1L).as("new_pqls"), flag(pqlObserved).as("pqls_observed"),
            flag(pqlObserved.and(convertedWithin(qualifiedOn, w.conversionDays()))).as("pqls_converted"));
  }

  /** Non-PQLs: an account's last score in the period on a date the definition was applied, not yet qualified. */
  private static Dataset<Row> nonPqlFacts(History h, Dataset<Row> scored, Windows w) {
    Dataset<Row> lastScores = scored.select("account_id", "as_of_date")
        .join(org.apache.spark.sql.functions.broadcast(h.appliedAll().drop("source")), "as_of_date")
        .select(col("account_id"), col("definition_name"), col("definition_version"), col("as_of_date"),
            explode(periodsOf(col("as_of_date"))).as("period"))
        .select(col("account_id"), col("definition_name"), col("definition_version"), col("as_of_date"),
            col("period.period_type").as("period_type"), col("period.period_start").as("period_start"))
        .groupBy("account_id", "definition_name", "definition_version", "period_type", "period_start")
        .agg(max("as_of_date").as("last_scored"));
    Column lastScored = col("last_scored");
    Column nonPqlObserved = date_add(lastScored, w.conversionDays()).leq(lit(Date.valueOf(w.dataEnd())));
    return lastScores.join(h.qualified(), ACCOUNT_DEFINITION, "left")
        .filter(col("first_qualified_on").isNull().or(col("first_qualified_on").gt(lastScored)))
        .join(h.people(), "account_id")
        .join(h.firstConversion(), "account_id", "left")
        .select(col("definition_name"), col("definition_version"), col("segments"),
            struct(col("period_type"), col("period_start")).as("period"), lit(1L).as("non_pqls"),
            flag(nonPqlObserved).as("non_pqls_observed"),
            flag(nonPqlObserved.and(convertedWithin(lastScored, w.conversionDays()))).as("non_pqls_converted"));
  }

  /**
   * How each free signup's road to PQL on each definition version ended, for the funnel: qualified (the event),
   * converted to paid first (the competing end), or still followed on the version's last applied date (censored),
   * in days from signup; per signup period and segment. Only signups on or after the version's first applied date:
   * an earlier one's first qualification is the backlog of its first score, not its time to PQL.
   */
  private static Dataset<Row> funnelEnds(History h) {
    Column converted = to_date(col("converted_at"));
    Column qualifiedDay = greatest(lit(0), datediff(col("first_qualified_on"), col("signup_date")));
    Column convertedDay = when(converted.leq(col("applied_to")),
        greatest(lit(0), datediff(converted, col("signup_date"))));
    Column qualifiedFirst = col("first_qualified_on").isNotNull()
        .and(col("converted_day").isNull().or(col("qualified_day").leq(col("converted_day"))));
    return h.people().filter(col("signed_up_free")).crossJoin(org.apache.spark.sql.functions.broadcast(h.spans()))
        .filter(col("signup_date").geq(col("applied_from")).and(col("signup_date").leq(col("applied_to"))))
        .join(h.qualified(), ACCOUNT_DEFINITION, "left")
        .join(h.firstConversion(), "account_id", "left")
        .withColumn("qualified_day", qualifiedDay)
        .withColumn("converted_day", convertedDay)
        .select(col("definition_name"), col("definition_version"), col("segments"), periodsOf(col("signup_date")),
            when(qualifiedFirst, col("qualified_day")).when(col("converted_day").isNotNull(), col("converted_day"))
                .otherwise(datediff(col("applied_to"), col("signup_date"))).as(CumulativeIncidence.DAY),
            when(qualifiedFirst, lit(CumulativeIncidence.EVENT))
                .when(col("converted_day").isNotNull(), lit(CumulativeIncidence.COMPETING))
                .otherwise(lit(CumulativeIncidence.CENSORED)).as(CumulativeIncidence.OUTCOME))
        .withColumn("period", explode(col("periods")))
        .withColumn("segment", explode(col("segments")))
        .select(col("definition_name"), col("definition_version"), col("period.period_type").as("period_type"),
            col("period.period_start").as("period_start"), col("segment.segment_by").as("segment_by"),
            col("segment.segment").as("segment"), col(CumulativeIncidence.DAY), col(CumulativeIncidence.OUTCOME));
  }

  /** pql_funnel's rows: each cohort's curve, with the definition version's source. */
  private static Dataset<Row> funnel(Dataset<Row> curves, Dataset<Row> spans) {
    return curves.join(org.apache.spark.sql.functions.broadcast(spans.select("definition_name", "definition_version",
            "source")), DEFINITION)
        .select(col("period_type"), col("period_start").as("cohort_start"), col("definition_name"),
            col("definition_version"), col("source"), col("segment_by"), col("segment"), col("day"),
            col("cohort_size"), col("at_risk"), col("events").as("pqls"), col("competing").as("conversions"),
            col("censored"), col("incidence").as("pql_incidence"), col("incidence_lo").as("pql_incidence_lo"),
            col("incidence_hi").as("pql_incidence_hi"), col("competing_incidence").as("conversion_incidence"));
  }

  /** Every period of each definition's span (segment all), even one without a signup or a PQL, with its totals. */
  private static Dataset<Row> rows(Dataset<Row> spans, Dataset<Row> totals, Windows w) {
    Dataset<Row> periods = spans.withColumn("period", explode(array(periodSequence("week"), periodSequence("month"))))
        .withColumn("period_start", explode(col("period.starts")))
        .select(col("definition_name"), col("definition_version"), col("source"), col("applied_from"),
            col("applied_to"), col("period.period_type").as("period_type"), col("period_start"));
    Column periodEnd = when(col("period_type").equalTo("week"), date_add(col("period_start"), 6))
        .otherwise(expr("last_day(period_start)"));
    Dataset<Row> joined = periods.join(totals, PERIOD_DEFINITION, "left");
    List<Column> out = new ArrayList<>(List.of(col("period_type"), col("period_start"), periodEnd.as("period_end"),
        col("definition_name"), col("definition_version"), col("source"),
        coalesce(col("segment_by"), lit(ALL)).as("segment_by"), coalesce(col("segment"), lit(ALL)).as("segment"),
        col("applied_from").lt(col("period_start")).and(periodEnd.leq(col("applied_to"))).as("is_complete"),
        measure("signups").as("signups"), measure("new_pqls").as("new_pqls"),
        ratio("new_pqls", "signups").as("pql_rate"), lit(w.cohortDays()).as("cohort_days"),
        measure("cohort_signups").as("cohort_signups"), measure("cohort_pqls").as("cohort_pqls")));
    out.addAll(RateIntervals.wilson("cohort_pql_share", measure("cohort_pqls"), measure("cohort_signups"),
        CONFIDENCE));
    out.addAll(List.of(measure("cohort_signups").equalTo(measure("signups")).as("cohort_complete"),
        col("incidence_at").as("cohort_pql_incidence"), col("incidence_at_lo").as("cohort_pql_incidence_lo"),
        col("incidence_at_hi").as("cohort_pql_incidence_hi"),
        col("days_to_half_of_it").cast("double").as("median_days_to_pql"),
        col("days_to_p90_of_it").cast("double").as("p90_days_to_pql"),
        col("median_day").cast("double").as("days_to_half_of_cohort_pql"),
        lit(w.conversionDays()).as("conversion_days"), measure("pqls_observed").as("pqls_observed"),
        measure("pqls_converted").as("pqls_converted")));
    out.addAll(RateIntervals.wilson("pql_conversion_rate", measure("pqls_converted"), measure("pqls_observed"),
        CONFIDENCE));
    out.addAll(List.of(measure("non_pqls_observed").as("non_pqls_observed"),
        measure("non_pqls_converted").as("non_pqls_converted")));
    out.addAll(RateIntervals.wilson("non_pql_conversion_rate", measure("non_pqls_converted"),
        measure("non_pqls_observed"), CONFIDENCE));
    out.addAll(RateIntervals.riskRatio("conversion_lift", measure("pqls_converted"), measure("pqls_observed"),
        measure("non_pqls_converted"), measure("non_pqls_observed"), CONFIDENCE));
    out.add(measure("pqls_observed").equalTo(measure("new_pqls"))
        .and(measure("non_pqls_observed").equalTo(measure("non_pqls"))).as("conversion_complete"));
    return joined.select(out.toArray(Column[]::new));
  }

  /** segments: all, then one (segment_by, value) per configured attribute, unknown when missing. */
  private static Column segmentsOf(List<String> segments) {
    List<Column> values = new ArrayList<>();
    values.add(struct(lit(ALL).as("segment_by"), lit(ALL).as("segment")));
    for (String s : segments) {
      values.add(struct(lit(s).as("segment_by"), coalesce(col(s).cast("string"), lit("unknown")).as("segment")));
    }
    return array(values.toArray(new Column[0])).as("segments");
  }

  /** periods: the week (from Monday) and the month a date falls in. */
  private static Column periodsOf(Column date) {
    return array(struct(lit("week").as("period_type"), date_trunc("week", date).cast("date").as("period_start")),
        struct(lit("month").as("period_type"), org.apache.spark.sql.functions.trunc(date, "month").as("period_start")))
        .as("periods");
  }

  /** The starts of the periods of one type from the one holding applied_from to the one holding applied_to. */
  private static Column periodSequence(String type) {
    String unit = type.equals("week") ? "week" : "month";
    String from = type.equals("week") ? "CAST(date_trunc('week', applied_from) AS DATE)" : "trunc(applied_from, 'month')";
    String to = type.equals("week") ? "CAST(date_trunc('week', applied_to) AS DATE)" : "trunc(applied_to, 'month')";
    return struct(lit(type).as("period_type"),
        expr("sequence(" + from + ", " + to + ", interval 1 " + unit + ")").as("starts"));
  }

  /** converted_at in [start 00:00, start + days 00:00) UTC. */
  private static Column convertedWithin(Column start, int days) {
    return col("converted_at").geq(start.cast("timestamp"))
        .and(col("converted_at").lt(date_add(start, days).cast("timestamp")));
  }

  private static Column flag(Column condition) {
    return when(condition, 1L).otherwise(0L);
  }

  private static Column measure(String name) {
    return coalesce(col(name), lit(0L));
  }

  private static Column ratio(String numerator, String denominator) {
    Column d = coalesce(col(denominator), lit(0L));
    return when(d.gt(0), coalesce(col(numerator), lit(0L)).divide(d));
  }
}
