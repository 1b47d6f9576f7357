package dev.pql.features;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.count_if;
import static org.apache.spark.sql.functions.dayofweek;
import static org.apache.spark.sql.functions.from_utc_timestamp;
import static org.apache.spark.sql.functions.hour;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.to_date;
import static org.apache.spark.sql.functions.when;

import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Pure transforms from events to the daily pre-aggregates every feature is derived from: one scan of the
 * events of the days being built, grouped once per table.
 */
public final class DailyAggregates {
  private DailyAggregates() {}

  /**
   * Events per account, day, event name, user (null for events without one) and late arrival day, with the
   * day's weekday and working-hours counts in the time zone the account was in when the event happened: the one grouping of the
   * events both daily tables are re-grouped from, so the events are scanned once for the two. (Today's time zone
   * would tell a snapshot of last year what it could not have known, and would change last year's counts.)
   *
   * @param events rows of the events table
   * @param timezones {@link #timezones} of the accounts
   * @param zones the time zones the accounts use ({@link #zoneIds}); one missing from it is still converted
   */
  public static Dataset<Row> perUser(Dataset<Row> events, Dataset<Row> timezones, List<String> zones) {
    Column at = col("ts");
    Column valid = col("account_id").equalTo(col("tz_account_id"))
        .and(col("tz_from").isNull().or(at.geq(col("tz_from"))))
        .and(col("tz_to").isNull().or(at.lt(col("tz_to"))));
    Column local = localTime(at, col("timezone"), zones);
    // dayofweek: 1 = Sunday ... 7 = Saturday
    Column weekday = dayofweek(local).between(2, 6);
    Column workingHours = weekday.and(hour(local).between(9, 17));
    // The day an event arrived, kept only when it is after the event's own day: rows stay one per day for events
    // that arrive on time, and a snapshot can leave out what had not arrived yet (pql.features.arrival-limit).
    Column arrived = java.util.Arrays.asList(events.columns()).contains("received_at")
        ? to_date(col("received_at")) : lit(null).cast("date");
    Column arrival = when(arrived.gt(col("event_date")), arrived).as("arrival_date");
    return events.join(timezones, valid, "left")
        .groupBy(col("account_id"), col("event_date"), col("event"), col("user_id"), arrival)
        .agg(
            count(lit(1)).as("events"),
            count_if(weekday).as("weekday_events"),
            count_if(workingHours).as("working_hours_events"),
            min("ts").as("first_ts"),
            max("ts").as("last_ts"),
            max("ingested_at").as("source_ingested_at"));
  }

  /**
   * A UTC time in the zone of its row (UTC when null). Spark parses a zone given per row on every row (a regular
   * expression and ZoneId.of: three quarters of the grouping's time at 10M events), so each valid zone of the list
   * gets a branch with the zone as a literal, parsed once; any other zone is converted row by row as before.
   */
  static Column localTime(Column utc, Column zone, List<String> zones) {
    Column local = when(zone.isNull(), utc);
    for (String z : zones) {
      if (isZoneId(z)) local = local.when(zone.equalTo(z), from_utc_timestamp(utc, z));
    }
    return local.otherwise(from_utc_timestamp(utc, zone));
  }

  private static boolean isZoneId(String zone) {
    try {
      ZoneId.of(zone, ZoneId.SHORT_IDS);
      return true;
    } catch (DateTimeException e) {
      return false;
    }
  }

  /**
   * Each account's time zone with the instants it held from and to (tz_account_id, tz_from, tz_to, timezone), from
   * the account history (account_id, valid_from, valid_to, timezone): the first state's zone also holds before it
   * (tz_from null), the current one until now (tz_to null).
   */
  public static Dataset<Row> timezones(Dataset<Row> accounts) {
    Column first = col("valid_from").equalTo(org.apache.spark.sql.functions.min("valid_from")
        .over(org.apache.spark.sql.expressions.Window.partitionBy("account_id")));
    return accounts.select(col("account_id").as("tz_account_id"),
        when(first, lit(null).cast("timestamp")).otherwise(col("valid_from")).as("tz_from"),
        col("valid_to").as("tz_to"), col("timezone"));
  }

  /** The distinct time zones of some accounts: a short list (tens, at most the few hundred IANA zones). */
  public static List<String> zoneIds(Dataset<Row> timezones) {
    return timezones.select("timezone").distinct().filter(col("timezone").isNotNull()).collectAsList().stream()
        .map(r -> r.getString(0)).sorted().toList();
  }

  /** Events per account, day and event name (account_daily), from {@link #perUser}. */
  public static Dataset<Row> accountDaily(Dataset<Row> perUser) {
    return perUser.groupBy("account_id", "event_date", "event", "arrival_date")
        .agg(
            sum("events").as("events"),
            sum("weekday_events").as("weekday_events"),
            sum("working_hours_events").as("working_hours_events"),
            min("first_ts").as("first_ts"),
            max("last_ts").as("last_ts"),
            max("source_ingested_at").as("source_ingested_at"));
  }

  /**
   * Events per account, day and user (account_user_daily), from {@link #perUser}; events without a user are left
   * out.
   */
  public static Dataset<Row> accountUserDaily(Dataset<Row> perUser) {
    return perUser.filter(col("user_id").isNotNull())
        .groupBy("account_id", "event_date", "user_id", "arrival_date")
        .agg(sum("events").as("events"), max("source_ingested_at").as("source_ingested_at"));
  }

  /**
   * Events per account, day, event and user (account_event_user_daily), from {@link #perUser}: its rows with a
   * user. Events without a user are left out.
   */
  public static Dataset<Row> accountEventUserDaily(Dataset<Row> perUser) {
    return perUser.filter(col("user_id").isNotNull())
        .select(col("account_id"), col("event_date"), col("event"), col("user_id"), col("arrival_date"),
            col("events"), col("source_ingested_at"));
  }
}
