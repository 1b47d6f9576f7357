package dev.pql.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.SparkTestBase;
import dev.pql.config.Settings;
import dev.pql.config.SettingsLoader;
import dev.pql.io.DeltaStore;
import dev.pql.io.RunLog;
import dev.pql.io.StageContext;
import dev.pql.io.Tables;
import dev.pql.model.TrainJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The score stage on a synthetic warehouse: 12,000 free accounts in twelve weekly snapshots from 2026-01-05
 * (1,000 each), upgrading 5 days after their snapshot with probability 2% plus 25 points when x >= 700. A model
 * is trained on it, then the last snapshot (2026-03-23) is scored with two rules — big-x (x >= 900, usage) and
 * asked (z >= 990, hand-raiser) —, the 20 most likely accounts and the activation bars (small 0.75, mid 0.6,
 * large 0.35; a listed enterprise domain is large).
 */
class ScoreJobTest extends SparkTestBase {
  static final LocalDate AS_OF = LocalDate.parse("2026-03-23");
  static Settings settings;
  static DeltaStore store;

  @BeforeAll
  static void trainedWarehouse() throws Exception {
    Path definitions = tempDir("pql-definitions");
    Files.writeString(definitions.resolve("big-x.conf"),
        "name = big-x\nversion = \"1\"\ntype = usage\nwhen = \"x >= 900\"\n");
    Files.writeString(definitions.resolve("asked.conf"),
        "name = asked\nversion = \"3\"\ntype = hand-raiser\nwhen = \"z >= 990\"\n");
    Files.writeString(definitions.resolve("retired.conf"),
        "name = retired\nversion = \"1\"\ntype = usage\nwhen = \"x >= 0\"\nactive = false\n");
    store = new DeltaStore(spark, tempDir("pql-score").toString());
    settings = SettingsLoader.load(null, null, Map.of("pql.warehouse", store.warehouse(),
        "pql.model.reg-params", "[0.01]", "pql.model.min-support", "100", "pql.model.calibration-days", "7",
        // Snapshots without daily tables, upgrades 5 days after: the driver rows are the snapshots on a 7-day horizon.
        "pql.model.driver-horizon-days", "7",
        // One step is the whole truth here, so the model cannot beat the rule on it: the gate would withhold it.
        "pql.model.gate.enabled", "false",
        "pql.scoring.definitions", definitions.toString(), "pql.scoring.top-k", "20"));
    spark.sql("""
        SELECT concat('a', id) AS account_id, date_add(DATE '2026-01-05', CAST(7 * (id % 12) AS INT)) AS as_of_date,
               CAST(pmod(xxhash64(id, 1), 1000) AS BIGINT) AS x,
               CAST(pmod(xxhash64(id, 2), 1000) AS BIGINT) AS z,
               (pmod(xxhash64(id, 5), 1000000) / 1000000.0) AS u,
               CAST(pmod(xxhash64(id, 3), 5) * 0.25 AS DOUBLE) AS activation_share,
               CASE pmod(xxhash64(id, 4), 3) WHEN 0 THEN 'small' WHEN 1 THEN 'mid' ELSE 'large' END AS size_band,
               CASE WHEN id % 7 = 0 THEN 'enterprise' ELSE 'corporate' END AS domain_class,
               CAST(30 AS INT) AS days_since_signup,
               CASE WHEN id % 3 = 0 THEN 'trial' ELSE 'free' END AS plan
        FROM range(0, 12000)""")
        .selectExpr("*", "u < 0.02 + CASE WHEN x >= 700 THEN 0.25 ELSE 0 END AS upgrades")
        .createOrReplaceTempView("synthetic");
    spark.sql("""
        SELECT account_id, as_of_date, x, z, activation_share, size_band, domain_class, days_since_signup, plan
        FROM synthetic""").write().format("delta").save(store.warehouse() + "/account_features");
    store.insertNew(Tables.CONVERSIONS, spark.sql("""
        SELECT account_id, CAST(date_add(as_of_date, 5) AS TIMESTAMP) AS converted_at, plan AS from_plan,
               'team' AS to_plan, true AS is_first, 'plan-history' AS source,
               TIMESTAMP '2026-05-08 00:00:00' AS ingested_at, 'r' AS run_id
        FROM synthetic WHERE upgrades"""));
    lastEventOn(store, "2026-05-06");
    TrainJob.run(new StageContext(spark, store, new RunLog(spark, store, "train-1", "train"),
        Instant.parse("2026-05-08T00:00:00Z")), settings.model(), settings.features(), settings.domains(),
        settings.plans().free(), List.of());
  }

