package dev.pql.metrics;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.SparkTestBase;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Six accounts scored on five Mondays of March 2026 by two rule definitions: r@1 on every date, s@1 from 03-23 on.
 * Cohort and conversion windows of 14 days; events end on 04-05, so a conversion window must end by 04-06. Every
 * figure below is worked out by hand in the comments.
 *
 * <pre>
 * account signup     plan  scored on (Mondays)      qualified              converted
 * a       03-03 Tue  free  03-09 03-16              r 03-16                03-20
 * b       03-04 Wed  trial 03-09 03-16 03-23        -                      03-25
 * c       03-10 Tue  free  03-16 03-23 03-30        r 03-30, s 03-23       -
 * d       02-20 Fri  free  03-02 03-09              r 03-02 (backlog)      03-10
 * e       03-11 Wed  paid  -                        -                      -
 * f       03-24 Tue  free  03-30                    -                      -
 * </pre>
 */
class PqlMetricsTest extends SparkTestBase {
  private static Dataset<Row> metrics;
  private static Dataset<Row> funnel;

  /** The columns compared, in this order. */
  private static final List<String> FIGURES = List.of("is_complete", "signups", "new_pqls", "pql_rate",
      "cohort_signups", "cohort_pqls", "cohort_pql_share", "cohort_complete", "pqls_observed", "pqls_converted",
      "pql_conversion_rate", "non_pqls_observed", "non_pqls_converted", "non_pql_conversion_rate", "conversion_lift",
      "conversion_complete", "cohort_pql_incidence", "median_days_to_pql", "days_to_half_of_cohort_pql");

  @BeforeAll
  static void compute() {
    Dataset<Row> accounts = spark.sql("""
        SELECT account_id, CAST(d AS DATE) AS signup_date, free AS signed_up_free, plan AS signup_plan FROM VALUES
          ('a', '2026-03-03', true, 'free'), ('b', '2026-03-04', true, 'trial'), ('c', '2026-03-10', true, 'free'),
          ('d', '2026-02-20', true, 'free'), ('e', '2026-03-11', false, 'paid'), ('f', '2026-03-24', true, 'free')
        AS t(account_id, d, free, plan)""");
    Dataset<Row> applied = spark.sql("""
        SELECT CAST(d AS DATE) AS as_of_date, n AS definition_name, '1' AS definition_version, 'rules' AS source
        FROM VALUES ('2026-03-02', 'r'), ('2026-03-09', 'r'), ('2026-03-16', 'r'), ('2026-03-23', 'r'),
          ('2026-03-30', 'r'), ('2026-03-23', 's'), ('2026-03-30', 's') AS t(d, n)""");
    Dataset<Row> qualifications = spark.sql("""
        SELECT account_id, n AS definition_name, '1' AS definition_version, CAST(d AS DATE) AS first_qualified_on
        FROM VALUES ('d', 'r', '2026-03-02'), ('a', 'r', '2026-03-16'), ('c', 'r', '2026-03-30'),
          ('c', 's', '2026-03-23') AS t(account_id, n, d)""");
    Dataset<Row> scored = spark.sql("""
        SELECT account_id, CAST(d AS DATE) AS as_of_date FROM VALUES
          ('d', '2026-03-02'), ('a', '2026-03-09'), ('b', '2026-03-09'), ('d', '2026-03-09'), ('a', '2026-03-16'),
          ('b', '2026-03-16'), ('c', '2026-03-16'), ('b', '2026-03-23'), ('c', '2026-03-23'), ('c', '2026-03-30'),
          ('f', '2026-03-30') AS t(account_id, d)""");
    Dataset<Row> conversions = spark.sql("""
        SELECT account_id, CAST(ts AS TIMESTAMP) AS converted_at FROM VALUES
          ('a', '2026-03-20 10:00:00'), ('b', '2026-03-25 09:00:00'), ('d', '2026-03-10 12:00:00')
        AS t(account_id, ts)""");
    PqlMetrics.Computed computed = PqlMetrics.compute(accounts, List.of("signup_plan"), applied, qualifications, scored, conversions,
        new PqlMetrics.Windows(14, 14, LocalDate.parse("2026-04-06")));
    metrics = computed.metrics().cache();
    funnel = computed.funnel().cache();
  }

