package dev.pql.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.PqlException.SchemaError;
import dev.pql.SparkTestBase;
import dev.pql.config.Settings;
import dev.pql.config.SettingsLoader;
import dev.pql.io.DeltaStore;
import dev.pql.io.RunLog;
import dev.pql.io.StageContext;
import dev.pql.io.TableContract;
import dev.pql.io.Tables;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;
import org.junit.jupiter.api.Test;

/** Ingest of a hand-made JSON lake whose every outcome is known. */
@dev.pql.InterpretedExpressions
class IngestJobTest extends SparkTestBase {
  static final Instant RUN_START = Instant.parse("2026-06-01T00:00:00Z");

  /** 12 rows: 4 distinct usable events, 1 duplicate, 7 rejects (one per reason code but UNKNOWN_ACCOUNT). */
  static final List<String> EVENTS = List.of(
      "{\"event_id\":\"e1\",\"account_id\":\"a1\",\"user_id\":\"u1\",\"event\":\"Signed In\",\"ts\":\"2026-03-01T10:00:00Z\",\"properties\":{\"k\":\"v\"}}",
      "{\"event_id\":\"e2\",\"account_id\":\"a1\",\"user_id\":\"u1\",\"event\":\"Message Sent\",\"ts\":\"2026-03-01T10:05:00Z\"}",
      "{\"event_id\":\"e2\",\"account_id\":\"a1\",\"user_id\":\"u1\",\"event\":\"Message Sent\",\"ts\":\"2026-03-01T10:05:00Z\"}",
      "{\"event_id\":\"e3\",\"account_id\":\"a2\",\"user_id\":\"u2\",\"event\":\"Message Sent\",\"ts\":\"2026-03-02T00:00:00Z\"}",
      "{\"event_id\":null,\"account_id\":\"a2\",\"user_id\":\"u2\",\"event\":\"Message Sent\",\"ts\":\"2026-03-02T00:00:00Z\"}",
      "{\"event_id\":\"e5\",\"account_id\":\"\",\"event\":\"Message Sent\",\"ts\":\"2026-03-02T00:00:00Z\"}",
      "{\"event_id\":\"e6\",\"account_id\":\"a2\",\"event\":null,\"ts\":\"2026-03-02T00:00:00Z\"}",
      "{\"event_id\":\"e7\",\"account_id\":\"a2\",\"event\":\"Message Sent\"}",
      "{\"event_id\":\"e8\",\"account_id\":\"a2\",\"event\":\"Message Sent\",\"ts\":\"not a time\"}",
      "{\"event_id\":\"e9\",\"account_id\":\"a2\",\"event\":\"Message Sent\",\"ts\":\"1999-12-31T23:59:59Z\"}",
      "{\"event_id\":\"e10\",\"account_id\":\"a3\",\"event\":\"Message Sent\",\"ts\":\"2026-03-03T00:00:00Z\"}",
      "{\"event_id\":\"e11\", this is not json");

  static final List<String> ACCOUNTS = List.of(
      "{\"account_id\":\"a1\",\"updated_at\":\"2026-02-01T00:00:00Z\",\"created_at\":\"2026-02-01T00:00:00Z\",\"plan\":\"free\",\"email_domain\":\"GMAIL.com\",\"employees\":3}",
      "{\"account_id\":\"a1\",\"updated_at\":\"2026-02-10T00:00:00Z\",\"created_at\":\"2026-02-01T00:00:00Z\",\"plan\":\"free\",\"email_domain\":\"gmail.com\",\"employees\":3}",
      "{\"account_id\":\"a1\",\"updated_at\":\"2026-03-05T12:00:00Z\",\"created_at\":\"2026-02-01T00:00:00Z\",\"plan\":\"Team\",\"email_domain\":\"gmail.com\",\"employees\":3}",
      "{\"account_id\":\"a2\",\"updated_at\":\"2026-02-15T00:00:00Z\",\"created_at\":\"2026-02-15T00:00:00Z\",\"plan\":\"trial\",\"employees\":\"lots\"}",
      "{\"account_id\":\"\",\"updated_at\":\"2026-02-15T00:00:00Z\",\"plan\":\"trial\"}");

  private static Path lake(List<String> events, List<String> accounts) throws IOException {
    Path dir = tempDir("pql-tiny-lake");
    Files.createDirectories(dir.resolve("events"));
    Files.createDirectories(dir.resolve("accounts"));
    Files.write(dir.resolve("events/part-1.json"), events);
    Files.write(dir.resolve("accounts/part-1.json"), accounts);
    return dir;
  }

  private static Settings settings(Path lake, Path warehouse, Map<String, String> extra) {
    Map<String, String> o = new HashMap<>(Map.of(
        "pql.warehouse", warehouse.toString(),
        "pql.ingest.lake", lake.toString(),
        "pql.ingest.events.path", lake + "/events",
        "pql.ingest.events.format", "json",
        "pql.ingest.accounts.path", lake + "/accounts",
        "pql.ingest.accounts.format", "json"));
    for (String absent : List.of("name", "industry", "country", "timezone")) {
      o.put("pql.ingest.accounts.columns." + absent, "");
    }
    o.putAll(extra);
    return SettingsLoader.load(null, null, o);
  }

  private static IngestJob.Result ingest(Settings s, String runId) {
    DeltaStore store = new DeltaStore(spark, s.warehouse());
    return IngestJob.run(new StageContext(spark, store, new RunLog(spark, store, runId, "ingest"), RUN_START), s);
  }

  private static Dataset<Row> table(Path warehouse, TableContract t) {
    return new DeltaStore(spark, warehouse.toString()).read(t);
  }

