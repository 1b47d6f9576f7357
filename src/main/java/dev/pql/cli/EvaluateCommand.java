package dev.pql.cli;

import dev.pql.PqlException.ConfigurationError;
import dev.pql.config.Definition;
import dev.pql.config.DefinitionLoader;
import dev.pql.config.Settings;
import dev.pql.metrics.Backtest;
import dev.pql.metrics.EvaluateJob;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = "Backtest a candidate PQL definition on the stored snapshots (no ingest, no feature build) and "
        + "print its precision, recall, lift, coverage and PQLs per week beside the active definitions.")
final class EvaluateCommand extends SparkCommand {
  static final class Candidate {
    @Option(names = "--rule", paramLabel = "EXPRESSION", required = true,
        description = "A Spark SQL boolean over account_features columns, e.g. \"cnt_30d__message_sent >= 2000\".")
    String rule;

    @Option(names = "--definition", paramLabel = "FILE", required = true,
        description = "A definition file (the syntax of conf/definitions).")
    Path definition;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Candidate candidate;

  @Option(names = "--within-days-of-signup", paramLabel = "N", description = "With --rule: only accounts at most N "
      + "days after signup.")
  Integer withinDays;

  @Option(names = "--from", paramLabel = "DATE", description = "First snapshot date replayed (default: the first).")
  LocalDate from;

  @Option(names = "--to", paramLabel = "DATE", description = "Last snapshot date replayed (default: the last whose "
      + "horizon is complete).")
  LocalDate to;

  @Override
  String name() {
    return "evaluate";
  }

  @Override
  int run(SparkSession spark, Settings settings, Context context) {
    EvaluateJob.Result r = EvaluateJob.run(spark, settings, context.store(), definition(), from, to);
    System.out.print(Report.evaluate(r));
    return 0;
  }

  private Definition definition() {
    if (candidate.rule != null) {
      if (withinDays != null && withinDays <= 0) {
        throw new ConfigurationError("--within-days-of-signup must be positive, found " + withinDays, null);
      }
      return new Definition("candidate", "-", "", Definition.Type.USAGE, candidate.rule, withinDays, Map.of(), true,
          "--rule");
    }
    try {
      return DefinitionLoader.parse(Files.readString(candidate.definition), candidate.definition.toString());
    } catch (IOException e) {
      throw new ConfigurationError("Cannot read definition file " + candidate.definition + ": " + e.getMessage(), e);
    }
  }

  static String format(double v, String pattern) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, pattern, v);
  }

  /** The figures as a table whose first columns are as wide as the longest name and version. */
  static String table(java.util.List<Backtest.Figures> figures) {
    int name = Math.max(10, figures.stream().mapToInt(f -> f.name().length()).max().orElse(0));
    int version = Math.max(3, figures.stream().mapToInt(f -> f.version().length()).max().orElse(0));
    String columns = "%-" + name + "s %-" + version + "s %9s %7s %6s %8s %9s%n";
    StringBuilder out = new StringBuilder(String.format(Locale.ROOT, columns, "definition", "ver", "precision",
        "recall", "lift", "coverage", "PQLs/week"));
    for (Backtest.Figures f : figures) {
      out.append(String.format(Locale.ROOT, columns, f.name(), f.version(), format(100 * f.precision(), "%.1f%%"),
          format(100 * f.recall(), "%.1f%%"), format(f.lift(), "%.2f"), format(100 * f.coverage(), "%.1f%%"),
          format(f.pqlsPerWeek(), "%.1f")));
    }
    return out.toString();
  }
}