  private static List<Object> figures(String type, String start, String definition, String segmentBy, String segment) {
    List<Row> rows = metrics.filter(col("period_type").equalTo(type)
            .and(col("period_start").equalTo(java.sql.Date.valueOf(start))).and(col("definition_name").equalTo(definition))
            .and(col("segment_by").equalTo(segmentBy)).and(col("segment").equalTo(segment)))
        .select(FIGURES.stream().map(org.apache.spark.sql.functions::col).toArray(org.apache.spark.sql.Column[]::new))
        .collectAsList();
    assertEquals(1, rows.size(), "one row for " + List.of(type, start, definition, segmentBy, segment));
    Row r = rows.get(0);
    Object[] values = new Object[r.length()];
    for (int i = 0; i < r.length(); i++) values[i] = r.get(i);
    return Arrays.asList(values);
  }

  private static List<Object> expected(Object... values) {
    return Arrays.asList(values);
  }

  @Test
  void weeksOfADefinitionAppliedOnEveryDate() {
    // 03-02: r first applied that day, so d's earlier qualification lands here (backlog): incomplete. Signups a, b,
    // both observed 14 days (to 03-17, 03-18 <= 03-30); a qualified on day 13. d converted 03-10 < 03-16. Only d
    // was scored on 03-02, already qualified: no non-PQL. The cohort a, b: a qualifies on day 13, b converts on day
    // 21 without qualifying: incidence 0.5 by day 14, half of it and half the cohort on day 13.
    assertEquals(expected(false, 2L, 1L, 0.5, 2L, 1L, 0.5, true, 1L, 1L, 1.0, 0L, 0L, null, null, true, 0.5, 13.0,
        13.0), figures("week", "2026-03-02", "r", "all", "all"));
    // 03-09: signup c (e signed up paid); c qualifies on day 20, outside 14. Scored a, b, d; a and b not yet
    // qualified: a converts 03-20 < 03-23, b 03-25 is too late. Cohort c: none by day 14, all of it by day 20.
    assertEquals(expected(true, 1L, 0L, 0.0, 1L, 0L, 0.0, true, 0L, 0L, null, 2L, 1L, 0.5, null, true, 0.0, null,
        20.0), figures("week", "2026-03-09", "r", "all", "all"));
    // 03-16: a qualifies (13 days after signup) and converts within 14 days; non-PQLs b (converts 03-25 < 03-30)
    // and c (never): lift 1.0 / 0.5. No signup: no cohort.
    assertEquals(expected(true, 0L, 1L, null, 0L, 0L, null, true, 1L, 1L, 1.0, 2L, 1L, 0.5, 2.0, true, null, null,
        null), figures("week", "2026-03-16", "r", "all", "all"));
    // 03-23: signup f, whose 14 days run past the last score (04-07 > 03-30): left out, cohort incomplete.
    // Non-PQLs b (converts 03-25 < 04-06) and c. f is followed 6 days only: its incidence by day 14 is not known.
    assertEquals(expected(true, 1L, 0L, 0.0, 0L, 0L, null, false, 0L, 0L, null, 2L, 1L, 0.5, null, true, null, null,
        null), figures("week", "2026-03-23", "r", "all", "all"));
    // 03-30: the week runs past the last score; c qualifies 20 days after signup, its 14 days after 03-30 pass the
    // data's end, as do f's: nothing observed, nothing counted as a failure. c's time to PQL belongs to its cohort.
    assertEquals(expected(false, 0L, 1L, null, 0L, 0L, null, true, 0L, 0L, null, 0L, 0L, null, null, false, null, null,
        null), figures("week", "2026-03-30", "r", "all", "all"));
  }

