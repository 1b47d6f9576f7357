package dev.pql.options;

import java.time.LocalDate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "evaluate",
    description = "Backtest a candidate PQL definition on the stored snapshots (no ingest, no feature build) and "
    + "print its precision, recall, lift, coverage and PQLs per week beside the active definitions.")
public final class EvaluateOptions extends CommandOptions {
  /** The candidate: a rule or a definition file. */
  public static final class Candidate {
    @Option(names = "--rule", paramLabel = "EXPRESSION", required = true,
        description = "A Spark SQL boolean over account_features columns, e.g. \"cnt_30d__message_sent >= 2000\".")
    public String rule;

    @Option(names = "--definition", paramLabel = "FILE", required = true,
        description = "A definition file (the syntax of conf/definitions).")
    public java.nio.file.Path definition;
  }

  @picocli.CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
  public Candidate candidate;

  @Option(names = "--within-days-of-signup", paramLabel = "N", description = "With --rule: only accounts at most N "
      + "days after signup.")
  public Integer withinDays;

  /** How the figures are printed. */
  public enum Format { table, json, csv }

  @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table", description = "table (for people, "
      + "default), json or csv (for programs): the whole window's figures and each week's, every rate with its "
      + "95%% interval and its counts; json and csv use definition_backtest's column names.")
  public Format format = Format.table;

  @Option(names = "--from", paramLabel = "DATE", description = "First snapshot date replayed (default: the first).")
  public LocalDate from;

  @Option(names = "--to", paramLabel = "DATE", description = "Last snapshot date replayed (default: the last whose "
      + "horizon is complete).")
  public LocalDate to;
}
