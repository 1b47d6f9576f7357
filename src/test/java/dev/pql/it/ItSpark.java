package dev.pql.it;

import org.apache.spark.sql.SparkSession;

/** The integration tests' own Spark session, for reading the warehouses the runs wrote. */
final class ItSpark {
  private ItSpark() {}

  static synchronized SparkSession session() {
    return SparkSession.builder()
        .master("local[2]")
        .appName("pql-it")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        // As the runs it reads: no generated code. FaultIT's comparison of 25 tables took 32 and 34 s and 51 and 52 s
        // of CPU without it, against 36 s and 58 s with it (alternated).
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
        // As pql's own sessions: the Delta log of a small table in two tasks, not fifty.
        .config("spark.databricks.delta.snapshotPartitions", "2")
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .getOrCreate();
  }
}
