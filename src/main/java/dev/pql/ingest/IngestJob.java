package dev.pql.ingest;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;

import dev.pql.config.Settings;
import dev.pql.config.Settings.AccountSource;
import dev.pql.config.Settings.ConversionSource;
import dev.pql.config.Settings.IngestSettings;
import dev.pql.io.DeltaStore;
import dev.pql.io.DeltaStore.MergeCounts;
import dev.pql.io.Digests;
import dev.pql.io.RunLog;
import dev.pql.io.RunLog.StageCounts;
import dev.pql.io.SourceReader;
import dev.pql.io.StageContext;
import dev.pql.io.Tables;
import dev.pql.io.UpToDate;
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
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * The ingest stage: reads the lake through the configured mapping and writes events, events_rejected,
 * accounts and conversions. Every mapping expression is checked against its source before the first
 * write. Every input event row ends in exactly one of: events (new), events_rejected, or the duplicate
 * count (its event id was already kept, in this run or an earlier one).
 */
public final class IngestJob {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(IngestJob.class);
  private static final String STATE_PREFIX = "account_state__";
  private static final Set<String> AUDIT = Set.of("ingested_at", "run_id");
  /** Up to this many repeated event ids are broadcast (some 20 MB at most); more are joined by a shuffle. */
  private static final long BROADCAST_REPEATED_IDS = 200_000;

  private IngestJob() {}

  /** What one ingest run did. */
  public record Result(
      long eventRowsRead,
      long eventsWritten,
      long eventsRejected,
      long eventsDuplicate,
      long eventsHeld,
      long eventsReleased,
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

    /** The same run with the held events it released into events. */
    Result withReleased(long released) {
      return new Result(eventRowsRead, eventsWritten, eventsRejected, eventsDuplicate, eventsHeld, released,
          rejectedByReason, accountRowsRead, accountRowsRejected, accountStates, accounts, conversions,
          convertedAccounts, eventLines);
    }

    /** The batches of one run together: their counts summed, the account and conversion totals of the last. */
    static Result sum(List<Result> batches) {
      Result last = batches.get(batches.size() - 1);
      Map<String, Long> byReason = new TreeMap<>();
      long[] n = new long[11];
      for (Result b : batches) {
        b.rejectedByReason().forEach((reason, count) -> byReason.merge(reason, count, Long::sum));
        long[] add = {b.eventRowsRead(), b.eventsWritten(), b.eventsRejected(), b.eventsDuplicate(),
            b.accountRowsRead(), b.accountRowsRejected(), b.accountStates().inserted(), b.conversions().inserted(),
            b.eventLines().blank(), b.eventsHeld(), b.eventsReleased()};
        for (int i = 0; i < n.length; i++) n[i] += add[i];
      }
      long arrays = batches.stream().mapToLong(b -> b.eventLines().arrays()).sum();
      return new Result(n[0], n[1], n[2], n[3], n[9], n[10], byReason, n[4], n[5],
          new MergeCounts(n[6], last.accountStates().updated(), last.accountStates().deleted()), last.accounts(),
          new MergeCounts(n[7], last.conversions().updated(), last.conversions().deleted()), last.convertedAccounts(),
          new SourceReader.LineCounts(n[8], arrays));
    }
  }

