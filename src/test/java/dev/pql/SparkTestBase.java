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
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeAll;

/**
 * One local Spark session with Delta per test class (local[2], UI off, 2 shuffle partitions, UTC, uncompressed
 * cache; no generated code for an {@link InterpretedExpressions} class), started through spark-testing-base and
 * stopped after the class.
 */
public abstract class SparkTestBase {
  /**
   * A fresh spark-testing-base fixture per class: it caches its session, which the last class stopped. With
   * {@code interpreted}, no generated code (see {@link InterpretedExpressions}).
   */
  private static JavaDataFrameSuiteBase newFixture(boolean interpreted) {
    return new JavaDataFrameSuiteBase() {
    @Override
    public SparkConf conf() {
      SparkConf conf = super.conf();
      // Files written without a chmod process each, as pql's own sessions write them.
      dev.pql.io.NioLocalFileSystem.sparkConf().forEach(conf::set);
      if (interpreted) {
        conf.set("spark.sql.codegen.wholeStage", "false").set("spark.sql.codegen.factoryMode", "NO_CODEGEN");
      }
      // -Dtest.spark.conf="key=value;key=value": settings to try on every test session (timing experiments).
      for (String kv : System.getProperty("test.spark.conf", "").split(";")) {
        if (kv.contains("=")) conf.set(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
      }
      return conf
          .setMaster("local[2]")
          .set("spark.ui.enabled", "false")
          .set("spark.sql.shuffle.partitions", "2")
          .set("spark.sql.session.timeZone", "UTC")
          .set("spark.driver.host", "127.0.0.1")
          .set("spark.databricks.delta.snapshotPartitions", "2")
          // One JVM runs every test class, and their queries repeat: keep the compiled code of more than the
          // default 100 (FeaturesJobTest and ScoreJobTest together: 157 s instead of 171 s).
          .set("spark.sql.codegen.cache.maxEntries", "2000")
          // The tests' cached batches are small: compressing them (statistics gathered per value for each scheme)
          // cost more than it saves (the stepped world: 154 and 163 s of CPU against 164 and 173 s, alternated).
          .set("spark.sql.inMemoryColumnarStorage.compressed", "false")
          .set("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
          .set("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog");
    }

    @Override
    public boolean enableHiveSupport() {
      return false;
    }
  };
  }

  protected static SparkSession spark;

  @BeforeAll
  static void startSpark(org.junit.jupiter.api.TestInfo test) {
    SparkSession.clearActiveSession(); // a command run in this JVM may have left its stopped session
    SparkSession.clearDefaultSession();
    JavaDataFrameSuiteBase fixture = newFixture(test.getTestClass()
        .map(c -> c.isAnnotationPresent(InterpretedExpressions.class)).orElse(false));
    fixture.runBefore();
    spark = fixture.spark();
  }

  @AfterAll
  static void stopSpark() {
    JavaDataFrameSuiteBase.runAfterClass();
    // Delta keeps every table's log, and with it the stopped session, in a static cache for an hour: late in the
    // suite the test JVM held 15 SparkContexts (14 stopped) and 423 table logs, its old generation 91% full.
    org.apache.spark.sql.delta.DeltaLog.clearCache();
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
    spark = null;
  }

  /** Makes the warehouse's data end the day after {@code date}: one event on that date in events. */
  protected static void lastEventOn(dev.pql.io.DeltaStore store, String date) {
    store.insertNew(dev.pql.io.Tables.EVENTS, spark.sql("SELECT 'last-event' AS event_id, 'a0' AS account_id, "
        + "CAST(NULL AS STRING) AS user_id, 'Signed In' AS event, TIMESTAMP '" + date + " 10:00:00' AS ts, DATE '"
        + date + "' AS event_date, TIMESTAMP '" + date + " 12:00:00' AS ingested_at, 'r' AS run_id, "
        + "CAST(NULL AS MAP<STRING, STRING>) AS properties, CAST(NULL AS TIMESTAMP) AS received_at, "
        + "CAST(NULL AS STRING) AS anonymous_id"));
  }

  protected static Path tempDir(String prefix) {
    try {
      return Files.createTempDirectory(prefix);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Compares two frames as bags of rows (same column names, types up to nullability), and on failure says
   * which rows are missing and which are unexpected. Map columns are compared through their JSON form.
   */
  protected static void assertSameRows(Dataset<Row> expected, Dataset<Row> actual) {
    Assertions.assertEquals(java.util.Arrays.asList(expected.columns()), java.util.Arrays.asList(actual.columns()),
        "column names");
    Dataset<Row> e = comparable(expected);
    Dataset<Row> a = comparable(actual);
    java.util.List<Row> missing = e.exceptAll(a).collectAsList();
    java.util.List<Row> unexpected = a.exceptAll(e).collectAsList();
    if (!missing.isEmpty() || !unexpected.isEmpty()) {
      Assertions.fail("rows differ\n  missing:    " + missing + "\n  unexpected: " + unexpected);
    }
  }

  private static Dataset<Row> comparable(Dataset<Row> rows) {
    java.util.List<org.apache.spark.sql.Column> columns = new java.util.ArrayList<>();
    for (org.apache.spark.sql.types.StructField f : rows.schema().fields()) {
      org.apache.spark.sql.Column c = org.apache.spark.sql.functions.col("`" + f.name() + "`");
      columns.add((f.dataType() instanceof org.apache.spark.sql.types.MapType ? org.apache.spark.sql.functions.to_json(c) : c)
          .as(f.name()));
    }
    return rows.select(columns.toArray(org.apache.spark.sql.Column[]::new));
  }

  /**
   * The Spark queries {@code work} ran in this session, by name ("collect", "deltaTransactionalWrite", ...; a failed
   * one as "NAME failed"), once the listener bus has delivered them.
   */
  protected static java.util.List<String> queriesRunBy(Runnable work) throws java.util.concurrent.TimeoutException {
    java.util.List<String> queries = new java.util.concurrent.CopyOnWriteArrayList<>();
    org.apache.spark.sql.util.QueryExecutionListener listener = new org.apache.spark.sql.util.QueryExecutionListener() {
      @Override
      public void onSuccess(String name, org.apache.spark.sql.execution.QueryExecution qe, long nanos) {
        queries.add(name);
      }

      @Override
      public void onFailure(String name, org.apache.spark.sql.execution.QueryExecution qe, Exception e) {
        queries.add(name + " failed");
      }
    };
    spark.listenerManager().register(listener);
    try {
      work.run();
      spark.sparkContext().listenerBus().waitUntilEmpty();
    } finally {
      spark.listenerManager().unregister(listener);
    }
    return java.util.List.copyOf(queries);
  }
}
