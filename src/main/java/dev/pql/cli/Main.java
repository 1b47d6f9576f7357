package dev.pql.cli;

import dev.pql.PqlException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** pql's command line: {@code pql <command> [options]}; exit 0 on success, 2 on bad configuration. */
@Command(name = "pql", mixinStandardHelpOptions = true, version = "pql 0.1.0",
    description = "Finds product-qualified leads in a product event lake.",
    subcommands = {GenerateCommand.class, IngestCommand.class, FeaturesCommand.class, TrainCommand.class,
        ScoreCommand.class, EvaluateCommand.class, BacktestCommand.class, MetricsCommand.class,
        RunCommand.class, DemoCommand.class, ServeSqlCommand.class,
        TablesCommand.class,
        CommandLine.HelpCommand.class})
public final class Main {
  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs one command and returns its exit code; used by main and by tests. */
  public static int execute(String... args) {
    return new CommandLine(new Main())
        .setExecutionExceptionHandler((e, cmd, parsed) -> {
          if (e instanceof PqlException p) {
            cmd.getErr().println("pql: " + p.getMessage());
            return p.exitCode();
          }
          throw e;
        })
        .execute(args);
  }
}
