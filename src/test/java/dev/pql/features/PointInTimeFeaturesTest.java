package dev.pql.features;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.to_date;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pql.PqlException.SchemaError;
import dev.pql.GoldenLake;
import dev.pql.SparkTestBase;
import dev.pql.config.Settings;
import java.io.File;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Snapshots of the golden lake (src/test/resources/golden/features) against features computed by hand, their
 * point-in-time edges for every feature, and K snapshots in one run against K runs.
 */
class PointInTimeFeaturesTest extends SparkTestBase {
  static final LocalDate D = LocalDate.parse("2026-03-10");
  static final LocalDate D2 = LocalDate.parse("2026-03-17");
  static Settings settings;

  @BeforeAll
  static void configuration() {
    settings = GoldenLake.settings();
  }

  private static File golden(String name) {
    return GoldenLake.file(name);
  }

  private static Dataset<Row> events() {
    return GoldenLake.events(spark);
  }

  private static Dataset<Row> accounts() {
    return GoldenLake.accounts(spark);
  }

  private static Dataset<Row> snapshots(Dataset<Row> events, Dataset<Row> accounts, List<LocalDate> dates) {
    return GoldenLake.snapshots(settings, events, accounts, dates);
  }

  /**
   * The hand computation of expected.jsonl, for a1 at 2026-03-10 (Europe/Berlin, UTC+1 in March). Before D:
   * 10 events on 7 days (03-01 x2, 03-02 x2, 03-04, 03-05 x2, 03-06, 03-07, 03-09 23:59:59.999); the 7 days
   * from 03-03 hold 6, the 7 before 4: trend 7/5; depth 10/7. Local weekdays: all but the two Sunday and the
   * Saturday events (7/10); working hours 09-18 local: 03-02 09:30 x2, 03-04 12:00, 03-05 10:00 and 11:00
   * (5/10; 03-06 18:30 and 03-10 00:59 are outside). Users u1-u3. First message 1 h after signup (day 0),
   * first integration 2 d 23 h after signup, on the third calendar day after it (day 3, not 2). Messages 2 of a
   * 30-day limit of 10, files 2 of a total limit of 4.
   * Milestones: messaged needs 3 messages (2: not yet), integrated and invited reached: 2/3. The state that
   * starts at D 00:00 (plan team) is not yet valid. a2 signs up at D 00:00 and is absent until 03-17.
   */
  @Test
  void goldenSnapshotsEqualTheFeaturesComputedByHand() {
    Dataset<Row> actual = snapshots(events(), accounts(), List.of(D, D2));
    Dataset<Row> expected = spark.read().schema(actual.schema()).json(golden("expected.jsonl").getPath());
    assertEquals(5, expected.count(), "the golden file parses whole");
    assertSameRows(expected, actual);
  }

  /**
   * a3 has no events and one state. A copy of every event and a change of state at exactly D 00:00:00.000
   * changes nothing in its snapshot of D; the same one millisecond earlier changes every feature that can
   * see them. Left unchanged are the keys, the days since signup, last week's count (events_prev_7d) and the
   * attributes the new state keeps.
   */
  @Test
  void atExactlyMidnightNothingIsSeenAndOneMillisecondEarlierEveryFeatureSeesIt() {
    Row before = a3At(D, events(), accounts());
    java.sql.Timestamp midnight = java.sql.Timestamp.valueOf("2026-03-10 00:00:00");
    assertEquals(List.of(), changedColumns(before, a3At(D, withProbe(midnight), withNewState(midnight))));

    java.sql.Timestamp justBefore = java.sql.Timestamp.valueOf("2026-03-09 23:59:59.999");
    List<String> unchanged = List.of("account_id", "as_of_date", "days_since_signup", "events_prev_7d",
        "email_domain", "industry", "country", "timezone", "domain_class");
    List<String> expected = new ArrayList<>(List.of(before.schema().fieldNames()));
    expected.removeAll(unchanged);
    assertEquals(expected, changedColumns(before, a3At(D, withProbe(justBefore), withNewState(justBefore))));
  }

