package dev.pql.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pql.SparkTestBase;
import java.util.List;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * Platt scaling on a world whose truth is known: P(upgrade) = sigmoid(-1 + 2x). A model that says sigmoid(x - 0.5)
 * ranks right but is too cautious (its calibration line: intercept 0, slope 2); recalibrated on one sample, its
 * line on another is intercept 0 and slope 1. A model that is already right is left as it is.
 */
class CalibrationTest extends SparkTestBase {
  private static Dataset<Row> rows(long seed) {
    return spark.range(40_000).selectExpr("randn(" + seed + ") AS x")
        .selectExpr("x", "CAST(rand(" + (seed + 1) + ") < 1 / (1 + exp(1 - 2 * x)) AS DOUBLE) AS label");
  }

  private static PipelineModel model(double coefficient, double intercept) {
    VectorAssembler assemble = new VectorAssembler().setInputCols(new String[] {"x"}).setOutputCol("features");
    LogisticRegressionModel regression = new LogisticRegressionModel("lr", Vectors.dense(coefficient), intercept);
    return new PipelineModel("pipeline", List.<Transformer>of(assemble, regression));
  }

  private static Calibration.Line lineOn(PipelineModel model, Dataset<Row> rows) {
    return Calibration.line(UpgradeModel.score(model, rows), UpgradeModel.PROBABILITY);
  }

  @Test
  void aTooCautiousModelIsRecalibratedAndARightOneIsLeftRight() {
    Dataset<Row> calibration = rows(1).cache();
    Dataset<Row> locked = rows(7).cache();
    PipelineModel cautious = model(1, -0.5);
    Calibration.Line before = lineOn(cautious, locked);
    assertEquals(0, before.intercept(), 0.08, before.toString());
    assertEquals(2, before.slope(), 0.12, before.toString());

    Calibration.Recalibrated fixed = Calibration.platt(cautious, calibration);
    assertEquals(2, fixed.platt().slope(), 0.12, "the line it was recalibrated with: " + fixed.platt());
    Calibration.Line after = lineOn(fixed.pipeline(), locked);
    assertEquals(0, after.intercept(), 0.08, after.toString());
    assertEquals(1, after.slope(), 0.06, after.toString());
    LogisticRegressionModel r = UpgradeModel.regression(fixed.pipeline());
    assertEquals(2, r.coefficients().apply(0), 0.12, "one MLlib model, its coefficients rescaled");

    Calibration.Line right = lineOn(Calibration.platt(model(2, -1), calibration).pipeline(), locked);
    assertEquals(0, right.intercept(), 0.08, right.toString());
    assertEquals(1, right.slope(), 0.06, right.toString());
  }
}
