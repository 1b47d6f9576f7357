package dev.pql.model;

import static org.apache.spark.sql.functions.col;

import dev.pql.PqlException.NotEnoughData;
import dev.pql.PqlException.SchemaError;
import dev.pql.config.Settings.FeatureSettings;
import dev.pql.config.Settings.ModelSettings;
import dev.pql.io.DeltaStore;
import dev.pql.io.Tables;
import java.util.List;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * The trained models of a warehouse (table model_runs): loads a named version or the latest, and refuses one
 * trained on another feature set than the features it is about to score.
 */
public final class ModelRegistry {
  private ModelRegistry() {}

  /** A registered model: its model_runs row and the fitted pipeline. */
  public record Registered(String version, String featureSetVersion, String path, PipelineModel pipeline,
      java.time.LocalDate evaluationFrom, java.time.LocalDate evaluationTo, int horizonDays) {}

  /**
   * @param version a model version, or null for the latest trained
   * @param features the schema of the features to score
   */
  public static Registered load(DeltaStore store, String version, StructType features, ModelSettings model,
      FeatureSettings settings) {
    List<Row> runs = run(store, version);
    if (runs.isEmpty()) {
      throw new NotEnoughData(version == null ? "No trained model in " + store.warehouse() + ": run `pql train` first"
          : "No model version '" + version + "' in " + store.path(Tables.MODEL_RUNS));
    }
    Row run = runs.get(0);
    String trainedOn = run.getAs("feature_set_version");
    String now = ModelInputs.forFeatures(features, model, settings).featureSetVersion();
    if (!trainedOn.equals(now)) {
      throw new SchemaError("Model " + run.getAs("model_version") + " was trained on feature set " + trainedOn
          + " but the features are feature set " + now + " (their columns or pql.model.exclude-features changed): "
          + "train a new model, or score with the configuration it was trained with");
    }
    return new Registered(run.getAs("model_version"), trainedOn, run.getAs("model_path"),
        PipelineModel.load(run.getAs("model_path")), run.<java.sql.Date>getAs("evaluation_from").toLocalDate(),
        run.<java.sql.Date>getAs("evaluation_to").toLocalDate(), run.<Integer>getAs("horizon_days"));
  }

  /** The latest trained model: its version and the first day after the data it was trained and evaluated on. */
  public record Latest(String version, java.time.LocalDate dataEnd) {}

  /** The latest trained model, or null when none is. */
  public static Latest latest(DeltaStore store) {
    List<Row> runs = run(store, null);
    if (runs.isEmpty()) return null;
    Row r = runs.get(0);
    return new Latest(r.getAs("model_version"), r.<java.sql.Date>getAs("evaluation_to").toLocalDate()
        .plusDays(r.<Integer>getAs("horizon_days")));
  }

  /** The model_runs row of a version, or of the latest trained (version null): one row at most. */
  private static List<Row> run(DeltaStore store, String version) {
    return store.read(Tables.MODEL_RUNS)
        .filter(version == null ? col("model_version").isNotNull() : col("model_version").equalTo(version))
        .orderBy(col("trained_at").desc(), col("model_version").desc()).limit(1).collectAsList();
  }
}
