package dev.pql.features;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pql.SparkTestBase;
import dev.pql.config.Settings;
import dev.pql.config.SettingsLoader;
import dev.pql.ingest.IngestJob;
import dev.pql.io.DeltaStore;
import dev.pql.io.RunLog;
import dev.pql.io.StageContext;
import dev.pql.io.Tables;
import dev.pql.scoring.ScoreJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * Firmographics from a third party (pql.ingest.enrichment): a vendor export ingested by configuration, every row
 * accounted for; its rows reach a snapshot at D only when valid before D; the account source wins where both say
 * (or the enrichment, by configuration); a definition can filter on them.
 */
@dev.pql.InterpretedExpressions
class EnrichmentTest extends SparkTestBase {
  static final Instant NOW = Instant.parse("2026-03-01T00:00:00Z");

  @Test
  void aVendorExportIsIngestedByConfigurationEveryRowAccountedFor() throws Exception {
    Path root = tempDir("pql-enrichment-ingest");
    // Two events of one account, as the generic layout has them.
    spark.sql("""
        SELECT * FROM VALUES ('e1', 'a0', 'u0', 'Message Sent', TIMESTAMP '2026-02-02 10:00:00'),
                             ('e2', 'a0', 'u0', 'Message Sent', TIMESTAMP '2026-02-03 10:00:00')
          AS t(event_id, account_id, user_id, event, ts)""").write().parquet(root.resolve("lake/events").toString());
    // A Clearbit-style export, written by hand: 6 rows = 3 kept + 2 rejected + 1 repeat of a kept domain and time.
    Path export = Files.createDirectories(root.resolve("lake/clearbit")).resolve("companies.csv");
    Files.writeString(export, String.join("\n",
        "company_domain,enriched_on,metrics_employees,category_industry,geo_country,metrics_revenue_band,founded",
        "Acme.io,2026-02-01T00:00:00Z,40,Software,US,$1M-$10M,2015",
        "acme.io,2026-02-10T12:00:00Z,120,Software,US,$10M-$50M,2015",
        "globex.com,2026-02-20T00:00:00Z,5000,Manufacturing,DE,$1B+,1950",
        ",2026-02-01T00:00:00Z,10,Retail,FR,$0-$1M,2020",
        "initech.com,not a date,300,Software,US,$10M-$50M,1990",
        "globex.com,2026-02-20T00:00:00Z,5000,Manufacturing,DE,$1B+,1950", ""));
    DeltaStore store = new DeltaStore(spark, root.resolve("warehouse").toString());
    Settings settings = SettingsLoader.load(null, null, new TreeMap<>(Map.ofEntries(
        Map.entry("pql.warehouse", store.warehouse()),
        Map.entry("pql.ingest.events.path", root.resolve("lake/events").toString()),
        Map.entry("pql.ingest.events.columns.properties", ""), Map.entry("pql.ingest.accounts.source", "none"),
        Map.entry("pql.ingest.enrichment.path", export.toString()),
        Map.entry("pql.ingest.enrichment.columns.domain", "company_domain"),
        Map.entry("pql.ingest.enrichment.columns.valid-from", "enriched_on"),
        Map.entry("pql.ingest.enrichment.columns.employees", "metrics_employees"),
        Map.entry("pql.ingest.enrichment.columns.industry", "category_industry"),
        Map.entry("pql.ingest.enrichment.columns.country", "geo_country"),
        Map.entry("pql.ingest.enrichment.columns.revenue-band", "metrics_revenue_band"),
        Map.entry("pql.ingest.enrichment.columns.founded-year", "founded"))));
    IngestJob.run(new StageContext(spark, store, new RunLog(spark, store, "ingest-1", "ingest"), NOW), settings);

    assertSameRows(spark.sql("""
        SELECT * FROM VALUES
          ('acme.io', TIMESTAMP '2026-02-01 00:00:00', 40, 'Software', 'US', '$1M-$10M', 2015),
          ('acme.io', TIMESTAMP '2026-02-10 12:00:00', 120, 'Software', 'US', '$10M-$50M', 2015),
          ('globex.com', TIMESTAMP '2026-02-20 00:00:00', 5000, 'Manufacturing', 'DE', '$1B+', 1950)
          AS t(domain, valid_from, employees, industry, country, revenue_band, founded_year)"""),
        store.read(Tables.ENRICHMENT).drop("ingested_at", "run_id"));
    assertSameRows(spark.sql("""
        SELECT * FROM VALUES
          ('pql.ingest.enrichment', 'MISSING_DOMAIN', 'domain is empty (pql.ingest.enrichment.columns.domain)'),
          ('pql.ingest.enrichment', 'MISSING_TIMESTAMP', 'valid-from time is empty or not a date-time '
           || '(pql.ingest.enrichment.columns.valid-from)') AS t(source, reason, detail)"""),
        store.read(Tables.EVENTS_REJECTED).select("source", "reason", "detail"));
    Row logged = store.read(Tables.PIPELINE_RUNS).filter("stage = 'ingest.enrichment'").first();
    assertEquals(List.of(6L, 3L, 2L, 1L), List.of(logged.getAs("rows_in"), logged.getAs("rows_out"),
        logged.getAs("rows_rejected"), logged.getAs("rows_duplicate")), "read = kept + rejected + repeated");

    // The export read again unchanged writes nothing; the rejected rows are not stored twice.
    long version = io.delta.tables.DeltaTable.forPath(spark, store.location(Tables.ENRICHMENT.name())).history(1)
        .first().getLong(0);
    IngestJob.run(new StageContext(spark, store, new RunLog(spark, store, "ingest-2", "ingest"), NOW), settings);
    assertEquals(version, io.delta.tables.DeltaTable.forPath(spark, store.location(Tables.ENRICHMENT.name()))
        .history(1).first().getLong(0), "no new version of enrichment");
    assertEquals(2, store.read(Tables.EVENTS_REJECTED).count());
  }