  /**
   * Ingests what the lake holds that no earlier run read. A file source (Parquet, JSON, CSV) is read as a stream
   * with {@code Trigger.AvailableNow} and a checkpoint in the warehouse, so only files not read before are read,
   * each batch through {@link #ingest}; a crash between reading and committing replays the batch, whose keyed
   * writes change nothing the second time. A Delta source is read whole. With no new event file, the account
   * source and conversions are still brought up to date.
   */
  public static Result run(StageContext context, Settings settings) {
    SparkSession spark = context.spark();
    IngestSettings in = settings.ingest();
    Instant latest = context.start().plus(in.futureTolerance());
    // The whole source, planned only: its schema, and the mapping checked against it before any write.
    Dataset<Row> whole = wholeSource(spark, in);
    mappedEvents(whole, in, latest, null);
    if (in.enrichment().enabled()) enrichmentSource(spark, in); // its mapping checked before any write too
    if (in.identities().enabled()) {
      identitySource(spark, in); // checked before any write too; its links then stored before the events are read
      context.log().stage("ingest.identities", () -> writeIdentities(context, in), c -> c);
    }
    Result result = SourceReader.streamable(in.events()) ? streamed(context, settings, whole)
        : ingest(context, settings, whole, false);
    // Held events whose link this run (or an earlier one, when a rerun finishes a killed run) brought: released.
    if (context.store().hasFiles(Tables.EVENTS_UNATTRIBUTED)) {
      result = result.withReleased(context.log().stage("ingest.release", () -> release(context, in), c -> c)
          .rowsOut());
    } else if (!context.store().exists(Tables.EVENTS_UNATTRIBUTED)) {
      context.store().ensure(Tables.EVENTS_UNATTRIBUTED);
    }
    if (in.enrichment().enabled()) {
      context.log().stage("ingest.enrichment", () -> writeEnrichment(context, in), c -> c);
    } else if (!context.store().exists(Tables.ENRICHMENT)) {
      context.store().ensure(Tables.ENRICHMENT); // empty without a source: BI tools and readers find it
    }
    // Empty without an anonymous id, or before the first link: as every table of the contracts, it exists.
    if (!context.store().exists(Tables.IDENTITY_LINKS)) context.store().ensure(Tables.IDENTITY_LINKS);
    return result;
  }

