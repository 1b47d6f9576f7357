package dev.pql.options;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "run",
    description = "The whole pipeline, the one command a scheduler calls: ingest the lake, build the snapshots not "
    + "built yet, train when due (pql.run.retrain-every-days), score the snapshots not scored yet, backtest the "
    + "definitions and recompute pql_metrics. Prints a line per stage and a summary; pipeline_runs records "
    + "every stage.")
public final class RunOptions extends LakeCommandOptions {
  @Option(names = "--strict", description = "Exit 6 when the champion gate withholds the model or a stage is skipped "
      + "for too little data, instead of 0 (the summary says why either way).")
  public boolean strict;
}
