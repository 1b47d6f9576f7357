package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.io.RunIds;
import dev.pql.io.SparkSessions;
import dev.pql.io.StageContext;
import dev.pql.options.CommandOptions;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A command that loads and validates its settings (before Spark starts), logs the effective
 * configuration once, runs in a Spark session and stops the session whatever happens.
 */
abstract class SparkCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(SparkCommand.class);

  /** The command's options, declared without Spark in dev.pql.options and mixed in by each command. */
  abstract CommandOptions options();

  /** Runs the command in its run's context (session, warehouse, run log). */
  abstract int run(Settings settings, StageContext context);

  @Override
  public Integer call() {
    Settings settings = options().load();
    LOG.info("Effective configuration:\n{}", settings.effectiveConfiguration());
    Instant start = Instant.now();
    String runId = settings.runId().isBlank() ? RunIds.newId(start) : settings.runId();
    // A session the platform already runs (Databricks, a notebook) is joined and left running.
    boolean joined = SparkSession.getDefaultSession().isDefined();
    SparkSession spark = startSpark(settings);
    try {
      return run(settings, StageContext.open(spark, settings.warehouse(), runId, name(), start));
    } finally {
      if (!joined) spark.stop();
    }
  }

  /** The session this command runs in. */
  SparkSession startSpark(Settings settings) {
    return SparkSessions.create(settings.spark());
  }

  String name() {
    return options().name();
  }

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