  /** The event files no earlier run read, batch by batch; with no new file, accounts and conversions alone. */
  private static Result streamed(StageContext context, Settings settings, Dataset<Row> whole) {
    SparkSession spark = context.spark();
    IngestSettings in = settings.ingest();
    // Listed before anything is read: a file that changes while this run reads is read again by the next.
    AccountsRead accountsRead = AccountsRead.of(spark, context.store(), settings);

    List<Result> batches = new ArrayList<>();
    String checkpoint = context.store().location(checkpoint(spark, in));
    // A warehouse without events (new, or its tables deleted) reads every file again, whatever a checkpoint says.
    if (!context.store().exists(Tables.EVENTS)) context.store().deleteLocation(checkpoint);
    Dataset<Row> stream = SourceReader.stream(spark, in.events(), whole.schema());
    StreamingQuery query;
    try {
      query = stream.writeStream().trigger(Trigger.AvailableNow()).option("checkpointLocation", checkpoint)
          .foreachBatch((VoidFunction2<Dataset<Row>, Long>) (batch, id) -> batches.add(ingest(context, settings,
              batch, false)))
          .start();
    } catch (Exception e) { // the checkpoint cannot be written: Hadoop's IOExceptions come undeclared from Scala
      throw new dev.pql.PqlException.WriteError("Writing the ingest stream's checkpoint at " + checkpoint
          + " failed (" + e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).lines().findFirst()
          .orElse("") + "); nothing was ingested and every table is as it was", e);
    }
    awaitStream(query);
    if (batches.isEmpty()) batches.add(nothingNew(context, settings, whole.schema(), accountsRead));
    accountsRead.record();
    return Result.sum(batches);
  }

  /**
   * An account table as this run found it (a digest of its files), and whether accounts and conversions were last
   * brought up to date with those very files: one marker per source, mapping and plan lists, so another mapping or
   * another list of paid plans reads the table again, and a write to either table since (or one deleted) too.
   */
  private record AccountsRead(java.util.Optional<UpToDate> read) {
    static AccountsRead of(SparkSession spark, DeltaStore store, Settings settings) {
      IngestSettings in = settings.ingest();
      if (in.accountSource() != AccountSource.TABLE) return new AccountsRead(java.util.Optional.empty());
      String reading = Digests.canonical(List.of(SourceReader.located(spark, in.accounts()), in.accountColumns(),
          in.conversions(), settings.plans()));
      return new AccountsRead(SourceReader.fingerprint(spark, in.accounts()).map(files -> UpToDate.of(store,
          "accounts-" + Digests.text(reading), files, List.of(Tables.ACCOUNTS.name(), Tables.CONVERSIONS.name()))));
    }

    /** Whether accounts and conversions already hold what this table holds, as the last ingest left them. */
    boolean unchanged() {
      return read.map(UpToDate::holds).orElse(false);
    }

    /** After an ingest that brought accounts and conversions up to date with the table as listed. */
    void record() {
      read.ifPresent(UpToDate::record);
    }
  }

  /**
   * No new event file: events, their rejects and duplicates stay as they are, with a zero row in the run log. An
   * account table (a full snapshot) is still read and merged, and conversions found in the plan history, unless its
   * files are those the last ingest read; accounts and conversions that come from events cannot have changed, and
   * are left alone.
   */
  private static Result nothingNew(StageContext context, Settings settings, StructType schema,
      AccountsRead accountsRead) {
    IngestSettings in = settings.ingest();
    boolean table = in.accountSource() == AccountSource.TABLE;
    if (table && !accountsRead.unchanged()) {
      return ingest(context, settings, context.spark().createDataFrame(List.of(), schema), true);
    }
    context.log().stage("ingest.events", () -> 0L, n -> new StageCounts(0, 0, 0, 0));
    if (table) {
      String same = "the account table holds the files the last ingest read";
      context.log().skipped("ingest.accounts", same);
      context.log().skipped("ingest.conversions", same);
    }
    MergeCounts none = new MergeCounts(0, 0, 0);
    DeltaStore store = context.store();
    return new Result(0, 0, 0, 0, 0, 0, Map.of(), 0, 0, none,
        store.read(Tables.ACCOUNTS).select("account_id").distinct().count(), none,
        store.read(Tables.CONVERSIONS).filter(col("is_first")).count(), SourceReader.LineCounts.NONE);
  }

  /**
   * Where the stream over an event source keeps the files it has read: one checkpoint per source (path, format,
   * options) and mapping, so a lake read from elsewhere or through another mapping is read again in full (its
   * events already stored are duplicates then, its rejected rows the same rows).
   */
  static String checkpoint(SparkSession spark, IngestSettings in) {
    // The text of the two records (options in sorted order, so that every JVM names the same checkpoint), the
    // source's path qualified: a lake named from another working directory keeps its checkpoint.
    String source = Digests.canonical(SourceReader.located(spark, in.events()));
    // Accounts from emails change which rows are usable: a mapping that starts using them reads the lake again.
    String fromEmail = in.accountFromEmail().enabled() ? " account-from-email=" + in.accountFromEmail().email() : "";
    return "_pql_checkpoints/events-" + Digests.text(source + " " + Digests.canonical(in.eventColumns()) + fromEmail);
  }

  /** Waits for the stream's last batch; a batch's own failure (a pql error above all) is thrown as it was. */
  private static void awaitStream(StreamingQuery query) {
    try {
      query.awaitTermination();
    } catch (StreamingQueryException e) {
      Throwable cause = e.getCause();
      while (cause != null && !(cause instanceof dev.pql.PqlException) && cause.getCause() != null
          && cause.getCause() != cause) {
        cause = cause.getCause();
      }
      if (cause instanceof dev.pql.PqlException p) throw p;
      throw new IllegalStateException("Ingest failed: " + e.getMessage(), e.getCause() != null ? e.getCause() : e);
    }
  }

  /**
   * One batch of event rows (the whole source, or the files a stream batch read) ingested with its accounts.
   *
   * @param noEvents the batch is known to be empty: the events' writes are skipped, their counts zero
   */
  static Result ingest(StageContext context, Settings settings, Dataset<Row> eventSource, boolean noEvents) {
    SparkSession spark = context.spark();
    DeltaStore store = context.store();
    RunLog log = context.log();
    Instant start = context.start();
    IngestSettings in = settings.ingest();
    String runId = log.runId();
    Dataset<Row> checked = mappedEvents(eventSource, in, start.plus(in.futureTolerance()), null);
    Pseudonyms ids = pseudonyms(in);
    // Anonymous ids: the batch's links beside the stored ones, then the batch mapped again with them.
    Dataset<Row> batchLinks = null;
    if (!in.eventColumns().anonymousId().isBlank()) {
      batchLinks = IdentityStitching.links(checked).persist(StorageLevel.MEMORY_AND_DISK());
      Dataset<Row> links = IdentityStitching.earliest(store.exists(Tables.IDENTITY_LINKS)
          ? store.read(Tables.IDENTITY_LINKS) : null, batchLinks);
      checked = mappedEvents(eventSource, in, start.plus(in.futureTolerance()), IdentityStitching.lookup(links));
    }

    Dataset<Row> accountSource =
        in.accountSource() == AccountSource.TABLE
            ? SourceReader.read(spark, in.accounts(), columnNames(in.accountColumns().accountId())) : null;
    Dataset<Row> accountRows = accountSource == null ? null
        : AccountHistory.states(accountSource, in.accounts().key(), in.accountColumns(), ids)
            .persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> storedAccounts = store.read(Tables.ACCOUNTS);
    if (in.requireKnownAccount() && accountRows != null) {
      checked = EventNormalizer.rejectUnknownAccounts(checked, storedAccounts.select("account_id")
          .unionByName(accountRows.filter(col(EventNormalizer.REASON).isNull()).select("account_id")));
    }
    Dataset<Row> normalized = (in.keepRawRecords() ? checked : EventNormalizer.usableRawRecordsHashed(checked))
        .persist(StorageLevel.MEMORY_AND_DISK());
    // Ids that are emails and no key to hash them: nothing of this batch may be written.
    ids.check(normalized, in.events().key());
    if (accountRows != null) {
      ids.check(accountRows.withColumn("user_id", lit(null).cast("string")), in.accounts().key());
    }
    Dataset<Row> newStates = switch (in.accountSource()) {
      case TABLE -> accountRows.filter(col(EventNormalizer.REASON).isNull());
      case EVENTS -> unprefixed(normalized.filter(col(EventNormalizer.REASON).isNull()));
      case NONE -> null;
    };
    BatchEvents batch = new BatchEvents(normalized, start, runId);

    try {
      String eventsRoot = SourceReader.root(spark, in.events());
      EventOutcome ev = log.stage("ingest.events", () -> noEvents ? new EventOutcome(0, 0, 0, 0, Map.of(), 0, 0)
          : writeEvents(store, normalized, batch.repeated(), batch.events(), in, eventsRoot, start, runId),
          EventOutcome::counts);
      if (batchLinks != null) {
        Dataset<Row> linked = batchLinks;
        log.stage("ingest.identity", () -> writeLinks(store, linked, start, runId), c -> c);
      }
      AccountOutcome ac = log.stage("ingest.accounts",
          () -> writeAccounts(store, in, normalized, accountRows, newStates, storedAccounts, start, runId,
              accountSource == null ? "" : SourceReader.root(spark, in.accounts())),
          AccountOutcome::counts);
      MergeCounts conversions = log.stage("ingest.conversions",
          () -> writeConversions(store, settings, in.conversions().source() == ConversionSource.EVENT
              ? ConversionFinder.fromEvents(batch.events(), in.conversions().eventFilter(),
                  in.conversions().fromPlan(), in.conversions().toPlan())
              : null), c -> new StageCounts(0, c.inserted(), 0, 0));
      return new Result(ev.rowsIn(), ev.inserted(), ev.rejected(), ev.counts().rowsDuplicate(), ev.held(), 0,
          ev.byReason(),
          ac.rowsRead(), ac.rowsRejected(), ac.states(),
          store.read(Tables.ACCOUNTS).select("account_id").distinct().count(),
          conversions, store.read(Tables.CONVERSIONS).filter(col("is_first")).count(),
          SourceReader.lineCounts(spark, in.events(), filesOf(normalized, in.events())));
    } finally {
      normalized.unpersist();
      batch.repeated.unpersist();
      if (batchLinks != null) batchLinks.unpersist();
      if (accountRows != null) accountRows.unpersist();
    }
  }

  /**
   * A batch's events, one per id. The ids that repeat are counted where they are first needed (in ingest.events,
   * whose first job reads the batch): few (none in most batches) are sent to every task, so the rows with a unique
   * id are never shuffled to choose among copies.
   */
  private static final class BatchEvents {
    private final Dataset<Row> normalized;
    private final Dataset<Row> repeated;
    private final Instant start;
    private final String runId;
    private Dataset<Row> repeatedIds;

    BatchEvents(Dataset<Row> normalized, Instant start, String runId) {
      this.normalized = normalized;
      this.repeated = EventNormalizer.repeatedIds(normalized).persist(StorageLevel.MEMORY_AND_DISK());
      this.start = start;
      this.runId = runId;
    }

    /** The repeated ids without a join hint: the losing payloads union them with stored ids first. */
    Dataset<Row> repeated() {
      return repeated;
    }

    Dataset<Row> repeatedIds() {
      if (repeatedIds == null) {
        repeatedIds = repeated.count() <= BROADCAST_REPEATED_IDS ? broadcast(repeated) : repeated;
      }
      return repeatedIds;
    }

    Dataset<Row> events() {
      return EventNormalizer.events(normalized, repeatedIds(), start, runId);
    }
  }

  /** The files a batch's rows came from (their names only), when the source's lines are counted: text sources. */
  private static List<String> filesOf(Dataset<Row> normalized, Settings.SourceTable source) {
    if (!source.format().equals("json") && !source.format().equals("csv")) return List.of();
    return normalized.select(EventNormalizer.FILE).distinct().filter(col(EventNormalizer.FILE).notEqual(""))
        .as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
  }

  /**
   * The whole event source read and mapped: not yet run (see {@link #mappedEvents(Dataset, IngestSettings, Instant,
   * Dataset)}).
   */
  static Dataset<Row> mappedEvents(SparkSession spark, IngestSettings in, Instant latest) {
    return mappedEvents(wholeSource(spark, in), in, latest, null);
  }

  /** A batch's links stored. Counts: links read, stored (new or earlier than the stored one). */
  private static StageCounts writeLinks(DeltaStore store, Dataset<Row> links, Instant start, String runId) {
    long read = links.count();
    if (read == 0) return StageCounts.NONE; // no empty commit
    long kept = storeLinks(store, links, start, runId, "identity: " + read + " link(s) in the batch");
    return new StageCounts(read, kept, 0, read - kept);
  }

  /**
   * Links stored (the earliest of each anonymous id kept), and the stored events of their anonymous ids that have no
   * user yet given the linked user, their ingested_at moved to this run's so the features stage rebuilds their days;
   * the links stored, new or earlier than the stored one. A replay changes nothing.
   */
  private static long storeLinks(DeltaStore store, Dataset<Row> links, Instant start, String runId, String what) {
    MergeCounts stored = store.keepEarliest(Tables.IDENTITY_LINKS, IdentityStitching.stored(links, start, runId),
        "first_seen_at");
    Dataset<Row> current = store.read(Tables.IDENTITY_LINKS).join(links.select("anonymous_id"), "anonymous_id");
    long attributed = store.updateMatching(Tables.EVENTS, current,
        "t.anonymous_id = s.anonymous_id AND t.user_id IS NULL",
        Map.of("user_id", "s.user_id", "ingested_at", "CAST('" + start + "' AS TIMESTAMP)"));
    long kept = stored.inserted() + stored.updated();
    LOG.info("{}, {} stored, {} earlier event(s) attributed to their user", what, kept, attributed);
    return kept;
  }

  /**
   * The held events a stored link now names with an account, moved to events as the linked user's (insert, then
   * delete: a run killed between the two finds them in events the next time, duplicates then). Counts: held events
   * with such a link, inserted into events, duplicates (already there); every other held event stays held.
   */
  private static StageCounts release(StageContext context, IngestSettings in) {
    DeltaStore store = context.store();
    if (!store.exists(Tables.IDENTITY_LINKS)) return StageCounts.NONE;
    Dataset<Row> released = EventNormalizer.released(store.read(Tables.EVENTS_UNATTRIBUTED),
        store.read(Tables.IDENTITY_LINKS), context.start(), context.log().runId())
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      long found = released.count();
      if (found == 0) return StageCounts.NONE;
      long inserted = insertNewEvents(store, released, lookedUp(in, released));
      store.deleteMatching(Tables.EVENTS_UNATTRIBUTED, released.select("event_id"), "t.event_id = s.event_id");
      LOG.info("{} held event(s) released to their linked user's account, {} of them new to events", found, inserted);
      return new StageCounts(found, inserted, 0, found - inserted);
    } finally {
      released.unpersist();
    }
  }

  /** The identities source mapped: not yet run, so an expression that does not fit fails before any write. */
  private static Dataset<Row> identitySource(SparkSession spark, IngestSettings in) {
    Settings.Identities identities = in.identities();
    return IdentityRows.mapped(SourceReader.read(spark, identities.source(),
        columnNames(identities.anonymousId(), identities.userId(), identities.accountId())), identities, pseudonyms(in));
  }

  /**
   * The identities table's links stored before the events are read (a full table, read whole), the rows that cannot
   * be used kept in events_rejected. Counts: rows read, links (usable rows), rejected: read = links + rejected.
   */
  private static StageCounts writeIdentities(StageContext context, IngestSettings in) {
    Dataset<Row> mapped = identitySource(context.spark(), in).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      Pseudonyms ids = pseudonyms(in);
      ids.check(mapped.filter(col(EventNormalizer.REASON).isNull()), in.identities().source().key());
      SourceRows counted = keepRejected(context, in, in.identities().source(), mapped);
      long read = counted.read();
      long rejectedCount = counted.rejected();
      Dataset<Row> links = IdentityRows.links(mapped, userAccounts(context.spark(), in), ids);
      if (read > rejectedCount) {
        storeLinks(context.store(), links, context.start(), context.log().runId(),
            "identities: " + (read - rejectedCount) + " link row(s) read, " + rejectedCount + " rejected");
      }
      return new StageCounts(read, read - rejectedCount, rejectedCount, 0);
    } finally {
      mapped.unpersist();
    }
  }

  /** The whole event source, its id columns read as written. */
  private static Dataset<Row> wholeSource(SparkSession spark, IngestSettings in) {
    return SourceReader.read(spark, in.events(), columnNames(in.eventColumns().eventId(),
        in.eventColumns().accountId(), in.eventColumns().userId(), in.eventColumns().anonymousId()));
  }

  /**
   * The event source mapped (with the account-state columns it carries when accounts come from events): not yet
   * run, so a mapping that does not fit fails here, before any write.
   */
  static Dataset<Row> mappedEvents(Dataset<Row> eventSource, IngestSettings in, Instant latest,
      Dataset<Row> identityLinks) {
    List<Column> carried = new ArrayList<>();
    Pseudonyms ids = pseudonyms(in);
    if (in.accountSource() == AccountSource.EVENTS) {
      AccountHistory.stateColumns(eventSource, "pql.ingest.accounts", in.accountColumns(), in.eventColumns().ts(),
          in.eventColumns().tsUnit(), ids).forEach((name, c) -> carried.add(c.as(STATE_PREFIX + name)));
    }
    return EventNormalizer.normalize(eventSource, in.events().key(), in.eventColumns(), in.keptProperties(),
        in.accountFromEmail(), ids, userAccounts(eventSource.sparkSession(), in), identityLinks,
        in.accountPrecedence(), in.earliestTimestamp(), latest, carried);
  }

  /** Each user's account from the users table, when one is configured and the account precedence reads it. */
  private static Dataset<Row> userAccounts(SparkSession spark, IngestSettings in) {
    return !in.users().enabled() || !in.accountPrecedence().contains("users") ? null
        : UserAccountsTable.of(SourceReader.read(spark, in.users().source(),
            columnNames(in.users().userId(), in.users().accountId())), in.users());
  }

  /** The ids' pseudonyms the settings ask for, keyed from the environment (never from a configuration file). */
  static Pseudonyms pseudonyms(IngestSettings in) {
    return Pseudonyms.of(Pseudonyms.Ids.valueOf(in.pseudonymize().ids().toUpperCase(java.util.Locale.ROOT)),
        in.pseudonymize().keyVariable(), System.getenv());
  }

  /** The mappings that name a source column as it is (ids read as written); expressions are left to the mapping. */
  private static java.util.Set<String> columnNames(String... mappings) {
    return java.util.Arrays.stream(mappings).filter(m -> m != null && m.matches("[A-Za-z_][A-Za-z0-9_]*"))
        .collect(java.util.stream.Collectors.toSet());
  }

  /**
   * @param heldRows the rows held for their identity; {@code held} of them new to events_unattributed, the rest
   *     duplicates of an event held or kept already
   */
  private record EventOutcome(long rowsIn, long usable, long inserted, long rejected, Map<String, Long> byReason,
      long heldRows, long held) {
    StageCounts counts() {
      return new StageCounts(rowsIn, inserted, rejected, usable - inserted + heldRows - held, held);
    }
  }

  private static EventOutcome writeEvents(DeltaStore store, Dataset<Row> normalized, Dataset<Row> repeated,
      Dataset<Row> events, IngestSettings in, String sourceRoot, Instant start, String runId) {
    Settings.SourceTable source = in.events();
    String sourceKey = source.key();
    long usable = 0;
    long heldRows = 0;
    Map<String, Long> byReason = new TreeMap<>();
    for (Row r : normalized.groupBy(EventNormalizer.REASON).count().collectAsList()) {
      if (r.isNullAt(0)) usable += r.getLong(1);
      else if (r.getString(0).equals(EventNormalizer.HELD)) heldRows += r.getLong(1);
      else byReason.merge(r.getString(0), r.getLong(1), Long::sum);
    }
    long rejected = byReason.values().stream().mapToLong(Long::longValue).sum();
    List<java.time.LocalDate[]> lookedUp = lookedUp(in, events);
    Dataset<Row> stored = lookedUp == null ? store.read(Tables.EVENTS)
        : store.read(Tables.EVENTS).filter(DedupWindow.within("event_date", lookedUp));
    // Before the events' MERGE: a losing payload is one that differs from what events held before this run.
    Dataset<Row> losers = EventNormalizer.duplicates(normalized, repeated, stored, sourceKey, start, runId)
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      // The losers go first: a run killed between the two commits leaves events as they were, so its rerun finds
      // the same losers against the same stored events (the other order would see this run's events as stored).
      // The table exists from the first ingest, empty when no id lost a payload: BI tools and readers find it.
      if (losers.count() > 0) {
        store.insertNew(Tables.EVENTS_DUPLICATES, losers); // usable rows: their raw records hashed already
      } else if (!store.exists(Tables.EVENTS_DUPLICATES)) {
        store.ensure(Tables.EVENTS_DUPLICATES);
      }
      long inserted = insertNewEvents(store, events, lookedUp);
      // A held event whose id events already keeps is a duplicate of it, not held.
      long held = heldRows == 0 ? 0 : store.insertNew(Tables.EVENTS_UNATTRIBUTED,
          EventNormalizer.held(normalized, start, runId).join(stored.select("event_id"), "event_id", "left_anti"));
      store.insertNew(Tables.EVENTS_REJECTED, EventNormalizer.rawRecords(withLines(source,
          EventNormalizer.rejected(normalized, sourceKey, sourceRoot, start, runId), rejected), in.keepRawRecords()));
      return new EventOutcome(usable + rejected + heldRows, usable, inserted, rejected, byReason, heldRows, held);
    } finally {
      losers.unpersist();
    }
  }

  /**
   * The days of events where the ids of {@code rows} are looked up: those they cover and the dedup window around
   * them (pql.ingest.dedup-window-days), not every partition; null for the whole table.
   */
  private static List<java.time.LocalDate[]> lookedUp(IngestSettings in, Dataset<Row> rows) {
    return in.dedupWindowDays() == IngestSettings.WHOLE_TABLE ? null
        : DedupWindow.ranges(rows.select("event_date").distinct().collectAsList().stream()
            .map(r -> r.getDate(0).toLocalDate()).toList(), in.dedupWindowDays());
  }

  /** The rows whose event id events does not hold (where {@code lookedUp} says to look) inserted; how many. */
  private static long insertNewEvents(DeltaStore store, Dataset<Row> rows, List<java.time.LocalDate[]> lookedUp) {
    return lookedUp == null ? store.insertNew(Tables.EVENTS, rows)
        : store.insertNew(Tables.EVENTS, rows, DedupWindow.within("t.event_date", lookedUp));
  }

  /**
   * The rejected rows of a JSON or CSV source with the line of each malformed one: one more read, of the files that
   * hold a malformed line, and only when there is one.
   */
  private static Dataset<Row> withLines(Settings.SourceTable source, Dataset<Row> rejected, long count) {
    if (count == 0 || !source.format().equals("json") && !source.format().equals("csv")) return rejected;
    List<String> files = rejected.filter(col("reason").equalTo(RejectReason.MALFORMED_RECORD.name())
        .and(col(EventNormalizer.FILE).isNotNull())).select(EventNormalizer.FILE).distinct()
        .as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
    if (files.isEmpty()) return rejected;
    return EventNormalizer.withSourceLines(rejected, SourceReader.lines(rejected.sparkSession(), files));
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
      store.insertNew(Tables.EVENTS_REJECTED, EventNormalizer.rawRecords(withLines(in.accounts(),
          EventNormalizer.rejected(accountRows, in.accounts().key(), accountsRoot, start, runId), rejected),
          in.keepRawRecords()));
    }
    Dataset<Row> usable = normalized.filter(col(EventNormalizer.REASON).isNull());
    Dataset<Row> states = newStates != null ? newStates : AccountHistory.statesFromFirstEvents(usable);
    Dataset<Row> firstEvents = usable.groupBy("account_id").agg(min("ts").as("first_ts"));
    Dataset<Row> history = AccountHistory.merge(storedAccounts, states, firstEvents, start, runId);
    return new AccountOutcome(read, rejected, store.syncIfChanged(Tables.ACCOUNTS, history, AUDIT));
  }

  /** The enrichment source mapped: not yet run, so an expression that does not fit fails before any write. */
  private static Dataset<Row> enrichmentSource(SparkSession spark, IngestSettings in) {
    Settings.Enrichment e = in.enrichment();
    return EnrichmentRows.mapped(SourceReader.read(spark, e.source(), columnNames(e.columns().domain())),
        e.source().key(), e.columns());
  }

  /**
   * The enrichment table made a copy of its source (read whole: a vendor export is a full table), the rows that
   * cannot be used kept in events_rejected. Counts: rows read, rows inserted, rejected, and duplicates (rows of a
   * domain and time already given by another row).
   */
  private static StageCounts writeEnrichment(StageContext context, IngestSettings in) {
    Dataset<Row> mapped = enrichmentSource(context.spark(), in).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      SourceRows counted = keepRejected(context, in, in.enrichment().source(), mapped);
      long read = counted.read();
      long rejectedCount = counted.rejected();
      Dataset<Row> usable = EnrichmentRows.usable(mapped)
          .withColumn("ingested_at", lit(java.sql.Timestamp.from(context.start())))
          .withColumn("run_id", lit(context.log().runId()))
          .persist(StorageLevel.MEMORY_AND_DISK());
      try {
        long kept = usable.count();
        MergeCounts written = context.store().syncIfChanged(Tables.ENRICHMENT, usable, AUDIT);
        return new StageCounts(read, written.inserted(), rejectedCount, read - rejectedCount - kept);
      } finally {
        usable.unpersist();
      }
    } finally {
      mapped.unpersist();
    }
  }

  /** The rows a full source table gave, and how many of them were rejected. */
  private record SourceRows(long read, long rejected) {}

  /**
   * A full source table's mapped rows counted (read and rejected, in one pass), the rejected ones kept in
   * events_rejected under the source's key.
   */
  private static SourceRows keepRejected(StageContext context, IngestSettings in, Settings.SourceTable source,
      Dataset<Row> mapped) {
    Row counted = mapped.agg(org.apache.spark.sql.functions.count(lit(1)), org.apache.spark.sql.functions.count(
        col(EventNormalizer.REASON))).first();
    Dataset<Row> rejected = EventNormalizer.rejected(mapped, source.key(), SourceReader.root(context.spark(), source),
        context.start(), context.log().runId());
    context.store().insertNew(Tables.EVENTS_REJECTED, EventNormalizer.rawRecords(withLines(source, rejected,
        counted.getLong(1)), in.keepRawRecords()));
    return new SourceRows(counted.getLong(0), counted.getLong(1));
  }

  /** Conversions, recomputed from the complete history (or the stored ones plus this run's events). */
  private static MergeCounts writeConversions(DeltaStore store, Settings settings, Dataset<Row> foundInEvents) {
    Dataset<Row> candidates = foundInEvents != null ? foundInEvents
        : ConversionFinder.fromPlanHistory(store.read(Tables.ACCOUNTS), settings.plans().free(), settings.plans().paid());
    return store.syncIfChanged(Tables.CONVERSIONS, ConversionFinder.merge(store.read(Tables.CONVERSIONS), candidates),
        AUDIT);
  }

  private static Dataset<Row> unprefixed(Dataset<Row> rows) {
    List<Column> columns = new ArrayList<>();
    for (String name : rows.columns()) {
      if (name.startsWith(STATE_PREFIX)) columns.add(col("`" + name + "`").as(name.substring(STATE_PREFIX.length())));
    }
    return rows.select(columns.toArray(Column[]::new));
  }
}
