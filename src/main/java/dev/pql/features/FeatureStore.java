package dev.pql.features;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;

import dev.pql.PqlException.NotEnoughData;
import dev.pql.io.DeltaStore;
import java.sql.Date;
import java.time.LocalDate;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** The stored account_features snapshots: the one place that reads them and says when there are none. */
public final class FeatureStore {
  private FeatureStore() {}

  /** Every stored snapshot; fails (not enough data) when the features stage has not run on this warehouse. */
  public static Dataset<Row> snapshots(DeltaStore store) {
    Dataset<Row> snapshots = store.readIfExists(AccountFeatures.NAME);
    if (snapshots == null) {
      throw new NotEnoughData("No account_features table in " + store.warehouse() + ": run `pql features` first");
    }
    return snapshots;
  }

  /** The latest stored snapshot date, or null when there is none. */
  public static LocalDate latestDate(DeltaStore store) {
    Dataset<Row> snapshots = store.readIfExists(AccountFeatures.NAME);
    Date latest = snapshots == null ? null : snapshots.agg(max("as_of_date")).first().getDate(0);
    return latest == null ? null : latest.toLocalDate();
  }

  /** The snapshot dates stored from {@code from} to {@code to} (null: open), oldest first. */
  public static List<LocalDate> storedDates(DeltaStore store, LocalDate from, LocalDate to) {
    Dataset<Row> snapshots = store.readIfExists(AccountFeatures.NAME);
    if (snapshots == null) return List.of();
    Column date = col("as_of_date");
    Column in = lit(true);
    if (from != null) in = in.and(date.geq(Date.valueOf(from)));
    if (to != null) in = in.and(date.leq(Date.valueOf(to)));
    // One row per snapshot date: a short list.
    return snapshots.select(date).distinct().filter(in).orderBy(date).collectAsList().stream()
        .map(r -> r.getDate(0).toLocalDate()).toList();
  }
}
