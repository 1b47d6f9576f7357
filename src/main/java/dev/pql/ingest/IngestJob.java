package dev.pql.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.min;

import dev.pql.config.Settings;
import dev.pql.config.Settings.AccountSource;
import dev.pql.config.Settings.ConversionSource;
import dev.pql.config.Settings.IngestSettings;
import dev.pql.io.DeltaStore;
import dev.pql.io.DeltaStore.MergeCounts;
import dev.pql.io.RunLog;
import dev.pql.io.RunLog.StageCounts;
import dev.pql.io.SourceReader;
import dev.pql.io.StageContext;
import dev.pql.io.Tables;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * The ingest stage: reads the lake through the configured mapping and writes events, events_rejected,
 * accounts and conversions. Every mapping expression is checked against its source before the first
 * write. Every input event row ends in exactly one of: events (new), events_rejected, or the duplicate
 * count (its event id was already kept, in this run or an earlier one).
 */
public final class IngestJob {
  private static final String STATE_PREFIX = "account_state__";
  private static final Set<String> AUDIT = Set.of("ingested_at", "run_id");

  private IngestJob() {}

  /** What one ingest run did. */
  public record Result(
      long eventRowsRead,
      long eventsWritten,
      long eventsRejected,
      long eventsDuplicate,
      Map<String, Long> rejectedByReason,
      long accountRowsRead,
      long accountRowsRejected,
      MergeCounts accountStates,
      long accounts,
      MergeCounts conversions,
      long convertedAccounts,
      SourceReader.LineCounts eventLines) {
    /** The source's lines that held no record of their own, in words; empty when there were none. */
    public String linesExplained() {
      List<String> parts = new ArrayList<>();
      if (eventLines.blank() > 0) parts.add(String.format("%,d blank line%s skipped", eventLines.blank(),
          eventLines.blank() == 1 ? "" : "s"));
      if (eventLines.arrays() > 0) parts.add(String.format("%,d line%s held a JSON array (each element read as a "
          + "row)", eventLines.arrays(), eventLines.arrays() == 1 ? "" : "s"));
      return String.join("; ", parts);
    }
  }

  public static Result run(StageContext context, Settings settings) {
    SparkSession spark = context.spark();
    DeltaStore store = context.store();
    RunLog log = context.log();
    Instant start = context.start();
    IngestSettings in = settings.ingest();
    String runId = log.runId();
    Instant latest = start.plus(in.futureTolerance());

    // Plan everything first: mapping errors surface here, before any table is touched.
    Dataset<Row> checked = mappedEvents(spark, in, latest);

    Dataset<Row> accountSource =
        in.accountSource() == AccountSource.TABLE
            ? SourceReader.read(spark, in.accounts(), columnNames(in.accountColumns().accountId())) : null;
    Dataset<Row> accountRows = accountSource == null ? null
        : AccountHistory.states(accountSource, in.accounts().key(), in.accountColumns())
            .persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> storedAccounts = store.read(Tables.ACCOUNTS);
    if (in.requireKnownAccount() && accountRows != null) {
      checked = EventNormalizer.rejectUnknownAccounts(checked, storedAccounts.select("account_id")
          .unionByName(accountRows.filter(col(EventNormalizer.REASON).isNull()).select("account_id")));
    }
    Dataset<Row> normalized = checked.persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> newStates = switch (in.accountSource()) {
      case TABLE -> accountRows.filter(col(EventNormalizer.REASON).isNull());
      case EVENTS -> unprefixed(normalized.filter(col(EventNormalizer.REASON).isNull()));
      case NONE -> null;
    };
    Dataset<Row> events = EventNormalizer.events(normalized, start, runId);
    Dataset<Row> found = in.conversions().source() == ConversionSource.EVENT
        ? ConversionFinder.fromEvents(events, in.conversions().eventFilter(), in.conversions().fromPlan(),
            in.conversions().toPlan())
        : null;

    try {
      String eventsRoot = SourceReader.root(spark, in.events());
      EventOutcome ev = log.stage("ingest.events",
          () -> writeEvents(store, normalized, events, in.events().key(), eventsRoot, start, runId),
          EventOutcome::counts);
      AccountOutcome ac = log.stage("ingest.accounts",
          () -> writeAccounts(store, in, normalized, accountRows, newStates, storedAccounts, start, runId,
              accountSource == null ? "" : SourceReader.root(spark, in.accounts())),
          AccountOutcome::counts);
      MergeCounts conversions = log.stage("ingest.conversions",
          () -> writeConversions(store, settings, found), c -> new StageCounts(0, c.inserted(), 0, 0));
      return new Result(ev.rowsIn(), ev.inserted(), ev.rejected(), ev.usable() - ev.inserted(), ev.byReason(),
          ac.rowsRead(), ac.rowsRejected(), ac.states(),
          store.read(Tables.ACCOUNTS).select("account_id").distinct().count(),
          conversions, store.read(Tables.CONVERSIONS).filter(col("is_first")).count(),
          SourceReader.lineCounts(spark, in.events()));
    } finally {
      normalized.unpersist();
      if (accountRows != null) accountRows.unpersist();
    }
  }

