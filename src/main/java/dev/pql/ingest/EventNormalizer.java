package dev.pql.ingest;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sha2;
import static org.apache.spark.sql.functions.to_date;
import static org.apache.spark.sql.functions.when;

import dev.pql.config.Settings.EventColumns;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;

/**
 * Pure transforms from a source event table to pql's event rows: map the configured columns, decide for
 * every row whether it is usable (and if not, why), and keep one row per event id.
 */
public final class EventNormalizer {
  /** Columns of a normalized row besides the event's own: why it is rejected (null if usable) and its raw record. */
  public static final String REASON = "reject_reason";
  public static final String DETAIL = "reject_detail";
  public static final String RAW = "raw_record";
  /** The domain of the email accounts are formed from (pql.ingest.events.account-from-email), when configured. */
  public static final String EMAIL_DOMAIN = "pql_email_domain";
  /** The source file a row was read from (empty for a table source). */
  public static final String FILE = "source_file";
  /** The source file of a row, named before any join (input_file_name reads one source only). */
  private static final String INPUT_FILE = "__pql_input_file";
  /** The line of its file a rejected row was read from, where its raw record is that line. */
  public static final String LINE = "source_line";

  private EventNormalizer() {}

  /**
   * Maps every source row to event_id, account_id, user_id, event, ts, properties, received_at, raw_record,
   * reject_reason and reject_detail, plus the {@code extra} columns (evaluated over the source row). A row
   * is rejected for the first problem found, in the order of {@link RejectReason}.
   *
   * @param keptProperties the property keys kept (pql.ingest.events.keep-properties); none: no properties
   * @param fromEmail where an event without an account id finds one, or null
   * @param ids which user and account ids are stored as their pseudonyms
   * @param userAccounts each user's account (pql_user_key, pql_user_account: one row per user), or null
   * @param identityLinks each linked anonymous id's user and account ({@link IdentityStitching#lookup}), or null:
   *     an event of a linked anonymous id without a user id is the link's user's, and without an account the
   *     link's account's
   * @param precedence where an event's account is looked for, in order: event, users, email
   * @param earliest timestamps before this instant are out of range
   * @param latest timestamps after this instant are out of range
   */
  public static Dataset<Row> normalize(Dataset<Row> source, String sourceKey, EventColumns c,
      List<String> keptProperties, dev.pql.config.Settings.AccountFromEmail fromEmail, Pseudonyms ids,
      Dataset<Row> userAccounts, Dataset<Row> identityLinks, List<String> precedence, Instant earliest,
      Instant latest, List<Column> extra) {
    SourceMapping m = new SourceMapping(source, sourceKey);
    String k = sourceKey + ".columns.";
    Column raw = m.rawRecord();
    Column eventId = c.eventId().isBlank() ? sha2(raw, 256) : m.string(k + "event-id", c.eventId());
    Column tsText = m.rawText(c.ts());
    boolean emails = fromEmail != null && fromEmail.enabled();
    Column email = emails ? m.string(sourceKey + ".account-from-email", fromEmail.email()) : null;
    Column rawUserId = m.string(k + "user-id", c.userId());
    Column anonymousId = c.anonymousId().isBlank() ? lit(null).cast("string")
        : ids.stored(m.string(k + "anonymous-id", c.anonymousId()));
    Column userId = identityLinks == null ? ids.stored(rawUserId)
        : coalesce(nonBlank(ids.stored(rawUserId)), col(IdentityStitching.LINKED_USER));
    Column userAccount = userAccounts == null ? null : col(UserAccountsTable.ACCOUNT);
    Column accountId = ids.stored(account(m.string(k + "account-id", c.accountId()), userAccount,
        email == null ? null : EmailAccounts.account(email, userId, fromEmail.webmail()), precedence));
    List<Column> columns = new ArrayList<>(List.of(
        eventId.as("event_id"),
        (identityLinks == null ? accountId : coalesce(accountId, col(IdentityStitching.LINKED_ACCOUNT)))
            .as("account_id"),
        userId.as("user_id"),
        anonymousId.as("anonymous_id"),
        m.string(k + "event", c.event()).as("event"),
        m.timestamp(k + "ts", c.ts(), c.tsUnit()).as("ts"),
        tsText.as("ts_text"),
        // No key kept: the properties are not read at all (nor need their mapping fit).
        (keptProperties.isEmpty() ? lit(null).cast("map<string,string>")
            : kept(m.properties(k + "properties", c.properties()), keptProperties)).as("properties"),
        (c.receivedAt().isBlank() ? lit(null).cast("timestamp") : m.timestamp(k + "received-at", c.receivedAt(),
            c.tsUnit())).as("received_at"),
        raw.as(RAW),
        col(INPUT_FILE).as(FILE),
        m.malformed().as("malformed")));
    // The email's domain alone, for the account state of an account formed from emails (its domain class).
    if (emails) columns.add(EmailAccounts.domain(email).as(EMAIL_DOMAIN));
    columns.addAll(extra);
    // The users table joined on the user id as the source writes it (the raw record stays the source row's); the
    // file a row came from is taken before, while the plan has one source.
    Dataset<Row> withFile = source.withColumn(INPUT_FILE, input_file_name());
    Dataset<Row> joined = userAccounts == null ? withFile : withFile.join(org.apache.spark.sql.functions.broadcast(
        userAccounts), rawUserId.equalTo(col(UserAccountsTable.USER)), "left");
    if (identityLinks != null) {
      joined = joined.join(identityLinks, anonymousId.equalTo(col(IdentityStitching.LINKED_ANONYMOUS)), "left");
    }
    Dataset<Row> mapped = joined.select(columns.toArray(Column[]::new));

    Column ts = col("ts");
    Column reason = when(col("malformed"), lit(RejectReason.MALFORMED_RECORD.name()))
        .when(blank(col("event_id")), lit(RejectReason.MISSING_EVENT_ID.name()))
        .when(blank(col("account_id")), lit(RejectReason.MISSING_ACCOUNT_ID.name()))
        .when(blank(col("event")), lit(RejectReason.MISSING_EVENT_NAME.name()))
        .when(blank(col("ts_text")), lit(RejectReason.MISSING_TIMESTAMP.name()))
        .when(ts.isNull(), lit(RejectReason.UNPARSEABLE_TIMESTAMP.name()))
        .when(ts.lt(lit(Timestamp.from(earliest))).or(ts.gt(lit(Timestamp.from(latest)))),
            lit(RejectReason.TIMESTAMP_OUT_OF_RANGE.name()));
    Column detail = when(col("malformed"), lit("the record could not be parsed as " + sourceKey + " format"))
        .when(blank(col("event_id")), lit("event id is empty (" + k + "event-id)"))
        .when(blank(col("account_id")), lit("account id is empty (" + k + "account-id)"))
        .when(blank(col("event")), lit("event name is empty (" + k + "event)"))
        .when(blank(col("ts_text")), lit("timestamp is empty (" + k + "ts)"))
        .when(ts.isNull(), concat_ws("", lit("timestamp '"), col("ts_text"), lit("' is not a date-time (" + k + "ts)")))
        .when(ts.lt(lit(Timestamp.from(earliest))).or(ts.gt(lit(Timestamp.from(latest)))),
            concat_ws("", lit("timestamp "), ts.cast("string"),
                lit(" is outside [" + earliest + ", " + latest + "] (pql.ingest.earliest-timestamp, future-tolerance)")));
    Dataset<Row> decided = mapped.withColumn(REASON, reason).withColumn(DETAIL, detail).drop("malformed");
    if (c.anonymousId().isBlank()) return decided;
    // A visitor's event, complete but for the user and account a later link gives it: held, not rejected.
    Column awaiting = col(REASON).equalTo(RejectReason.MISSING_ACCOUNT_ID.name()).and(blank(col("user_id")))
        .and(not(blank(col("anonymous_id")))).and(not(blank(col("event"))))
        .and(ts.isNotNull()).and(ts.geq(lit(Timestamp.from(earliest)))).and(ts.leq(lit(Timestamp.from(latest))));
    return decided.withColumn(DETAIL, when(awaiting, lit("no link names its anonymous id yet (" + k + "anonymous-id)"))
        .otherwise(col(DETAIL))).withColumn(REASON, when(awaiting, lit(HELD)).otherwise(col(REASON)));
  }

