package dev.pql.features;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;

import dev.pql.PqlException.NotEnoughData;
import dev.pql.config.Settings.DomainSettings;
import dev.pql.config.Settings.FeatureSettings;
import dev.pql.io.DeltaStore;
import dev.pql.io.Tables;
import java.sql.Date;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The stored account_features snapshots: the one place that reads them and says when there are none, and that
 * builds a snapshot of the same columns for an account at a date the cadence skipped.
 */
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

  /**
   * Snapshots of some accounts at their own dates ({@code moments}: account_id, as_of_date), with the columns of
   * the stored snapshots, from the daily tables the last feature build brought up to date; built on the fly, never
   * stored. Training reads the eve of each upgrade this way when the snapshot cadence has no row that day.
   */
  public static Dataset<Row> snapshotsAt(DeltaStore store, FeatureSettings settings, DomainSettings domains,
      Dataset<Row> moments) {
    List<String> events = FeaturesJob.knownKeyEvents(store, settings);
    Dataset<Row> stored = snapshots(store);
    if (events == null) throw notBuilt(store, Set.of(stored.columns()));
    // The windows the stored columns have (the configured ones and those the definitions name), built alike.
    FeatureNames.NamedWindows named = FeatureNames.windowsNamed(String.join(" ", stored.columns()));
    FeatureSettings built = settings.withWindows(named.counts(), named.sinceSignup(), named.users());
    Dataset<Row> snapshots = PointInTimeFeatures.snapshotsAt(store.read(Tables.ACCOUNT_DAILY),
        store.read(Tables.ACCOUNT_USER_DAILY), store.read(Tables.ACCOUNT_EVENT_USER_DAILY), store.read(Tables.ACCOUNTS),
        moments, PointInTimeFeatures.Spec.of(built, FeatureNames.snakeNames(events)));
    Set<String> missing = new java.util.TreeSet<>(Set.of(stored.columns()));
    missing.removeAll(Set.of(snapshots.columns()));
    // Added below: by the enrichment and by Firmographics.
    missing.removeAll(Set.of("revenue_band", "founded_year", "domain_class", "size_band"));
    if (!missing.isEmpty()) throw notBuilt(store, missing);
    Dataset<Row> enriched = EnrichmentAsOf.apply(snapshots, store.read(Tables.ENRICHMENT), settings.enrichmentFirst());
    return Firmographics.classify(enriched, domains.webmail(), domains.enterprise(),
        new Firmographics.SizeBands(settings.sizeMidFrom(), settings.sizeLargeFrom()))
        .select(Arrays.stream(stored.columns()).map(c -> col("`" + c + "`")).toArray(Column[]::new));
  }

  private static NotEnoughData notBuilt(DeltaStore store, Set<String> missing) {
    return new NotEnoughData("account_features in " + store.warehouse() + " holds columns this configuration does "
        + "not build (" + String.join(", ", new java.util.TreeSet<>(missing).stream().limit(5).toList())
        + "): run `pql features` first");
  }
}
