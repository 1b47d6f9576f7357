package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.io.StageContext;
import dev.pql.options.CommandOptions;
import dev.pql.options.TrainOptions;
import dev.pql.pipeline.StageRunner;
import dev.pql.pipeline.Stages;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(mixinStandardHelpOptions = true)
final class TrainCommand extends SparkCommand {
  @Mixin TrainOptions options;

  @Override
  CommandOptions options() {
    return options;
  }

  @Override
  int run(Settings settings, StageContext context) {
    Stages.Trained t = Stages.train(StageRunner.forCommand(context), settings, "trained", options.truthLake);
    System.out.print(Report.train(context.runId(), settings.warehouse(), t.result(), t.truth(),
        context.log().results()));
    return 0;
  }
}