  /**
   * The {@link #REASON} of a row held for its identity, not rejected (events_unattributed): an anonymous id and
   * nothing else wrong but that no user and no account is known for it yet.
   */
  public static final String HELD = "AWAITING_IDENTITY";

  /** Rows rejected: a reason, and not one held for its identity. */
  public static Column rejectedRow() {
    return col(REASON).isNotNull().and(col(REASON).notEqual(HELD));
  }

  /** The rows held for their identity as events_unattributed keeps them, one per event id (the earliest). */
  public static Dataset<Row> held(Dataset<Row> normalized, Instant ingestedAt, String runId) {
    return normalized.filter(col(REASON).equalTo(HELD))
        .withColumn("copy", row_number().over(Window.partitionBy("event_id").orderBy(col("ts"), col(RAW))))
        .filter(col("copy").equalTo(1))
        .select(col("event_id"), col("anonymous_id"), col("event"), col("ts"), to_date(col("ts")).as("event_date"),
            lit(Timestamp.from(ingestedAt)).as("ingested_at"), lit(runId).as("run_id"), col("properties"),
            col("received_at"));
  }

  /**
   * Held events whose anonymous id a link now names with an account, as events: the link's user and account, this
   * run's ingested_at and run id (so the features stage builds their days).
   *
   * @param links identity_links
   */
  public static Dataset<Row> released(Dataset<Row> held, Dataset<Row> links, Instant ingestedAt, String runId) {
    return held.drop("ingested_at", "run_id")
        .join(links.filter(col("account_id").isNotNull()).select("anonymous_id", "user_id", "account_id"),
            "anonymous_id")
        .withColumn("ingested_at", lit(Timestamp.from(ingestedAt))).withColumn("run_id", lit(runId));
  }