  /**
   * The event source read and mapped (with the account-state columns it carries when accounts come from events):
   * not yet run, so a mapping that does not fit fails here, before any write.
   */
  static Dataset<Row> mappedEvents(SparkSession spark, IngestSettings in, Instant latest) {
    Dataset<Row> eventSource = SourceReader.read(spark, in.events(), columnNames(in.eventColumns().eventId(),
        in.eventColumns().accountId(), in.eventColumns().userId()));
    List<Column> carried = new ArrayList<>();
    if (in.accountSource() == AccountSource.EVENTS) {
      AccountHistory.stateColumns(eventSource, "pql.ingest.accounts", in.accountColumns(), in.eventColumns().ts(),
          in.eventColumns().tsUnit()).forEach((name, c) -> carried.add(c.as(STATE_PREFIX + name)));
    }
    return EventNormalizer.normalize(eventSource, in.events().key(), in.eventColumns(), in.earliestTimestamp(),
        latest, carried);
  }

  /** The mappings that name a source column as it is (ids read as written); expressions are left to the mapping. */
  private static java.util.Set<String> columnNames(String... mappings) {
    return java.util.Arrays.stream(mappings).filter(m -> m != null && m.matches("[A-Za-z_][A-Za-z0-9_]*"))
        .collect(java.util.stream.Collectors.toSet());
  }

  private record EventOutcome(long rowsIn, long usable, long inserted, long rejected, Map<String, Long> byReason) {
    StageCounts counts() {
      return new StageCounts(rowsIn, inserted, rejected, usable - inserted);
    }
  }

  private static EventOutcome writeEvents(DeltaStore store, Dataset<Row> normalized, Dataset<Row> events,
      String sourceKey, String sourceRoot, Instant start, String runId) {
    long usable = 0;
    Map<String, Long> byReason = new TreeMap<>();
    for (Row r : normalized.groupBy(EventNormalizer.REASON).count().collectAsList()) {
      if (r.isNullAt(0)) usable += r.getLong(1);
      else byReason.merge(r.getString(0), r.getLong(1), Long::sum);
    }
    long rejected = byReason.values().stream().mapToLong(Long::longValue).sum();
    // Before the events' MERGE: a losing payload is one that differs from what events held before this run.
    Dataset<Row> losers = EventNormalizer.duplicates(normalized, store.read(Tables.EVENTS), sourceKey, start, runId)
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      // The losers go first: a run killed between the two commits leaves events as they were, so its rerun finds
      // the same losers against the same stored events (the other order would see this run's events as stored).
      // The table exists from the first ingest, empty when no id lost a payload: BI tools and readers find it.
      if (losers.count() > 0) {
        store.insertNew(Tables.EVENTS_DUPLICATES, losers);
      } else if (!store.exists(Tables.EVENTS_DUPLICATES)) {
        store.ensure(Tables.EVENTS_DUPLICATES);
      }
      long inserted = store.insertNew(Tables.EVENTS, events);
      store.insertNew(Tables.EVENTS_REJECTED, EventNormalizer.rejected(normalized, sourceKey, sourceRoot, start,
          runId));
      return new EventOutcome(usable + rejected, usable, inserted, rejected, byReason);
    } finally {
      losers.unpersist();
    }
  }

  private record AccountOutcome(long rowsRead, long rowsRejected, MergeCounts states) {
    StageCounts counts() {
      return new StageCounts(rowsRead, states.inserted(), rowsRejected, 0);
    }
  }

  private static AccountOutcome writeAccounts(DeltaStore store, IngestSettings in, Dataset<Row> normalized,
      Dataset<Row> accountRows, Dataset<Row> newStates, Dataset<Row> storedAccounts, Instant start, String runId,
      String accountsRoot) {
    long read = 0;
    long rejected = 0;
    if (accountRows != null) {
      read = accountRows.count();
      rejected = accountRows.filter(col(EventNormalizer.REASON).isNotNull()).count();
      store.insertNew(Tables.EVENTS_REJECTED,
          EventNormalizer.rejected(accountRows, in.accounts().key(), accountsRoot, start, runId));
    }
    Dataset<Row> usable = normalized.filter(col(EventNormalizer.REASON).isNull());
    Dataset<Row> states = newStates != null ? newStates : AccountHistory.statesFromFirstEvents(usable);
    Dataset<Row> firstEvents = usable.groupBy("account_id").agg(min("ts").as("first_ts"));
    Dataset<Row> history = AccountHistory.merge(storedAccounts, states, firstEvents, start, runId);
    return new AccountOutcome(read, rejected, store.sync(Tables.ACCOUNTS, history, AUDIT));
  }

  /** Conversions, recomputed from the complete history (or the stored ones plus this run's events). */
  private static MergeCounts writeConversions(DeltaStore store, Settings settings, Dataset<Row> foundInEvents) {
    Dataset<Row> candidates = foundInEvents != null ? foundInEvents
        : ConversionFinder.fromPlanHistory(store.read(Tables.ACCOUNTS), settings.plans().free(), settings.plans().paid());
    return store.sync(Tables.CONVERSIONS, ConversionFinder.merge(store.read(Tables.CONVERSIONS), candidates), AUDIT);
  }

  private static Dataset<Row> unprefixed(Dataset<Row> rows) {
    List<Column> columns = new ArrayList<>();
    for (String name : rows.columns()) {
      if (name.startsWith(STATE_PREFIX)) columns.add(col("`" + name + "`").as(name.substring(STATE_PREFIX.length())));
    }
    return rows.select(columns.toArray(Column[]::new));
  }
}
