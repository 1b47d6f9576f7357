package dev.pql.scoring;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.when;

import dev.pql.PqlException.NotEnoughData;
import dev.pql.config.Settings;
import dev.pql.definitions.Definition;
import dev.pql.definitions.Definitions;
import dev.pql.definitions.RuleMatches;
import dev.pql.features.FeatureStore;
import dev.pql.io.DeltaStore;
import dev.pql.io.StageContext;
import dev.pql.io.Tables;
import dev.pql.model.ModelInputs;
import dev.pql.model.ModelRegistry;
import dev.pql.model.OpenAccounts;
import dev.pql.model.TrainingSet;
import dev.pql.model.UpgradeModel;
import java.sql.Date;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * The score stage: every open account ({@link OpenAccounts}) of one as-of snapshot, scored by the active rule-based
 * definitions, the learned model and the activation path; writes pql_scores, pql_qualifications and pql_new. The
 * definitions are loaded and checked against the feature columns before anything is read. A rerun of the same
 * date rewrites nothing that did not change.
 */
public final class ScoreJob {
  private ScoreJob() {}

  /** What a scoring run did: the dates scored; the open accounts and PQLs of the latest; the new PQLs of all. */
  public record Result(List<LocalDate> dates, String modelVersion, String learnedVersion, double cutoff,
      long accounts, long pqls, long newPqls, List<String> definitions, String withheld) {
    /** The latest date scored. */
    public LocalDate asOf() {
      return dates.get(dates.size() - 1);
    }
  }

  /**
   * The definitions and model a scoring run applies, checked before anything is read; {@code withheld} says why the
   * latest (or named) model is not applied, when the champion gate withheld it.
   */
  private record Scorers(List<RuleMatches.Rule> rules, ModelRegistry.Registered model, ModelInputs inputs,
      String withheld) {}

