package dev.pql.features;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

/** The as-of dates of a snapshot range: every day, or every given weekday, from {@code from} to {@code to}. */
public final class SnapshotDates {
  private SnapshotDates() {}

  public static List<LocalDate> between(LocalDate from, LocalDate to, boolean weekly, DayOfWeek weekday) {
    if (to.isBefore(from)) throw new IllegalArgumentException("--to " + to + " is before --from " + from);
    List<LocalDate> dates = new ArrayList<>();
    for (LocalDate d = from; !d.isAfter(to); d = d.plusDays(1)) {
      if (!weekly || d.getDayOfWeek() == weekday) dates.add(d);
    }
    return dates;
  }

  /** The snapshot dates stored in account_features from {@code from} to {@code to} (null: open), oldest first. */
  public static List<LocalDate> stored(dev.pql.io.DeltaStore store, LocalDate from, LocalDate to) {
    org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> snapshots =
        store.readIfExists(dev.pql.io.Tables.ACCOUNT_FEATURES);
    if (snapshots == null) return List.of();
    org.apache.spark.sql.Column date = org.apache.spark.sql.functions.col("as_of_date");
    org.apache.spark.sql.Column in = org.apache.spark.sql.functions.lit(true);
    if (from != null) in = in.and(date.geq(java.sql.Date.valueOf(from)));
    if (to != null) in = in.and(date.leq(java.sql.Date.valueOf(to)));
    // One row per snapshot date: a short list.
    return snapshots.select(date).distinct().filter(in).orderBy(date).collectAsList().stream()
        .map(r -> r.getDate(0).toLocalDate()).toList();
  }
}
