package dev.pql.model;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Probabilities that mean what they say. The calibration line of a score on labelled rows is the logistic
 * regression of the label on the score's log-odds, P(upgrade) = sigmoid(intercept + slope * logit(p)): intercept 0
 * and slope 1 when the probabilities are right; a slope below 1 when they are too extreme. Platt scaling fits that
 * line on the calibration window and applies it. For a logistic regression that is a rescaling of its own
 * coefficients and intercept, so the recalibrated model is one MLlib model, saved and scored as any other, and
 * ranks exactly as before (the gate's AUC is unchanged).
 */
public final class Calibration {
  private Calibration() {}

  /** The calibration line: P(upgrade) = sigmoid(intercept + slope * logit(p)). */
  public record Line(double intercept, double slope) {
    /** True when the line can be applied: a finite, positive slope (the score still ranks the same way). */
    boolean usable() {
      return Double.isFinite(intercept) && Double.isFinite(slope) && slope > 0;
    }
  }

  /** The calibration line of {@code probability} on labelled rows (one small MLlib fit; unpenalized). */
  public static Line line(Dataset<Row> scored, String probability) {
    Column p = least(greatest(col(probability), lit(1e-12)), lit(1 - 1e-12));
    Dataset<Row> logOdds = scored.select(log(p.divide(lit(1).minus(p))).as("log_odds"),
        col(TrainingSet.LABEL).cast("double").as(TrainingSet.LABEL));
    Dataset<Row> assembled = new VectorAssembler().setInputCols(new String[] {"log_odds"}).setOutputCol("x")
        .transform(logOdds);
    LogisticRegressionModel fit = new LogisticRegression().setFeaturesCol("x").setLabelCol(TrainingSet.LABEL)
        .setRegParam(0).setStandardization(false).setMaxIter(100).setTol(1e-10).fit(assembled);
    return new Line(fit.intercept(), fit.coefficients().apply(0));
  }

  /** A fitted model and the Platt line it was recalibrated with (null when the line could not be applied). */
  public record Recalibrated(PipelineModel pipeline, Line platt) {}

  /**
   * {@code fitted} with its regression recalibrated by the calibration line on {@code calibrationRows}: the
   * coefficients times the slope, the intercept times the slope plus the line's intercept. A line that would reverse
   * or flatten the ranking (slope not above 0) is not applied.
   */
  public static Recalibrated platt(PipelineModel fitted, Dataset<Row> calibrationRows) {
    Line line = line(UpgradeModel.score(fitted, calibrationRows), UpgradeModel.PROBABILITY);
    if (!line.usable()) return new Recalibrated(fitted, null);
    LogisticRegressionModel regression = UpgradeModel.regression(fitted);
    double[] coefficients = regression.coefficients().toArray();
    for (int i = 0; i < coefficients.length; i++) coefficients[i] *= line.slope();
    LogisticRegressionModel scaled = new LogisticRegressionModel(regression.uid(), Vectors.dense(coefficients),
        line.intercept() + line.slope() * regression.intercept()).copy(regression.extractParamMap());
    List<Transformer> stages = new ArrayList<>(List.of(fitted.stages()));
    stages.set(stages.size() - 1, scaled);
    return new Recalibrated(new PipelineModel(Identifiable.randomUID("pipeline"), stages), line);
  }
}