  @Test
  void everyRowEndsInExactlyOneOfEventsRejectsOrDuplicates() throws IOException {
    Path lake = lake(EVENTS, ACCOUNTS);
    Path warehouse = tempDir("pql-w");
    // Property k kept, and each rejected row as it was read (by default neither is).
    IngestJob.Result r = ingest(settings(lake, warehouse, Map.of("pql.ingest.events.keep-properties", "[k]",
        "pql.ingest.keep-raw-records", "true")), "run-1");

    assertEquals(12, r.eventRowsRead());
    assertEquals(4, r.eventsWritten());
    assertEquals(7, r.eventsRejected());
    assertEquals(1, r.eventsDuplicate());
    assertEquals(new TreeMap<>(Map.of("MALFORMED_RECORD", 1L, "MISSING_ACCOUNT_ID", 1L, "MISSING_EVENT_ID", 1L,
        "MISSING_EVENT_NAME", 1L, "MISSING_TIMESTAMP", 1L, "UNPARSEABLE_TIMESTAMP", 1L, "TIMESTAMP_OUT_OF_RANGE", 1L)),
        r.rejectedByReason());

    assertSameRows(spark.sql("""
        SELECT * FROM VALUES
          ('e1', 'a1', 'u1', 'Signed In', TIMESTAMP '2026-03-01 10:00:00', DATE '2026-03-01'),
          ('e2', 'a1', 'u1', 'Message Sent', TIMESTAMP '2026-03-01 10:05:00', DATE '2026-03-01'),
          ('e3', 'a2', 'u2', 'Message Sent', TIMESTAMP '2026-03-02 00:00:00', DATE '2026-03-02'),
          ('e10', 'a3', NULL, 'Message Sent', TIMESTAMP '2026-03-03 00:00:00', DATE '2026-03-03')
          AS t(event_id, account_id, user_id, event, ts, event_date)"""),
        table(warehouse, Tables.EVENTS).select("event_id", "account_id", "user_id", "event", "ts", "event_date"));
    Row e1 = table(warehouse, Tables.EVENTS).filter("event_id = 'e1'").first();
    assertEquals("v", e1.<String, String>getJavaMap(e1.fieldIndex("properties")).get("k"));
    assertEquals("run-1", e1.getString(e1.fieldIndex("run_id")));

    Dataset<Row> rejected = table(warehouse, Tables.EVENTS_REJECTED);
    assertSameRows(spark.sql("""
        SELECT * FROM VALUES
          ('pql.ingest.events', 'MISSING_EVENT_ID'), ('pql.ingest.events', 'MISSING_ACCOUNT_ID'),
          ('pql.ingest.events', 'MISSING_EVENT_NAME'), ('pql.ingest.events', 'MISSING_TIMESTAMP'),
          ('pql.ingest.events', 'UNPARSEABLE_TIMESTAMP'), ('pql.ingest.events', 'TIMESTAMP_OUT_OF_RANGE'),
          ('pql.ingest.events', 'MALFORMED_RECORD'), ('pql.ingest.accounts', 'MISSING_ACCOUNT_ID')
          AS t(source, reason)"""), rejected.select("source", "reason"));
    Row malformed = rejected.filter("reason = 'MALFORMED_RECORD'").first();
    assertEquals("{\"event_id\":\"e11\", this is not json", malformed.getString(malformed.fieldIndex("raw_record")));
    Row unparseable = rejected.filter("reason = 'UNPARSEABLE_TIMESTAMP'").first();
    assertEquals("timestamp 'not a time' is not a date-time (pql.ingest.events.columns.ts)",
        unparseable.getString(unparseable.fieldIndex("detail")));
  }

  @Test
  void anEpochNumberBeyondAnyDateRejectsItsRowAloneAndTheRestIsIngested() throws IOException {
    Path lake = lake(List.of(
        "{\"event_id\":\"m1\",\"account_id\":\"a1\",\"user_id\":\"u1\",\"event\":\"Signed In\",\"ts\":1772359200000}",
        "{\"event_id\":\"m2\",\"account_id\":\"a1\",\"event\":\"Signed In\",\"ts\":1e17}",
        "{\"event_id\":\"m3\",\"account_id\":\"a1\",\"event\":\"Signed In\",\"ts\":-1e300}"), ACCOUNTS);
    IngestJob.Result r = ingest(settings(lake, tempDir("pql-w"), Map.of("pql.ingest.events.columns.properties",
        "")), "run-1");
    assertEquals(1, r.eventsWritten(), "2026-03-01 10:00 UTC in epoch milliseconds");
    assertEquals(Map.of("UNPARSEABLE_TIMESTAMP", 2L), r.rejectedByReason());
  }

  @Test
  void idsThatLookLikeNumbersKeepTheirDigitsInsteadOfTheTypeInferenceGivesTheColumn() throws IOException {
    // Inference makes each column a double (one value has a fraction): 1000 would be "1000.0", and users 7 and
    // 7.0 one user. Read as text, an integer keeps its digits; a fraction is as Spark's JSON parser prints it.
    Path lake = lake(List.of(
        "{\"event_id\":1,\"account_id\":1000,\"user_id\":7,\"event\":\"Signed In\",\"ts\":1772359200000}",
        "{\"event_id\":2,\"account_id\":12.5,\"user_id\":7.0,\"event\":\"Signed In\",\"ts\":1772359200000}",
        "{\"event_id\":3,\"account_id\":123456789012345678901234,\"event\":\"Signed In\",\"ts\":1772359200000}"),
        ACCOUNTS);
    Path warehouse = tempDir("pql-w");
    ingest(settings(lake, warehouse, Map.of("pql.ingest.events.columns.properties", "")), "run-1");
    assertEquals("[[1,1000,7], [2,12.5,7.0], [3,123456789012345678901234,null]]", table(warehouse, Tables.EVENTS)
        .orderBy("event_id").select("event_id", "account_id", "user_id").collectAsList().toString());
  }

  @Test
  void theLosingPayloadsOfADuplicatedEventIdAreKeptAndAnExactRepeatIsNot() throws IOException {
    Path lake = lake(List.of(
        "{\"event_id\":\"d1\",\"account_id\":\"a1\",\"event\":\"Signed In\",\"ts\":\"2026-03-01T10:00:00Z\"}",
        "{\"event_id\":\"d1\",\"account_id\":\"a1\",\"event\":\"Message Sent\",\"ts\":\"2026-03-01T11:00:00Z\"}",
        "{\"event_id\":\"d2\",\"account_id\":\"a1\",\"event\":\"Signed In\",\"ts\":\"2026-03-01T10:00:00Z\"}",
        "{\"event_id\":\"d2\",\"account_id\":\"a1\",\"event\":\"Signed In\",\"ts\":\"2026-03-01T10:00:00Z\"}"),
        ACCOUNTS);
    Path warehouse = tempDir("pql-w");
    Settings s = settings(lake, warehouse, Map.of("pql.ingest.events.columns.properties", "",
        "pql.ingest.events.columns.user-id", ""));
    IngestJob.Result first = ingest(s, "run-1");
    assertEquals(2, first.eventsWritten());
    assertEquals(2, first.eventsDuplicate(), "one losing payload and one exact repeat");
    assertEquals("[[d1,this_run,Message Sent]]", table(warehouse, Tables.EVENTS_DUPLICATES)
        .select("event_id", "kept_from", "event").collectAsList().toString());
    // By default the losing row is kept as its source row's SHA-256 hash, taken once, of the row as JSON.
    assertEquals(sha256("{\"account_id\":\"a1\",\"event\":\"Message Sent\",\"event_id\":\"d1\","
        + "\"ts\":\"2026-03-01T11:00:00Z\"}"), table(warehouse, Tables.EVENTS_DUPLICATES).first().getAs("raw_record"));

    // A later file sends d1 once more, with a third payload and an earlier time: it loses to the stored event
    // (which stays kept, though it is no longer the earliest of the lake).
    Files.writeString(lake.resolve("events/part-2.json"), "{\"event_id\":\"d1\",\"account_id\":\"a2\","
        + "\"event\":\"Signed In\",\"ts\":\"2026-03-01T09:00:00Z\"}\n");
    ingest(s, "run-2");
    ingest(s, "run-3");
    assertEquals("[[d1,earlier_run,a2,run-2], [d1,this_run,a1,run-1]]", table(warehouse, Tables.EVENTS_DUPLICATES)
        .orderBy("kept_from", "account_id").select("event_id", "kept_from", "account_id", "run_id").collectAsList()
        .toString(),
        "each losing payload once, however often the lake is read");
    assertEquals("Signed In", table(warehouse, Tables.EVENTS).filter("event_id = 'd1'").first().getAs("event"));
  }

