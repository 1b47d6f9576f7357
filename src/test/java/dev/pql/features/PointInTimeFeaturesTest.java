package dev.pql.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pql.PqlException.SchemaError;
import dev.pql.SparkTestBase;
import java.time.LocalDate;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** Snapshots computed by hand, their point-in-time edges, and K snapshots against K single ones. */
class PointInTimeFeaturesTest extends SparkTestBase {
  static final LocalDate D = LocalDate.parse("2026-03-10");
  static final PointInTimeFeatures.Spec SPEC = new PointInTimeFeatures.Spec(
      FeatureNames.snakeNames(List.of("Message Sent", "Integration Connected")), List.of("Signed In"),
      List.of("Invite Sent"));

  /** a1 signed up 2026-03-01 12:00; a2 signs up exactly at D 00:00 (absent from D); a3 has no events. */
  private static Dataset<Row> events() {
    return spark.sql("""
        SELECT *, to_date(ts) AS event_date, TIMESTAMP '2026-03-20 00:00:00' AS ingested_at FROM VALUES
          ('a1', 'u1', 'Signed In',             TIMESTAMP '2026-03-01 12:00:00'),
          ('a1', 'u1', 'Message Sent',          TIMESTAMP '2026-03-01 13:00:00'),
          ('a1', 'u2', 'Integration Connected', TIMESTAMP '2026-03-04 13:00:00'),
          ('a1', 'u2', 'Message Sent',          TIMESTAMP '2026-03-05 09:00:00'),
          ('a1', 'u2', 'Invite Sent',           TIMESTAMP '2026-03-05 10:00:00'),
          ('a1', 'u3', 'Signed In',             TIMESTAMP '2026-03-09 23:59:59.999'),
          ('a1', 'u4', 'Message Sent',          TIMESTAMP '2026-03-10 00:00:00'),
          ('a1', 'u4', 'Message Sent',          TIMESTAMP '2026-03-12 08:00:00'),
          ('a2', 'u9', 'Message Sent',          TIMESTAMP '2026-03-10 00:00:00')
          AS t(account_id, user_id, event, ts)""");
  }

  private static Dataset<Row> accounts() {
    return spark.sql("""
        SELECT * FROM VALUES
          ('a1', TIMESTAMP '2026-03-01 12:00:00', TIMESTAMP '2026-03-10 00:00:00', TIMESTAMP '2026-03-01 12:00:00', 'free'),
          ('a1', TIMESTAMP '2026-03-10 00:00:00', CAST(NULL AS TIMESTAMP),         TIMESTAMP '2026-03-01 12:00:00', 'team'),
          ('a2', TIMESTAMP '2026-03-10 00:00:00', CAST(NULL AS TIMESTAMP),         TIMESTAMP '2026-03-10 00:00:00', 'free'),
          ('a3', TIMESTAMP '2026-03-02 00:00:00', CAST(NULL AS TIMESTAMP),         TIMESTAMP '2026-03-02 00:00:00', 'trial')
          AS t(account_id, valid_from, valid_to, signup_at, plan)""")
        .selectExpr("*", "CAST(NULL AS STRING) AS email_domain", "CAST(NULL AS INT) AS employees",
            "CAST(NULL AS STRING) AS industry", "CAST(NULL AS STRING) AS country");
  }

  private static Dataset<Row> snapshots(List<LocalDate> dates) {
    Dataset<Row> events = events();
    Dataset<Row> timezones = spark.sql("SELECT 'a1' AS account_id, CAST(NULL AS STRING) AS timezone");
    return PointInTimeFeatures.snapshots(DailyAggregates.accountDaily(events, timezones),
        DailyAggregates.accountUserDaily(events), accounts(), dates, SPEC);
  }

  @Test
  void aSnapshotUsesOnlyWhatWasTrueBeforeItsDateAndEqualsTheHandComputedRow() {
    // Everything at or after 2026-03-10 00:00:00.000 is invisible; 2026-03-09 23:59:59.999 is in.
    // a1's 30 days: Sun 03-01 (2 events), Wed 03-04 13:00, Thu 03-05 09:00, Mon 03-09 23:59 (UTC, no time
    // zone) plus an invite Thu 03-05 10:00: 4 of 6 on weekdays, 3 of 6 in working hours; 4 events in the last
    // 7 days against 2 the week before: trend (4+1)/(2+1); 6 events on 4 active days: depth 1.5; seats u1-u3.
    assertSameRows(spark.sql("""
        SELECT * FROM VALUES
          ('a1', DATE '2026-03-10', 9, 1, 2L, 1L, 2L, 0, 1L, 1L, 1L, 3, 1L, 2L, 3L, 4L, 2L, 3L,
           3L, 1L, 1L, 4L, 2L, 6L, 2L, 2L, CAST(5 AS DOUBLE) / 3, 1.5, CAST(4 AS DOUBLE) / 6, 0.5, 'free'),
          ('a3', DATE '2026-03-10', 8, CAST(NULL AS INT), 0L, 0L, 0L, CAST(NULL AS INT), 0L, 0L, 0L,
           CAST(NULL AS INT), 0L, 0L, 0L, 0L, 0L, 0L,
           0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 1.0, CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE),
           'trial')
          AS t(account_id, as_of_date, days_since_signup, days_since_last_activity,
               cnt_total__message_sent, cnt_7d__message_sent, cnt_30d__message_sent, days_to_first__message_sent,
               cnt_total__integration_connected, cnt_7d__integration_connected, cnt_30d__integration_connected,
               days_to_first__integration_connected, logins_7d, logins_30d, active_days_7d, active_days_30d,
               active_users_7d, active_users_30d, seats, invites_30d, invites_total, events_7d, events_prev_7d,
               events_30d, breadth_30d,
               breadth_total, trend_7d, depth_30d, weekday_share_30d, working_hours_share_30d, plan)"""),
        snapshots(List.of(D)).drop("email_domain", "employees", "industry", "country"));
  }

  @Test
  void manySnapshotsInOneRunEqualOneRunPerDate() {
    List<LocalDate> dates = List.of(D.minusDays(7), D, D.plusDays(7));
    Dataset<Row> together = snapshots(dates);
    Dataset<Row> oneByOne = snapshots(List.of(dates.get(0)))
        .unionByName(snapshots(List.of(dates.get(1))))
        .unionByName(snapshots(List.of(dates.get(2))));
    assertSameRows(oneByOne, together);
    assertEquals(7, together.count(), "a1 and a3 at each of the three dates, a2 only on 03-17");
  }

  @Test
  void twoEventsWithOneFeatureNameAreAnErrorNamingBoth() {
    SchemaError e = assertThrows(SchemaError.class,
        () -> FeatureNames.snakeNames(List.of("Message Sent", "message_sent")));
    assertEquals("Events 'Message Sent' and 'message_sent' both become feature name 'message_sent'; rename one in "
        + "the source mapping or list only one in pql.features.key-events", e.getMessage());
  }
}
