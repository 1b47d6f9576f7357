package dev.pql.scoring;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.when;

import dev.pql.PqlException.NotEnoughData;
import dev.pql.config.Definition;
import dev.pql.config.DefinitionLoader;
import dev.pql.config.Settings;
import dev.pql.io.DeltaStore;
import dev.pql.io.RunLog;
import dev.pql.io.Tables;
import dev.pql.model.ModelInputs;
import dev.pql.model.ModelRegistry;
import dev.pql.model.TrainJob;
import dev.pql.model.TrainingSet;
import dev.pql.model.UpgradeModel;
import java.io.File;
import java.sql.Date;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * The score stage: every open account of one as-of snapshot, scored by the active rule-based definitions, the
 * learned model and the activation path; writes pql_scores, pql_qualifications and pql_new. The definitions
 * are loaded and checked against the feature columns before anything is read. A rerun of the same date
 * rewrites nothing that did not change.
 */
public final class ScoreJob {
  private ScoreJob() {}

  /** What a scoring run did. */
  public record Result(LocalDate asOf, String modelVersion, String learnedVersion, double cutoff, long accounts,
      long pqls, long newPqls, List<String> definitions) {}

  /** The active definitions of the folder, each checked against the features: fails before any work. */
  public static List<RuleMatches.Rule> rules(SparkSession spark, String folder,
      org.apache.spark.sql.types.StructType features) {
    List<RuleMatches.Rule> rules = new ArrayList<>();
    for (Definition d : DefinitionLoader.loadFolder(new File(folder))) {
      if (d.active()) rules.add(new RuleMatches.Rule(d, DefinitionCheck.check(spark, d, features)));
    }
    return rules;
  }

