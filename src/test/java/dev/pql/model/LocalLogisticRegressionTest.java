package dev.pql.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.SparkTestBase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver-side fit against MLlib's on the same assembled matrix: the same coefficients within 0.002 on the
 * standardized scale (measured: at most 8e-4; MLlib stops at a relative improvement of 1e-6),
 * across an L2-only, a mixed and a strongly L1 point, with correlated inputs, a pure-noise input and a constant
 * one; and the saved PipelineModel scores as MLlib's does.
 */
class LocalLogisticRegressionTest extends SparkTestBase {
  static final double COEFFICIENT_TOLERANCE = 0.002;

  static Dataset<Row> data;
  static PipelineModel preparation;
  static AssembledMatrix onDriver;
  static AssembledMatrix onExecutors;

  @BeforeAll
  static void matrix() {
    // y depends on a (strongly), b (weakly) and c, which is nearly a copy of a; d is noise; e is constant.
    Random random = new Random(11);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 4000; i++) {
      double a = random.nextGaussian() * 3 + 5;
      double b = random.nextGaussian();
      double c = a + random.nextGaussian() * 0.5;
      double d = random.nextGaussian() * 10;
      double margin = -2 + 0.6 * (a - 5) + 0.3 * b + 0.2 * (c - 5);
      double label = random.nextDouble() < 1 / (1 + Math.exp(-margin)) ? 1.0 : 0.0;
      rows.add(RowFactory.create(a, b, c, d, 1.0, label));
    }
    StructType schema = new StructType(List.of("a", "b", "c", "d", "e", TrainingSet.LABEL).stream()
        .map(n -> new StructField(n, DataTypes.DoubleType, false, org.apache.spark.sql.types.Metadata.empty()))
        .toArray(StructField[]::new));
    data = spark.createDataFrame(rows, schema).repartition(3);
    preparation = new Pipeline().setStages(new PipelineStage[] {
        new VectorAssembler().setInputCols(new String[] {"a", "b", "c", "d", "e"}).setOutputCol("raw_features"),
        new StandardScaler().setInputCol("raw_features").setOutputCol("features").setWithStd(true)
            .setWithMean(false)}).fit(data);
    onDriver = AssembledMatrix.of(preparation, data, 10_000_000);
    onExecutors = AssembledMatrix.of(preparation, data, 0);
  }

  @Test
  void theBoundDecidesWhereTheFitRuns() {
    assertEquals(AssembledMatrix.DRIVER, onDriver.solver());
    assertEquals(AssembledMatrix.MLLIB, onExecutors.solver());
    // 4,000 rows x 5 inputs = 20,000 cells: one cell below the bound stays on the executors
    assertEquals(AssembledMatrix.DRIVER, AssembledMatrix.of(preparation, data, 20_000).solver());
    assertEquals(AssembledMatrix.MLLIB, AssembledMatrix.of(preparation, data, 19_999).solver());
  }

  @Test
  void coefficientsEqualMllibsOnTheSameMatrix() {
    for (double[] point : new double[][] {{0.001, 0.0}, {0.003, 0.5}, {0.03, 0.5}, {0.1, 1.0}}) {
      LogisticRegression estimator = UpgradeModel.regression(point[0], point[1], 100);
      LogisticRegressionModel mllib = onExecutors.fit(estimator);
      LogisticRegressionModel local = onDriver.fit(estimator);
      double[] expected = mllib.coefficients().toArray();
      double[] actual = local.coefficients().toArray();
      for (int j = 0; j < expected.length; j++) {
        assertEquals(expected[j], actual[j], COEFFICIENT_TOLERANCE,
            "coefficient " + j + " at regParam " + point[0] + ", elasticNet " + point[1]);
        assertEquals(expected[j] == 0, actual[j] == 0, "which inputs L1 zeroes at " + point[0] + ", " + point[1]
            + ": MLlib " + expected[j] + ", local " + actual[j]);
      }
      assertEquals(mllib.intercept(), local.intercept(), COEFFICIENT_TOLERANCE);
      double largest = Math.abs(mllib.intercept() - local.intercept());
      for (int j = 0; j < expected.length; j++) largest = Math.max(largest, Math.abs(expected[j] - actual[j]));
      System.out.printf("local solver vs MLlib at regParam %s, elasticNet %s: largest coefficient difference %.2e%n",
          point[0], point[1], largest);
      assertEquals(0.0, actual[4], "the constant input");
      assertEquals(estimator.uid(), local.uid());
      assertEquals(mllib.getRegParam(), local.getRegParam());
      assertEquals(mllib.getElasticNetParam(), local.getElasticNetParam());
    }
  }

  @Test
  void theSavedPipelineScoresAsMllibsDoes(@TempDir Path dir) throws Exception {
    LogisticRegression estimator = UpgradeModel.regression(0.003, 0.5, 100);
    PipelineModel local = onDriver.withRegression(onDriver.fit(estimator));
    local.write().save(dir.resolve("local").toString());
    PipelineModel loaded = PipelineModel.load(dir.resolve("local").toString());
    assertTrue(loaded.stages()[2] instanceof LogisticRegressionModel);
    PipelineModel mllib = onExecutors.withRegression(onExecutors.fit(estimator));
    Dataset<Row> probe = spark.range(50).selectExpr("CAST(id % 11 AS DOUBLE) AS a", "CAST(id % 3 AS DOUBLE) AS b",
        "CAST(id % 13 AS DOUBLE) AS c", "CAST(id AS DOUBLE) AS d", "1D AS e", "0D AS label");
    List<Row> a = UpgradeModel.score(loaded, probe).select(UpgradeModel.PROBABILITY).collectAsList();
    List<Row> b = UpgradeModel.score(mllib, probe).select(UpgradeModel.PROBABILITY).collectAsList();
    for (int i = 0; i < a.size(); i++) assertEquals(b.get(i).getDouble(0), a.get(i).getDouble(0), 0.002);
  }
}
