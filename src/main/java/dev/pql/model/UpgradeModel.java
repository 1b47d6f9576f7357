package dev.pql.model;

import static org.apache.spark.ml.functions.vector_to_array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.pql.config.Settings.ModelSettings;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.evaluation.BinaryClassificationEvaluator;
import org.apache.spark.ml.feature.Imputer;
import org.apache.spark.ml.feature.OneHotEncoder;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.StandardScalerModel;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.attribute.Attribute;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The upgrade model: an MLlib pipeline of log1p and missing indicators (SQL), median imputation, one-hot
 * encoding, standardization and an elastic-net logistic regression, its regularization chosen on a later time
 * window than the rows it is fitted on. No class weights: its probabilities are
 * calibrated as they come, which scoring policies and metrics rely on.
 */
public final class UpgradeModel {
  private UpgradeModel() {}

  public static final String PROBABILITY = "probability_of_upgrade";

  /**
   * One point of the regularization grid: its validation log loss with the standard error, its AUC-ROC, and the
   * standard error of its loss's gap to the grid's best point, paired row by row and clustered by account (NaN until
   * the grid is complete).
   */
  public record GridPoint(double regParam, double elasticNetParam, double validationLogLoss,
      double validationLogLossStandardError, double validationAucRoc, double gapStandardError) {
    public GridPoint(double regParam, double elasticNetParam, double validationLogLoss,
        double validationLogLossStandardError, double validationAucRoc) {
      this(regParam, elasticNetParam, validationLogLoss, validationLogLossStandardError, validationAucRoc, Double.NaN);
    }

    GridPoint withGapStandardError(double se) {
      return new GridPoint(regParam, elasticNetParam, validationLogLoss, validationLogLossStandardError,
          validationAucRoc, se);
    }
  }

  /**
   * The fitted pipeline, the grid it was chosen on and the chosen point; {@code platt} is the calibration line the
   * pipeline was recalibrated with (null before, or when it could not be applied).
   */
  public record Fitted(PipelineModel pipeline, List<GridPoint> grid, GridPoint chosen, String solver,
      Calibration.Line platt) {
    Fitted(PipelineModel pipeline, List<GridPoint> grid, GridPoint chosen, String solver) {
      this(pipeline, grid, chosen, solver, null);
    }

    /** This fit with its probabilities recalibrated on the calibration rows (Platt scaling). */
    Fitted recalibratedOn(Dataset<Row> calibrationRows) {
      Calibration.Recalibrated r = Calibration.platt(pipeline, calibrationRows);
      return new Fitted(r.pipeline(), grid, chosen, solver, r.platt());
    }
  }

  /** Every stage before the regression: from feature columns to the standardized {@code features} vector. */
  public static Pipeline preparation(ModelInputs inputs) {
    List<String> selects = new ArrayList<>();
    List<String> toImpute = new ArrayList<>();
    List<String> assembled = new ArrayList<>();
    for (ModelInputs.Numeric n : inputs.numeric()) {
      String value = "CAST(`" + n.name() + "` AS DOUBLE)";
      selects.add((n.log() ? "log1p(greatest(" + value + ", 0D))" : value) + " AS `x_" + n.name() + "`");
      if (n.nullable()) {
        selects.add("CAST(`" + n.name() + "` IS NULL AS DOUBLE) AS `m_" + n.name() + "`");
        toImpute.add("x_" + n.name());
        assembled.add("i_" + n.name());
        assembled.add("m_" + n.name());
      } else {
        assembled.add("x_" + n.name());
      }
    }
    for (ModelInputs.Step step : inputs.steps()) {
      selects.add("CAST(coalesce(" + step.predicate() + ", false) AS DOUBLE) AS `" + step.input() + "`");
      assembled.add(step.input());
    }
    List<PipelineStage> stages = new ArrayList<>();
    stages.add(new SQLTransformer().setStatement("SELECT *, " + String.join(", ", selects) + " FROM __THIS__"));
    if (!toImpute.isEmpty()) {
      stages.add(new Imputer().setStrategy("median").setInputCols(toImpute.toArray(String[]::new))
          .setOutputCols(toImpute.stream().map(c -> "i_" + c.substring(2)).toArray(String[]::new)));
    }
    if (!inputs.categorical().isEmpty()) {
      String[] categorical = inputs.categorical().toArray(String[]::new);
      String[] indexed = inputs.categorical().stream().map(c -> "idx_" + c).toArray(String[]::new);
      String[] encoded = inputs.categorical().stream().map(c -> "oh_" + c).toArray(String[]::new);
      stages.add(new StringIndexer().setInputCols(categorical).setOutputCols(indexed).setHandleInvalid("keep"));
      stages.add(new OneHotEncoder().setInputCols(indexed).setOutputCols(encoded).setHandleInvalid("keep"));
      assembled.addAll(List.of(encoded));
    }
    stages.add(new VectorAssembler().setInputCols(assembled.toArray(String[]::new)).setOutputCol("raw_features"));
    stages.add(new StandardScaler().setInputCol("raw_features").setOutputCol("features").setWithStd(true)
        .setWithMean(false));
    return new Pipeline().setStages(stages.toArray(PipelineStage[]::new));
  }

