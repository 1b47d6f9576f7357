package dev.pql.features;

import dev.pql.config.Settings.DomainSettings;
import dev.pql.config.Settings.FeatureSettings;
import dev.pql.config.Settings.PlanLimit;
import dev.pql.io.DeltaStore;
import dev.pql.io.RunLog;
import dev.pql.io.RunLog.StageCounts;
import dev.pql.io.StageContext;
import dev.pql.io.TableContract;
import dev.pql.io.Tables;
import dev.pql.io.UpToDate;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

/**
 * The features stage: brings the daily pre-aggregates up to date, then writes one account_features
 * partition per as-of date (replacing it if it exists, so a rerun of a date changes nothing).
 */
public final class FeaturesJob {
  private FeaturesJob() {}

  /**
   * What a run did, the snapshot's width (columns, of which per key event) and the configured events that were
   * never seen (reported, never silently ignored).
   */
  public record Result(DailyAggregatesJob.Result daily, List<LocalDate> asOfDates, long featureRows,
      List<String> keyEvents, List<String> unseenEvents, Width width) {}

  /**
   * The snapshot's width, bounded by configuration: key events x columns per key event (the total, each window,
   * each signup window, each user window, days to first), plus the columns every account has.
   */
  public record Width(int columns, int keyEvents, int perKeyEvent) {
    static Width of(TableContract contract, int keyEvents, FeatureSettings settings) {
      return new Width(contract.columnNames().size(), keyEvents,
          2 + settings.countWindows().size() + settings.signupWindows().size() + settings.userWindows().size());
    }

    @Override
    public String toString() {
      return String.format("%,d columns (%d key events x %d + %d)", columns, keyEvents, perKeyEvent,
          columns - keyEvents * perKeyEvent);
    }
  }

  public static Result run(StageContext context, FeatureSettings settings, DomainSettings domains,
      List<LocalDate> asOfDates) {
    SparkSession spark = context.spark();
    DeltaStore store = context.store();
    RunLog log = context.log();
    // The daily tables follow the events: with no event ingested (or excluded anew) since they were built, there is
    // nothing to rebuild and no need to look.
    UpToDate dailyBuilt = UpToDate.of(store, "features-daily", "excluded "
        + dev.pql.io.Digests.canonical(settings.excludeEvents()) + " and " + settings.conversionFilter(),
        List.of(Tables.EVENTS.name(), Tables.ACCOUNTS.name(), Tables.ACCOUNT_DAILY.name(),
            Tables.ACCOUNT_USER_DAILY.name(), Tables.ACCOUNT_EVENT_USER_DAILY.name()));
    DailyAggregatesJob.Result daily;
    if (dailyBuilt.holds()) {
      log.skipped("features.daily", "no event ingested since the daily tables were built");
      daily = new DailyAggregatesJob.Result(List.of(), 0, 0, 0, 0);
    } else {
      daily = log.stage("features.daily", () -> DailyAggregatesJob.build(store, excludedEvents(settings)),
          r -> new StageCounts(r.eventsRead(),
              r.accountDailyRows() + r.accountUserDailyRows() + r.accountEventUserDailyRows(), 0, 0));
      dailyBuilt.record();
    }

    // Event names are few (tens): a short list, not a table.
    TreeSet<String> seen = store.read(Tables.ACCOUNT_DAILY).select("event").distinct().collectAsList().stream()
        .map(r -> r.getString(0)).collect(Collectors.toCollection(TreeSet::new));
    Map<String, String> keyEvents = FeatureNames.snakeNames(keyEvents(spark, settings, store, seen, log.runId(),
        context.start()));
    List<String> named = new ArrayList<>(keyEvents.keySet());
    settings.namedEvents().stream().filter(e -> !named.contains(e)).forEach(named::add);
    List<String> unseen = named.stream().filter(e -> !seen.contains(e)).collect(Collectors.toList());

    TableContract contract = AccountFeatures.contract(keyEvents, planLimits(settings), settings);
    boolean changed = featureSetChanged(store, contract);
    List<LocalDate> dates = changed ? withStoredDates(store, asOfDates) : asOfDates;
    long rows = log.stage("features.snapshots", () -> {
      Dataset<Row> snapshots = PointInTimeFeatures.snapshots(store.read(Tables.ACCOUNT_DAILY),
          store.read(Tables.ACCOUNT_USER_DAILY), store.read(Tables.ACCOUNT_EVENT_USER_DAILY),
          store.read(Tables.ACCOUNTS), dates,
          PointInTimeFeatures.Spec.of(settings, keyEvents));
      Dataset<Row> enriched =
          EnrichmentAsOf.apply(snapshots, store.read(Tables.ENRICHMENT), settings.enrichmentFirst());
      Dataset<Row> classified = Firmographics.classify(enriched, domains.webmail(), domains.enterprise(),
          new Firmographics.SizeBands(settings.sizeMidFrom(), settings.sizeLargeFrom()));
      // A changed feature set rewrites every snapshot in one commit, under the new columns only.
      return changed ? store.replaceAll(contract, classified, "as_of_date")
          : store.replaceDates(contract, classified, "as_of_date", dates);
    }, n -> new StageCounts(0, n, 0, 0));
    return new Result(daily, dates, rows, List.copyOf(keyEvents.keySet()), unseen,
        Width.of(contract, keyEvents.size(), settings));
  }