  /**
   * The usable rows' raw records hashed as the duplicates table keeps them by default, the rejected and held rows'
   * left whole (their lines are found by their text): a batch is cached with 64 characters per usable row instead of
   * the source row as JSON. The hash still orders a repeated id's copies and tells their payloads apart.
   */
  public static Dataset<Row> usableRawRecordsHashed(Dataset<Row> normalized) {
    return normalized.withColumn(RAW, when(col(REASON).isNull(), sha2(col(RAW), 256)).otherwise(col(RAW)));
  }

  /**
   * A source row as the rejected and duplicate tables keep it: as read, or (the default) its SHA-256 hash, which
   * still tells identical rows apart from different ones without copying what they hold.
   */
  public static Dataset<Row> rawRecords(Dataset<Row> rows, boolean keep) {
    return keep ? rows : rows.withColumn("raw_record", sha2(col("raw_record"), 256));
  }

  /**
   * The first account found, in the configured order: the event's own id, its user's in the users table, its user's
   * email's (a webmail user's account named by the user). Null steps are not configured; a blank id is none.
   */
  private static Column account(Column event, Column users, Column email, List<String> precedence) {
    List<Column> found = new ArrayList<>();
    for (String step : precedence) {
      Column c = switch (step) {
        case "event" -> event;
        case "users" -> users;
        case "email" -> email;
        default -> throw new IllegalArgumentException("account precedence step " + step);
      };
      if (c != null) found.add(nonBlank(c));
    }
    return found.isEmpty() ? lit(null).cast("string") : coalesce(found.toArray(Column[]::new));
  }

  /** The value, or null when it is blank. */
  static Column nonBlank(Column c) {
    return when(org.apache.spark.sql.functions.trim(c).notEqual(""), c);
  }

  /** An email address inside free text; group 1 is its domain. */
  static final String EMAIL_IN_TEXT = "[A-Za-z0-9._%+'-]+@([A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,})";

  /** Only the allowed keys of a properties map, each email inside their values reduced to its domain. */
  static Column kept(Column properties, List<String> keys) {
    Column allowed = org.apache.spark.sql.functions.array(keys.stream().map(key -> lit(key)).toArray(Column[]::new));
    return org.apache.spark.sql.functions.transform_values(org.apache.spark.sql.functions.map_filter(properties,
            (key, value) -> org.apache.spark.sql.functions.array_contains(allowed, key)),
        (key, value) -> org.apache.spark.sql.functions.regexp_replace(value, EMAIL_IN_TEXT, "$1"));
  }

  /**
   * Marks usable rows whose account is not among {@code knownAccounts} (a frame with account_id) as
   * UNKNOWN_ACCOUNT.
   */
  public static Dataset<Row> rejectUnknownAccounts(Dataset<Row> normalized, Dataset<Row> knownAccounts) {
    Dataset<Row> known = knownAccounts.select(col("account_id").as("known_account_id")).distinct();
    Column unknown = col("unknown_account");
    return normalized.join(known, col("account_id").equalTo(col("known_account_id")), "left")
        .withColumn("unknown_account", col(REASON).isNull().and(col("known_account_id").isNull()))
        .withColumn(REASON, when(unknown, lit(RejectReason.UNKNOWN_ACCOUNT.name())).otherwise(col(REASON)))
        .withColumn(DETAIL, when(unknown, concat_ws("", lit("account '"), col("account_id"),
            lit("' is not in the account source (pql.ingest.require-known-account)"))).otherwise(col(DETAIL)))
        .drop("known_account_id", "unknown_account");
  }