  private static StageContext context(DeltaStore store, String runId) {
    return new StageContext(spark, store, new RunLog(spark, store, runId, "score"), Instant.now());
  }

  private static ScoreJob.Result score(String runId) {
    return ScoreJob.run(context(store, runId), settings, List.of());
  }

  @Test
  void scoresEveryOpenAccountOnEachPathExplainsItAndARerunChangesNothing() {
    ScoreJob.Result first = score("score-1");
    assertEquals(AS_OF, first.asOf(), "the latest snapshot");
    assertEquals(List.of("asked", "big-x"), first.definitions(), "active definitions only, in file order");
    assertEquals("train-1:top-k=20", first.learnedVersion());

    Dataset<Row> scores = store.read(Tables.PQL_SCORES).filter("as_of_date = DATE '2026-03-23'").cache();
    assertEquals(1000, scores.count());
    // Each path against its answer worked out from the synthetic columns.
    Dataset<Row> truth = spark.sql("""
        SELECT account_id, x, x >= 900 AS big_x, z >= 990 AS asked,
               activation_share >= CASE WHEN domain_class = 'enterprise' OR size_band = 'large' THEN 0.35
                                        WHEN size_band = 'mid' THEN 0.6 ELSE 0.75 END AS activated
        FROM synthetic WHERE as_of_date = DATE '2026-03-23'""");
    Dataset<Row> joined = scores.join(truth, "account_id");
    assertEquals(0, joined.filter("array_contains(rules_matched, 'big-x') <> big_x").count());
    assertEquals(0, joined.filter("array_contains(rules_matched, 'asked') <> asked").count());
    assertEquals(0, joined.filter("array_contains(sources, 'activation') <> activated").count());
    assertEquals(0, joined.filter("is_pql <> (big_x OR asked OR activated OR array_contains(sources, 'learned'))")
        .count());
    assertEquals(0, joined.filter("asked AND pql_type <> 'hand-raiser'").count(), "a hand-raiser comes first");
    assertEquals(0, joined.filter("is_pql AND NOT asked AND pql_type <> 'usage'").count());
    assertEquals(0, joined.filter("size(sources) > 1 AND source <> 'several'").count());

    // The learned path: exactly the 20 most likely, explained by x, the feature that carries the signal.
    List<Row> learned = scores.filter("array_contains(sources, 'learned')").collectAsList();
    assertEquals(20, learned.size());
    double lowestLearned = learned.stream().mapToDouble(r -> r.<Double>getAs("probability")).min().orElseThrow();
    assertEquals(0, scores.filter("NOT array_contains(sources, 'learned') AND probability > " + lowestLearned).count());
    for (Row r : learned) {
      List<Row> reasons = r.getList(r.fieldIndex("reasons"));
      Row top = reasons.stream().filter(x -> x.getAs("source").equals("learned")).findFirst().orElseThrow();
      assertEquals("x", top.getAs("feature"), reasons.toString());
      assertEquals(String.valueOf((long) joined.filter("account_id = '" + r.getAs("account_id") + "'")
          .select("x").first().getLong(0)), top.getAs("value"));
      assertTrue(top.<Double>getAs("contribution") > 0);
      // In probability terms: the margin less the net contribution, through the logistic function, to 3 figures.
      double p = r.getAs("probability");
      double without = 1 / (1 + Math.exp(-(Math.log(p / (1 - p)) - top.<Double>getAs("contribution"))));
      // The stored contribution is rounded too: up to 0.005 in log-odds, 0.5% of the probability.
      assertEquals(without, top.<Double>getAs("probability_without"), 0.006 * without, top.toString());
      assertTrue(top.<Double>getAs("probability_without") < p);
      List<String> behaviours = reasons.stream().filter(x -> x.getAs("source").equals("learned"))
          .map(x -> x.<String>getAs("behaviour")).toList();
      assertEquals(behaviours.stream().distinct().toList(), behaviours, "each behaviour once");
    }
    // The least likely account is explained too: x pulls it down, and without that it would be likelier.
    Row least = scores.orderBy("probability").first();
    Row down = least.<Row>getList(least.fieldIndex("reasons")).stream()
        .filter(x -> x.getAs("source").equals("learned")).findFirst().orElseThrow();
    assertEquals("x", down.getAs("behaviour"));
    assertTrue(down.<Double>getAs("contribution") < 0, down.toString());
    assertTrue(down.<Double>getAs("probability_without") > least.<Double>getAs("probability"), down.toString());
    assertEquals(0, scores.filter("is_pql AND first_qualified_on <> DATE '2026-03-23'").count());
    assertEquals(0, scores.filter("NOT is_pql AND (first_qualified_on IS NOT NULL OR size(reasons) > 0 "
        + "AND exists(reasons, r -> r.source <> 'learned'))").count(), "no path, no rule or activation reason");

    long pqls = scores.filter("is_pql").count();
    assertEquals(pqls, first.pqls());
    assertEquals(pqls, first.newPqls());
    assertEquals(pqls, store.read(Tables.PQL_NEW).filter("qualified_on = DATE '2026-03-23'").count());
    long qualifications = store.read(Tables.PQL_QUALIFICATIONS)
        .filter("first_qualified_on = DATE '2026-03-23'").count();
    assertEquals(joined.filter("big_x").count() + joined.filter("asked").count() + 20
        + joined.filter("activated").count(), qualifications, "one row per account and qualifying definition");

    // A rerun of the same date: same rows and values, nothing new.
    List<Row> before = scores.orderBy("account_id").collectAsList();
    List<Row> qualificationsBefore = store.read(Tables.PQL_QUALIFICATIONS)
        .orderBy("account_id", "definition_name", "definition_version").collectAsList();
    List<Row> newBefore = store.read(Tables.PQL_NEW).orderBy("account_id").collectAsList();
    scores.unpersist();
    ScoreJob.Result second = score("score-2");
    assertEquals(0, second.newPqls());
    List<Row> after = store.read(Tables.PQL_SCORES).filter("as_of_date = DATE '2026-03-23'").orderBy("account_id")
        .collectAsList();
    assertEquals(before.size(), after.size());
    for (int i = 0; i < before.size(); i++) {
      Row b = before.get(i);
      Row a = after.get(i);
      assertEquals(b.<Double>getAs("probability"), a.<Double>getAs("probability"), 1e-9);
      assertEquals(b.toString(), a.toString(), "the row is not rewritten: even its run id is the first run's");
    }
    assertEquals(qualificationsBefore, store.read(Tables.PQL_QUALIFICATIONS)
        .orderBy("account_id", "definition_name", "definition_version").collectAsList());
    assertEquals(newBefore, store.read(Tables.PQL_NEW).orderBy("account_id").collectAsList());
  }