  private static Row a3At(LocalDate date, Dataset<Row> events, Dataset<Row> accounts) {
    List<Row> rows = snapshots(events, accounts, List.of(date)).filter("account_id = 'a3'").collectAsList();
    assertEquals(1, rows.size());
    return rows.get(0);
  }

  /** One a3 event of every name in the golden lake, by a new user, at {@code at}. */
  private static Dataset<Row> withProbe(java.sql.Timestamp at) {
    Dataset<Row> probe = events().select("event").distinct()
        .select(lit("a3").as("account_id"), lit("u7").as("user_id"), col("event"), lit(at).as("ts"));
    return events().unionByName(probe.withColumn("event_date", to_date(col("ts")))
        .withColumn("ingested_at", lit(java.sql.Timestamp.valueOf("2026-03-20 00:00:00"))));
  }

  /** a3 moves to the free plan with 40 employees at {@code at}. */
  private static Dataset<Row> withNewState(java.sql.Timestamp at) {
    Dataset<Row> a3 = accounts().filter("account_id = 'a3'");
    return accounts().filter("account_id <> 'a3'")
        .unionByName(a3.withColumn("valid_to", lit(at)))
        .unionByName(a3.withColumn("valid_from", lit(at)).withColumn("plan", lit("free"))
            .withColumn("employees", lit(40)));
  }

  private static List<String> changedColumns(Row before, Row after) {
    List<String> changed = new ArrayList<>();
    for (String name : before.schema().fieldNames()) {
      if (!Objects.equals(before.getAs(name), after.getAs(name))) changed.add(name);
    }
    return changed;
  }