  /**
   * Scores the given snapshot dates in one pass (none: the latest snapshot). Each date is scored on its own: the
   * learned cutoff, percentiles and reasons compare an account with the other open accounts of its date.
   */
  public static Result run(StageContext context, Settings settings, List<LocalDate> asOfDates) {
    Settings.ScoringSettings scoring = settings.scoring();
    DeltaStore store = context.store();
    Dataset<Row> snapshots = FeatureStore.snapshots(store);
    Scorers scorers = scorers(context, settings, snapshots.schema());
    List<LocalDate> dates = dates(store, asOfDates);
    Dataset<Row> open = OpenAccounts.open(
            snapshots.filter(col("as_of_date").isin(dates.stream().map(Date::valueOf).toArray())),
            store.read(Tables.CONVERSIONS), settings.plans().free())
        .drop(OpenAccounts.FIRST_CONVERTED_AT);

    Dataset<Row> rows = Leads.sizeAndActivation(RuleMatches.apply(open, scorers.rules()), scoring.activationBars());
    double cutoff = Double.NaN;
    String learnedVersion = null;
    ModelRegistry.Registered model = scorers.model();
    if (model != null) {
      rows = LearnedScore.apply(rows, model.pipeline(), scorers.inputs(), scoring.reasons());
      if (scoring.policy().equals(Settings.ScoringSettings.TOP_K)) {
        rows = LearnedScore.topK(rows, scoring.topK());
        learnedVersion = model.version() + ":top-k=" + scoring.topK();
      } else {
        cutoff = precisionCutoff(store, model, settings);
        rows = LearnedScore.atLeast(rows, cutoff);
        learnedVersion = model.version() + ":precision=" + scoring.targetPrecision();
      }
    }
    Dataset<Row> leads = Leads.combine(rows, scorers.rules(), model != null).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      Applied applied = new Applied(scorers.rules(), model, learnedVersion, learnedText(scoring, model, cutoff),
          activationVersion(scoring), dates, context.runId());
      Dataset<Row> scored = writeHistory(context, leads, applied);
      // pql_new before pql_scores: the pipeline rescores every date pql_scores lacks, so a run killed between the
      // two commits rescores the date and adds the missing new PQLs (insertNew keeps those already added).
      long newPqls = store.insertNew(Tables.PQL_NEW, fresh(scored));
      writeCurrentLeads(context, scored, dates, settings.plans().free());
      store.syncDates(Tables.PQL_SCORES, scored, "as_of_date", applied.dates(), Set.of("run_id"));
      Row counts = scored.filter(col("as_of_date").equalTo(Date.valueOf(dates.get(dates.size() - 1))))
          .agg(count(lit(1)), count(when(col("is_pql"), true))).first();
      return new Result(dates, model == null ? null : model.version(), learnedVersion, cutoff, counts.getLong(0),
          counts.getLong(1), newPqls, scorers.rules().stream().map(r -> r.definition().name()).toList(),
          scorers.withheld());
    } finally {
      leads.unpersist();
    }
  }

  /**
   * pql_leads_current, when this run scored the latest date: before pql_scores, so a run killed in between is
   * rescored and writes it again. A backfill of older dates leaves it alone.
   */
  private static void writeCurrentLeads(StageContext context, Dataset<Row> scored, List<LocalDate> dates,
      List<String> openPlans) {
    DeltaStore store = context.store();
    LocalDate last = dates.get(dates.size() - 1);
    LocalDate stored = ScoringHistory.latestScored(store);
    if (stored != null && last.isBefore(stored)) return;
    Dataset<Row> latest = Tables.PQL_SCORES.conform(scored).filter(col("as_of_date").equalTo(Date.valueOf(last)));
    store.sync(Tables.PQL_LEADS_CURRENT, CurrentLeads.of(latest, store.read(Tables.ACCOUNTS), openPlans,
        context.runId()), Set.of("run_id"));
  }

  private static Scorers scorers(StageContext context, Settings settings, StructType features) {
    Settings.ScoringSettings scoring = settings.scoring();
    List<RuleMatches.Rule> rules = Definitions.active(context.spark(), scoring.definitions(), features);
    ModelRegistry.Registered model = scoring.learned() ? ModelRegistry.load(context.store(), scoring.modelVersion(),
        features, settings.model(), settings.features()) : null;
    if (model != null && model.withheld()) return new Scorers(rules, null, null, model.withheldLine());
    return new Scorers(rules, model, model == null ? null
        : ModelInputs.forFeatures(features, settings.model(), settings.features()), null);
  }

  /** The dates asked for, in order; none asked: the latest stored snapshot. */
  private static List<LocalDate> dates(DeltaStore store, List<LocalDate> asked) {
    List<LocalDate> dates = asked.stream().sorted().distinct().toList();
    if (!dates.isEmpty()) return dates;
    LocalDate latest = FeatureStore.latestDate(store);
    if (latest == null) throw new NotEnoughData("account_features holds no snapshot: run `pql features` first");
    return List.of(latest);
  }

  /** What a scoring run applied, for pql_definitions and pql_qualifications. */
  private record Applied(List<RuleMatches.Rule> rules, ModelRegistry.Registered model, String learnedVersion,
      String learnedText, String activationVersion, List<LocalDate> dates, String runId) {}

  /**
   * Writes pql_qualifications and pql_definitions for the dates; returns the scores to write, each row with the
   * first date its account qualified on anything when that date is on or before the row's.
   */
  private static Dataset<Row> writeHistory(StageContext context, Dataset<Row> leads, Applied a) {
    DeltaStore store = context.store();
    ModelRegistry.Registered model = a.model();
    Dataset<Row> scores = leads.select(col("account_id"), col("as_of_date"),
        model == null ? lit(null).cast("double").as("probability") : col(LearnedScore.PROBABILITY).as("probability"),
        model == null ? lit(null).cast("double").as("percentile") : col(LearnedScore.PERCENTILE),
        col(RuleMatches.MATCHED), col("is_pql"), col("sources"), col("source"), col("pql_type"),
        col("pql_band").as("size_band"), col("activation"), col("activation_bar"), col("reasons"),
        lit(model == null ? null : model.version()).cast("string").as("model_version"), lit(a.runId()).as("run_id"));

    Dataset<Row> qualifying = qualifications(leads, a.rules(), a.learnedVersion(), a.activationVersion(), a.runId());
    store.keepEarliest(Tables.PQL_QUALIFICATIONS, qualifying, "first_qualified_on");
    store.syncDates(Tables.PQL_DEFINITIONS, applied(context.spark(), a.rules(), a.learnedVersion(), a.learnedText(),
        a.activationVersion(), a.dates(), a.runId()), "as_of_date", a.dates(), Set.of("run_id"));

    // The first date each account qualified on anything, from the history just written: the row's date's
    // first qualification is that date when it is on or before the row's date.
    Dataset<Row> first = store.read(Tables.PQL_QUALIFICATIONS)
        .groupBy("account_id").agg(min("first_qualified_on").as("first_ever"));
    Dataset<Row> scored = scores.join(first, "account_id", "left")
        .withColumn("first_qualified_on", when(col("first_ever").leq(col("as_of_date")), col("first_ever")))
        .drop("first_ever");
    return scored;
  }

  /** The PQLs whose first qualification is their row's date: the rows of pql_new. */
  private static Dataset<Row> fresh(Dataset<Row> scored) {
    return scored.filter(col("is_pql").and(col("first_qualified_on").equalTo(col("as_of_date"))))
        .select(col("account_id"), col("as_of_date").as("qualified_on"), col("sources"), col("pql_type"),
            col(RuleMatches.MATCHED), col("probability"), col("size_band"), col("reasons"), col("model_version"),
            col("run_id"));
  }

  static String activationVersion(Settings.ScoringSettings scoring) {
    return scoring.activationBars().entrySet().stream().sorted(java.util.Map.Entry.comparingByKey())
        .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
  }

  /** The definitions applied on the date, with their text: one row each, as in pql_qualifications. */
  static Dataset<Row> applied(SparkSession spark, List<RuleMatches.Rule> rules, String learnedVersion,
      String learnedText, String activationVersion, List<LocalDate> dates, String runId) {
    List<Row> rows = new ArrayList<>();
    for (LocalDate asOf : dates) {
      Date date = Date.valueOf(asOf);
      for (RuleMatches.Rule r : rules) {
        Definition d = r.definition();
        rows.add(RowFactory.create(date, d.name(), d.version(), "rules", d.type().key(), d.toHocon(), runId));
      }
      if (learnedVersion != null) {
        rows.add(RowFactory.create(date, "learned", learnedVersion, "learned", "usage", learnedText, runId));
      }
      rows.add(RowFactory.create(date, "activation", activationVersion, "activation", "usage",
          "activation_share >= the bar of the size band: " + activationVersion, runId));
    }
    return spark.createDataFrame(rows, Tables.PQL_DEFINITIONS.schema());
  }

  private static String learnedText(Settings.ScoringSettings scoring, ModelRegistry.Registered model, double cutoff) {
    if (model == null) return null;
    return scoring.policy().equals(Settings.ScoringSettings.TOP_K)
        ? "the " + scoring.topK() + " highest probabilities of model " + model.version() + " on the date"
        : String.format(java.util.Locale.ROOT,
            "probability of model %s >= %.6f (precision %s on its calibration window)",
            model.version(), cutoff, scoring.targetPrecision());
  }

  /** One row per qualifying account and definition (rules by name and version, learned, activation): the first date. */
  static Dataset<Row> qualifications(Dataset<Row> rows, List<RuleMatches.Rule> rules, String learnedVersion,
      String activationVersion, String runId) {
    List<Column> paths = new ArrayList<>();
    for (RuleMatches.Rule r : rules) {
      Definition d = r.definition();
      paths.add(when(org.apache.spark.sql.functions.array_contains(col(RuleMatches.MATCHED), d.name()),
          path(d.name(), d.version(), "rules", d.type().key())));
    }
    if (learnedVersion != null) {
      paths.add(when(col(LearnedScore.QUALIFIES), path("learned", learnedVersion, "learned", "usage")));
    }
    paths.add(when(col("activation_qualifies"), path("activation", activationVersion, "activation", "usage")));
    // One row per account and definition: the earliest of the dates scored (a MERGE takes one source row per key).
    return rows.select(col("account_id"), col("as_of_date"), explode(RuleMatches.nonNull(paths,
            "struct<definition_name:string,definition_version:string,source:string,pql_type:string>")).as("q"))
        .groupBy(col("account_id"), col("q.definition_name").as("definition_name"),
            col("q.definition_version").as("definition_version"), col("q.source").as("source"),
            col("q.pql_type").as("pql_type"))
        .agg(min("as_of_date").as("first_qualified_on"))
        .withColumn("run_id", lit(runId));
  }

  private static Column path(String name, String version, String source, String type) {
    return struct(lit(name).as("definition_name"), lit(version).as("definition_version"), lit(source).as("source"),
        lit(type).as("pql_type"));
  }

  /**
   * The cutoff of the precision policy, chosen on the model's calibration window (never on the locked window its
   * figures come from): those snapshots, labelled with its horizon, scored again by the saved model.
   */
  static double precisionCutoff(DeltaStore store, ModelRegistry.Registered model, Settings settings) {
    Dataset<Row> scored = UpgradeModel.score(model.pipeline(), ModelRegistry.evaluationRows(store,
        settings.plans().free(), model.cutoffFrom(), model.cutoffTo(), model.horizonDays()));
    return LearnedScore.precisionCutoff(scored, UpgradeModel.PROBABILITY, TrainingSet.LABEL,
        settings.scoring().targetPrecision());
  }
}
