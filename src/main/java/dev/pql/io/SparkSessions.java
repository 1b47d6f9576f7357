package dev.pql.io;

import dev.pql.config.Settings.SparkSettings;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** Builds (or joins) the Spark session every command runs in: Delta on, UTC, the configured settings. */
public final class SparkSessions {
  private SparkSessions() {}

  public static SparkSession create(SparkSettings settings) {
    return create(settings, java.util.Map.of());
  }

  /** With settings a command needs on top (e.g. the Thrift server's), applied before the session starts. */
  public static SparkSession create(SparkSettings settings, java.util.Map<String, String> commandConf) {
    SparkConf conf = new SparkConf();
    // spark-submit, notebooks and tests set the master themselves; the configured one is the local default.
    if (!conf.contains("spark.master")) conf.setMaster(settings.master());
    // spark-submit --name (jobs/pql-submit names each application after its command) wins over the default.
    if (!conf.contains("spark.app.name")) conf.setAppName(settings.appName());
    SparkSession.Builder builder = SparkSession.builder()
        .config(conf)
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", settings.shufflePartitions())
        // Delta's metadata log is tiny; its default 50-partition state reconstruction is slow on 2 cores.
        .config("spark.databricks.delta.snapshotPartitions", "2")
        .config("spark.ui.showConsoleProgress", "false");
    // Spark's catalog keeps its default database in ./spark-warehouse unless told otherwise: pql keeps no managed
    // table there, and a scheduler's working directory is no place for it. A platform's own setting stays.
    if (!conf.contains("spark.sql.warehouse.dir")) {
      builder.config("spark.sql.warehouse.dir", java.nio.file.Path.of(System.getProperty("java.io.tmpdir"),
          "pql-spark-catalog-" + System.getProperty("user.name")).toUri().toString());
    }
    // In this JVM only (local masters): a cluster's executors load Hadoop's file systems before pql's jar.
    if (conf.get("spark.master", "").startsWith("local")) {
      NioLocalFileSystem.sparkConf().forEach((key, value) -> {
        if (!conf.contains(key)) builder.config(key, value);
      });
    }
    commandConf.forEach(builder::config);
    settings.conf().forEach(builder::config);
    return builder.getOrCreate();
  }
}
