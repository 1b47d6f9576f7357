package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.io.StageContext;
import dev.pql.options.DemoOptions;
import dev.pql.pipeline.Pipeline;
import dev.pql.pipeline.StageRunner;
import dev.pql.pipeline.Stages;

final class DemoCommand extends SparkCommand<DemoOptions> {
  DemoCommand() {
    super(new DemoOptions());
  }

  @Override
  int run(Settings settings, StageContext context) {
    Stages.generate(StageRunner.forCommand(context), settings);
    // The pipeline a scheduler runs, on the generated lake; with its true hazard beside the model.
    Pipeline.Outcome outcome = Pipeline.run(StageRunner.forPipeline(context, Pipeline.STAGES), settings,
        settings.generate().output());
    System.out.print(RunCommand.summary(settings, context, outcome));
    return 0;
  }
}
