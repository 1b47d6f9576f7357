package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.ingest.IngestJob;
import dev.pql.io.StageContext;
import dev.pql.options.IngestOptions;
import dev.pql.pipeline.StageRunner;
import dev.pql.pipeline.Stages;

final class IngestCommand extends SparkCommand<IngestOptions> {
  IngestCommand() {
    super(new IngestOptions());
  }

  @Override
  int run(Settings settings, StageContext context) {
    IngestJob.Result result = Stages.ingest(StageRunner.forCommand(context), settings);
    System.out.print(Report.ingest(context.runId(), settings.warehouse(), result, context.log().results()));
    return 0;
  }
}