  @Test
  void monthsSegmentsAndTheFirstQualificationOnAnyDefinition() {
    // March for r: starts before its first applied date. Signups a, b, c, f; new PQLs d, a, c. Cohort a (PQL), b,
    // c observed, f not. PQLs observed d, a (both converted); c not. Non-PQLs at their last March score: b on
    // 03-23 (converted), f on 03-30 (not observed). The cohort a, b, c, f: f censored on day 6, a qualifies on day
    // 13 (1 of 3 at risk), c on day 20 (1 of 2, S 2/3): 1/3 by day 14, half the cohort by day 20.
    assertEquals(expected(false, 4L, 3L, 0.75, 3L, 1L, 1.0 / 3, false, 2L, 2L, 1.0, 1L, 1L, 1.0, 1.0, false, 1.0 / 3,
        13.0, 20.0), figures("month", "2026-03-01", "r", "all", "all"));
    // any: c's first qualification is s on 03-23, 13 days after signup, within the cohort window; observed to
    // 04-06, not converted. a and c qualify on day 13: 2 of the 3 at risk.
    assertEquals(expected(false, 4L, 3L, 0.75, 3L, 2L, 2.0 / 3, false, 3L, 2L, 2.0 / 3, 1L, 1L, 1.0, 2.0 / 3, false,
        2.0 / 3, 13.0, 13.0), figures("month", "2026-03-01", "any", "all", "all"));
    // Week 03-09 by signup plan: c signed up free and a (free) is a converting non-PQL; b (trial) did not convert
    // in time.
    assertEquals(expected(true, 1L, 0L, 0.0, 1L, 0L, 0.0, true, 0L, 0L, null, 1L, 1L, 1.0, null, true, 0.0, null,
        20.0), figures("week", "2026-03-09", "r", "signup_plan", "free"));
    assertEquals(expected(true, 0L, 0L, null, 0L, 0L, null, true, 0L, 0L, null, 1L, 0L, 0.0, null, true, null, null,
        null), figures("week", "2026-03-09", "r", "signup_plan", "trial"));
  }

  @Test
  void aDefinitionCountsOnlyFromItsFirstAppliedDate() {
    // s was applied on 03-23 and 03-30: two weeks and March, nothing before.
    assertEquals(List.of("2026-03-23", "2026-03-30"), metrics.filter(col("definition_name").equalTo("s")
            .and(col("period_type").equalTo("week")).and(col("segment_by").equalTo("all")))
        .orderBy("period_start").select(col("period_start").cast("string")).as(org.apache.spark.sql.Encoders.STRING())
        .collectAsList());
    // 03-23: its first week holds c's qualification (backlog: incomplete) and f's signup. c converted nowhere in
    // its 14 days (observed: 04-06 <= 04-06); non-PQL b converted 03-25: lift 0. c signed up before s existed; f is
    // followed 6 days.
    assertEquals(expected(false, 1L, 1L, 1.0, 0L, 0L, null, false, 1L, 0L, 0.0, 1L, 1L, 1.0, 0.0, true, null, null,
        null), figures("week", "2026-03-23", "s", "all", "all"));
    assertEquals(15, metrics.filter(col("segment_by").equalTo("all")).count(),
        "r and any: 5 weeks and March each; s: 2 weeks and March");
  }

