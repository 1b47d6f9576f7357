package dev.pql.cli;

import dev.pql.config.Settings;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;

@Command(name = "run", mixinStandardHelpOptions = true,
    description = "The whole pipeline, the one command a scheduler calls: ingest the lake, build the snapshots not "
        + "built yet, train when due (pql.run.retrain-every-days), score the snapshots not scored yet, backtest the "
        + "definitions and recompute pql_metrics. Prints a line per stage and a summary; pipeline_runs records "
        + "every stage.")
final class RunCommand extends LakeCommand {
  @Override
  String name() {
    return "run";
  }

  @Override
  int run(SparkSession spark, Settings settings, Context context) {
    Pipeline.Outcome outcome = Pipeline.run(spark, settings, context, null);
    System.out.print(summary(settings, context, outcome));
    return 0;
  }

  /** Leads, drivers, this week's metrics and the stage times: the end of a run and of the demo. */
  static String summary(Settings settings, Context context, Pipeline.Outcome outcome) {
    StringBuilder out = new StringBuilder(String.format("%nRun %s -> %s%n", context.runId(), settings.warehouse()));
    if (outcome.latestScored() != null) out.append(Report.leads(context.store(), outcome.latestScored()));
    out.append(Report.drivers(context.store(), outcome.modelVersion()));
    if (context.store().exists(dev.pql.io.Tables.PQL_METRICS)) out.append(Report.metrics(context.store()));
    out.append(Report.stages(context.log().results()));
    return out.toString();
  }
}
