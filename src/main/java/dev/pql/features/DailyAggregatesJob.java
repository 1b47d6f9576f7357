package dev.pql.features;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.sum;

import dev.pql.io.DeltaStore;
import dev.pql.io.Tables;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * Builds account_daily, account_user_daily and account_event_user_daily incrementally: finds the days that events
 * ingested since the last build touch (late events touch old days), recomputes exactly those days from one scan of
 * their events, and replaces those day partitions atomically. A rerun with no new events does nothing.
 */
public final class DailyAggregatesJob {
  private DailyAggregatesJob() {}

  /** What a build did: the days it recomputed and the rows it wrote. */
  public record Result(List<LocalDate> days, long eventsRead, long accountDailyRows, long accountUserDailyRows,
      long accountEventUserDailyRows) {}

  public static Result build(DeltaStore store) {
    return build(store, org.apache.spark.sql.functions.lit(false));
  }

  /** The same, leaving out the events where {@code excluded} holds ({@link FeaturesJob#excludedEvents}). */
  public static Result build(DeltaStore store, org.apache.spark.sql.Column excluded) {
    Dataset<Row> events = store.read(Tables.EVENTS).filter(org.apache.spark.sql.functions.not(
        org.apache.spark.sql.functions.coalesce(excluded, org.apache.spark.sql.functions.lit(false))));
    Timestamp builtThrough = builtThrough(store);
    // A first build takes every day in the one scan that builds both tables; a later one first finds the days
    // touched since (Delta skips the files ingested before the watermark by their ingested_at statistics).
    Dataset<Row> slice = builtThrough == null ? events : events.filter(col("event_date").isin(
        days(events.filter(col("ingested_at").gt(builtThrough))).stream().map(java.sql.Date::valueOf).toArray()));
    Dataset<Row> timezones = DailyAggregates.timezones(store.read(Tables.ACCOUNTS));
    // The finest grouping is kept, not the events (several times its size): both tables, the days and the events
    // read come from it, so the events are scanned once and never held in memory.
    Dataset<Row> perUser = DailyAggregates.perUser(slice, timezones, DailyAggregates.zoneIds(timezones))
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      List<LocalDate> days = days(perUser);
      if (days.isEmpty()) return new Result(days, 0, 0, 0, 0);
      long eventsRead = perUser.agg(sum("events")).first().getLong(0);
      long daily = store.replaceDates(Tables.ACCOUNT_DAILY, DailyAggregates.accountDaily(perUser), "event_date", days);
      long userDaily = store.replaceDates(Tables.ACCOUNT_USER_DAILY, DailyAggregates.accountUserDaily(perUser),
          "event_date", days);
      long eventUserDaily = store.replaceDates(Tables.ACCOUNT_EVENT_USER_DAILY,
          DailyAggregates.accountEventUserDaily(perUser), "event_date", days);
      return new Result(days, eventsRead, daily, userDaily, eventUserDaily);
    } finally {
      perUser.unpersist();
    }
  }

  /** The distinct event dates of some rows: a short list (at most the days of the lake), not a table. */
  private static List<LocalDate> days(Dataset<Row> rows) {
    return rows.select("event_date").distinct().collectAsList().stream()
        .map(r -> r.getDate(0).toLocalDate()).sorted().collect(Collectors.toList());
  }

  /**
   * The latest ingested_at all daily tables are built from; null (build everything) when a table is missing
   * (a warehouse from before a table existed) or account_daily is empty. An empty user table (a lake without user
   * ids) does not hold it back.
   */
  static Timestamp builtThrough(DeltaStore store) {
    Timestamp through = null;
    for (dev.pql.io.TableContract table : List.of(Tables.ACCOUNT_DAILY, Tables.ACCOUNT_USER_DAILY,
        Tables.ACCOUNT_EVENT_USER_DAILY)) {
      if (!store.exists(table)) return null;
      Timestamp built = store.read(table).agg(max("source_ingested_at")).first().getTimestamp(0);
      if (built == null && table == Tables.ACCOUNT_DAILY) return null;
      if (built != null && (through == null || built.before(through))) through = built;
    }
    return through;
  }
}