  @Test
  void ratesCarryTheirIntervalsAndTheFunnelIsEachCohortsCurve() {
    // Week 03-16 of r: PQLs 1 of 1 converted, non-PQLs 1 of 2: lift 2 with the MOVER-R interval from the two
    // Wilson intervals (l1, u1) = W(1, 1) and (l2, u2) = W(1, 2).
    Row week = metrics.filter(col("period_type").equalTo("week").and(col("definition_name").equalTo("r"))
        .and(col("segment_by").equalTo("all")).and(col("period_start").equalTo(java.sql.Date.valueOf("2026-03-16"))))
        .first();
    dev.pql.model.Estimate one = dev.pql.model.Estimate.wilson(1, 1, 0.95);
    dev.pql.model.Estimate half = dev.pql.model.Estimate.wilson(1, 2, 0.95);
    double p1p2 = 1.0 * 0.5;
    double lo = (p1p2 - Math.sqrt(p1p2 * p1p2 - one.lo() * (2 - one.lo()) * half.hi() * (1 - half.hi())))
        / (half.hi() * (1 - half.hi()));
    double hi = (p1p2 + Math.sqrt(Math.max(0, p1p2 * p1p2 - one.hi() * (2 - one.hi()) * half.lo() * (1 - half.lo()))))
        / (half.lo() * (1 - half.lo()));
    assertEquals(2.0, week.<Double>getAs("conversion_lift"), 1e-12);
    assertEquals(lo, week.<Double>getAs("conversion_lift_lo"), 1e-9);
    assertEquals(hi, week.<Double>getAs("conversion_lift_hi"), 1e-9);
    assertTrue(lo < 2 && 2 < hi, lo + " .. " + hi);
    assertEquals(half.lo(), week.<Double>getAs("non_pql_conversion_rate_lo"), 1e-12);
    assertEquals(half.hi(), week.<Double>getAs("non_pql_conversion_rate_hi"), 1e-12);
    // March of r: 1 of 3 observed signups qualified within 14 days.
    Row march = metrics.filter(col("period_type").equalTo("month").and(col("definition_name").equalTo("r"))
        .and(col("segment_by").equalTo("all"))).first();
    dev.pql.model.Estimate third = dev.pql.model.Estimate.wilson(1, 3, 0.95);
    assertEquals(third.lo(), march.<Double>getAs("cohort_pql_share_lo"), 1e-12);
    assertEquals(third.hi(), march.<Double>getAs("cohort_pql_share_hi"), 1e-12);

    // The cohort of week 03-02 on r: a qualifies on day 13 (1 of 2 at risk), b converts on day 21.
    List<Row> curve = funnel.filter(col("period_type").equalTo("week").and(col("definition_name").equalTo("r"))
            .and(col("segment_by").equalTo("all")).and(col("cohort_start").equalTo(java.sql.Date.valueOf("2026-03-02"))))
        .orderBy("day").collectAsList();
    assertEquals(List.of(13, 21), curve.stream().map(r -> r.<Integer>getAs("day")).toList());
    assertEquals(List.of(2L, 1L), curve.stream().map(r -> r.<Long>getAs("at_risk")).toList());
    assertEquals(List.of(1L, 0L), curve.stream().map(r -> r.<Long>getAs("pqls")).toList());
    assertEquals(List.of(0L, 1L), curve.stream().map(r -> r.<Long>getAs("conversions")).toList());
    assertEquals(0.5, curve.get(1).<Double>getAs("pql_incidence"), 1e-12);
    assertEquals(0.5, curve.get(1).<Double>getAs("conversion_incidence"), 1e-12);
    // Greenwood's variance of one step: 1 x 1 x 1 / 2^3.
    double k = 1.959963984540054 * Math.sqrt(0.125) / (0.5 * Math.log(0.5));
    assertEquals(Math.pow(0.5, Math.exp(-k)), curve.get(0).<Double>getAs("pql_incidence_lo"), 1e-9);
    assertEquals(Math.pow(0.5, Math.exp(k)), curve.get(0).<Double>getAs("pql_incidence_hi"), 1e-9);
    assertEquals("rules", curve.get(0).getAs("source"));
    assertEquals(0, funnel.filter(col("definition_name").equalTo("r")
        .and(col("cohort_start").lt(java.sql.Date.valueOf("2026-03-01")))).count(), "d signed up before r existed");
  }
}
