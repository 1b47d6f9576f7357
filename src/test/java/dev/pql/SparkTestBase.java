package dev.pql;

import com.holdenkarau.spark.testing.JavaDataFrameSuiteBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * One local Spark session with Delta per test class (local[2], UI off, 2 shuffle partitions, UTC), started
 * through spark-testing-base and stopped after the class.
 */
public abstract class SparkTestBase {
  protected static final JavaDataFrameSuiteBase STB = new JavaDataFrameSuiteBase() {
    @Override
    public SparkConf conf() {
      return super.conf()
          .setMaster("local[2]")
          .set("spark.ui.enabled", "false")
          .set("spark.sql.shuffle.partitions", "2")
          .set("spark.sql.session.timeZone", "UTC")
          .set("spark.driver.host", "127.0.0.1")
          .set("spark.databricks.delta.snapshotPartitions", "2")
          .set("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
          .set("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog");
    }

    @Override
    public boolean enableHiveSupport() {
      return false;
    }
  };

  protected static SparkSession spark;

  @BeforeAll
  static void startSpark() {
    STB.runBefore();
    spark = STB.spark();
  }

  @AfterAll
  static void stopSpark() {
    JavaDataFrameSuiteBase.runAfterClass();
    spark = null;
  }

  protected static Path tempDir(String prefix) {
    try {
      return Files.createTempDirectory(prefix);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Compares two frames as bags of rows, printing the differing rows on failure. */
  protected static void assertSameRows(Dataset<Row> expected, Dataset<Row> actual) {
    STB.assertDataFrameNoOrderEquals(expected, actual);
  }
}
