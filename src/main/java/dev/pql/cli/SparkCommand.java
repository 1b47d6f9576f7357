package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.io.DeltaStore;
import dev.pql.io.RunIds;
import dev.pql.io.RunLog;
import dev.pql.io.SparkSessions;
import java.io.File;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Mixin;

/**
 * A command that loads and validates its settings (before Spark starts), logs the effective
 * configuration once, runs in a Spark session and stops the session whatever happens.
 */
abstract class SparkCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(SparkCommand.class);

  @Mixin CommonOptions common;

  /** A mapping file layered under --config, for commands that read a lake. */
  File mapping() {
    return null;
  }

  /** Overrides from this command's own options. */
  Map<String, String> overrides() {
    return Map.of();
  }

  abstract int run(SparkSession spark, Settings settings, Context context);

  /** The run's id, start, warehouse and run log. */
  record Context(String runId, Instant start, DeltaStore store, RunLog log) {}

  @Override
  public Integer call() {
    Settings settings = common.load(mapping(), overrides());
    LOG.info("Effective configuration:\n{}", settings.effectiveConfiguration());
    Instant start = Instant.now();
    String runId = settings.runId().isBlank() ? RunIds.newId(start) : settings.runId();
    // A session the platform already runs (Databricks, a notebook) is joined and left running.
    boolean joined = SparkSession.getDefaultSession().isDefined();
    SparkSession spark = startSpark(settings);
    try {
      DeltaStore store = new DeltaStore(spark, settings.warehouse());
      return run(spark, settings, new Context(runId, start, store, new RunLog(spark, store, runId, name())));
    } finally {
      if (!joined) spark.stop();
    }
  }

  /** The session this command runs in. */
  SparkSession startSpark(Settings settings) {
    return SparkSessions.create(settings.spark());
  }

  abstract String name();

  /**
   * Whether the options give a --from/--to range rather than --as-of; a range needs both ends in order and no
   * --as-of beside it.
   */
  static boolean dateRange(picocli.CommandLine.Model.CommandSpec spec, java.time.LocalDate asOf,
      java.time.LocalDate from, java.time.LocalDate to) {
    if (from == null && to == null) return false;
    if (from == null || to == null || asOf != null || to.isBefore(from)) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "give --from and --to (from <= to), or --as-of");
    }
    return true;
  }
}
