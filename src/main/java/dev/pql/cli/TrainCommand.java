package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.io.StageContext;
import dev.pql.options.TrainOptions;
import dev.pql.pipeline.StageRunner;
import dev.pql.pipeline.Stages;

final class TrainCommand extends SparkCommand<TrainOptions> {
  TrainCommand() {
    super(new TrainOptions());
  }

  @Override
  int run(Settings settings, StageContext context) {
    Stages.Trained t = Stages.train(StageRunner.forCommand(context), settings, "trained", options.truthLake);
    System.out.print(Report.train(context.runId(), settings.warehouse(), t.result(), t.truth(),
        context.log().results()));
    return 0;
  }
}
