package dev.pql.model;

import static org.apache.spark.ml.functions.vector_to_array;
import static org.apache.spark.sql.functions.col;

import dev.pql.config.Settings;
import dev.pql.features.FeatureStore;
import dev.pql.ingest.EventHistory;
import dev.pql.io.DeltaStore;
import dev.pql.io.Tables;
import java.sql.Date;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.Transformer;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * For the benchmark: the matrix the latest model's regularization path was fitted on, as CSV (label, validation
 * side, then one column per model input), rebuilt from model_runs (its training window and saved preparation),
 * so that another library can fit the same path on the same numbers.
 */
public final class TrainingMatrixExport {
  private TrainingMatrixExport() {}

  /** Writes the CSV under {@code folder} (one part file) and returns its row and input counts. */
  public static long[] write(SparkSession spark, DeltaStore store, Settings settings, String folder) {
    Row run = store.read(Tables.MODEL_RUNS)
        .filter(col("model_version").equalTo(ModelRegistry.latest(store).version())).first();
    PipelineModel model = PipelineModel.load(run.getAs("model_path"));
    Transformer[] stages = model.stages();
    PipelineModel preparation = new PipelineModel("bench-preparation",
        java.util.Arrays.copyOf(stages, stages.length - 1));
    Date from = run.getAs("train_from");
    Date to = run.getAs("train_to");
    Dataset<Row> snapshots = FeatureStore.snapshots(store)
        .filter(col("as_of_date").geq(from).and(col("as_of_date").leq(to)));
    Dataset<Row> training = TrainingSet.label(snapshots, store.read(Tables.CONVERSIONS), settings.plans().free(),
        settings.model().horizonDays(), EventHistory.dataEnd(store));
    Dataset<Row> matrix = preparation.transform(training.withColumn("validation_side",
            TrainingSet.validationSide(settings.model().validationShare(), settings.model().seed())))
        .select(col(TrainingSet.LABEL), col("validation_side").cast("int").as("validation_side"),
            vector_to_array(col("features"), "float64").as("x"));
    int width = (int) matrix.select(org.apache.spark.sql.functions.size(col("x"))).first().getInt(0);
    List<Column> columns = new ArrayList<>(List.of(col(TrainingSet.LABEL), col("validation_side")));
    for (int j = 0; j < width; j++) columns.add(col("x").getItem(j).as("x" + j));
    Dataset<Row> flat = matrix.select(columns.toArray(Column[]::new)).coalesce(1);
    flat.write().mode("overwrite").option("header", "true").csv(folder);
    return new long[] {spark.read().option("header", "true").csv(folder).count(), width};
  }
}