  /**
   * The contract the next feature build will write, when its key events are already known (configured, or fixed in
   * feature_catalog by an earlier build), so that definitions can be checked before any work; null on a first build
   * that takes its key events from the events it has not read yet.
   */
  public static TableContract plannedContract(DeltaStore store, FeatureSettings settings) {
    List<String> events = knownKeyEvents(store, settings);
    return events == null ? null : AccountFeatures.contract(FeatureNames.snakeNames(events), planLimits(settings),
        settings);
  }

  /** The key events when they are known without reading the events: configured, or in feature_catalog; or null. */
  static List<String> knownKeyEvents(DeltaStore store, FeatureSettings settings) {
    if (!settings.keyEvents().isEmpty()) {
      return store.exists(Tables.EVENTS) ? withoutExcluded(store, settings, settings.keyEvents())
          : settings.keyEvents().stream().filter(e -> !settings.excludeEvents().contains(e)).toList();
    }
    if (!store.exists(Tables.FEATURE_CATALOG)) return null;
    // A few tens of event names.
    List<String> events = store.read(Tables.FEATURE_CATALOG).orderBy("event").select("event").collectAsList()
        .stream().map(r -> r.getString(0)).toList();
    return events.isEmpty() ? null : events;
  }

  /**
   * Whether stored snapshots exist with other columns than the feature set's (windows or key events added or
   * removed): then every stored date is rebuilt with the dates asked for, so that no snapshot reads a new column as
   * null, none keeps a dropped one, and no model mixes the old feature set with the new.
   */
  static boolean featureSetChanged(DeltaStore store, TableContract contract) {
    Dataset<Row> stored = store.readIfExists(AccountFeatures.NAME);
    return stored != null && !java.util.Set.of(stored.columns()).equals(java.util.Set.copyOf(contract.columnNames()));
  }

  /** The dates asked for and every stored snapshot date, in order. */
  static List<LocalDate> withStoredDates(DeltaStore store, List<LocalDate> asked) {
    TreeSet<LocalDate> dates = new TreeSet<>(FeatureStore.storedDates(store, null, null));
    dates.addAll(asked);
    return List.copyOf(dates);
  }

  /** The plan limits by the snake name of their event (their feature is usage_vs_limit__<snake>). */
  static Map<String, PlanLimit> planLimits(FeatureSettings settings) {
    Map<String, String> snakes = FeatureNames.snakeNames(settings.planLimits().stream().map(PlanLimit::event).toList());
    Map<String, PlanLimit> bySnake = new java.util.LinkedHashMap<>();
    settings.planLimits().forEach(l -> bySnake.put(snakes.get(l.event()), l));
    return bySnake;
  }

  /** The events that never become features: pql.features.exclude-events and the conversion event. */
  public static org.apache.spark.sql.Column excludedEvents(FeatureSettings settings) {
    org.apache.spark.sql.Column excluded = org.apache.spark.sql.functions.col("event")
        .isin(settings.excludeEvents().toArray());
    return settings.conversionFilter() == null ? excluded
        : excluded.or(org.apache.spark.sql.functions.expr(settings.conversionFilter()));
  }

  /**
   * {@code candidates} without the excluded events: those of pql.features.exclude-events, and those the conversion
   * filter matches among the events of these names. The events seen in account_daily are never excluded ones (the
   * daily build leaves them out), so only names the configuration lists need the events read, and only theirs.
   */
  private static List<String> withoutExcluded(DeltaStore store, FeatureSettings settings,
      java.util.Collection<String> candidates) {
    java.util.Set<String> excluded = new java.util.HashSet<>(settings.excludeEvents());
    if (settings.conversionFilter() != null && !candidates.isEmpty()) {
      // A handful of event names, not rows.
      store.read(Tables.EVENTS).filter(org.apache.spark.sql.functions.col("event").isin(candidates.toArray())
              .and(org.apache.spark.sql.functions.expr(settings.conversionFilter())))
          .select("event").distinct().collectAsList().forEach(r -> excluded.add(r.getString(0)));
    }
    return candidates.stream().filter(e -> !excluded.contains(e)).toList();
  }

  /**
   * The configured key events, or the catalog's; the first build fills the catalog with every event seen and every
   * event the configuration names. Excluded events are left out of both the configured list and the catalog, so a
   * catalog never names one.
   */
  private static List<String> keyEvents(SparkSession spark, FeatureSettings settings, DeltaStore store,
      TreeSet<String> seen, String runId, Instant start) {
    if (!settings.keyEvents().isEmpty()) return withoutExcluded(store, settings, settings.keyEvents());
    if (store.exists(Tables.FEATURE_CATALOG)) {
      List<String> catalog = store.read(Tables.FEATURE_CATALOG).orderBy("event").select("event").collectAsList()
          .stream().map(r -> r.getString(0)).collect(Collectors.toList());
      if (!catalog.isEmpty()) return catalog;
    }
    // Every event seen so far and every event the configuration names, so that a definition over a named event
    // that has not happened yet (a hand-raise on a young lake) still finds its column, at zero.
    TreeSet<String> events = new TreeSet<>(seen);
    events.addAll(withoutExcluded(store, settings, settings.namedEvents().stream()
        .filter(e -> !seen.contains(e)).toList()));
    events.removeAll(settings.excludeEvents());
    Map<String, String> names = FeatureNames.snakeNames(new ArrayList<>(events));
    List<Row> rows = new ArrayList<>();
    names.forEach((event, snake) -> rows.add(RowFactory.create(event, snake, Timestamp.from(start), runId)));
    store.insertNew(Tables.FEATURE_CATALOG, spark.createDataFrame(rows, Tables.FEATURE_CATALOG.schema()));
    return new ArrayList<>(names.keySet());
  }
}