  @Test
  void aWarehouseThatCannotBeWrittenIsAWriteErrorWithTheWriteExitCode() throws IOException {
    Path blocked = tempDir("pql-blocked").resolve("a-file");
    Files.writeString(blocked, "not a folder");
    dev.pql.PqlException e = assertThrows(dev.pql.PqlException.class,
        () -> ingest(settings(lake(EVENTS, ACCOUNTS), blocked.resolve("warehouse"), Map.of()), "run-1"));
    assertEquals(4, e.exitCode(), e.getMessage());
    assertTrue(e.getMessage().startsWith("Writing the ingest stream's checkpoint at ")
        && e.getMessage().contains("every table is as it was"), e.getMessage());
  }

  /**
   * A warehouse on a file system mounted read-only (a bind mount: root ignores file permissions, so chmod cannot
   * make one): the next ingest of new events is a write error, exit 4, and every table keeps its version and rows.
   * Needs mount rights (root with CAP_SYS_ADMIN, as here and in CI); elsewhere it is skipped, saying why.
   */
  @Test
  void aReadOnlyWarehouseIsAWriteErrorAndKeepsItsTables() throws Exception {
    Path warehouse = tempDir("pql-read-only").resolve("warehouse");
    ingest(settings(lake(EVENTS, ACCOUNTS), warehouse, Map.of()), "run-1");
    long versionBefore = io.delta.tables.DeltaTable.forPath(spark, warehouse.resolve("events").toString()).history(1)
        .first().getLong(0);
    long rowsBefore = table(warehouse, Tables.EVENTS).count();
    List<String> more = new java.util.ArrayList<>(EVENTS);
    more.add("{\"event_id\":\"e9\",\"account_id\":\"a1\",\"user_id\":\"u1\",\"event\":\"Signed In\","
        + "\"ts\":\"2026-03-03T10:00:00Z\"}");
    Path newer = lake(more, ACCOUNTS);
    org.junit.jupiter.api.Assumptions.assumeTrue(mount(warehouse, "--bind", warehouse.toString(),
        warehouse.toString()), "bind mounts are not allowed here");
    try {
      org.junit.jupiter.api.Assumptions.assumeTrue(mount(warehouse, "-o", "remount,ro,bind", warehouse.toString()),
          "a read-only remount is not allowed here");
      dev.pql.PqlException e = assertThrows(dev.pql.PqlException.class,
          () -> ingest(settings(newer, warehouse, Map.of()), "run-2"));
      assertEquals(4, e.exitCode(), e.getMessage());
      assertTrue(e.getMessage().startsWith("Writing ") && !e.getMessage().contains("\n"), e.getMessage());
    } finally {
      new ProcessBuilder("umount", warehouse.toString()).inheritIO().start().waitFor();
    }
    assertEquals(versionBefore, io.delta.tables.DeltaTable.forPath(spark, warehouse.resolve("events").toString())
        .history(1).first().getLong(0), "events keeps its version");
    assertEquals(rowsBefore, table(warehouse, Tables.EVENTS).count(), "and its rows");
  }

