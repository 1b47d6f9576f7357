package dev.pql.metrics;

import static org.apache.spark.sql.functions.col;

import dev.pql.PqlException.NotEnoughData;
import dev.pql.config.Definition;
import dev.pql.config.DefinitionLoader;
import dev.pql.config.Settings;
import dev.pql.io.DeltaStore;
import dev.pql.io.Tables;
import dev.pql.model.ModelInputs;
import dev.pql.model.ModelRegistry;
import dev.pql.model.TrainJob;
import dev.pql.model.TrainingSet;
import dev.pql.scoring.DefinitionCheck;
import dev.pql.scoring.LearnedScore;
import dev.pql.scoring.RuleMatches;
import dev.pql.scoring.ScoreJob;
import java.sql.Date;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * The backtest stage: replays the active definitions, the latest model's discovered rules and its learned
 * definition on the stored snapshots and writes definition_backtest. The learned definition is replayed only
 * from its model's evaluation window on, beside the rules on the same snapshots, so that its figures are out of
 * sample and its overlaps comparable.
 */
public final class BacktestJob {
  private BacktestJob() {}

  public record Result(int horizonDays, String modelVersion, List<Backtest.Figures> rules,
      List<Backtest.Figures> learned, java.time.LocalDate learnedFrom) {}

  public static Result run(SparkSession spark, Settings settings, DeltaStore store, String runId) {
    Dataset<Row> snapshots = store.readIfExists(Tables.ACCOUNT_FEATURES);
    if (snapshots == null) throw new NotEnoughData("No account_features table in " + store.warehouse()
        + ": run `pql features` first");
    List<Backtest.Candidate> rules = new ArrayList<>();
    for (RuleMatches.Rule r : ScoreJob.rules(spark, settings.scoring().definitions(), snapshots.schema())) {
      rules.add(new Backtest.Candidate(r.definition().name(), r.definition().version(), "rule",
          RuleMatches.condition(r.definition())));
    }
    boolean trained = store.exists(Tables.MODEL_RUNS) && !store.read(Tables.MODEL_RUNS).isEmpty();
    ModelRegistry.Registered model = trained ? ModelRegistry.load(store, settings.scoring().modelVersion(),
        snapshots.schema(), settings.model(), settings.features()) : null;
    List<Backtest.Candidate> withDiscovered = new ArrayList<>(rules);
    if (model != null && store.exists(Tables.DISCOVERED_RULES)) {
      // A handful of rules per model: their definition texts, not a table.
      for (Row row : store.read(Tables.DISCOVERED_RULES).filter(col("model_version").equalTo(model.version()))
          .orderBy("name").select("definition").collectAsList()) {
        Definition d = DefinitionLoader.parse(row.getString(0), "discovered_rules");
        DefinitionCheck.check(spark, d, snapshots.schema());
        withDiscovered.add(new Backtest.Candidate(d.name(), d.version(), "discovered", RuleMatches.condition(d)));
      }
    }

    int horizon = settings.model().horizonDays();
    int cadence = settings.features().weekly() ? 7 : 1;
    Dataset<Row> labelled = TrainingSet.label(snapshots, store.read(Tables.CONVERSIONS), settings.plans().free(),
        horizon, TrainJob.dataEnd(store)).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      List<Backtest.Figures> all = Backtest.requireHistory(Backtest.run(labelled, withDiscovered, cadence), horizon);
      List<Backtest.Figures> learned = List.of();
      java.time.LocalDate learnedFrom = null;
      if (model != null) {
        learnedFrom = model.evaluationFrom();
        Dataset<Row> unseen = labelled.filter(col("as_of_date").geq(Date.valueOf(learnedFrom)));
        ModelInputs inputs = ModelInputs.forFeatures(snapshots.schema(), settings.model(), settings.features());
        Dataset<Row> scored = LearnedScore.topK(LearnedScore.apply(unseen, model.pipeline(), inputs, 0),
            settings.scoring().topK());
        List<Backtest.Candidate> beside = new ArrayList<>(List.of(new Backtest.Candidate("learned",
            model.version() + ":top-k=" + settings.scoring().topK(), "learned", col(LearnedScore.QUALIFIES))));
        beside.addAll(rules);
        learned = Backtest.run(scored, beside, cadence).subList(0, 1);
      }
      Result result = new Result(horizon, model == null ? null : model.version(), all, learned, learnedFrom);
      write(spark, store, result, runId);
      return result;
    } finally {
      labelled.unpersist();
    }
  }

  private static void write(SparkSession spark, DeltaStore store, Result r, String runId) {
    List<Row> rows = new ArrayList<>();
    for (Backtest.Figures f : r.rules()) rows.add(row(f, r, runId));
    for (Backtest.Figures f : r.learned()) rows.add(row(f, r, runId));
    store.sync(Tables.DEFINITION_BACKTEST, spark.createDataFrame(rows, Tables.DEFINITION_BACKTEST.schema()),
        Set.of("run_id"));
  }

  private static Row row(Backtest.Figures f, Result r, String runId) {
    return RowFactory.create(f.name(), f.version(), f.kind(), Date.valueOf(f.from()), Date.valueOf(f.to()),
        f.snapshots(), r.horizonDays(), f.rows(), f.upgrades(), f.pqlRows(), f.pqlUpgrades(), nan(f.precision()),
        nan(f.recall()), nan(f.lift()), nan(f.coverage()), f.accounts(), nan(f.pqlsPerWeek()),
        f.overlap().entrySet().stream().map(e -> RowFactory.create(e.getKey(), nan(e.getValue()))).toList(),
        f.kind().equals("rule") ? null : r.modelVersion(), runId);
  }

  private static Double nan(double v) {
    return Double.isNaN(v) || Double.isInfinite(v) ? null : v;
  }
}
