package dev.pql.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pql.SparkTestBase;
import dev.pql.config.Settings;
import dev.pql.config.SettingsLoader;
import dev.pql.io.DeltaStore;
import dev.pql.io.RunLog;
import dev.pql.io.StageContext;
import dev.pql.io.Tables;
import dev.pql.metrics.MetricsJob;
import dev.pql.model.TrainingSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Encoders;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One definition of an open account, on hand-made rows: three accounts on a free plan in four weekly snapshots
 * from 2026-03-02, whose plan history never changes. {@code billed} converts by a "Plan Upgraded" event on
 * 2026-03-10 (billing changed the plan, the product's plan stayed free); {@code moved} converts by a plan change on
 * 2026-03-17 and its snapshots say "team" from then on; {@code open} never converts. The definition {@code busy}
 * (x >= 5) first matches {@code billed} on 2026-03-16, after it paid, and the other two from the first snapshot.
 */
class OpenAccountsTest extends SparkTestBase {
  static Settings settings;
  static DeltaStore store;

  @BeforeAll
  static void warehouse() throws Exception {
    Path definitions = tempDir("pql-open-definitions");
    Files.writeString(definitions.resolve("busy.conf"),
        "name = busy\nversion = \"1\"\ntype = usage\nwhen = \"x >= 5\"\n");
    store = new DeltaStore(spark, tempDir("pql-open").toString());
    settings = SettingsLoader.load(null, null, Map.of("pql.warehouse", store.warehouse(),
        "pql.scoring.definitions", definitions.toString(), "pql.scoring.learned", "false",
        "pql.metrics.segments", "[]"));
    spark.sql("""
        SELECT account_id, date_add(DATE '2026-03-02', 7 * week) AS as_of_date,
               CASE WHEN account_id = 'billed' AND week < 2 THEN 1 ELSE 9 END AS x,
               CAST(0.0 AS DOUBLE) AS activation_share, 'small' AS size_band, 'corporate' AS domain_class,
               CASE WHEN account_id = 'moved' AND week >= 3 THEN 'team' ELSE 'free' END AS plan
        FROM VALUES ('billed'), ('moved'), ('open') AS a(account_id)
        CROSS JOIN (SELECT explode(sequence(0, 3)) AS week)""")
        .write().format("delta").save(store.warehouse() + "/account_features");
    store.insertNew(Tables.CONVERSIONS, spark.sql("""
        SELECT * FROM VALUES
          ('billed', TIMESTAMP '2026-03-10 15:00:00', 'free', 'paid', true, 'event'),
          ('moved', TIMESTAMP '2026-03-17 09:00:00', 'free', 'team', true, 'plan-history')
          AS c(account_id, converted_at, from_plan, to_plan, is_first, source)""")
        .selectExpr("*", "TIMESTAMP '2026-04-20 00:00:00' AS ingested_at", "'r' AS run_id"));
    store.insertNew(Tables.ACCOUNTS, spark.sql("""
        SELECT account_id, TIMESTAMP '2026-02-01 00:00:00' AS valid_from, CAST(NULL AS TIMESTAMP) AS valid_to,
               true AS is_current, TIMESTAMP '2026-02-01 00:00:00' AS signup_at, account_id AS name, 'free' AS plan,
               'example.com' AS email_domain, 5 AS employees, 'software' AS industry, 'US' AS country,
               'UTC' AS timezone,
               TIMESTAMP '2026-04-20 00:00:00' AS ingested_at, 'r' AS run_id
        FROM VALUES ('billed'), ('moved'), ('open') AS a(account_id)"""));
    lastEventOn(store, "2026-04-19");
  }

  private static StageContext context(String runId) {
    return new StageContext(spark, store, new RunLog(spark, store, runId, "score"), Instant.now());
  }

  @Test
  void anAccountThatConvertedIsNeverScoredQualifiedLabelledOrCountedAfterItsConversion() {
    List<LocalDate> dates = List.of(LocalDate.parse("2026-03-02"), LocalDate.parse("2026-03-09"),
        LocalDate.parse("2026-03-16"), LocalDate.parse("2026-03-23"));
    ScoreJob.run(context("score"), settings, dates);

    assertEquals(List.of("billed 2026-03-02", "billed 2026-03-09", "moved 2026-03-02", "moved 2026-03-09",
            "moved 2026-03-16", "open 2026-03-02", "open 2026-03-09", "open 2026-03-16", "open 2026-03-23"),
        store.read(Tables.PQL_SCORES).selectExpr("concat(account_id, ' ', as_of_date) AS r").orderBy("r")
            .as(Encoders.STRING()).collectAsList(), "billed after 03-10 and moved after 03-17 are not open");
    assertEquals(List.of("moved", "open"), store.read(Tables.PQL_QUALIFICATIONS).select("account_id").distinct()
        .orderBy("account_id").as(Encoders.STRING()).collectAsList(), "billed matched busy only after it paid");
    assertEquals(List.of("moved", "open"), store.read(Tables.PQL_NEW).select("account_id").orderBy("account_id")
        .as(Encoders.STRING()).collectAsList());

    assertEquals(List.of("billed 2026-03-02 0.0", "billed 2026-03-09 1.0", "moved 2026-03-02 0.0",
            "moved 2026-03-09 0.0", "moved 2026-03-16 1.0", "open 2026-03-02 0.0", "open 2026-03-09 0.0",
            "open 2026-03-16 0.0", "open 2026-03-23 0.0"),
        TrainingSet.label(spark.read().format("delta").load(store.warehouse() + "/account_features"),
                store.read(Tables.CONVERSIONS), settings.plans().free(), 7, LocalDate.parse("2026-04-20"))
            .selectExpr("concat(account_id, ' ', as_of_date, ' ', label) AS r").orderBy("r").as(Encoders.STRING())
            .collectAsList(), "training labels the same open rows: an upgrade within 7 days is a positive");

    MetricsJob.run(context("metrics"), settings);
    assertEquals(2L, store.read(Tables.PQL_METRICS).filter("period_type = 'week' AND segment_by = 'all' "
            + "AND definition_name = 'busy'").agg(org.apache.spark.sql.functions.sum("new_pqls")).first().getLong(0),
        "the week's new PQLs count moved and open, never billed");
  }
}
