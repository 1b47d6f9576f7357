package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.ingest.IngestJob;
import dev.pql.io.StageContext;
import dev.pql.options.CommandOptions;
import dev.pql.options.IngestOptions;
import dev.pql.pipeline.StageRunner;
import dev.pql.pipeline.Stages;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(mixinStandardHelpOptions = true)
final class IngestCommand extends SparkCommand {
  @Mixin IngestOptions options;

  @Override
  CommandOptions options() {
    return options;
  }

  @Override
  int run(Settings settings, StageContext context) {
    IngestJob.Result result = Stages.ingest(StageRunner.forCommand(context), settings);
    System.out.print(Report.ingest(context.runId(), settings.warehouse(), result, context.log().results()));
    return 0;
  }
}
