package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.io.RunLog.StageCounts;
import dev.pql.metrics.MetricsJob;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;

@Command(name = "metrics", mixinStandardHelpOptions = true,
    description = "Recompute pql_metrics (PQLs, PQL rate, cohort share, conversion of PQLs and non-PQLs, time to "
        + "PQL per week, month, definition and segment) from the scoring history, and print the latest complete "
        + "week.")
final class MetricsCommand extends SparkCommand {
  @Override
  String name() {
    return "metrics";
  }

  @Override
  int run(SparkSession spark, Settings settings, Context context) {
    MetricsJob.Result r = context.log().stage("metrics", () -> MetricsJob.run(settings, context.store(),
        context.runId()), x -> new StageCounts(0, x.rows(), 0, 0));
    System.out.printf("%nRun %s -> %s%npql_metrics: %,d rows over the scores of %s .. %s, conversions to %s "
            + "(%,d inserted, %,d updated, %,d deleted)%n", context.runId(), settings.warehouse(), r.rows(),
        r.scoredFrom(), r.scoredTo(), r.dataEnd(), r.inserted(), r.updated(), r.deleted());
    System.out.print(Report.metrics(context.store()));
    System.out.print(Report.stages(context.log().results()));
    return 0;
  }
}
