package dev.pql.options;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "train",
    description = "Learn which actions predict an upgrade from the account_features history: fit and evaluate "
    + "the model, write model_runs, model_drivers and discovered_rules, save the model under "
    + "<warehouse>/models/<version>.")
public final class TrainOptions extends CommandOptions {
  @Option(names = "--truth", paramLabel = "LAKE",
      description = "A generated lake: also compare the model's AUC-ROC with its true hazard's on the same rows.")
  public String truthLake;
}
