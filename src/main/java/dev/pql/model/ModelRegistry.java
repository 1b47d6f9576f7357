package dev.pql.model;

import static org.apache.spark.sql.functions.col;

import dev.pql.PqlException.NotEnoughData;
import dev.pql.PqlException.SchemaError;
import dev.pql.config.Settings.FeatureSettings;
import dev.pql.config.Settings.ModelSettings;
import dev.pql.features.FeatureStore;
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

  /**
   * A registered model: its model_runs row and the fitted pipeline. Its cutoff window is where the precision
   * policy's cutoff is chosen: the calibration window (the evaluation window for a model trained before there was
   * one). A withheld model (the champion gate) never scores, so its pipeline is not loaded (null).
   */
  public record Registered(String version, String featureSetVersion, String path, PipelineModel pipeline,
      java.time.LocalDate evaluationFrom, java.time.LocalDate evaluationTo, int horizonDays,
      java.time.LocalDate cutoffFrom, java.time.LocalDate cutoffTo, String status, String statusReason) {
    public boolean withheld() {
      return WITHHELD.equals(status);
    }

    /** One line for a console: why the learned definition is not applied. */
    public String withheldLine() {
      return ModelRegistry.withheldLine(version, statusReason);
    }
  }

  /** One line for a console: model {@code version} is withheld, why, and what scoring does instead. */
  public static String withheldLine(String version, String reason) {
    return "Model " + version + " is withheld by the champion gate, so the learned definition is not applied: it "
        + reason + "; scoring applies the rules and activation only";
  }

  public static final String WITHHELD = "withheld";

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
    java.time.LocalDate evaluationFrom = run.<java.sql.Date>getAs("evaluation_from").toLocalDate();
    java.time.LocalDate evaluationTo = run.<java.sql.Date>getAs("evaluation_to").toLocalDate();
    boolean calibrated = optional(run, "calibration_from") != null;
    String status = optional(run, "status");
    return new Registered(run.getAs("model_version"), trainedOn, run.getAs("model_path"),
        WITHHELD.equals(status) ? null : PipelineModel.load(run.getAs("model_path")), evaluationFrom, evaluationTo,
        run.<Integer>getAs("horizon_days"),
        calibrated ? run.<java.sql.Date>getAs("calibration_from").toLocalDate() : evaluationFrom,
        calibrated ? run.<java.sql.Date>getAs("calibration_to").toLocalDate() : evaluationTo,
        status, optional(run, "status_reason"));
  }

  /** A trained model, or null when the warehouse has none yet (no model_runs row): for stages that can go without. */
  public static Registered loadIfTrained(DeltaStore store, String version, StructType features, ModelSettings model,
      FeatureSettings settings) {
    boolean trained = store.exists(Tables.MODEL_RUNS) && !store.read(Tables.MODEL_RUNS).isEmpty();
    return trained ? load(store, version, features, model, settings) : null;
  }

  /**
   * The labelled snapshots of a model's evaluation window, as training labelled them (whole horizons only): where
   * its figures, its precision cutoff and any later comparison of the model are measured.
   */
  public static org.apache.spark.sql.Dataset<Row> evaluationRows(DeltaStore store, List<String> freePlans,
      java.time.LocalDate from, java.time.LocalDate to, int horizonDays) {
    return TrainingSet.label(FeatureStore.snapshots(store)
            .filter(col("as_of_date").between(java.sql.Date.valueOf(from), java.sql.Date.valueOf(to))),
        store.read(Tables.CONVERSIONS), freePlans, horizonDays, to.plusDays(horizonDays));
  }

  /** A behaviour the model leans on, by its leading feature: what a summary lists. */
  public record DriverLine(int behaviourRank, String behaviour, String sentence) {}

  /** The model's leading behaviours (those that matter at all), each once, by rank: a handful of model_drivers rows. */
  public static List<DriverLine> leadingBehaviours(DeltaStore store, String version, int behaviours) {
    List<Row> rows = store.read(Tables.MODEL_DRIVERS)
        .filter(col("model_version").equalTo(version).and(col("behaviour_rank").leq(behaviours))
            .and(col("behaviour_importance").gt(0)))
        .orderBy("behaviour_rank", "rank").collectAsList();
    List<DriverLine> lines = new java.util.ArrayList<>();
    java.util.Set<Integer> shown = new java.util.HashSet<>();
    for (Row d : rows) {
      int rank = d.getAs("behaviour_rank");
      if (shown.add(rank)) lines.add(new DriverLine(rank, d.getAs("behaviour"), d.getAs("sentence")));
    }
    return lines;
  }

  /**
   * The latest trained model: its version, the first day after the data it was trained and evaluated on, and the
   * gate's reason when it was withheld (else null).
   */
  public record Latest(String version, java.time.LocalDate dataEnd, String withheldReason, String featureSetVersion) {}

  /** The latest trained model, or null when none is. */
  public static Latest latest(DeltaStore store) {
    List<Row> runs = run(store, null);
    if (runs.isEmpty()) return null;
    Row r = runs.get(0);
    return new Latest(r.getAs("model_version"), r.<java.sql.Date>getAs("evaluation_to").toLocalDate()
        .plusDays(r.<Integer>getAs("horizon_days")), WITHHELD.equals(optional(r, "status"))
        ? optional(r, "status_reason") : null, r.getAs("feature_set_version"));
  }

  /** A column a model_runs row written by an older pql may lack (read as null until the table is next written). */
  private static <T> T optional(Row row, String column) {
    return row.schema().getFieldIndex(column).isDefined() ? row.getAs(column) : null;
  }

  /** The model_runs row of a version, or of the latest trained (version null): one row at most. */
  private static List<Row> run(DeltaStore store, String version) {
    return store.read(Tables.MODEL_RUNS)
        .filter(version == null ? col("model_version").isNotNull() : col("model_version").equalTo(version))
        .orderBy(col("trained_at").desc(), col("model_version").desc()).limit(1).collectAsList();
  }
}
