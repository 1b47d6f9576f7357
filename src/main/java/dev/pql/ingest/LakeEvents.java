package dev.pql.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.to_date;
import static org.apache.spark.sql.functions.when;

import dev.pql.config.Settings;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * What a lake holds, seen through its mapping before anything is ingested: the events by name with their rows,
 * accounts, users and first and last days. For `pql events`, to bring a lake pql has not seen.
 */
public final class LakeEvents {
  private LakeEvents() {}

  /** One event name of the lake. */
  public record EventCount(String event, long rows, long accounts, long users, LocalDate firstDay,
      LocalDate lastDay) {}

  /**
   * The lake's events, the most frequent first (at most {@code limit}), with the totals they are part of.
   *
   * @param heldRows visitors' rows with no user, account or link in the lake as read (ingest holds them in
   *     events_unattributed until a link names their user; one in the same batch stitches them at once)
   */
  public record Listing(List<EventCount> events, long distinctEvents, long usableRows, long rejectedRows,
      long heldRows) {}

  /** Per event name: rows, distinct accounts and users, first and last UTC day; most rows first, then by name. */
  public static Dataset<Row> byEvent(Dataset<Row> normalized) {
    return normalized.filter(col(EventNormalizer.REASON).isNull())
        .groupBy("event")
        .agg(count(lit(1)).as("rows"), countDistinct("account_id").as("accounts"),
            countDistinct("user_id").as("users"), to_date(min("ts")).as("first_day"),
            to_date(max("ts")).as("last_day"))
        .orderBy(col("rows").desc(), col("event"));
  }

  /**
   * The lake's event rows through the settings' mapping, as ingest normalizes them (a rejected row carries its
   * reason in {@code reject_reason}); lazy, nothing written.
   */
  public static Dataset<Row> mapped(SparkSession spark, Settings settings) {
    return IngestJob.mappedEvents(spark, settings.ingest(), Instant.now().plus(settings.ingest().futureTolerance()));
  }

  /** Reads the lake through the settings' mapping and lists its events; one pass, nothing written. */
  public static Listing list(SparkSession spark, Settings settings, int limit) {
    Dataset<Row> normalized = mapped(spark, settings).cache();
    try {
      Dataset<Row> events = byEvent(normalized).cache();
      List<EventCount> top = events.limit(limit).collectAsList().stream()
          .map(r -> new EventCount(r.getString(0), r.getLong(1), r.getLong(2), r.getLong(3),
              r.getDate(4).toLocalDate(), r.getDate(5).toLocalDate()))
          .toList();
      Row totals = events.agg(count(lit(1)), org.apache.spark.sql.functions.sum("rows")).first();
      Row set = normalized.agg(count(when(EventNormalizer.rejectedRow(), lit(1))),
          count(when(col(EventNormalizer.REASON).equalTo(EventNormalizer.HELD), lit(1)))).first();
      events.unpersist();
      return new Listing(top, totals.getLong(0), totals.isNullAt(1) ? 0 : totals.getLong(1), set.getLong(0),
          set.getLong(1));
    } finally {
      normalized.unpersist();
    }
  }
}
