package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.io.RunIds;
import dev.pql.io.SparkSessions;
import dev.pql.io.StageContext;
import dev.pql.io.WarehouseLease;
import java.time.Duration;
import dev.pql.options.CommandOptions;
import java.time.Instant;
import java.time.LocalDate;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * A command that loads and validates its settings (before Spark starts), logs the effective
 * configuration once, runs in a Spark session and stops the session whatever happens.
 *
 * @param <O> the command's options, declared without Spark in dev.pql.options (jobs/pql-submit parses with them too)
 */
@Command(mixinStandardHelpOptions = true)
abstract class SparkCommand<O extends CommandOptions> implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(SparkCommand.class);

  final O options;

  @Spec CommandSpec spec;

  SparkCommand(O options) {
    this.options = options;
  }

  /** This command as picocli runs it: its options mixed in, named and described by their declaration. */
  CommandLine commandLine() {
    CommandLine line = new CommandLine(this);
    CommandSpec declared = CommandSpec.forAnnotatedObject(options);
    line.getCommandSpec().addMixin("options", declared);
    line.getCommandSpec().usageMessage().description(declared.usageMessage().description());
    return line;
  }

  /** Runs the command in its run's context (session, warehouse, run log). */
  abstract int run(Settings settings, StageContext context);

  @Override
  public Integer call() {
    Settings settings = options.load();
    if (options.common.showConfig) {
      System.out.println("Effective configuration (secrets masked):\n" + settings.effectiveConfiguration());
    } else {
      LOG.debug("Effective configuration:\n{}", settings.effectiveConfiguration());
    }
    Instant start = Instant.now();
    String runId = settings.runId().isBlank() ? RunIds.newId(start) : settings.runId();
    // A session the platform already runs (Databricks, a notebook) is joined and left running.
    boolean joined = SparkSession.getDefaultSession().isDefined();
    SparkSession spark = startSpark(settings);
    try {
      StageContext context = StageContext.open(spark, settings.warehouse(), runId, name(), start);
      // Where to watch the work, while it lasts (pql's stages are job groups there: "pql train.fit").
      if (spark.sparkContext().uiWebUrl().isDefined()) {
        System.out.println("Spark UI: " + spark.sparkContext().uiWebUrl().get() + " (while this " + name() + " runs)");
      }
      if (!writesWarehouse()) return run(settings, context);
      try (WarehouseLease lease = WarehouseLease.acquire(spark.sparkContext().hadoopConfiguration(),
          context.warehouseLocation(), runId, name(), Duration.ofSeconds(settings.run().leaseSeconds()), dead -> {})) {
        context.log().abandonDeadRuns(Main.LEASED_COMMANDS);
        return run(settings, context);
      }
    } finally {
      if (!joined) spark.stop();
    }
  }

  /**
   * Whether the command writes the warehouse's tables, and so holds its lease while it runs: one such command at a
   * time. Those that only read (evaluate, serve-sql) or write elsewhere (generate) do not wait for it.
   */
  boolean writesWarehouse() {
    return true;
  }

  /** The session this command runs in. */
  SparkSession startSpark(Settings settings) {
    return SparkSessions.create(settings.spark());
  }

  String name() {
    return options.name();
  }

  /**
   * Whether the options give a --from/--to range rather than --as-of; a range needs both ends in order and no
   * --as-of beside it.
   */
  boolean dateRange(LocalDate asOf, LocalDate from, LocalDate to) {
    if (from == null && to == null) return false;
    if (from == null || to == null || asOf != null || to.isBefore(from)) {
      throw new ParameterException(spec.commandLine(),
          "give --from and --to (from <= to), or --as-of");
    }
    return true;
  }
}