  /** The elastic-net logistic regression on the standardized inputs (so without its own standardization). */
  public static LogisticRegression regression(double regParam, double elasticNetParam, int maxIterations) {
    return new LogisticRegression().setLabelCol(TrainingSet.LABEL).setFeaturesCol("features")
        .setRegParam(regParam).setElasticNetParam(elasticNetParam).setMaxIter(maxIterations)
        .setStandardization(false).setFamily("binomial");
  }

  /**
   * The model that scores: fitted on the training rows along the regularization path, at the point chosen on the
   * calibration rows (a later time window) by the one-standard-error rule — the most regularized point whose log
   * loss there is within one standard error of the lowest. Many features of product use move together; a model
   * barely better on the calibration rows but spreading its weight over every correlated copy of a behaviour would
   * name the wrong drivers. No refit on more rows: what is returned is the fit the gate will judge. The
   * preparation (medians, levels, scales: no label) is fitted on the training rows, and every fit reads one
   * assembled matrix, persisted once: on the driver below {@code local-solver-max-cells}, else by MLlib.
   */
  public static Fitted fit(Dataset<Row> training, Dataset<Row> calibration, ModelInputs inputs,
      ModelSettings settings) {
    String side = "calibration_side";
    Dataset<Row> both = training.withColumn(side, lit(false)).unionByName(calibration.withColumn(side, lit(true)));
    AssembledMatrix all = AssembledMatrix.of(preparation(inputs).fit(training), both, col(side),
        settings.localSolverMaxCells());
    try {
      Path path = path(all.side(false), all.side(true), settings);
      return new Fitted(all.withRegression(path.fits().get(path.chosen())), path.grid(), path.chosen(), all.solver());
    } finally {
      all.unpersist();
    }
  }

  /** A fit that explains, and its coefficients refitted on resamples of accounts (one array per refit). */
  public record Explaining(Fitted fitted, List<double[]> refits) {}

  /**
   * A fit that explains rather than scores (the driver fit): the regularization chosen on a validation side of
   * {@code rows} by account hash (all snapshots of an account on one side), then refitted on all of them, and again
   * on {@code driver-refits} resamples of accounts at that point (same preparation, same inputs, in the same order).
   */
  public static Explaining fitByAccountSplit(Dataset<Row> rows, ModelInputs inputs, ModelSettings settings) {
    AssembledMatrix all = AssembledMatrix.of(preparation(inputs).fit(rows), rows,
        TrainingSet.validationSide(settings.validationShare(), settings.seed()), settings.localSolverMaxCells());
    try {
      Path path = path(all.side(false), all.side(true), settings);
      LogisticRegression estimator = regression(path.chosen().regParam(), path.chosen().elasticNetParam(),
          settings.maxIterations());
      LogisticRegressionModel regression = all.fit(estimator, path.fits().get(path.chosen()));
      List<double[]> refits = all.refits(estimator, regression, settings.driverRefits(), settings.seed()).stream()
          .map(m -> m.coefficients().toArray()).toList();
      return new Explaining(new Fitted(all.withRegression(regression), path.grid(), path.chosen(), all.solver()),
          refits);
    } finally {
      all.unpersist();
    }
  }

  /** The fits of the regularization path on one matrix, each point's figures on another, and the chosen point. */
  private record Path(List<GridPoint> grid, java.util.Map<GridPoint, LogisticRegressionModel> fits,
      GridPoint chosen) {}