  @Test
  void thePrecisionPolicyQualifiesEveryAccountAtOrAboveTheCutoffChosenOnTheCalibrationWindow() {
    Settings precision = SettingsLoader.load(null, null, Map.of("pql.warehouse", store.warehouse(),
        "pql.scoring.definitions", settings.scoring().definitions(), "pql.scoring.policy", "precision",
        "pql.scoring.target-precision", "0.2"));
    ScoreJob.Result r = ScoreJob.run(context(store, "score-p"), precision,
        List.of(LocalDate.parse("2026-03-16")));
    assertEquals("train-1:precision=0.2", r.learnedVersion());
    // Accounts with x >= 700 upgrade at 27%, the rest at 2%: the cutoff for 20% precision takes the first group
    // and the most likely of the second, whose calibrated probabilities spread around 2%.
    assertTrue(r.cutoff() > 0.01 && r.cutoff() < 0.27, "cutoff " + r.cutoff());
    Dataset<Row> scores = store.read(Tables.PQL_SCORES).filter("as_of_date = DATE '2026-03-16'");
    assertEquals(0, scores.filter("array_contains(sources, 'learned') <> (probability >= " + r.cutoff() + ")")
        .count());
    // The 30% with x >= 700, and as many of the 2% others as keep the precision at 0.2: about 120 more in
    // expectation, more or fewer as the 1,000 calibration rows happened to fall.
    long learned = scores.filter("array_contains(sources, 'learned')").count();
    assertTrue(learned > 250 && learned < 550, "the 30% of accounts with x >= 700 and some: " + learned);
    double precisionThen = scores.filter("array_contains(sources, 'learned')")
        .join(spark.table("synthetic").filter("as_of_date = DATE '2026-03-16'"), "account_id")
        .selectExpr("avg(CAST(upgrades AS DOUBLE))").first().getDouble(0);
    assertTrue(precisionThen > 0.15, "the accounts it flags upgrade at about the target precision: " + precisionThen);
  }