  private static boolean mount(Path at, String... args) throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>(List.of("mount"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    boolean ok = p.waitFor() == 0;
    if (!ok) System.out.println("mount " + String.join(" ", args) + " (at " + at + "): " + output.trim());
    return ok;
  }

  @Test
  void blankLinesAndJsonArrayLinesAreCountedAndExplained() throws IOException {
    Path lake = lake(List.of(
        "{\"event_id\":\"b1\",\"account_id\":\"a1\",\"event\":\"Signed In\",\"ts\":\"2026-03-01T10:00:00Z\"}",
        "",
        "   ",
        "[{\"event_id\":\"b2\",\"account_id\":\"a1\",\"event\":\"Signed In\",\"ts\":\"2026-03-01T10:00:00Z\"},"
            + "{\"event_id\":\"b3\",\"account_id\":\"a1\",\"event\":\"Signed In\",\"ts\":\"2026-03-01T11:00:00Z\"}]"),
        ACCOUNTS);
    IngestJob.Result r = ingest(settings(lake, tempDir("pql-w"), Map.of("pql.ingest.events.columns.properties", "",
        "pql.ingest.events.columns.user-id", "")), "run-1");
    assertEquals(3, r.eventsWritten(), "the array's two elements are events");
    assertEquals(new dev.pql.io.SourceReader.LineCounts(2, 1), r.eventLines());
    assertEquals("2 blank lines skipped; 1 line held a JSON array (each element read as a row)", r.linesExplained());
  }

  @Test
  void theLakesEventsAreListedWithTheirRowsAccountsUsersAndDaysAndNothingIsWritten() throws IOException {
    String row = "{\"event_id\":\"%s\",\"account_id\":\"%s\",\"user_id\":\"%s\",\"event\":\"%s\","
        + "\"ts\":\"%s\"}";
    Path lake = lake(List.of(
        String.format(row, "l1", "a1", "u1", "Message Sent", "2026-03-01T10:00:00Z"),
        String.format(row, "l2", "a1", "u2", "Message Sent", "2026-03-04T10:00:00Z"),
        String.format(row, "l3", "a2", "u3", "Message Sent", "2026-03-02T23:30:00Z"),
        String.format(row, "l4", "a2", "u3", "Signed In", "2026-03-02T09:00:00Z"),
        String.format(row, "l5", "", "u4", "Signed In", "2026-03-02T09:00:00Z"),
        anonymous("l6", "d1", null, null, "2026-03-03T08:00:00Z")),
        ACCOUNTS);
    Path warehouse = tempDir("pql-w");
    LakeEvents.Listing listing = LakeEvents.list(spark, settings(lake, warehouse,
        Map.of("pql.ingest.events.columns.properties", "", "pql.ingest.events.columns.anonymous-id", "anonymous_id")),
        1);
    assertEquals(List.of(new LakeEvents.EventCount("Message Sent", 3, 2, 3, java.time.LocalDate.parse("2026-03-01"),
        java.time.LocalDate.parse("2026-03-04"))), listing.events(), "the most frequent, within the limit");
    assertEquals(2, listing.distinctEvents());
    assertEquals(4, listing.usableRows());
    assertEquals(1, listing.rejectedRows(), "the row without an account");
    assertEquals(1, listing.heldRows(), "the visitor's row, held by an ingest until a link names its user");
    try (var files = Files.list(warehouse)) {
      assertEquals(0, files.count(), "nothing written");
    }
  }

  @Test
  void anEmptySourceSaysItHoldsNoRowsWithTheReadExitCode() throws IOException {
    Path lake = lake(List.of("", "  "), ACCOUNTS);
    dev.pql.PqlException e = assertThrows(dev.pql.PqlException.class,
        () -> ingest(settings(lake, tempDir("pql-w"), Map.of()), "run-1"));
    assertEquals(3, e.exitCode(), e.getMessage());
    assertTrue(e.getMessage().startsWith("pql.ingest.events.path = '" + lake + "/events' holds no rows"),
        e.getMessage());
  }

  @Test
  void identicalMalformedLinesAreEachTheirOwnRejectAndARerunAddsNone() throws IOException {
    List<String> events = new java.util.ArrayList<>(EVENTS);
    events.add("{\"event_id\":\"e11\", this is not json"); // the same broken line again
    Path lake = lake(events, ACCOUNTS);
    Path warehouse = tempDir("pql-w");
    IngestJob.Result r = ingest(settings(lake, warehouse, Map.of()), "run-1");
    assertEquals(2L, r.rejectedByReason().get("MALFORMED_RECORD"));
    Dataset<Row> malformed = table(warehouse, Tables.EVENTS_REJECTED).filter("reason = 'MALFORMED_RECORD'");
    assertEquals(2, malformed.count(), "counted twice, kept twice");
    assertEquals(2, malformed.select("record_id").distinct().count());
    assertTrue(malformed.first().getString(malformed.first().fieldIndex("source_file")).endsWith("events/part-1.json"));
    // Each at its own line of the file (the 12th and 13th); a row rejected for its values is no line as written.
    assertEquals(List.of(12L, 13L), malformed.select("source_line").orderBy("source_line").as(
        org.apache.spark.sql.Encoders.LONG()).collectAsList());
    assertEquals(0, table(warehouse, Tables.EVENTS_REJECTED).filter("reason <> 'MALFORMED_RECORD'")
        .filter("source_line IS NOT NULL").count());
    ingest(settings(lake, warehouse, Map.of()), "run-2");
    assertEquals(r.eventsRejected() + 1, table(warehouse, Tables.EVENTS_REJECTED).count(),
        "a rerun adds no reject (8 events' and 1 account's)");

    Path moved = tempDir("pql-moved-lake").resolve("elsewhere");
    org.apache.commons.io.FileUtils.copyDirectory(lake.toFile(), moved.toFile());
    ingest(settings(moved, warehouse, Map.of()), "run-3");
    assertEquals(r.eventsRejected() + 1, table(warehouse, Tables.EVENTS_REJECTED).count(),
        "the same lake read from another directory adds no reject either");
  }

  @Test
  void accountHistoryKeepsOneStatePerChangeAndConversionsComeFromIt() throws IOException {
    Path warehouse = tempDir("pql-w");
    ingest(settings(lake(EVENTS, ACCOUNTS), warehouse, Map.of()), "run-1");

    assertSameRows(spark.sql("""
        SELECT * FROM VALUES
          ('a1', TIMESTAMP '2026-02-01 00:00:00', TIMESTAMP '2026-03-05 12:00:00', false,
           TIMESTAMP '2026-02-01 00:00:00', 'free', 'gmail.com', 3),
          ('a1', TIMESTAMP '2026-03-05 12:00:00', CAST(NULL AS TIMESTAMP), true,
           TIMESTAMP '2026-02-01 00:00:00', 'team', 'gmail.com', 3),
          ('a2', TIMESTAMP '2026-02-15 00:00:00', CAST(NULL AS TIMESTAMP), true,
           TIMESTAMP '2026-02-15 00:00:00', 'trial', CAST(NULL AS STRING), CAST(NULL AS INT))
          AS t(account_id, valid_from, valid_to, is_current, signup_at, plan, email_domain, employees)"""),
        table(warehouse, Tables.ACCOUNTS).select("account_id", "valid_from", "valid_to", "is_current", "signup_at",
            "plan", "email_domain", "employees"));
    assertSameRows(spark.sql("""
        SELECT * FROM VALUES ('a1', TIMESTAMP '2026-03-05 12:00:00', 'free', 'team', true, 'plan-history')
          AS t(account_id, converted_at, from_plan, to_plan, is_first, source)"""),
        table(warehouse, Tables.CONVERSIONS).select("account_id", "converted_at", "from_plan", "to_plan", "is_first",
            "source"));
  }

  @Test
  void aRerunReadsNoFileAgainAndNewFilesAreAppended() throws IOException {
    Path lake = lake(EVENTS, ACCOUNTS);
    Path warehouse = tempDir("pql-w");
    Settings s = settings(lake, warehouse, Map.of());
    ingest(s, "run-1");
    List<Row> eventsBefore = table(warehouse, Tables.EVENTS).collectAsList();
    List<Row> accountsBefore = table(warehouse, Tables.ACCOUNTS).collectAsList();

    // The stream's checkpoint remembers the file: a rerun reads no event row, and changes nothing.
    IngestJob.Result again = ingest(s, "run-2");
    assertEquals(List.of(0L, 0L, 0L, 0L), List.of(again.eventRowsRead(), again.eventsWritten(),
        again.eventsDuplicate(), again.eventsRejected()));
    assertEquals(0, again.accountStates().inserted() + again.accountStates().updated() + again.accountStates().deleted());
    assertSameRows(spark.createDataFrame(eventsBefore, Tables.EVENTS.schema()), table(warehouse, Tables.EVENTS));
    assertSameRows(spark.createDataFrame(accountsBefore, Tables.ACCOUNTS.schema()), table(warehouse, Tables.ACCOUNTS));
    assertEquals(8, table(warehouse, Tables.EVENTS_REJECTED).count());
    // The same lake named relative to the working directory, as a scheduler started elsewhere names it, is the same
    // source: its checkpoint holds, and no file is read again.
    Path relative = Path.of(System.getProperty("user.dir")).toAbsolutePath().relativize(lake);
    IngestJob.Result spelledOtherwise = ingest(settings(relative, warehouse, Map.of()), "run-2r");
    assertEquals(0L, spelledOtherwise.eventRowsRead(), relative + " is " + lake);
    // Nor is the account table read again: its files are as run-1 read them.
    assertEquals("[[ingest.accounts,skipped], [ingest.accounts,skipped], [ingest.conversions,skipped], "
        + "[ingest.conversions,skipped]]", table(warehouse, Tables.PIPELINE_RUNS)
        .filter("run_id IN ('run-2', 'run-2r') AND stage IN ('ingest.accounts', 'ingest.conversions')").orderBy("stage")
        .select("stage", "status").collectAsList().toString());

    // The account table changes, and no event file arrives: the account moves to a paid plan all the same.
    List<String> upgraded = new java.util.ArrayList<>(ACCOUNTS);
    upgraded.add("{\"account_id\":\"a2\",\"updated_at\":\"2026-03-02T00:00:00Z\",\"created_at\":"
        + "\"2026-02-15T00:00:00Z\",\"plan\":\"Team\"}");
    Files.write(lake.resolve("accounts/part-1.json"), upgraded);
    IngestJob.Result changed = ingest(s, "run-2b");
    assertEquals(0, changed.eventRowsRead());
    assertEquals(List.of("a1", "a2"), table(warehouse, Tables.CONVERSIONS).filter("is_first").orderBy("account_id")
        .select("account_id").as(org.apache.spark.sql.Encoders.STRING()).collectAsList());

    // A new file arrives: a late event for an old day, and a resent one. Only it is read.
    Files.write(lake.resolve("events/part-2.json"), List.of(
        "{\"event_id\":\"e12\",\"account_id\":\"a2\",\"event\":\"Invite Sent\",\"ts\":\"2026-03-01T08:00:00Z\"}",
        "{\"event_id\":\"e1\",\"account_id\":\"a1\",\"user_id\":\"u1\",\"event\":\"Signed In\",\"ts\":\"2026-03-01T10:00:00Z\"}"));
    IngestJob.Result third = ingest(s, "run-3");
    assertEquals(List.of(2L, 1L, 1L, 0L), List.of(third.eventRowsRead(), third.eventsWritten(),
        third.eventsDuplicate(), third.eventsRejected()));
    assertEquals(5, table(warehouse, Tables.EVENTS).count());
    assertEquals("run-3", table(warehouse, Tables.EVENTS).filter("event_id = 'e12'").first().getAs("run_id"));
    assertEquals(8, table(warehouse, Tables.EVENTS_REJECTED).count());

    List<Row> runs = table(warehouse, Tables.PIPELINE_RUNS).filter("stage = 'ingest.events'").orderBy("run_id")
        .select("run_id", "rows_in", "rows_out", "rows_rejected", "rows_duplicate", "status").collectAsList();
    assertEquals("[[run-1,12,4,7,1,succeeded], [run-2,0,0,0,0,succeeded], [run-2b,0,0,0,0,succeeded], "
        + "[run-2r,0,0,0,0,succeeded], [run-3,2,1,0,1,succeeded]]",
        runs.toString());

    // A warehouse whose events table is gone reads every file again, whatever the checkpoint says.
    org.apache.commons.io.FileUtils.deleteDirectory(warehouse.resolve("events").toFile());
    assertEquals(14, ingest(s, "run-4").eventRowsRead());
    assertEquals(5, table(warehouse, Tables.EVENTS).count());
  }

  @Test
  void aBatchLooksDuplicatesUpInTheDaysItCoversAndTheirWindowSoAResentOldEventIsNotDoubled() throws IOException {
    // Sixty days of events, one a day, then a file with the next day's event and a copy of the event of 30 days
    // before it, re-sent as it was.
    List<String> sixtyDays = new java.util.ArrayList<>();
    java.time.LocalDate first = java.time.LocalDate.parse("2026-01-01");
    for (int d = 0; d < 60; d++) sixtyDays.add(event("d" + d, first.plusDays(d)));
    Path lake = lake(sixtyDays, ACCOUNTS);
    Path warehouse = tempDir("pql-w-window");
    Settings s = settings(lake, warehouse, Map.of());
    assertEquals(60, ingest(s, "run-1").eventsWritten());
    Files.write(lake.resolve("events/part-2.json"), List.of(event("d60", first.plusDays(60)),
        event("d30", first.plusDays(30))));
    IngestJob.Result second = ingest(s, "run-2");
    assertEquals(List.of(2L, 1L, 1L), List.of(second.eventRowsRead(), second.eventsWritten(),
        second.eventsDuplicate()));
    assertEquals(61, table(warehouse, Tables.EVENTS).count());
    assertEquals(1, table(warehouse, Tables.EVENTS).filter("event_id = 'd30'").count(), "not doubled");
    // Only the window's days are looked up: a copy whose timestamp moved further than the window from its stored
    // day is not found there, and is kept again. With the window off (-1: the whole table), it is found.
    Files.write(lake.resolve("events/part-3.json"), List.of(event("d10", first.plusDays(61))));
    assertEquals(1, ingest(s, "run-3").eventsWritten());
    Files.write(lake.resolve("events/part-4.json"), List.of(event("d11", first.plusDays(61))));
    IngestJob.Result whole = ingest(settings(lake, warehouse, Map.of("pql.ingest.dedup-window-days", "-1")), "run-4");
    assertEquals(List.of(0L, 1L), List.of(whole.eventsWritten(), whole.eventsDuplicate()));
  }

  private static String event(String id, java.time.LocalDate day) {
    return "{\"event_id\":\"" + id + "\",\"account_id\":\"a1\",\"user_id\":\"u1\",\"event\":\"Message Sent\","
        + "\"ts\":\"" + day + "T09:00:00Z\",\"properties\":{\"n\":\"1\"}}";
  }

  @Test
  void personalDataTheMappingDoesNotKeepReachesNoTable() throws IOException {
    // An event whose properties hold a person's email, IP address and name beside a plan; a malformed line and a
    // losing duplicate payload that hold them too.
    String email = "jane.doe@acme.io";
    String ip = "198.51.100.23";
    String name = "Jane Doe";
    String personal = "\"email\":\"" + email + "\",\"ip\":\"" + ip + "\",\"full_name\":\"" + name + "\"";
    Path lake = lake(List.of(
        "{\"event_id\":\"p1\",\"account_id\":\"a1\",\"user_id\":\"u1\",\"event\":\"Plan Upgraded\","
            + "\"ts\":\"2026-03-01T10:00:00Z\",\"properties\":{\"to_plan\":\"team\",\"note\":\"upgraded by "
            + email + " for ops\"," + personal + "}}",
        "{\"event_id\":\"p1\",\"account_id\":\"a1\",\"user_id\":\"u1\",\"event\":\"Plan Upgraded\","
            + "\"ts\":\"2026-03-01T10:00:09Z\",\"properties\":{\"to_plan\":\"team\"," + personal + "}}",
        "{\"event_id\":\"p2\", " + personal + ", not json",
        // A user id and an account id that are emails: stored as their keyed hashes.
        "{\"event_id\":\"p3\",\"account_id\":\"Owner@Initech.com\",\"user_id\":\"" + email + "\","
            + "\"event\":\"Signed In\",\"ts\":\"2026-03-01T11:00:00Z\"}"), ACCOUNTS);
    Path warehouse = tempDir("pql-w-personal");
    IngestJob.Result r = ingest(settings(lake, warehouse, Map.of("pql.ingest.events.keep-properties", "[to_plan, note]",
        "pql.ingest.pseudonymize.key-variable", TEST_KEY_VARIABLE)), "run-1");
    assertEquals(List.of(4L, 2L, 1L), List.of(r.eventRowsRead(), r.eventsWritten(), r.eventsRejected()));
    Row pseudonymous = table(warehouse, Tables.EVENTS).filter("event_id = 'p3'").first();
    assertEquals(List.of(pseudonym("owner@initech.com"), pseudonym(email)),
        List.of(pseudonymous.getAs("account_id"), pseudonymous.getAs("user_id")), "HMAC-SHA256 under the key");
    Row kept = table(warehouse, Tables.EVENTS).filter("event_id = 'p1'").first();
    // A kept free-text property keeps an email's domain alone.
    assertEquals(Map.of("to_plan", "team", "note", "upgraded by acme.io for ops"),
        kept.getJavaMap(kept.fieldIndex("properties")));
    Row malformed = table(warehouse, Tables.EVENTS_REJECTED).filter("reason = 'MALFORMED_RECORD'").first();
    assertEquals(org.apache.commons.codec.digest.DigestUtils.sha256Hex("{\"event_id\":\"p2\", " + personal
        + ", not json"), malformed.getAs("raw_record"), "the row's hash, not the row");
    assertEquals(1, table(warehouse, Tables.EVENTS_DUPLICATES).count(), "the losing payload is recorded");
    // Every table the ingest wrote, every column as text: none holds the email, the address or the name.
    List<String> found = new java.util.ArrayList<>();
    try (var tables = Files.list(warehouse)) {
      for (Path t : tables.filter(t -> Files.isDirectory(t.resolve("_delta_log"))).toList()) {
        Dataset<Row> rows = spark.read().format("delta").load(t.toString());
        long hits = rows.selectExpr("to_json(struct(*)) AS text").filter(org.apache.spark.sql.functions.col("text")
            .rlike("(?i)" + java.util.regex.Pattern.quote(email) + "|" + java.util.regex.Pattern.quote(ip) + "|"
                + java.util.regex.Pattern.quote(name) + "|" + java.util.regex.Pattern.quote("owner@initech.com")))
            .count();
        if (hits > 0) found.add(t.getFileName() + ": " + hits);
      }
    }
    assertEquals(List.of(), found);
  }

  /** The environment variable the test JVM holds a (not secret) pseudonym key in: see the pom's surefire setup. */
  static final String TEST_KEY_VARIABLE = "PQL_TEST_PSEUDONYM_KEY";

  /** An id's pseudonym computed here as the README defines it: p: and 16 bytes of HMAC-SHA256, in hex. */
  private static String pseudonym(String id) {
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new javax.crypto.spec.SecretKeySpec(System.getenv(TEST_KEY_VARIABLE).getBytes(
          java.nio.charset.StandardCharsets.UTF_8), "HmacSHA256"));
      return "p:" + java.util.HexFormat.of().formatHex(mac.doFinal(id.getBytes(
          java.nio.charset.StandardCharsets.UTF_8)), 0, 16);
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void idsThatAreEmailsWithoutAKeyStopTheIngestBeforeItWritesAndAllIdsWithoutOneBeforeItStarts() throws IOException {
    Path lake = lake(List.of(
        "{\"event_id\":\"k1\",\"account_id\":\"a1\",\"user_id\":\"u1\",\"event\":\"Signed In\","
            + "\"ts\":\"2026-03-01T10:00:00Z\"}",
        "{\"event_id\":\"k2\",\"account_id\":\"a1\",\"user_id\":\"jane@acme.io\",\"event\":\"Signed In\","
            + "\"ts\":\"2026-03-01T11:00:00Z\"}"), ACCOUNTS);
    Path warehouse = tempDir("pql-w-nokey");
    dev.pql.PqlException.ConfigurationError e = org.junit.jupiter.api.Assertions.assertThrows(
        dev.pql.PqlException.ConfigurationError.class, () -> ingest(settings(lake, warehouse,
            Map.of("pql.ingest.pseudonymize.key-variable", "PQL_NO_SUCH_KEY")), "run-1"));
    assertTrue(e.getMessage().contains("are email addresses") && e.getMessage().contains("PQL_NO_SUCH_KEY"),
        e.getMessage());
    assertTrue(!Files.exists(warehouse.resolve("events")), "nothing of the batch was written");
    e = org.junit.jupiter.api.Assertions.assertThrows(dev.pql.PqlException.ConfigurationError.class,
        () -> ingest(settings(lake, warehouse, Map.of("pql.ingest.pseudonymize.ids", "all",
            "pql.ingest.pseudonymize.key-variable", "PQL_NO_SUCH_KEY")), "run-2"));
    assertTrue(e.getMessage().contains("every user and account id"), e.getMessage());
    // With ids = none they are kept as they are (the user chose so).
    IngestJob.Result kept = ingest(settings(lake, warehouse, Map.of("pql.ingest.pseudonymize.ids", "none",
        "pql.ingest.pseudonymize.key-variable", "PQL_NO_SUCH_KEY")), "run-3");
    assertEquals(2, kept.eventsWritten());
    assertEquals(1, table(warehouse, Tables.EVENTS).filter("user_id = 'jane@acme.io'").count());
  }

  @Test
  void withoutAWorkspaceIdColleaguesOnAWorkDomainAreOneAccountAndWebmailUsersEachTheirOwn() throws IOException {
    Path lake = lake(List.of(
        emailEvent("m1", "u1", "Jane@Acme.io"), emailEvent("m2", "u2", "bob@acme.io"),
        emailEvent("m3", "u3", "x.y@gmail.com"), emailEvent("m4", "u4", "z@gmail.com"),
        emailEvent("m5", "u5", "not an email"),
        "{\"event_id\":\"m6\",\"account_id\":\"a1\",\"user_id\":\"u6\",\"email\":\"w@acme.io\","
            + "\"event\":\"Signed In\",\"ts\":\"2026-03-01T10:00:00Z\"}"), ACCOUNTS);
    Path warehouse = tempDir("pql-w-email");
    // No account table: the accounts are what the events say.
    IngestJob.Result r = ingest(settings(lake, warehouse, Map.of("pql.ingest.events.account-from-email", "email",
        "pql.ingest.accounts.source", "none")), "run-1");
    assertEquals(List.of(6L, 5L, 1L), List.of(r.eventRowsRead(), r.eventsWritten(), r.eventsRejected()));
    assertEquals(Map.of("MISSING_ACCOUNT_ID", 1L), r.rejectedByReason(), "an email without a domain says nothing");
    // The account id the event carries comes first; then the domain; a webmail user is an account alone.
    assertEquals("[[m1,domain:acme.io], [m2,domain:acme.io], [m3,user:u3], [m4,user:u4], [m6,a1]]",
        table(warehouse, Tables.EVENTS).orderBy("event_id").select("event_id", "account_id").collectAsList()
            .toString());
    // Each account knows its domain, so a webmail user's account has the domain class webmail.
    assertEquals("[[a1,acme.io], [domain:acme.io,acme.io], [user:u3,gmail.com], [user:u4,gmail.com]]",
        table(warehouse, Tables.ACCOUNTS).orderBy("account_id").select("account_id", "email_domain").collectAsList()
            .toString());
    for (TableContract t : List.of(Tables.EVENTS, Tables.ACCOUNTS, Tables.EVENTS_REJECTED)) {
      assertEquals(0, table(warehouse, t).selectExpr("to_json(struct(*)) AS t")
          .filter("lower(t) LIKE '%jane@%' OR t LIKE '%bob@%'").count(), "only the domain is kept: " + t.name());
    }
  }

  @Test
  void anEventsAccountComesFromItselfItsUserInTheUsersTableOrItsEmailInTheConfiguredOrder() throws IOException {
    Path lake = lake(List.of(
        "{\"event_id\":\"n1\",\"account_id\":\"a1\",\"user_id\":\"u1\",\"event\":\"Signed In\","
            + "\"ts\":\"2026-03-01T10:00:00Z\"}",
        "{\"event_id\":\"n2\",\"account_id\":\" \",\"user_id\":\"u2\",\"event\":\"Signed In\","
            + "\"ts\":\"2026-03-01T10:00:00Z\"}",
        emailEvent("n3", "u3", "z@acme.io"),
        "{\"event_id\":\"n4\",\"user_id\":\"u4\",\"event\":\"Signed In\",\"ts\":\"2026-03-01T10:00:00Z\"}"),
        ACCOUNTS);
    // A product database's users table: u2 is listed in two accounts (the smallest id is taken), a row without a
    // user says nothing.
    Path users = lake.resolve("users");
    Files.createDirectories(users);
    Files.write(users.resolve("part-1.json"), List.of("{\"id\":\"u1\",\"workspace\":\"a9\"}",
        "{\"id\":\"u2\",\"workspace\":\"a3\"}", "{\"id\":\"u2\",\"workspace\":\"a2\"}",
        "{\"id\":\"\",\"workspace\":\"a5\"}"));
    Map<String, String> withUsers = Map.of("pql.ingest.accounts.source", "none",
        "pql.ingest.events.account-from-email", "email", "pql.ingest.users.path", users.toString(),
        "pql.ingest.users.format", "json", "pql.ingest.users.columns.user-id", "id",
        "pql.ingest.users.columns.account-id", "workspace");
    Path first = tempDir("pql-w-users");
    IngestJob.Result r = ingest(settings(lake, first, withUsers), "run-1");
    assertEquals(Map.of("MISSING_ACCOUNT_ID", 1L), r.rejectedByReason(), "n4: no account anywhere");
    assertSameRows(spark.sql("SELECT * FROM VALUES ('n1', 'a1'), ('n2', 'a2'), ('n3', 'domain:acme.io') "
        + "AS t(event_id, account_id)"), table(first, Tables.EVENTS).select("event_id", "account_id"));
    // The users table first: u1's event goes to a9 although it names a1.
    Map<String, String> usersFirst = new HashMap<>(withUsers);
    usersFirst.put("pql.ingest.account-precedence", "[users, event, email]");
    Path second = tempDir("pql-w-users-first");
    ingest(settings(lake, second, usersFirst), "run-1");
    assertSameRows(spark.sql("SELECT * FROM VALUES ('n1', 'a9'), ('n2', 'a2'), ('n3', 'domain:acme.io') "
        + "AS t(event_id, account_id)"), table(second, Tables.EVENTS).select("event_id", "account_id"));
  }

  @Test
  void anAnonymousIdsEventsAreItsUsersOnceALinkIsSeenInTheSameBatchOrALaterOne() throws IOException {
    // Batch 1: d2's anonymous event without an account is linked by d2's login in the same batch; d1's are not yet
    // (the one with an account is kept without a user, the one without is held until a link names its user).
    Path lake = lake(List.of(anonymous("x1", "d1", "a1", null, "2026-03-01T09:00:00Z"),
        anonymous("x2", "d1", null, null, "2026-03-01T09:30:00Z"),
        anonymous("x3", "d2", null, null, "2026-03-01T10:00:00Z"),
        anonymous("x4", "d2", "a2", "u2", "2026-03-01T11:00:00Z")), ACCOUNTS);
    Path warehouse = tempDir("pql-w-identity");
    Settings s = settings(lake, warehouse, Map.of("pql.ingest.accounts.source", "none",
        "pql.ingest.events.columns.anonymous-id", "anonymous_id"));
    IngestJob.Result first = ingest(s, "run-1");
    assertEquals(Map.of(), first.rejectedByReason(), "x2: no account and no link yet, held, not rejected");
    // Read 4 = 3 new + 0 rejected + 0 duplicates + 1 held, in the result and in the run log.
    assertEquals(List.of(4L, 3L, 0L, 0L, 1L, 0L), List.of(first.eventRowsRead(), first.eventsWritten(),
        first.eventsRejected(), first.eventsDuplicate(), first.eventsHeld(), first.eventsReleased()));
    assertEquals(List.of(4L, 3L, 0L, 0L, 1L), table(warehouse, Tables.PIPELINE_RUNS)
        .filter("run_id = 'run-1' AND stage = 'ingest.events'")
        .selectExpr("explode(array(rows_in, rows_out, rows_rejected, rows_duplicate, rows_held))")
        .as(org.apache.spark.sql.Encoders.LONG()).collectAsList());
    assertSameRows(spark.sql("SELECT 'x2' AS event_id, 'd1' AS anonymous_id, 'run-1' AS run_id"),
        table(warehouse, Tables.EVENTS_UNATTRIBUTED).select("event_id", "anonymous_id", "run_id"));
    // Batch 2: d1's login links it (x1, stored, becomes u1's; x2, held, is released as u1's at a1), a later event of
    // d1 takes u1 and a1, an unlinked anonymous id stays without a user, a second user on d2 keeps their own events
    // (the first link stays), and d8, a visitor no link names, is held (its event twice: once held, once a duplicate).
    String x9 = anonymous("x9", "d8", null, null, "2026-03-04T10:00:00Z");
    Files.write(lake.resolve("events/part-2.json"), List.of(anonymous("x5", "d1", "a1", "u1", "2026-03-03T08:00:00Z"),
        anonymous("x6", "d1", null, null, "2026-03-04T08:00:00Z"),
        anonymous("x7", "d9", "a1", null, "2026-03-04T09:00:00Z"),
        anonymous("x8", "d2", "a2", "u5", "2026-03-05T08:00:00Z"), x9, x9));
    IngestJob.Result second = ingest(s, "run-2");
    assertEquals(Map.of(), second.rejectedByReason());
    assertEquals(List.of(6L, 4L, 0L, 1L, 1L, 1L), List.of(second.eventRowsRead(), second.eventsWritten(),
        second.eventsRejected(), second.eventsDuplicate(), second.eventsHeld(), second.eventsReleased()),
        "read, new, rejected, duplicates, held, released");
    assertEquals(List.of(1L, 1L, 0L, 0L), table(warehouse, Tables.PIPELINE_RUNS)
        .filter("run_id = 'run-2' AND stage = 'ingest.release'")
        .selectExpr("explode(array(rows_in, rows_out, rows_rejected, rows_duplicate))")
        .as(org.apache.spark.sql.Encoders.LONG()).collectAsList(), "ingest.release: x2 found, moved to events");
    assertSameRows(spark.sql("SELECT 'x9' AS event_id, 'd8' AS anonymous_id"),
        table(warehouse, Tables.EVENTS_UNATTRIBUTED).select("event_id", "anonymous_id"));
    assertSameRows(spark.sql("""
        SELECT * FROM VALUES ('x1', 'a1', 'u1', 'd1'), ('x2', 'a1', 'u1', 'd1'), ('x3', 'a2', 'u2', 'd2'),
          ('x4', 'a2', 'u2', 'd2'),
          ('x5', 'a1', 'u1', 'd1'), ('x6', 'a1', 'u1', 'd1'), ('x7', 'a1', NULL, 'd9'), ('x8', 'a2', 'u5', 'd2')
          AS t(event_id, account_id, user_id, anonymous_id)"""),
        table(warehouse, Tables.EVENTS).select("event_id", "account_id", "user_id", "anonymous_id"));
    assertSameRows(spark.sql("""
        SELECT * FROM VALUES ('d1', 'u1', 'a1', TIMESTAMP '2026-03-03 08:00:00', 'run-2'),
          ('d2', 'u2', 'a2', TIMESTAMP '2026-03-01 11:00:00', 'run-1')
          AS t(anonymous_id, user_id, account_id, first_seen_at, run_id)"""),
        table(warehouse, Tables.IDENTITY_LINKS).select("anonymous_id", "user_id", "account_id", "first_seen_at",
            "run_id"));
    // The run log: batch 2 read two links (d1's and d2's second), stored one, and d2's was known.
    Row identity = table(warehouse, Tables.PIPELINE_RUNS).filter("run_id = 'run-2' AND stage = 'ingest.identity'")
        .first();
    assertEquals(List.of(2L, 1L, 0L, 1L), List.of(identity.<Long>getAs("rows_in"), identity.<Long>getAs("rows_out"),
        identity.<Long>getAs("rows_rejected"), identity.<Long>getAs("rows_duplicate")));
    // A rerun without a new file changes nothing.
    long version = new DeltaStore(spark, warehouse.toString()).version(Tables.EVENTS);
    long heldVersion = new DeltaStore(spark, warehouse.toString()).version(Tables.EVENTS_UNATTRIBUTED);
    ingest(s, "run-3");
    assertEquals(version, new DeltaStore(spark, warehouse.toString()).version(Tables.EVENTS));
    assertEquals(heldVersion, new DeltaStore(spark, warehouse.toString()).version(Tables.EVENTS_UNATTRIBUTED));

    // Snapshots around d1's login (03-03 08:00), built after it: on 03-03, a1's two messages of 03-01 are u1's
    // (x1 anonymous when sent, x2 held until then); on 03-06, a1 has x1, x2, x5, x6 and x7 (five messages,
    // one user: x7's visitor is unknown) and a2 x3, x4 and x8 (three messages by u2 and u5).
    dev.pql.io.StageContext context = dev.pql.io.StageContext.open(spark, warehouse.toString(), "run-4", "features",
        RUN_START);
    dev.pql.pipeline.Stages.features(dev.pql.pipeline.StageRunner.forCommand(context), s,
        List.of(java.time.LocalDate.parse("2026-03-03"), java.time.LocalDate.parse("2026-03-06")));
    assertSameRows(spark.sql("""
        SELECT * FROM VALUES ('a1', DATE '2026-03-03', 2L, 1L, 1L), ('a1', DATE '2026-03-06', 5L, 1L, 1L),
          ('a2', DATE '2026-03-03', 2L, 1L, 1L), ('a2', DATE '2026-03-06', 3L, 2L, 2L)
          AS t(account_id, as_of_date, cnt_7d__message_sent, users_7d__message_sent, active_users_7d)"""),
        dev.pql.features.FeatureStore.snapshots(context.store()).selectExpr("account_id", "as_of_date",
            "CAST(cnt_7d__message_sent AS BIGINT) AS cnt_7d__message_sent",
            "CAST(users_7d__message_sent AS BIGINT) AS users_7d__message_sent",
            "CAST(active_users_7d AS BIGINT) AS active_users_7d"));
  }

  private static String anonymous(String id, String anonymousId, String account, String user, String ts) {
    return "{\"event_id\":\"" + id + "\",\"anonymous_id\":\"" + anonymousId + "\","
        + (account == null ? "" : "\"account_id\":\"" + account + "\",")
        + (user == null ? "" : "\"user_id\":\"" + user + "\",") + "\"event\":\"Message Sent\",\"ts\":\"" + ts + "\"}";
  }

  private static String emailEvent(String id, String user, String email) {
    return "{\"event_id\":\"" + id + "\",\"user_id\":\"" + user + "\",\"email\":\"" + email + "\","
        + "\"event\":\"Signed In\",\"ts\":\"2026-03-01T10:00:00Z\"}";
  }

  @Test
  void eventsOfAccountsMissingFromTheAccountSourceAreRejectedWhenRequired() throws IOException {
    Path warehouse = tempDir("pql-w");
    IngestJob.Result r = ingest(settings(lake(EVENTS, ACCOUNTS), warehouse,
        Map.of("pql.ingest.require-known-account", "true", "pql.ingest.keep-raw-records", "true")), "run-1");
    assertEquals(3, r.eventsWritten());
    assertEquals(1L, r.rejectedByReason().get("UNKNOWN_ACCOUNT"));
    Row unknown = table(warehouse, Tables.EVENTS_REJECTED).filter("reason = 'UNKNOWN_ACCOUNT'").first();
    assertTrue(unknown.<String>getAs("raw_record").contains("\"e10\""));
  }

  @Test
  void aMappingThatNamesAMissingColumnStopsBeforeAnyTableIsWritten() throws IOException {
    Path warehouse = tempDir("pql-w");
    Settings s = settings(lake(EVENTS, ACCOUNTS), warehouse, Map.of("pql.ingest.events.columns.account-id", "acount_id"));
    SchemaError e = assertThrows(SchemaError.class, () -> ingest(s, "run-1"));
    assertTrue(e.getMessage().startsWith("Mapping pql.ingest.events.columns.account-id = \"acount_id\" does not fit "
        + "the source pql.ingest.events (its columns: _corrupt_record, account_id, event, event_id, properties, ts, "
        + "user_id): "), e.getMessage());
    assertEquals(2, e.exitCode());
    try (var files = Files.list(warehouse)) {
      assertEquals(0, files.count(), "no table may be written");
    }
  }

  @Test
  void writtenTablesCarryTheirContractsColumnComments() throws IOException {
    Path warehouse = tempDir("pql-w");
    ingest(settings(lake(EVENTS, ACCOUNTS), warehouse, Map.of()), "run-1");
    for (TableContract contract : List.of(Tables.EVENTS, Tables.EVENTS_REJECTED, Tables.EVENTS_DUPLICATES,
        Tables.ACCOUNTS, Tables.CONVERSIONS, Tables.PIPELINE_RUNS)) {
      Dataset<Row> stored = spark.read().format("delta").load(warehouse + "/" + contract.name());
      for (TableContract.ColumnSpec column : contract.columns()) {
        StructField field = stored.schema().apply(column.name());
        assertEquals(column.comment(), field.getComment().get(), contract.name() + "." + column.name());
      }
    }
    assertFalse(spark.sql("DESCRIBE DETAIL delta.`" + warehouse + "/events`").first().<String>getAs("description")
        .isBlank());
  }

  private static String sha256(String text) {
    try {
      return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
