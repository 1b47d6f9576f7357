package dev.pql.cli;

import dev.pql.PqlException;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** pql's command line: {@code pql <command> [options]}; exit 0 on success, 2 on bad configuration. */
@Command(name = "pql", mixinStandardHelpOptions = true, version = "pql 0.1.0",
    description = "Finds product-qualified leads in a product event lake.")
public final class Main {
  public static void main(String[] args) {
    dev.pql.io.ConsoleProgress.guardStderr(); // a log line on the console ends an open progress line first
    System.exit(execute(args));
  }

  /** Runs one command and returns its exit code; used by main and by tests. */
  public static int execute(String... args) {
    return commandLine()
        .setExecutionExceptionHandler((e, cmd, parsed) -> {
          if (e instanceof PqlException p) {
            cmd.getErr().println("pql: " + p.getMessage());
            return p.exitCode();
          }
          // A bug: one line for the person, the stack trace for the log (and the issue they may file).
          org.slf4j.LoggerFactory.getLogger(Main.class).error("pql " + cmd.getCommandName() + " failed", e);
          String log = System.getenv("PQL_LOG_FILE");
          cmd.getErr().println("pql: internal error (exit 1, a bug; the stack trace is in the log"
              + (log == null ? "" : ", " + log) + "): " + e);
          return 1;
        })
        .execute(args);
  }

  /** The exit-code contract, as every command's --help lists it. */
  static final java.util.Map<String, String> EXIT_CODES = exitCodes();

  /** The commands that write the warehouse and hold its lease while they run ({@link SparkCommand#writesWarehouse}). */
  static final java.util.Set<String> LEASED_COMMANDS = java.util.Set.of("ingest", "features", "train", "score",
      "backtest", "metrics", "report", "run", "demo");

  private static java.util.Map<String, String> exitCodes() {
    java.util.Map<String, String> codes = new java.util.LinkedHashMap<>();
    codes.put("0", "success");
    codes.put("1", "a bug: anything else (the stack trace is in the log)");
    codes.put("2", "bad configuration, mapping, definition or schema, found before anything is written");
    codes.put("3", "a source could not be read or holds no rows, or too little data to do the work honestly");
    codes.put("4", "a table could not be written (its previous version is intact)");
    codes.put("5", "another run holds the warehouse (wait for it, or for a dead run's lease to expire)");
    codes.put("6", "--strict only: the champion gate withheld the model, a stage was skipped, or the lake drew a "
        + "warning (an event never seen, a definition that cannot fire)");
    return java.util.Collections.unmodifiableMap(codes);
  }

  /** Adds the exit codes to a command's usage help. */
  static CommandLine withExitCodes(CommandLine line) {
    line.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(EXIT_CODES);
    return line;
  }

  /**
   * The commands, each named and described by its options (dev.pql.options, which jobs/pql-submit parses with too),
   * then tables and help.
   */
  static CommandLine commandLine() {
    CommandLine line = withExitCodes(new CommandLine(new Main()));
    for (SparkCommand<?> command : List.of(new GenerateCommand(), new EventsCommand(), new IngestCommand(),
        new FeaturesCommand(), new TrainCommand(), new ScoreCommand(), new EvaluateCommand(), new BacktestCommand(),
        new MetricsCommand(), new ReportCommand(), new RunCommand(), new DemoCommand(), new ServeSqlCommand())) {
      line.addSubcommand(command.name(), withExitCodes(command.commandLine()));
    }
    line.addSubcommand("tables", new TablesCommand());
    line.addSubcommand("help", new CommandLine.HelpCommand());
    return line;
  }
}
