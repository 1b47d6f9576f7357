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
          throw e;
        })
        .execute(args);
  }

  /**
   * The commands, each named and described by its options (dev.pql.options, which jobs/pql-submit parses with too),
   * then tables and help.
   */
  static CommandLine commandLine() {
    CommandLine line = new CommandLine(new Main());
    for (SparkCommand<?> command : List.of(new GenerateCommand(), new IngestCommand(), new FeaturesCommand(),
        new TrainCommand(), new ScoreCommand(), new EvaluateCommand(), new BacktestCommand(), new MetricsCommand(),
        new RunCommand(), new DemoCommand(), new ServeSqlCommand())) {
      line.addSubcommand(command.name(), command.commandLine());
    }
    line.addSubcommand("tables", new TablesCommand());
    line.addSubcommand("help", new CommandLine.HelpCommand());
    return line;
  }
}