  @Test
  void manySnapshotsInOneRunEqualOneRunPerDate() {
    List<LocalDate> dates = List.of(D.minusDays(7), D, D2);
    Dataset<Row> together = snapshots(events(), accounts(), dates);
    Dataset<Row> oneByOne = snapshots(events(), accounts(), List.of(dates.get(0)))
        .unionByName(snapshots(events(), accounts(), List.of(dates.get(1))))
        .unionByName(snapshots(events(), accounts(), List.of(dates.get(2))));
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

  /**
   * a3 sends three messages before D (03-10): one that arrives at once (03-05), one that arrives within the grace
   * (sent 03-07, arrived 03-10 12:00, before D + 1 day) and one that arrives late (sent 03-06, arrived 03-12). With
   * pql.features.arrival-limit the snapshot of D counts what scoring on D would have seen (two); without it, all
   * three. A week later all three have arrived.
   */
  @Test
  void withTheArrivalLimitASnapshotLeavesOutWhatHadNotArrivedYet() {
    Dataset<Row> events = events().withColumn("received_at", col("ts")).unionByName(spark.sql("""
        SELECT 'a3' AS account_id, 'u8' AS user_id, 'Message Sent' AS event, ts, to_date(ts) AS event_date,
               TIMESTAMP '2026-03-20 00:00:00' AS ingested_at, received_at
        FROM VALUES (TIMESTAMP '2026-03-05 10:00:00', TIMESTAMP '2026-03-05 10:00:02'),
                    (TIMESTAMP '2026-03-07 10:00:00', TIMESTAMP '2026-03-10 12:00:00'),
                    (TIMESTAMP '2026-03-06 10:00:00', TIMESTAMP '2026-03-12 08:00:00') AS t(ts, received_at)"""));
    Settings limited = dev.pql.config.SettingsLoader.load(GoldenLake.file("features.conf"), null, java.util.Map.of(
        "pql.warehouse", "unused", "pql.features.arrival-limit.enabled", "true",
        "pql.ingest.events.columns.received-at", "received_at"));
    assertEquals(1, limited.features().arrivalGraceDays(), "the default grace");
    for (boolean on : List.of(true, false)) {
      Dataset<Row> a3 = GoldenLake.snapshots(on ? limited : settings, events, accounts(), List.of(D, D2))
          .filter("account_id = 'a3'").orderBy("as_of_date");
      List<Long> messages = a3.select("cnt_total__message_sent").collectAsList().stream().map(r -> r.getLong(0))
          .toList();
      List<Long> users = a3.select("active_users_30d").collectAsList().stream().map(r -> r.getLong(0)).toList();
      assertEquals(on ? List.of(2L, 3L) : List.of(3L, 3L), messages, "arrival limit " + on);
      assertEquals(List.of(1L, 1L), users, "the one user was seen on D either way");
    }
  }

  /**
   * Windows of any length, counts since signup and distinct users, by hand. Message Sent: a1 by u1 on 03-01 13:00
   * (its signup day), by u2 on 03-05, by u4 on 03-10 00:00 (not seen at D) and 03-12; a2 by u9 on 03-10 00:00, its
   * signup instant. Integration Connected: a1 by u2 on 03-04, its fourth calendar day (day 3), outside its first 3.
   * The 1-day window is the day before D; the 14-day one 14 days back; 03-10 is exactly 7 days before D2 and in its
   * 7 days. A count since signup is null until the account is k days old: a1 is 9 days old at D, a2 7 and a3 8 at
   * D2-7 and D2.
   */
  @Test
  void anyWindowCountsSinceSignupAndDistinctUsersAreComputedAsByHandAndNullUntilTheAccountIsOldEnough() {
    Settings windows = dev.pql.config.SettingsLoader.load(golden("windows.conf"), null,
        java.util.Map.of("pql.warehouse", "unused"));
    List<String> columns = List.of("account_id", "as_of_date", "cnt_1d__message_sent", "cnt_7d__message_sent",
        "cnt_14d__message_sent", "cnt_30d__message_sent", "cnt_first_1d__message_sent", "cnt_first_3d__message_sent",
        "cnt_first_14d__message_sent", "cnt_14d__integration_connected", "cnt_first_3d__integration_connected",
        "cnt_first_14d__integration_connected", "users_7d__message_sent", "users_30d__message_sent",
        "users_7d__integration_connected", "users_30d__integration_connected");
    Dataset<Row> actual = GoldenLake.snapshots(windows, events(), accounts(), List.of(D, D2))
        .selectExpr(columns.toArray(String[]::new));
    Dataset<Row> expected = spark.sql("""
        SELECT account_id, CAST(d AS DATE) AS as_of_date, m1, m7, m14, m30, f1, f3, f14, i14, if3, if14,
          mu7, mu30, iu7, iu30 FROM VALUES
          ('a1', '2026-03-10', 0L, 1L, 2L, 2L, 1L, 1L, CAST(NULL AS BIGINT), 1L, 0L, CAST(NULL AS BIGINT), 1L, 2L,
            1L, 1L),
          ('a1', '2026-03-17', 0L, 2L, 3L, 4L, 1L, 1L, 4L, 1L, 0L, 1L, 1L, 3L, 0L, 1L),
          ('a2', '2026-03-17', 0L, 1L, 1L, 1L, 1L, 1L, CAST(NULL AS BIGINT), 0L, 0L, CAST(NULL AS BIGINT), 1L, 1L,
            0L, 0L),
          ('a3', '2026-03-10', 0L, 0L, 0L, 0L, 0L, 0L, CAST(NULL AS BIGINT), 0L, 0L, CAST(NULL AS BIGINT), 0L, 0L,
            0L, 0L),
          ('a3', '2026-03-17', 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L)
        AS t(account_id, d, m1, m7, m14, m30, f1, f3, f14, i14, if3, if14, mu7, mu30, iu7, iu30)""")
        .toDF(columns.toArray(String[]::new));
    assertSameRows(expected, actual);
    // The other features do not move: the golden snapshots' columns are the same with more windows.
    Dataset<Row> plain = snapshots(events(), accounts(), List.of(D, D2));
    assertSameRows(plain, GoldenLake.snapshots(windows, events(), accounts(), List.of(D, D2))
        .selectExpr(plain.columns()));
  }
}
