package dev.pql.options;

import java.time.LocalDate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "score",
    description = "Score every open account of one snapshot with the active definitions in "
    + "pql.scoring.definitions, the learned model and the activation path: write pql_scores, "
    + "pql_qualifications and pql_new.")
public final class ScoreOptions extends CommandOptions {
  @Option(names = "--as-of", paramLabel = "DATE", description = "The snapshot to score (default: the latest in "
      + "account_features).")
  public LocalDate asOf;

  @Option(names = "--from", paramLabel = "DATE",
      description = "With --to: score every stored snapshot between the two dates, in one pass (a backfill).")
  public LocalDate from;

  @Option(names = "--to", paramLabel = "DATE", description = "Last date of a backfill range.")
  public LocalDate to;

  @Option(names = "--model", paramLabel = "VERSION", description = "Model version (default: pql.scoring.model-version, "
      + "else the latest).")
  public String model;
}
