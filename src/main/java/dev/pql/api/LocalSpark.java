package dev.pql.api;

import dev.pql.config.SettingsLoader;
import dev.pql.io.SparkSessions;
import java.io.File;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * The Spark session {@code jobs/pql} runs in (Delta on, UTC, the configuration's master and settings), for a program
 * that has none of its own: a notebook whose kernel starts pql's JVM through JPype. Code with a session (PySpark,
 * Databricks) passes its own to {@link Warehouse} and {@link Lake} instead.
 */
public final class LocalSpark {
  private LocalSpark() {}

  /** The session of {@code configFile}'s {@code pql.spark} settings (null: pql's defaults, local[*]). */
  public static SparkSession session(String configFile) {
    return SparkSessions.create(SettingsLoader.load(configFile == null ? null : new File(configFile), null, Map.of())
        .spark());
  }
}
