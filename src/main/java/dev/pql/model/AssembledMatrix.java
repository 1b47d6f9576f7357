package dev.pql.model;

import static org.apache.spark.ml.functions.vector_to_array;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.stddev_samp;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.feature.StandardScalerModel;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * Training rows after a fitted {@link UpgradeModel#preparation}: the standardized {@code features} vector, the
 * label and the validation side, assembled and persisted once for every fit of a regularization path, in no
 * more partitions than the cluster has cores (one Spark task per core and optimizer iteration, not one per
 * shuffle partition). Below the local bound it is also held on the driver and fitted there.
 */
final class AssembledMatrix {
  static final String DRIVER = "driver";
  static final String MLLIB = "mllib";

  /** The column of each row's account key. */
  private static final String ACCOUNT = "account_key";

  /** The column that marks the rows of the validation side. */
  private static final String VALIDATION = "validation_side";

  private final PipelineModel preparation;
  private final Dataset<Row> matrix;
  private final Optional<LocalMatrix> local;

  private AssembledMatrix(PipelineModel preparation, Dataset<Row> matrix, Optional<LocalMatrix> local) {
    this.preparation = preparation;
    this.matrix = matrix;
    this.local = local;
  }

  /** {@code rows} through the fitted preparation, none of them on the validation side. */
  static AssembledMatrix of(PipelineModel preparation, Dataset<Row> rows, long localMaxCells) {
    return of(preparation, rows, lit(false), localMaxCells);
  }

  /** {@code rows} through the fitted preparation, with the rows where {@code validation} holds marked. */
  static AssembledMatrix of(PipelineModel preparation, Dataset<Row> rows, Column validation, long localMaxCells) {
    int cores = rows.sparkSession().sparkContext().defaultParallelism();
    // Each row's account as a key: resamples of accounts move all of an account's rows together.
    Column account = java.util.Arrays.asList(rows.columns()).contains("account_id")
        ? org.apache.spark.sql.functions.xxhash64(col("account_id")) : lit(0L);
    Dataset<Row> matrix = preparation.transform(rows.withColumn(VALIDATION, validation))
        .select(col("features"), col(TrainingSet.LABEL), col(VALIDATION), account.as(ACCOUNT));
    if (matrix.rdd().getNumPartitions() > cores) matrix = matrix.coalesce(cores);
    matrix = matrix.persist(StorageLevel.MEMORY_AND_DISK());
    int width = ((StandardScalerModel) preparation.stages()[preparation.stages().length - 1]).std().size();
    return new AssembledMatrix(preparation, matrix, LocalMatrix.collect(matrix, matrix.count(), width,
        localMaxCells));
  }

  /** The rows of one side: those marked for validation, or the others. Shares this matrix's storage. */
  AssembledMatrix side(boolean validation) {
    return new AssembledMatrix(preparation, matrix.filter(col(VALIDATION).equalTo(validation)),
        local.map(m -> m.side(validation)));
  }

  PipelineModel preparation() {
    return preparation;
  }

  /** The regression fitted on this matrix: on the driver when it is held there, else by MLlib. */
  LogisticRegressionModel fit(LogisticRegression estimator) {
    return fit(estimator, null);
  }

  /**
   * The same, warm-started from {@code previous} (a fit at a neighbouring point of the path) on the driver;
   * MLlib offers no public warm start and begins at zero.
   */
  LogisticRegressionModel fit(LogisticRegression estimator, LogisticRegressionModel previous) {
    return local.isPresent() ? LocalLogisticRegression.fit(local.get(), estimator, previous) : estimator.fit(matrix);
  }

  /**
   * The regression refitted on {@code replicates} resamples of accounts (all of an account's rows move together),
   * each warm-started from {@code start}; the preparation stays this matrix's. On the driver the rows are repeated in
   * memory; by MLlib each row weighs its account's draw.
   */
  List<LogisticRegressionModel> refits(LogisticRegression estimator, LogisticRegressionModel start, int replicates,
      long seed) {
    List<LogisticRegressionModel> refits = new java.util.ArrayList<>();
    for (int b = 1; b <= replicates; b++) {
      if (local.isPresent()) {
        refits.add(LocalLogisticRegression.fit(local.get().resample(b, seed), estimator, start));
      } else {
        Column uniform = org.apache.spark.sql.functions.pmod(org.apache.spark.sql.functions.xxhash64(lit(seed),
            col(ACCOUNT), lit(b)), lit(1L << 40)).cast("double").divide((double) (1L << 40));
        refits.add(estimator.copy(new org.apache.spark.ml.param.ParamMap()).setWeightCol("resample_weight")
            .fit(matrix.withColumn("resample_weight", AccountBootstrap.poissonOne(uniform))));
      }
    }
    return refits;
  }

  /** Where the fits ran: {@value #DRIVER} or {@value #MLLIB}. */
  String solver() {
    return local.isPresent() ? DRIVER : MLLIB;
  }

  /** The whole model: the preparation followed by {@code regression}, as {@code Pipeline.fit} would return it. */
  PipelineModel withRegression(LogisticRegressionModel regression) {
    List<Transformer> stages = new ArrayList<>(List.of(preparation.stages()));
    stages.add(regression);
    return new PipelineModel(Identifiable.randomUID("pipeline"), stages);
  }

  /** The mean log loss of a model on these rows, its standard error, and its AUC-ROC. */
  record Figures(double logLoss, double logLossStandardError, double aucRoc) {}

  /** {@code model}'s figures on this matrix: computed on the driver when it is held there, else by Spark. */
  Figures figures(LogisticRegressionModel model) {
    if (local.isPresent()) return local.get().figures(model.coefficients().toArray(), model.intercept());
    Dataset<Row> scored = model.transform(matrix).withColumn(UpgradeModel.PROBABILITY,
        vector_to_array(col("probability"), "float64").getItem(1));
    Column rowLoss = Evaluation.logLoss(col(UpgradeModel.PROBABILITY));
    Row loss = scored.agg(avg(rowLoss), stddev_samp(rowLoss), count(lit(1))).first();
    return new Figures(loss.getDouble(0), loss.getDouble(1) / Math.sqrt(loss.getLong(2)),
        UpgradeModel.aucRoc(scored));
  }

  /**
   * The standard error of the mean gap between two models' log losses on these rows: row by row, then clustered by
   * account (an account's rows are one draw). On the driver when the matrix is held there, else one Spark job.
   */
  double gapStandardError(LogisticRegressionModel a, LogisticRegressionModel b) {
    if (local.isPresent()) {
      return local.get().gapStandardError(a.coefficients().toArray(), a.intercept(), b.coefficients().toArray(),
          b.intercept());
    }
    Dataset<Row> scored = b.copy(new org.apache.spark.ml.param.ParamMap()).setProbabilityCol("gap_p_b")
        .setRawPredictionCol("gap_raw_b").setPredictionCol("gap_prediction_b")
        .transform(a.copy(new org.apache.spark.ml.param.ParamMap()).setProbabilityCol("gap_p_a")
            .setRawPredictionCol("gap_raw_a").setPredictionCol("gap_prediction_a").transform(matrix));
    Column gap = Evaluation.logLoss(vector_to_array(col("gap_p_a"), "float64").getItem(1))
        .minus(Evaluation.logLoss(vector_to_array(col("gap_p_b"), "float64").getItem(1)));
    Row s = scored.groupBy(ACCOUNT).agg(org.apache.spark.sql.functions.sum(gap).as("d"), count(lit(1)).as("n"))
        .agg(count(lit(1)), org.apache.spark.sql.functions.sum("d"), org.apache.spark.sql.functions.sum(
            col("d").multiply(col("d"))), org.apache.spark.sql.functions.sum(col("d").multiply(col("n"))),
            org.apache.spark.sql.functions.sum(col("n").multiply(col("n"))), org.apache.spark.sql.functions.sum("n"))
        .first();
    return LocalMatrix.clusteredStandardError(s.getLong(0), s.getDouble(1), s.getDouble(2), s.getDouble(3),
        s.getLong(4), s.getLong(5));
  }

  /** Frees the storage of this matrix and of every side taken from it. */
  void unpersist() {
    matrix.unpersist();
  }
}
