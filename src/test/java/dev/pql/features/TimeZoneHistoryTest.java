package dev.pql.features;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pql.SparkTestBase;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * Weekday and working-hours counts use the time zone valid when each event happened. The account moved from New
 * York to Tokyo on 2026-03-01. Its two events both fall at 10:00 on a Tuesday where it was at the time: 2026-02-10
 * 15:00 UTC in New York (midnight in Tokyo) and 2026-03-10 01:00 UTC in Tokyo (21:00 on Monday in New York). With
 * today's zone, the first would read as midnight; with February's zone, the second as evening.
 */
class TimeZoneHistoryTest extends SparkTestBase {
  @Test
  void eachEventIsReadInTheTimeZoneOfItsTime() {
    Dataset<Row> accounts = spark.sql("""
        SELECT * FROM VALUES
          ('a1', TIMESTAMP '2026-01-05 00:00:00', TIMESTAMP '2026-03-01 00:00:00', 'America/New_York'),
          ('a1', TIMESTAMP '2026-03-01 00:00:00', CAST(NULL AS TIMESTAMP), 'Asia/Tokyo')
          AS a(account_id, valid_from, valid_to, timezone)""");
    Dataset<Row> events = spark.sql("""
        SELECT account_id, user_id, event, ts, to_date(ts) AS event_date, ts AS ingested_at FROM VALUES
          ('a1', 'u1', 'Message Sent', TIMESTAMP '2026-02-10 15:00:00'),
          ('a1', 'u1', 'Message Sent', TIMESTAMP '2026-03-10 01:00:00'),
          ('a1', 'u1', 'Message Sent', TIMESTAMP '2026-01-01 15:00:00')
          AS e(account_id, user_id, event, ts)""");
    Dataset<Row> timezones = DailyAggregates.timezones(accounts);
    List<Row> days = DailyAggregates.perUser(events, timezones, DailyAggregates.zoneIds(timezones))
        .selectExpr("CAST(event_date AS STRING)", "events", "weekday_events", "working_hours_events")
        .orderBy("event_date").collectAsList();
    assertEquals("[[2026-01-01,1,1,1], [2026-02-10,1,1,1], [2026-03-10,1,1,1]]", days.toString(),
        "10:00 on weekdays where the account was; an event before the first state takes the first state's zone");
  }
}