  @Test
  void theBacktestReplaysRulesOnAllHistoryAndTheLearnedDefinitionOnlyOnSnapshotsItsModelNeverSaw() {
    dev.pql.metrics.BacktestJob.Result r = dev.pql.metrics.BacktestJob.run(context(store, "backtest-1"), settings);
    Dataset<Row> table = store.read(Tables.DEFINITION_BACKTEST).cache();
    // big-x on every snapshot (all twelve have a complete 30-day horizon before the data ends on 05-07).
    Row bigX = table.filter("definition_name = 'big-x'").first();
    Row truth = spark.sql("""
        SELECT count(*) AS rows, sum(CAST(x >= 900 AS INT)) AS pql_rows,
               sum(CAST(x >= 900 AND upgrades AS INT)) AS pql_upgrade_rows, sum(CAST(upgrades AS INT)) AS upgrade_rows
        FROM synthetic""").first();
    assertEquals(List.of(12L, 12000L, truth.getLong(0), truth.getLong(1), truth.getLong(2), truth.getLong(3)),
        List.of(bigX.getLong(bigX.fieldIndex("snapshots")), bigX.getLong(bigX.fieldIndex("rows")),
            bigX.<Long>getAs("rows"), bigX.<Long>getAs("pql_rows"), bigX.<Long>getAs("pql_upgrade_rows"),
            bigX.<Long>getAs("upgrade_rows")));
    assertEquals((double) truth.getLong(2) / truth.getLong(1), bigX.<Double>getAs("precision"), 1e-12);
    assertEquals("rule", bigX.getAs("kind"));
    // The learned definition: the 20 most likely of each snapshot from the evaluation window on (03-16, 03-23).
    Row learned = table.filter("definition_name = 'learned'").first();
    assertEquals("train-1:top-k=20", learned.getAs("definition_version"));
    assertEquals(LocalDate.parse("2026-03-16"), learned.<java.sql.Date>getAs("from_date").toLocalDate());
    assertEquals(List.of(2L, 2000L, 40L), List.of(learned.<Long>getAs("snapshots"), learned.<Long>getAs("rows"),
        learned.<Long>getAs("pql_rows")));
    assertTrue(learned.<Double>getAs("lift") > 2, "x carries the signal: " + learned);
    assertTrue(table.filter("kind = 'discovered'").count() >= 1, "the model's discovered rules are replayed");
    assertEquals(r.rules().size() + 1, table.count());
    List<Row> before = table.orderBy("definition_name").collectAsList();
    table.unpersist();
    dev.pql.metrics.BacktestJob.run(context(store, "backtest-2"), settings);
    assertEquals(before, store.read(Tables.DEFINITION_BACKTEST).orderBy("definition_name").collectAsList(),
        "a rerun rewrites nothing, not even the run id");
  }

  @Test
  void evaluateReplaysACandidateBesideTheActiveDefinitions() {
    dev.pql.definitions.Definition candidate = new dev.pql.definitions.Definition("candidate", "-", "",
        dev.pql.definitions.Definition.Type.USAGE, "x >= 700", null, Map.of(), true, "--rule");
    dev.pql.metrics.EvaluateJob.Result r = dev.pql.metrics.EvaluateJob.run(context(store, "evaluate"), settings, candidate,
        null, null);
    assertEquals(List.of("candidate", "asked", "big-x"), r.figures().stream().map(f -> f.name()).toList(),
        "the candidate first, then the active definitions in file order");
    Row truth = spark.sql("SELECT avg(CAST(upgrades AS DOUBLE)) AS precision, count(*) AS n FROM synthetic "
        + "WHERE x >= 700").first();
    dev.pql.metrics.Backtest.Figures c = r.figures().get(0);
    assertEquals(truth.getLong(1), c.pqlRows());
    assertEquals(truth.getDouble(0), c.precision().value(), 1e-12);
    assertEquals(1.0, c.overlap().get("big-x") / ((double) r.figures().get(2).pqlRows() / c.pqlRows()), 1e-12,
        "every big-x row (x >= 900) is a candidate row");
  }