  private static Path path(AssembledMatrix fitMatrix, AssembledMatrix choiceMatrix, ModelSettings settings) {
    List<GridPoint> grid = new ArrayList<>();
    java.util.Map<GridPoint, LogisticRegressionModel> fits = new java.util.HashMap<>();
    // Along the path from the most regularized point, each fit starts where the previous one ended.
    List<Double> path = settings.regParams().stream().sorted(java.util.Comparator.reverseOrder()).toList();
    for (double elastic : settings.elasticNetParams()) {
      LogisticRegressionModel previous = null;
      for (double reg : path) {
        LogisticRegressionModel model = fitMatrix.fit(regression(reg, elastic, settings.maxIterations()), previous);
        previous = model;
        AssembledMatrix.Figures figures = choiceMatrix.figures(model);
        GridPoint point = new GridPoint(reg, elastic, figures.logLoss(), figures.logLossStandardError(),
            figures.aucRoc());
        grid.add(point);
        fits.put(point, model);
      }
    }
    // Each point's gap to the best, paired on the same rows: two fits' losses move together row by row, so their
    // difference is known far better than either loss alone (whose own error would let a constant model in).
    GridPoint best = grid.stream().min(java.util.Comparator.comparingDouble(GridPoint::validationLogLoss))
        .orElseThrow();
    List<GridPoint> paired = new ArrayList<>();
    java.util.Map<GridPoint, LogisticRegressionModel> pairedFits = new java.util.HashMap<>();
    for (GridPoint g : grid) {
      GridPoint p = g.withGapStandardError(g == best ? 0 : choiceMatrix.gapStandardError(fits.get(g), fits.get(best)));
      paired.add(p);
      pairedFits.put(p, fits.get(g));
    }
    paired.sort(java.util.Comparator.comparingDouble(GridPoint::regParam)
        .thenComparingDouble(GridPoint::elasticNetParam));
    return new Path(List.copyOf(paired), pairedFits, oneStandardError(paired));
  }

  /** The model at one point of regularization, fitted on all of {@code rows}: no grid, no validation side. */
  public static PipelineModel fitAt(Dataset<Row> rows, ModelInputs inputs, double regParam, double elasticNetParam,
      ModelSettings settings) {
    AssembledMatrix matrix = AssembledMatrix.of(preparation(inputs).fit(rows), rows, settings.localSolverMaxCells());
    try {
      return matrix.withRegression(matrix.fit(regression(regParam, elasticNetParam, settings.maxIterations())));
    } finally {
      matrix.unpersist();
    }
  }

  /**
   * The most regularized grid point (then the most L1) whose log loss is within one standard error of the lowest:
   * the standard error of its own gap to the best point (paired, clustered by account), or, where that is not known,
   * the best point's own.
   */
  static GridPoint oneStandardError(List<GridPoint> grid) {
    GridPoint best = grid.stream().min(java.util.Comparator.comparingDouble(GridPoint::validationLogLoss))
        .orElseThrow();
    return grid.stream().filter(g -> g.validationLogLoss() - best.validationLogLoss() <= (Double.isNaN(
            g.gapStandardError()) ? best.validationLogLossStandardError() : g.gapStandardError()))
        .max(java.util.Comparator.comparingDouble(GridPoint::regParam).thenComparingDouble(GridPoint::elasticNetParam))
        .orElse(best);
  }

  /** The rows with the model's probability of an upgrade within the horizon. */
  public static Dataset<Row> score(PipelineModel model, Dataset<Row> rows) {
    return probability(model.transform(rows)).drop("features", "raw_features");
  }

  private static Dataset<Row> probability(Dataset<Row> transformed) {
    return transformed.withColumn(PROBABILITY, vector_to_array(col("probability"), "float64").getItem(1))
        .drop("probability", "rawPrediction", "prediction");
  }

  static double aucRoc(Dataset<Row> scored) {
    return new BinaryClassificationEvaluator().setLabelCol(TrainingSet.LABEL).setRawPredictionCol(PROBABILITY)
        .setMetricName("areaUnderROC").evaluate(scored);
  }

  /** The logistic regression at the end of a fitted pipeline. */
  public static LogisticRegressionModel regression(PipelineModel model) {
    return (LogisticRegressionModel) model.stages()[model.stages().length - 1];
  }

  /** The standard deviations the scaler divided each model input by. */
  public static double[] scales(PipelineModel model) {
    return ((StandardScalerModel) model.stages()[model.stages().length - 2]).std().toArray();
  }

  /** The names of the model inputs, in the order of the coefficients (x_/i_/m_/oh_ prefixed). */
  public static List<String> inputNames(PipelineModel model, Dataset<Row> sample) {
    Dataset<Row> transformed = model.transform(sample.limit(1));
    AttributeGroup group = AttributeGroup.fromStructField(transformed.schema().apply("raw_features"));
    List<String> names = new ArrayList<>();
    Attribute[] attributes = group.attributes().get();
    for (int i = 0; i < attributes.length; i++) names.add(attributes[i].name().getOrElse(() -> "input"));
    return names;
  }
}