  public static Result run(SparkSession spark, Settings settings, DeltaStore store, RunLog log, LocalDate asOfOption) {
    Settings.ScoringSettings scoring = settings.scoring();
    Dataset<Row> snapshots = store.readIfExists(Tables.ACCOUNT_FEATURES);
    if (snapshots == null) throw new NotEnoughData("No account_features table in " + store.warehouse()
        + ": run `pql features` first");
    List<RuleMatches.Rule> rules = rules(spark, scoring.definitions(), snapshots.schema());
    ModelRegistry.Registered model = scoring.learned() ? ModelRegistry.load(store, scoring.modelVersion(),
        snapshots.schema(), settings.model(), settings.features()) : null;

    LocalDate asOf = asOfOption;
    if (asOf == null) {
      Date latest = snapshots.agg(max("as_of_date")).first().getDate(0);
      if (latest == null) throw new NotEnoughData("account_features holds no snapshot: run `pql features` first");
      asOf = latest.toLocalDate();
    }
    Dataset<Row> open = snapshots.filter(col("as_of_date").equalTo(Date.valueOf(asOf))
        .and(org.apache.spark.sql.functions.lower(col("plan")).isin(settings.plans().free().toArray())));

    Dataset<Row> rows = RuleMatches.apply(open, rules);
    rows = Leads.sizeAndActivation(rows, scoring.activationBars());
    double cutoff = Double.NaN;
    String learnedVersion = null;
    if (model != null) {
      ModelInputs inputs = ModelInputs.forFeatures(snapshots.schema(), settings.model(), settings.features());
      rows = LearnedScore.apply(rows, model.pipeline(), inputs, scoring.reasons());
      if (scoring.policy().equals(Settings.ScoringSettings.TOP_K)) {
        rows = LearnedScore.topK(rows, scoring.topK());
        learnedVersion = model.version() + ":top-k=" + scoring.topK();
      } else {
        cutoff = precisionCutoff(store, model, settings);
        rows = LearnedScore.atLeast(rows, cutoff);
        learnedVersion = model.version() + ":precision=" + scoring.targetPrecision();
      }
    }
    Dataset<Row> leads = Leads.combine(rows, rules, model != null).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      String runId = log.runId();
      Dataset<Row> scores = leads.select(col("account_id"), col("as_of_date"),
          model == null ? lit(null).cast("double").as("probability") : col(LearnedScore.PROBABILITY).as("probability"),
          model == null ? lit(null).cast("double").as("percentile") : col(LearnedScore.PERCENTILE),
          col(RuleMatches.MATCHED), col("is_pql"), col("sources"), col("source"), col("pql_type"),
          col("pql_band").as("size_band"), col("activation"), col("activation_bar"), col("reasons"),
          lit(model == null ? null : model.version()).cast("string").as("model_version"), lit(runId).as("run_id"));

      Dataset<Row> qualifying = qualifications(leads, rules, learnedVersion, activationVersion(scoring), asOf, runId);
      store.keepEarliest(Tables.PQL_QUALIFICATIONS, qualifying, "first_qualified_on");

      // The first date each account qualified on anything, up to this one: from the history just written.
      Dataset<Row> first = store.read(Tables.PQL_QUALIFICATIONS)
          .filter(col("first_qualified_on").leq(Date.valueOf(asOf)))
          .groupBy("account_id").agg(min("first_qualified_on").as("first_qualified_on"));
      Dataset<Row> scored = scores.join(first, "account_id", "left");
      store.syncDate(Tables.PQL_SCORES, scored, "as_of_date", asOf, Set.of("run_id"));

      Dataset<Row> fresh = scored.filter(col("is_pql").and(col("first_qualified_on").equalTo(Date.valueOf(asOf))))
          .select(col("account_id"), col("as_of_date").as("qualified_on"), col("sources"), col("pql_type"),
              col(RuleMatches.MATCHED), col("probability"), col("size_band"), col("reasons"), col("model_version"),
              col("run_id"));
      long newPqls = store.insertNew(Tables.PQL_NEW, fresh);

      Row counts = scored.agg(count(lit(1)), count(when(col("is_pql"), true))).first();
      return new Result(asOf, model == null ? null : model.version(), learnedVersion, cutoff, counts.getLong(0),
          counts.getLong(1), newPqls, rules.stream().map(r -> r.definition().name()).toList());
    } finally {
      leads.unpersist();
    }
  }

  static String activationVersion(Settings.ScoringSettings scoring) {
    return scoring.activationBars().entrySet().stream().sorted(java.util.Map.Entry.comparingByKey())
        .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
  }

  /** One row per qualifying account and definition: rules by name and version, learned, activation. */
  static Dataset<Row> qualifications(Dataset<Row> rows, List<RuleMatches.Rule> rules, String learnedVersion,
      String activationVersion, LocalDate asOf, String runId) {
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
    return rows.select(col("account_id"), explode(RuleMatches.nonNull(paths,
            "struct<definition_name:string,definition_version:string,source:string,pql_type:string>")).as("q"))
        .select(col("account_id"), col("q.definition_name"), col("q.definition_version"), col("q.source"),
            col("q.pql_type"), lit(Date.valueOf(asOf)).as("first_qualified_on"), lit(runId).as("run_id"));
  }

  private static Column path(String name, String version, String source, String type) {
    return struct(lit(name).as("definition_name"), lit(version).as("definition_version"), lit(source).as("source"),
        lit(type).as("pql_type"));
  }

  /**
   * The cutoff of the precision policy, measured where the model was evaluated: its evaluation snapshots,
   * labelled with its horizon, scored again by the saved model.
   */
  static double precisionCutoff(DeltaStore store, ModelRegistry.Registered model, Settings settings) {
    Dataset<Row> scored = UpgradeModel.score(model.pipeline(), TrainJob.evaluationRows(store,
        settings.plans().free(), model.evaluationFrom(), model.evaluationTo(), model.horizonDays()));
    return LearnedScore.precisionCutoff(scored, UpgradeModel.PROBABILITY, TrainingSet.LABEL,
        settings.scoring().targetPrecision());
  }
}
