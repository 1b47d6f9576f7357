package dev.pql.metrics;

import static org.apache.spark.sql.functions.col;

import dev.pql.config.Settings;
import dev.pql.definitions.Definitions;
import dev.pql.features.FeatureStore;
import dev.pql.ingest.EventHistory;
import dev.pql.io.DeltaStore;
import dev.pql.io.StageContext;
import dev.pql.io.Tables;
import dev.pql.model.ModelInputs;
import dev.pql.model.ModelRegistry;
import dev.pql.model.TrainingSet;
import dev.pql.scoring.LearnedScore;
import java.sql.Date;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
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

  public static Result run(StageContext context, Settings settings) {
    SparkSession spark = context.spark();
    DeltaStore store = context.store();
    Dataset<Row> snapshots = FeatureStore.snapshots(store);
    List<Backtest.Candidate> rules = Definitions.active(spark, settings.scoring().definitions(), snapshots.schema())
        .stream().map(r -> Backtest.Candidate.of(r.definition(), "rule")).toList();
    ModelRegistry.Registered model = ModelRegistry.loadIfTrained(store, settings.scoring().modelVersion(),
        snapshots.schema(), settings.model(), settings.features());
    List<Backtest.Candidate> withDiscovered = new ArrayList<>(rules);
    if (model != null) withDiscovered.addAll(discovered(spark, store, model.version(), snapshots.schema()));

    int horizon = settings.model().horizonDays();
    int cadence = settings.features().weekly() ? 7 : 1;
    Dataset<Row> labelled = TrainingSet.label(snapshots, store.read(Tables.CONVERSIONS), settings.plans().free(),
        horizon, TrainingSet.labelEnd(EventHistory.dataEnd(store), settings.model()))
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      List<Backtest.Figures> all = Backtest.requireHistory(Backtest.run(labelled, withDiscovered, cadence), horizon);
      // A model the champion gate withheld never scores, so there is no learned definition to replay.
      List<Backtest.Figures> learned = model == null || model.withheld() ? List.of()
          : learned(labelled, model, rules, snapshots.schema(), settings, cadence);
      Result result = new Result(horizon, model == null ? null : model.version(), all, learned,
          model == null ? null : model.evaluationFrom());
      write(spark, store, result, context.runId());
      return result;
    } finally {
      labelled.unpersist();
    }
  }

  /** The model's discovered rules as candidates: a handful of definition texts per model, not a table. */
  private static List<Backtest.Candidate> discovered(SparkSession spark, DeltaStore store, String modelVersion,
      StructType features) {
    if (!store.exists(Tables.DISCOVERED_RULES)) return List.of();
    return store.read(Tables.DISCOVERED_RULES).filter(col("model_version").equalTo(modelVersion))
        .orderBy("name").select("definition").collectAsList().stream()
        .map(row -> Definitions.checked(spark, row.getString(0), "discovered_rules", features))
        .map(r -> Backtest.Candidate.of(r.definition(), "discovered")).toList();
  }

  /**
   * The learned definition's figures, from its model's evaluation window on (snapshots it never trained on), beside
   * the rules on the same snapshots.
   */
  private static List<Backtest.Figures> learned(Dataset<Row> labelled, ModelRegistry.Registered model,
      List<Backtest.Candidate> rules, StructType features, Settings settings, int cadence) {
    Dataset<Row> unseen = labelled.filter(col("as_of_date").geq(Date.valueOf(model.evaluationFrom())));
    ModelInputs inputs = ModelInputs.forFeatures(features, settings.model(), settings.features());
    Dataset<Row> scored = LearnedScore.topK(LearnedScore.apply(unseen, model.pipeline(), inputs, 0),
        settings.scoring().topK());
    List<Backtest.Candidate> beside = new ArrayList<>(List.of(new Backtest.Candidate("learned",
        model.version() + ":top-k=" + settings.scoring().topK(), "learned", col(LearnedScore.QUALIFIES))));
    beside.addAll(rules);
    List<Backtest.Figures> all = Backtest.run(scored, beside, cadence);
    return all.isEmpty() ? List.of() : all.subList(0, 1);
  }

  private static void write(SparkSession spark, DeltaStore store, Result r, String runId) {
    List<Row> rows = new ArrayList<>();
    for (Backtest.Figures f : r.rules()) rows.add(row(f, r, runId));
    for (Backtest.Figures f : r.learned()) rows.add(row(f, r, runId));
    // Recomputed whole: a table an older pql wrote with other columns takes this contract's.
    store.dropObsoleteColumns(Tables.DEFINITION_BACKTEST);
    store.sync(Tables.DEFINITION_BACKTEST, spark.createDataFrame(rows, Tables.DEFINITION_BACKTEST.schema()),
        Set.of("run_id"));
  }

  private static Row row(Backtest.Figures f, Result r, String runId) {
    // Arrays.asList: undefined figures are nulls.
    List<Object> values = new ArrayList<>(java.util.Arrays.asList(f.columns(r.horizonDays(),
        f.kind().equals("rule") ? null : r.modelVersion())));
    values.add(runId);
    return RowFactory.create(values.toArray());
  }
}
