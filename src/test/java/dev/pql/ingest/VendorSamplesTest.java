package dev.pql.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pql.SparkTestBase;
import dev.pql.config.Settings;
import dev.pql.config.SettingsLoader;
import dev.pql.io.DeltaStore;
import dev.pql.io.RunLog;
import dev.pql.io.StageContext;
import dev.pql.io.Tables;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Each analytics tool's export, written here by hand in the vendor's documented layout (not by pql's generator),
 * ingested through its mapping in conf/mappings by configuration alone, every row accounted for with counts
 * written by hand: in each, one event re-sent with the vendor's dedup id, one anonymous event, one without an
 * account, one with an unreadable time and one malformed line.
 */
@dev.pql.InterpretedExpressions
class VendorSamplesTest extends SparkTestBase {
  static final Instant NOW = Instant.parse("2026-03-10T00:00:00Z");

  /** The events kept from every sample: (account, user, event, UTC time). */
  static final String KEPT = """
      SELECT * FROM VALUES
        ('acme', 'u1', 'Message Sent', TIMESTAMP '2026-03-01 10:00:00'),
        ('acme', CAST(NULL AS STRING), 'Dashboard Viewed', TIMESTAMP '2026-03-01 11:30:00'),
        ('globex', 'u7', 'Plan Upgraded', TIMESTAMP '2026-03-02 08:15:00')
        AS t(account_id, user_id, event, ts)""";

  /**
   * The same with the page a visitor on device d1 viewed before logging in as u1 of acme: stitched to u1 and acme by
   * the login event, which carries both ids (the mappings that name an anonymous id).
   */
  static final String KEPT_STITCHED = KEPT.replace("TIMESTAMP '2026-03-02 08:15:00')",
      "TIMESTAMP '2026-03-02 08:15:00'),\n        ('acme', 'u1', 'Page Viewed', TIMESTAMP '2026-03-01 09:00:00')");

  @Test
  void amplitudesExportApiFilesGzippedJsonLines() throws IOException {
    Path lake = tempDir("pql-amplitude");
    // Export API: one gzipped JSON object per line; event_time zone-less UTC with microseconds; the account in
    // groups; a re-sent event keeps $insert_id under a new uuid.
    String first = "{\"$insert_id\":\"ins-1\",\"uuid\":\"9a1\",\"amplitude_id\":501,\"event_id\":1,"
        + "\"event_type\":\"Message Sent\",\"event_time\":\"2026-03-01 10:00:00.000000\",\"user_id\":\"u1\","
        + "\"device_id\":\"d1\",\"groups\":{\"company\":[\"acme\"]},\"event_properties\":{\"channel\":\"ops\"},"
        + "\"user_properties\":{\"email\":\"jane@acme.io\"},\"server_received_time\":\"2026-03-01 10:00:02.000000\"}";
    // In a folder per project, as the export unzips, named <project>_<date>_<hour>#<n> (Spark names it with %23).
    gzipLines(lake.resolve("amplitude/events/501/501_2026-03-01_10#0.json.gz"), List.of(first,
        first.replace("\"uuid\":\"9a1\"", "\"uuid\":\"9a2\""),
        "{\"$insert_id\":\"ins-2\",\"uuid\":\"9a3\",\"amplitude_id\":502,\"event_type\":\"Dashboard Viewed\","
            + "\"event_time\":\"2026-03-01 11:30:00.000000\",\"user_id\":null,\"device_id\":\"d2\","
            + "\"groups\":{\"company\":[\"acme\"]},\"event_properties\":{}}",
        "{\"$insert_id\":\"ins-3\",\"uuid\":\"9a4\",\"amplitude_id\":503,\"event_type\":\"Message Sent\","
            + "\"event_time\":\"2026-03-01 12:00:00.000000\",\"user_id\":\"u9\",\"groups\":{}}",
        "{\"$insert_id\":\"ins-4\",\"uuid\":\"9a5\",\"amplitude_id\":504,\"event_type\":\"Message Sent\","
            + "\"event_time\":\"yesterday\",\"user_id\":\"u1\",\"groups\":{\"company\":[\"acme\"]}}",
        "{\"$insert_id\":\"ins-5\",\"event_type\":\"Message Sent\",\"event_time\":",
        "{\"$insert_id\":\"ins-6\",\"uuid\":\"9a6\",\"amplitude_id\":505,\"event_type\":\"Plan Upgraded\","
            + "\"event_time\":\"2026-03-02 08:15:00.000000\",\"user_id\":\"u7\",\"device_id\":\"d7\","
            + "\"groups\":{\"company\":[\"globex\"]},\"event_properties\":{\"from_plan\":\"free\",\"to_plan\":\"team\"}}",
        "{\"$insert_id\":\"ins-7\",\"uuid\":\"9a7\",\"amplitude_id\":501,\"event_type\":\"Page Viewed\","
            + "\"event_time\":\"2026-03-01 09:00:00.000000\",\"user_id\":null,\"device_id\":\"d1\",\"groups\":{},"
            + "\"event_properties\":{}}"));
    assertAccountedFor("amplitude.conf", lake, 8, 4, 1,
        Map.of("MISSING_ACCOUNT_ID", 1L, "UNPARSEABLE_TIMESTAMP", 1L, "MALFORMED_RECORD", 1L), KEPT_STITCHED);
  }

  @Test
  void mixpanelsRawExportWithEverythingInPropertiesAndEpochSeconds() throws IOException {
    Path lake = tempDir("pql-mixpanel");
    // Raw export: {event, properties}; time in epoch seconds; $insert_id the dedup id; distinct_id a device until
    // the user is identified ($user_id after); the account a group key property.
    String first = "{\"event\":\"Message Sent\",\"properties\":{\"time\":1772359200,\"distinct_id\":\"u1\","
        + "\"$insert_id\":\"mx-1\",\"$device_id\":\"d1\",\"$user_id\":\"u1\",\"company_id\":\"acme\","
        + "\"mp_lib\":\"web\"}}";
    lines(lake.resolve("mixpanel/events/export-2026-03.json"), List.of(first, first,
        "{\"event\":\"Dashboard Viewed\",\"properties\":{\"time\":1772364600,\"distinct_id\":\"$device:d2\","
            + "\"$insert_id\":\"mx-2\",\"$device_id\":\"d2\",\"company_id\":\"acme\"}}",
        "{\"event\":\"Message Sent\",\"properties\":{\"time\":1772366400,\"distinct_id\":\"u9\","
            + "\"$insert_id\":\"mx-3\"}}",
        "{\"event\":\"Message Sent\",\"properties\":{\"time\":\"soon\",\"distinct_id\":\"u1\","
            + "\"$insert_id\":\"mx-4\",\"company_id\":\"acme\"}}",
        "{\"event\":\"Message Sent\",\"properties\":{\"time\":17723",
        "{\"event\":\"Plan Upgraded\",\"properties\":{\"time\":1772439300,\"distinct_id\":\"u7\","
            + "\"$insert_id\":\"mx-5\",\"$user_id\":\"u7\",\"company_id\":\"globex\",\"from_plan\":\"free\","
            + "\"to_plan\":\"team\"}}",
        "{\"event\":\"Page Viewed\",\"properties\":{\"time\":1772355600,\"distinct_id\":\"$device:d1\","
            + "\"$insert_id\":\"mx-6\",\"$device_id\":\"d1\"}}"));
    // A distinct_id of $device:... is no user: the visitor's, until the login that carries $user_id beside it.
    assertAccountedFor("mixpanel.conf", lake, 8, 4, 1,
        Map.of("MISSING_ACCOUNT_ID", 1L, "UNPARSEABLE_TIMESTAMP", 1L, "MALFORMED_RECORD", 1L), KEPT_STITCHED);
  }

  @Test
  void posthogsBatchExportWithPropertiesAsAJsonString() throws IOException {
    Path lake = tempDir("pql-posthog");
    // Batch export: uuid the event id (a retry keeps it), properties a JSON string with $group_0, timestamp with
    // a zone, an $identify event linking the visitor's anonymous distinct_id to the user's.
    String first = "{\"uuid\":\"0190-1\",\"event\":\"Message Sent\",\"distinct_id\":\"u1\",\"person_id\":\"p-1\","
        + "\"timestamp\":\"2026-03-01T11:00:00+01:00\",\"created_at\":\"2026-03-01T10:00:03Z\","
        + "\"properties\":\"{\\\"$group_0\\\":\\\"acme\\\",\\\"$browser\\\":\\\"Firefox\\\"}\"}";
    lines(lake.resolve("posthog/events/2026-03-01.jsonl"), List.of(first, first,
        "{\"uuid\":\"0190-2\",\"event\":\"Dashboard Viewed\",\"distinct_id\":null,\"person_id\":null,"
            + "\"timestamp\":\"2026-03-01T11:30:00Z\",\"properties\":\"{\\\"$group_0\\\":\\\"acme\\\"}\"}",
        "{\"uuid\":\"0190-3\",\"event\":\"Message Sent\",\"distinct_id\":\"u9\",\"timestamp\":\"2026-03-01T12:00:00Z\","
            + "\"properties\":\"{}\"}",
        "{\"uuid\":\"0190-4\",\"event\":\"Message Sent\",\"distinct_id\":\"u1\",\"timestamp\":\"03/01 noon\","
            + "\"properties\":\"{\\\"$group_0\\\":\\\"acme\\\"}\"}",
        "{\"uuid\":\"0190-5\",\"event\":",
        "{\"uuid\":\"0190-6\",\"event\":\"Plan Upgraded\",\"distinct_id\":\"u7\",\"person_id\":\"p-7\","
            + "\"timestamp\":\"2026-03-02T08:15:00Z\",\"properties\":\"{\\\"$group_0\\\":\\\"globex\\\","
            + "\\\"from_plan\\\":\\\"free\\\",\\\"to_plan\\\":\\\"team\\\"}\"}",
        // Before the login: the visitor's anonymous distinct_id, no group; then the login's $identify event.
        "{\"uuid\":\"0190-7\",\"event\":\"Page Viewed\",\"distinct_id\":\"0190d1\",\"person_id\":\"p-9\","
            + "\"timestamp\":\"2026-03-01T09:00:00Z\",\"properties\":\"{\\\"$is_identified\\\":false}\"}",
        "{\"uuid\":\"0190-8\",\"event\":\"$identify\",\"distinct_id\":\"u1\",\"person_id\":\"p-1\","
            + "\"timestamp\":\"2026-03-01T09:05:00Z\",\"properties\":\"{\\\"$anon_distinct_id\\\":\\\"0190d1\\\","
            + "\\\"$is_identified\\\":true,\\\"$group_0\\\":\\\"acme\\\"}\"}"));
    // The visitor's page is u1's and acme's, as the $identify event says; that event is kept as PostHog keeps it.
    assertAccountedFor("posthog.conf", lake, 9, 5, 1,
        Map.of("MISSING_ACCOUNT_ID", 1L, "UNPARSEABLE_TIMESTAMP", 1L, "MALFORMED_RECORD", 1L),
        KEPT_STITCHED.replace("09:00:00')",
            "09:00:00'),\n        ('acme', 'u1', '$identify', TIMESTAMP '2026-03-01 09:05:00')"));
  }

  @Test
  void snowplowsEnrichedEventsAsTheLoaderWritesThem() {
    Path lake = tempDir("pql-snowplow");
    // atomic.events as the warehouse loader writes them: structured events as event_name 'event' with se_action,
    // derived_tstamp the event's time, collector_tstamp its arrival, the workspace in a context column; a page view
    // keeps its own name. A duplicate event_id is the same event collected twice. (Parquet has no malformed line:
    // an event without its time stands in for it.)
    spark.sql("""
        SELECT event_id, event_name, se_category, se_action, user_id, domain_userid, derived_tstamp,
               collector_tstamp, IF(workspace IS NULL, CAST(array() AS ARRAY<STRUCT<id: STRING>>),
                                    array(named_struct('id', workspace))) AS contexts_com_acme_workspace_1
        FROM VALUES
          ('e-1', 'event', 'messaging', 'Message Sent', 'u1', 'd1', TIMESTAMP '2026-03-01 10:00:00',
           TIMESTAMP '2026-03-01 10:00:01', 'acme'),
          ('e-1', 'event', 'messaging', 'Message Sent', 'u1', 'd1', TIMESTAMP '2026-03-01 10:00:00',
           TIMESTAMP '2026-03-01 10:05:00', 'acme'),
          ('e-2', 'Dashboard Viewed', CAST(NULL AS STRING), CAST(NULL AS STRING), CAST(NULL AS STRING), 'd2',
           TIMESTAMP '2026-03-01 11:30:00', TIMESTAMP '2026-03-01 11:30:01', 'acme'),
          ('e-3', 'event', 'messaging', 'Message Sent', 'u9', 'd9', TIMESTAMP '2026-03-01 12:00:00',
           TIMESTAMP '2026-03-01 12:00:01', CAST(NULL AS STRING)),
          ('e-4', 'event', 'messaging', 'Message Sent', 'u1', 'd1', CAST(NULL AS TIMESTAMP),
           TIMESTAMP '2026-03-01 12:30:00', 'acme'),
          ('e-5', 'event', 'billing', 'Plan Upgraded', 'u7', 'd7', TIMESTAMP '2026-03-02 08:15:00',
           TIMESTAMP '2026-03-02 08:15:02', 'globex'),
          ('e-6', 'Page Viewed', CAST(NULL AS STRING), CAST(NULL AS STRING), CAST(NULL AS STRING), 'd1',
           TIMESTAMP '2026-03-01 09:00:00', TIMESTAMP '2026-03-01 09:00:01', CAST(NULL AS STRING))
          AS t(event_id, event_name, se_category, se_action, user_id, domain_userid, derived_tstamp,
               collector_tstamp, workspace)""").write().parquet(lake.resolve("snowplow/events").toString());
    assertAccountedFor("snowplow.conf", lake, 7, 4, 1, Map.of("MISSING_ACCOUNT_ID", 1L, "MISSING_TIMESTAMP", 1L),
        KEPT_STITCHED);
  }

  @Test
  void segmentsIdentifiesLinkVisitorsToUsersWithTheirOwnAccounting() {
    Path lake = tempDir("pql-segment");
    // tracks as Segment's warehouse loader writes them: a visitor's two pages before logging in, with the anonymous id
    // alone (no user, no group); the identifies table links each visitor to a user, and the groups table (Segment's
    // group calls, as the users table) puts each user in an account.
    spark.sql("""
        SELECT * FROM VALUES
          ('t1', 'a1', 'u1', 'Message Sent', TIMESTAMP '2026-03-01 10:00:00', 'acme'),
          ('t2', 'v1', CAST(NULL AS STRING), 'Page Viewed', TIMESTAMP '2026-03-01 09:00:00', CAST(NULL AS STRING)),
          ('t3', 'v2', CAST(NULL AS STRING), 'Pricing Viewed', TIMESTAMP '2026-03-01 09:30:00', CAST(NULL AS STRING))
          AS t(id, anonymous_id, user_id, event, `timestamp`, context_group_id)""")
        .withColumn("received_at", org.apache.spark.sql.functions.col("timestamp"))
        .write().parquet(lake.resolve("segment/tracks").toString());
    // Six identify calls: v1 logs in as u1 (twice: the earlier call is the link), v2 as u7; three cannot be used.
    spark.sql("""
        SELECT * FROM VALUES
          ('i1', 'v1', 'u1', TIMESTAMP '2026-03-01 09:10:00'),
          ('i2', 'v2', 'u7', TIMESTAMP '2026-03-01 09:40:00'),
          ('i3', CAST(NULL AS STRING), 'u8', TIMESTAMP '2026-03-01 09:50:00'),
          ('i4', 'v4', '', TIMESTAMP '2026-03-01 09:55:00'),
          ('i5', 'v5', 'u5', CAST(NULL AS TIMESTAMP)),
          ('i6', 'v1', 'u1', TIMESTAMP '2026-03-01 09:20:00')
          AS t(id, anonymous_id, user_id, `timestamp`)""").write().parquet(lake.resolve("segment/identifies").toString());
    spark.sql("SELECT * FROM VALUES ('g1', 'u1', 'acme'), ('g2', 'u7', 'globex') AS t(id, user_id, group_id)")
        .write().parquet(lake.resolve("segment/groups").toString());
    DeltaStore store = new DeltaStore(spark, lake.resolve("warehouse").toString());
    Settings settings = SettingsLoader.load(null, new File("conf/mappings/segment-warehouse.conf"), Map.of(
        "pql.ingest.lake", lake.toString(), "pql.warehouse", store.warehouse(), "pql.ingest.accounts.source", "none"));
    for (String run : List.of("first", "again")) {
      IngestJob.Result r = IngestJob.run(new StageContext(spark, store, new RunLog(spark, store, run, "ingest"),
          NOW), settings);
      // The rerun reads no track again (no new file); it reads the identities again, a full table.
      assertEquals(List.of(run.equals("first") ? 3L : 0L, 0L), List.of(r.eventRowsRead(), r.eventsRejected()),
          run + ": tracks read, rejected");
      // The identities' own accounting: read 6 = 3 links + 3 rejected, the same again on a rerun.
      assertEquals(List.of(6L, 3L, 3L), store.read(Tables.PIPELINE_RUNS)
          .filter("run_id = '" + run + "' AND stage = 'ingest.identities' AND status = 'succeeded'")
          .selectExpr("explode(array(rows_in, rows_out, rows_rejected))").as(org.apache.spark.sql.Encoders.LONG())
          .collectAsList(), run + ": identities read, links, rejected");
      assertSameRows(spark.sql("""
          SELECT * FROM VALUES ('pql.ingest.identities', 'MISSING_ANONYMOUS_ID'),
            ('pql.ingest.identities', 'MISSING_USER_ID'), ('pql.ingest.identities', 'MISSING_TIMESTAMP')
            AS t(source, reason)"""), store.read(Tables.EVENTS_REJECTED).select("source", "reason"));
    }
    // The visitors' pages are their users' and their users' accounts'; v1's link is its first identify call.
    assertSameRows(spark.sql("""
        SELECT * FROM VALUES ('acme', 'u1', 'Message Sent'), ('acme', 'u1', 'Page Viewed'),
          ('globex', 'u7', 'Pricing Viewed') AS t(account_id, user_id, event)"""),
        store.read(Tables.EVENTS).select("account_id", "user_id", "event"));
    assertSameRows(spark.sql("""
        SELECT * FROM VALUES ('a1', 'u1', 'acme', TIMESTAMP '2026-03-01 10:00:00'),
          ('v1', 'u1', 'acme', TIMESTAMP '2026-03-01 09:10:00'), ('v2', 'u7', 'globex', TIMESTAMP '2026-03-01 09:40:00')
          AS t(anonymous_id, user_id, account_id, first_seen_at)"""),
        store.read(Tables.IDENTITY_LINKS).select("anonymous_id", "user_id", "account_id", "first_seen_at"));
  }

  private void assertAccountedFor(String mapping, Path lake, long read, long kept, long duplicates,
      Map<String, Long> rejected) {
    assertAccountedFor(mapping, lake, read, kept, duplicates, rejected, KEPT);
  }

  /** Ingests the sample through the mapping (no account table: accounts are the events') and checks every row. */
  private void assertAccountedFor(String mapping, Path lake, long read, long kept, long duplicates,
      Map<String, Long> rejected, String keptRows) {
    DeltaStore store = new DeltaStore(spark, lake.resolve("warehouse").toString());
    Settings settings = SettingsLoader.load(null, new File("conf/mappings/" + mapping), Map.of(
        "pql.ingest.lake", lake.toString(), "pql.warehouse", store.warehouse(),
        "pql.ingest.accounts.source", "none"));
    IngestJob.Result r = IngestJob.run(new StageContext(spark, store, new RunLog(spark, store, "sample", "ingest"),
        NOW), settings);
    assertEquals(List.of(read, kept, duplicates), List.of(r.eventRowsRead(), r.eventsWritten(), r.eventsDuplicate()),
        mapping + ": rows read, kept, duplicates");
    assertEquals(read, r.eventsWritten() + r.eventsDuplicate() + r.eventsRejected(), "every row accounted for");
    assertEquals(rejected, r.rejectedByReason(), mapping + ": rejected by reason");
    assertSameRows(spark.sql(keptRows), store.read(Tables.EVENTS).select("account_id", "user_id", "event", "ts"));
    if (rejected.containsKey("MALFORMED_RECORD")) {
      // Every sample's malformed record is its sixth line, found again in the file Spark named by its URI.
      assertEquals(List.of(6L), store.read(Tables.EVENTS_REJECTED).filter("reason = 'MALFORMED_RECORD'")
          .select("source_line").collectAsList().stream().map(line -> line.getLong(0)).toList(), mapping + ": its line");
    }
  }

  private static void lines(Path file, List<String> lines) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, String.join("\n", lines) + "\n");
  }

  private static void gzipLines(Path file, List<String> lines) throws IOException {
    Files.createDirectories(file.getParent());
    try (var out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write((String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
    }
  }
}
