package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.io.StageContext;
import dev.pql.metrics.MetricsJob;
import dev.pql.options.MetricsOptions;
import dev.pql.pipeline.StageRunner;
import dev.pql.pipeline.Stages;
import dev.pql.pipeline.Summaries;

final class MetricsCommand extends SparkCommand<MetricsOptions> {
  MetricsCommand() {
    super(new MetricsOptions());
  }

  @Override
  int run(Settings settings, StageContext context) {
    MetricsJob.Result r = Stages.metrics(StageRunner.forCommand(context), settings);
    System.out.printf("%nRun %s -> %s%npql_metrics: %,d rows over the scores of %s .. %s, conversions to %s "
            + "(%,d inserted, %,d updated, %,d deleted)%n", context.runId(), settings.warehouse(), r.rows(),
        r.scoredFrom(), r.scoredTo(), r.dataEnd(), r.inserted(), r.updated(), r.deleted());
    System.out.print(Report.metrics(Summaries.metrics(context.store())));
    System.out.print(Report.stages(context.log().results()));
    return 0;
  }
}