  /**
   * The usable rows as events, one per event id: of several rows with one id the earliest (then the
   * smallest raw record) is kept, so the choice does not depend on partitioning.
   *
   * @param repeated {@link #repeatedIds}
   */
  public static Dataset<Row> events(Dataset<Row> normalized, Dataset<Row> repeated, Instant ingestedAt,
      String runId) {
    Dataset<Row> usable = normalized.filter(col(REASON).isNull());
    // Only the rows of an id that repeats need a choice: the window's shuffle and sort carry those alone, and the
    // rest (all of a batch without duplicates) pass through as their own first copy.
    Dataset<Row> single = usable.join(repeated, col("event_id").equalTo(col(REPEATED_ID)), "left_anti")
        .withColumn("copy", lit(1));
    Dataset<Row> chosen = usable.join(repeated, col("event_id").equalTo(col(REPEATED_ID)), "left_semi")
        .withColumn("copy", row_number().over(Window.partitionBy("event_id").orderBy(col("ts"), col(RAW))))
        .filter(col("copy").equalTo(1));
    return single.unionByName(chosen)
        .withColumn("event_date", to_date(col("ts")))
        .withColumn("ingested_at", lit(Timestamp.from(ingestedAt)))
        .withColumn("run_id", lit(runId));
  }

  /** The column of {@link #repeatedIds}. */
  public static final String REPEATED_ID = "pql_repeated_id";

  /**
   * The event ids more than one usable row carries, in column {@value #REPEATED_ID}: one shuffle of the ids alone,
   * after which only those ids' rows are compared.
   */
  public static Dataset<Row> repeatedIds(Dataset<Row> normalized) {
    return normalized.filter(col(REASON).isNull()).groupBy("event_id").count().filter(col("count").gt(1))
        .select(col("event_id").as(REPEATED_ID));
  }

  /** What an event says, hashed: two rows with one id and other payloads differ in it. */
  static Column payload(Column accountId, Column userId, Column event, Column ts, Column properties) {
    return sha2(concat_ws("\u0001", accountId, coalesce(userId, lit("\u0000")), event, ts.cast("string"),
        coalesce(org.apache.spark.sql.functions.to_json(properties), lit("\u0000"))), 256);
  }

  private static Column payload() {
    return payload(col("account_id"), col("user_id"), col("event"), col("ts"), col("properties"));
  }

  /**
   * The usable rows that lose their event id to another payload: to the kept row of the same ingest ({@link
   * #events}' choice), or to the event an earlier ingest stored ({@code stored}, the events table). Rows that
   * repeat the kept payload are plain duplicates and left out; each distinct losing payload is one row.
   *
   * @param repeated {@link #repeatedIds}
   */
  public static Dataset<Row> duplicates(Dataset<Row> normalized, Dataset<Row> repeated, Dataset<Row> stored,
      String sourceKey, Instant ingestedAt, String runId) {
    org.apache.spark.sql.expressions.WindowSpec byId = Window.partitionBy("event_id").orderBy(col("ts"), col(RAW));
    Dataset<Row> usable = normalized.filter(col(REASON).isNull());
    // A row can lose only where its id repeats in the batch or is stored already: the payloads are hashed and
    // compared for those ids alone, not for every row of the batch and every stored event.
    Dataset<Row> storedInBatch = stored.select(col("event_id").as(REPEATED_ID))
        .join(usable, col(REPEATED_ID).equalTo(col("event_id")), "left_semi");
    Dataset<Row> contested = repeated.unionByName(storedInBatch).distinct();
    Dataset<Row> storedPayloads = stored.join(contested, col("event_id").equalTo(col(REPEATED_ID)), "left_semi")
        .select(col("event_id").as("stored_id"), payload(col("account_id"), col("user_id"), col("event"), col("ts"),
            col("properties")).as("stored_payload"));
    // The kept event is the stored one when there is one (insertNew keeps it), else this ingest's first.
    Dataset<Row> losers = usable.join(contested, col("event_id").equalTo(col(REPEATED_ID)), "left_semi")
        .withColumn("pql_payload", payload())
        .withColumn("batch_kept", org.apache.spark.sql.functions.first("pql_payload").over(byId))
        .join(storedPayloads, col("event_id").equalTo(col("stored_id")), "left")
        .filter(col("pql_payload").notEqual(coalesce(col("stored_payload"), col("batch_kept"))))
        .withColumn("kept_from",
            when(col("stored_payload").isNotNull(), lit("earlier_run")).otherwise(lit("this_run")));
    Column file = java.util.Arrays.asList(normalized.columns()).contains(FILE) ? col(FILE) : lit(null).cast("string");
    return losers
        .select(sha2(concat_ws("\u0001", lit(sourceKey), col("event_id"), col("pql_payload")), 256).as("record_id"),
            col("event_id"), col("kept_from"), lit(sourceKey).as("source"), col("account_id"), col("user_id"),
            col("event"), col("ts"), col(RAW).as("raw_record"),
            when(file.equalTo(""), lit(null).cast("string")).otherwise(file).as("source_file"),
            lit(Timestamp.from(ingestedAt)).as("ingested_at"), lit(runId).as("run_id"))
        .dropDuplicates("record_id");
  }