  @Test
  void scoringSeveralDatesInOnePassWritesWhatScoringThemOneByOneWrites() throws Exception {
    List<LocalDate> dates = List.of(LocalDate.parse("2026-03-16"), AS_OF);
    DeltaStore together = copyOfTheTrainedWarehouse("pql-together");
    DeltaStore apart = copyOfTheTrainedWarehouse("pql-apart");
    ScoreJob.Result all = ScoreJob.run(context(together, "together"), settings, dates);
    long fresh = 0;
    long lastRun = 0;
    long versionBefore = -1;
    for (LocalDate d : dates) {
      versionBefore = apart.exists(Tables.PQL_NEW) ? io.delta.tables.DeltaTable.forPath(spark,
          apart.location(Tables.PQL_NEW.name())).history(1).select("version").first().getLong(0) : -1;
      lastRun = ScoreJob.run(context(apart, "apart-" + d), settings, List.of(d)).newPqls();
      fresh += lastRun;
    }
    assertEquals(dates, all.dates());
    assertEquals(fresh, all.newPqls());
    // A CRM sync reads pql_new's change feed from the version after the one it last read: exactly the last run's
    // new PQLs, inserted. pql_scores records its changes too.
    Dataset<Row> changes = spark.read().format("delta").option("readChangeFeed", "true")
        .option("startingVersion", versionBefore + 1).load(apart.location(Tables.PQL_NEW.name()));
    assertEquals(List.of("insert"), changes.select("_change_type").distinct()
        .as(org.apache.spark.sql.Encoders.STRING()).collectAsList());
    assertTrue(lastRun > 0, "the last date adds new PQLs");
    assertSameRows(apart.read(Tables.PQL_NEW).filter("run_id = 'apart-" + AS_OF + "'"),
        changes.drop("_change_type", "_commit_version", "_commit_timestamp"));
    assertEquals(lastRun, spark.sql("SELECT * FROM table_changes_by_path('"
        + apart.location(Tables.PQL_NEW.name()) + "', " + (versionBefore + 1) + ")").count());
    assertTrue(spark.read().format("delta").option("readChangeFeed", "true").option("startingVersion", 0)
        .load(apart.location(Tables.PQL_SCORES.name())).filter("_change_type = 'insert'").count() > 0);
    for (dev.pql.io.TableContract t : List.of(Tables.PQL_SCORES, Tables.PQL_QUALIFICATIONS, Tables.PQL_NEW,
        Tables.PQL_DEFINITIONS)) {
      assertSameRows(apart.read(t).drop("run_id"), together.read(t).drop("run_id"));
    }
    // Each date on its own: the 20 most likely of each date, percentiles from 0 to 1 within each date.
    assertEquals(List.of(20L, 20L), together.read(Tables.PQL_SCORES)
        .filter("array_contains(sources, 'learned')").groupBy("as_of_date").count().orderBy("as_of_date")
        .select("count").as(org.apache.spark.sql.Encoders.LONG()).collectAsList());
    assertEquals(2, together.read(Tables.PQL_SCORES).filter("percentile = 1.0").count());
  }