  @Test
  void aRevenueBandDatedAfterDNeverReachesTheSnapshotAtDAndADefinitionOnItQualifiesOnlyThoseAccounts()
      throws Exception {
    DeltaStore store = new DeltaStore(spark, tempDir("pql-enrichment").toString());
    // a0 (acme.io, 40 employees in the account source), a1 (globex.com), a2 (no domain): a message a day each.
    store.insertNew(Tables.EVENTS, spark.sql("""
        SELECT concat('e', id) AS event_id, concat('a', id % 3) AS account_id, 'u' AS user_id, 'Message Sent' AS event,
               ts, to_date(ts) AS event_date, TIMESTAMP '2026-03-01 00:00:00' AS ingested_at, 'r' AS run_id,
               CAST(NULL AS MAP<STRING, STRING>) AS properties, CAST(NULL AS TIMESTAMP) AS received_at,
               CAST(NULL AS STRING) AS anonymous_id
        FROM (SELECT id, TIMESTAMP '2026-02-01 09:00:00' + make_interval(0, 0, 0, CAST(id / 3 AS INT), 0, 0, 0) AS ts
              FROM range(0, 75))"""));
    store.insertNew(Tables.ACCOUNTS, spark.sql("""
        SELECT account_id, TIMESTAMP '2026-02-01 00:00:00' AS valid_from, CAST(NULL AS TIMESTAMP) AS valid_to,
               true AS is_current, TIMESTAMP '2026-02-01 00:00:00' AS signup_at, CAST(NULL AS STRING) AS name,
               'free' AS plan, email_domain, employees, CAST(NULL AS STRING) AS industry,
               CAST(NULL AS STRING) AS country, CAST(NULL AS STRING) AS timezone,
               TIMESTAMP '2026-03-01 00:00:00' AS ingested_at, 'r' AS run_id
        FROM VALUES ('a0', 'acme.io', 40), ('a1', 'globex.com', CAST(NULL AS INT)),
                    ('a2', CAST(NULL AS STRING), CAST(NULL AS INT)) AS t(account_id, email_domain, employees)"""));
    // acme.io grows past $10M on 2026-02-10 at noon; globex.com is enriched only on 2026-02-20.
    store.insertNew(Tables.ENRICHMENT, spark.sql("""
        SELECT domain, valid_from, employees, 'Software' AS industry, 'US' AS country, revenue_band,
               2015 AS founded_year, TIMESTAMP '2026-03-01 00:00:00' AS ingested_at, 'r' AS run_id
        FROM VALUES ('acme.io', TIMESTAMP '2026-02-01 00:00:00', 40, '$1M-$10M'),
                    ('acme.io', TIMESTAMP '2026-02-10 12:00:00', 120, '$10M-$50M'),
                    ('globex.com', TIMESTAMP '2026-02-20 00:00:00', 5000, '$10M-$50M')
          AS t(domain, valid_from, employees, revenue_band)"""));
    Path definitions = tempDir("pql-definitions");
    Files.writeString(definitions.resolve("big-revenue.conf"), "name = big-revenue\nversion = \"1\"\n"
        + "type = usage\nwhen = \"revenue_band = '$10M-$50M' AND cnt_total__message_sent >= 1\"\n");
    List<LocalDate> dates = List.of(LocalDate.parse("2026-02-10"), LocalDate.parse("2026-02-16"));
    Settings settings = SettingsLoader.load(null, null, Map.of("pql.warehouse", store.warehouse(),
        "pql.scoring.definitions", definitions.toString(), "pql.features.key-events", "[\"Message Sent\"]"));
    FeaturesJob.run(new StageContext(spark, store, new RunLog(spark, store, "features-1", "features"), NOW),
        settings.features(), settings.domains(), dates);

    // At 02-10 00:00 acme.io's second row is 12 hours away: the first holds. globex.com has none before 02-20.
    // Employees: the account source's 40 for a0, the enrichment's where the source has none (a1 at 02-16: none yet).
    assertSameRows(spark.sql("""
        SELECT * FROM VALUES
          ('a0', DATE '2026-02-10', 40, '$1M-$10M', 2015, 'Software', 'small'),
          ('a0', DATE '2026-02-16', 40, '$10M-$50M', 2015, 'Software', 'small'),
          ('a1', DATE '2026-02-10', CAST(NULL AS INT), CAST(NULL AS STRING), CAST(NULL AS INT), CAST(NULL AS STRING),
           CAST(NULL AS STRING)),
          ('a1', DATE '2026-02-16', NULL, NULL, NULL, NULL, NULL),
          ('a2', DATE '2026-02-10', NULL, NULL, NULL, NULL, NULL),
          ('a2', DATE '2026-02-16', NULL, NULL, NULL, NULL, NULL)
          AS t(account_id, as_of_date, employees, revenue_band, founded_year, industry, size_band)"""),
        FeatureStore.snapshots(store).select("account_id", "as_of_date", "employees", "revenue_band",
            "founded_year", "industry", "size_band"));

    // The definition on the band qualifies a0 on 02-16 alone: not before its band changed, and never a1.
    ScoreJob.run(new StageContext(spark, store, new RunLog(spark, store, "score-1", "score"), NOW),
        settings.withoutLearned(), dates);
    assertSameRows(spark.sql("SELECT 'a0' AS account_id, DATE '2026-02-16' AS first_qualified_on"),
        store.read(Tables.PQL_QUALIFICATIONS).filter("definition_name = 'big-revenue'")
            .select("account_id", "first_qualified_on"));

    // The metrics split by revenue band: each domain's first band (globex.com's too, though dated after its
    // events: a segment describes the company, it predicts nothing), unknown for the account without a domain.
    Settings segmented = SettingsLoader.load(null, null, Map.of("pql.warehouse", store.warehouse(),
        "pql.scoring.definitions", definitions.toString(), "pql.features.key-events", "[\"Message Sent\"]",
        "pql.metrics.segments", "[revenue_band]"));
    dev.pql.metrics.MetricsJob.run(new StageContext(spark, store, new RunLog(spark, store, "metrics-1", "metrics"),
        NOW), segmented);
    assertEquals(List.of("$10M-$50M", "$1M-$10M", "unknown"), store.read(Tables.PQL_METRICS)
        .filter("segment_by = 'revenue_band'").select("segment").distinct().orderBy("segment").collectAsList().stream().map(r -> r.getString(0)).toList());

    // With the enrichment preferred, its 120 employees make acme.io mid-sized from 02-10 noon.
    Settings preferred = SettingsLoader.load(null, null, Map.of("pql.warehouse", store.warehouse(),
        "pql.ingest.enrichment.prefer", "enrichment", "pql.features.key-events", "[\"Message Sent\"]"));
    assertSameRows(spark.sql("""
        SELECT * FROM VALUES ('a0', DATE '2026-02-10', 40, 'small'), ('a0', DATE '2026-02-16', 120, 'mid')
          AS t(account_id, as_of_date, employees, size_band)"""),
        FeatureStore.snapshotsAt(store, preferred.features(), preferred.domains(), spark.sql(
            "SELECT * FROM VALUES ('a0', DATE '2026-02-10'), ('a0', DATE '2026-02-16') AS t(account_id, as_of_date)"))
            .select("account_id", "as_of_date", "employees", "size_band"));
  }
}