  /**
   * The rejected rows, each its own row however many identical ones a file holds: its id hashes the source, the
   * file's path below {@code sourceRoot}, the raw record and which of the file's identical records it is — the same
   * ids on a rerun, and wherever the lake is read from, so a reread file adds nothing.
   *
   * @param sourceRoot the path part of the source's directory ({@code SourceReader.root}); empty to key on the full
   *     file name
   */
  public static Dataset<Row> rejected(Dataset<Row> normalized, String sourceKey, String sourceRoot,
      Instant ingestedAt, String runId) {
    Dataset<Row> rows = normalized.filter(rejectedRow());
    Column file = java.util.Arrays.asList(rows.columns()).contains(FILE) ? coalesce(col(FILE), lit("")) : lit("");
    Column raw = coalesce(col(RAW), lit(""));
    return rows.withColumn("pql_file", file)
        .withColumn("pql_relative_file", belowRoot(col("pql_file"), sourceRoot))
        .withColumn("copy", row_number().over(Window.partitionBy(col("pql_file"), raw).orderBy(raw)))
        .select(
            sha2(concat_ws("\u0001", lit(sourceKey), col("pql_relative_file"), raw, col("copy").cast("string")), 256)
                .as("record_id"),
            lit(sourceKey).as("source"),
            col(REASON).as("reason"),
            col(DETAIL).as("detail"),
            raw.as("raw_record"),
            lit(Timestamp.from(ingestedAt)).as("ingested_at"),
            lit(runId).as("run_id"),
            when(col("pql_file").equalTo(""), lit(null).cast("string")).otherwise(col("pql_file")).as("source_file"),
            lit(null).cast("long").as(LINE));
  }

  /**
   * The rejected rows with the line each came from, where its raw record is a line of its file as written (a
   * malformed line): identical lines of one file are matched to identical records in order, so each gets its own.
   *
   * @param lines {@code path} (the raw path part of a file's URI), {@code line} (1 for the first) and {@code text}
   *     of the files the rejected rows came from ({@code SourceReader.lines})
   */
  public static Dataset<Row> withSourceLines(Dataset<Row> rejected, Dataset<Row> lines) {
    Dataset<Row> numberedLines = lines.withColumn("occurrence",
        row_number().over(Window.partitionBy(col("path"), col("text")).orderBy(col("line"))));
    Dataset<Row> numberedRows = rejected.drop(LINE)
        .withColumn("pql_path", org.apache.spark.sql.functions.parse_url(col("source_file"), lit("PATH")))
        .withColumn("occurrence",
            row_number().over(Window.partitionBy(col("pql_path"), col("raw_record")).orderBy(col("record_id"))));
    Column same = numberedRows.col("pql_path").equalTo(numberedLines.col("path"))
        .and(numberedRows.col("raw_record").equalTo(numberedLines.col("text")))
        .and(numberedRows.col("occurrence").equalTo(numberedLines.col("occurrence")));
    List<Column> columns = new ArrayList<>();
    for (String c : rejected.drop(LINE).columns()) columns.add(numberedRows.col(c));
    columns.add(numberedLines.col("line").as(LINE));
    return numberedRows.join(numberedLines, same, "left").select(columns.toArray(Column[]::new));
  }

  /** A file's name after the first occurrence of {@code root}; the whole name when root is empty or absent. */
  static Column belowRoot(Column file, String root) {
    if (root.isEmpty()) return file;
    Column at = org.apache.spark.sql.functions.locate(root, file);
    return when(at.gt(0), file.substr(at.plus(root.length()), lit(Integer.MAX_VALUE))).otherwise(file);
  }

  static Column blank(Column c) {
    return c.isNull().or(c.equalTo(""));
  }
}