  @Test
  void theCurrentLeadsAreTheLatestDatesOpenAccountsWithTheirAccountAndReasonsInPlainColumns() throws Exception {
    DeltaStore copy = copyOfTheTrainedWarehouse("pql-leads");
    // Two accounts of the latest date as the account source has them now: a23 named, a11 upgraded since.
    copy.insertNew(Tables.ACCOUNTS, spark.sql("""
        SELECT * FROM VALUES
          ('a23', TIMESTAMP '2026-01-01 00:00:00', CAST(NULL AS TIMESTAMP), true, TIMESTAMP '2026-01-01 00:00:00',
           'Acme', 'free', 'acme.com', 120, 'Software', 'DE', CAST(NULL AS STRING)),
          ('a11', TIMESTAMP '2026-03-30 00:00:00', CAST(NULL AS TIMESTAMP), true, TIMESTAMP '2026-01-01 00:00:00',
           'Globex', 'team', 'globex.com', 40, 'Retail', 'US', CAST(NULL AS STRING))
        AS t(account_id, valid_from, valid_to, is_current, signup_at, name, plan, email_domain, employees, industry,
             country, timezone)""").selectExpr("*", "TIMESTAMP '2026-05-08 00:00:00' AS ingested_at", "'r' AS run_id"));
    ScoreJob.run(context(copy, "leads-1"), settings, List.of(LocalDate.parse("2026-03-16"), AS_OF));
    Dataset<Row> current = copy.read(Tables.PQL_LEADS_CURRENT).cache();
    // Plain columns only: nothing a BI tool must unpick.
    assertTrue(java.util.Arrays.stream(current.schema().fields()).noneMatch(f -> f.dataType()
        instanceof org.apache.spark.sql.types.ArrayType || f.dataType() instanceof org.apache.spark.sql.types.StructType
        || f.dataType() instanceof org.apache.spark.sql.types.MapType), current.schema().treeString());
    Dataset<Row> latest = copy.read(Tables.PQL_SCORES).filter("as_of_date = DATE '2026-03-23'");
    assertEquals(latest.count() - 1, current.count(), "every open account of the latest date but the upgraded one");
    assertEquals(0, current.filter("account_id = 'a11' OR as_of_date <> DATE '2026-03-23'").count());
    assertEquals("[a23,Acme,acme.com,free,120,Software,DE]", current.filter("account_id = 'a23'")
        .select("account_id", "name", "domain", "plan", "employees", "industry", "country").first().toString());
    assertSameRows(latest.filter("account_id <> 'a11'").select("account_id", "is_pql", "probability", "pql_type"),
        current.select("account_id", "is_pql", "probability", "pql_type"));
    // The reasons read as the run's summary reads them, the learned ones in probability terms.
    List<ScoringHistory.Lead> top = ScoringHistory.topLeads(copy, AS_OF, 5, 10);
    assertEquals(5, top.size());
    System.out.println("pql_leads_current: " + current.filter("account_id = '" + top.get(0).accountId() + "'")
        .first());
    for (ScoringHistory.Lead lead : top) {
      Row row = current.filter("account_id = '" + lead.accountId() + "'").first();
      assertEquals(lead.reasons().get(0), row.getAs("reason_1"));
      assertEquals(String.join("; ", lead.reasons()), row.getAs("reasons_text"));
      assertTrue(lead.reasons().get(0).matches("x=[0-9]+: [0-9.]+% → [0-9.]+% without it"),
          lead.reasons().toString());
    }
    assertTrue(current.filter("reason_1 IS NULL AND reasons_text <> ''").isEmpty());
    current.unpersist();
  }

  @Test
  void aModelTheGateWithheldNeverScoresAndTheRunSaysWhy() throws Exception {
    DeltaStore withheld = copyOfTheTrainedWarehouse("pql-withheld");
    spark.sql("UPDATE delta.`" + withheld.warehouse() + "/model_runs` SET status = 'withheld', status_reason = "
        + "'does not surely beat logins_only'");
    ScoreJob.Result r = ScoreJob.run(context(withheld, "withheld"), settings, List.of(AS_OF));
    assertEquals(null, r.modelVersion());
    assertEquals(null, r.learnedVersion());
    assertEquals("Model train-1 is withheld by the champion gate, so the learned definition is not applied: it does "
        + "not surely beat logins_only; scoring applies the rules and activation only", r.withheld());
    Dataset<Row> scores = withheld.read(Tables.PQL_SCORES);
    assertEquals(1000, scores.count(), "every open account is still scored, by the rules and activation");
    assertEquals(0, scores.filter("array_contains(sources, 'learned') OR probability IS NOT NULL").count());
    assertEquals(0, withheld.read(Tables.PQL_DEFINITIONS).filter("definition_name = 'learned'").count());
  }

  /** account_features and model_runs of the trained warehouse, in a new one: no scores yet. */
  private static DeltaStore copyOfTheTrainedWarehouse(String prefix) throws java.io.IOException {
    Path copy = tempDir(prefix);
    for (String table : List.of("account_features", "model_runs")) {
      org.apache.commons.io.FileUtils.copyDirectory(Path.of(store.warehouse(), table).toFile(),
          copy.resolve(table).toFile());
    }
    return new DeltaStore(spark, copy.toString());
  }
}
