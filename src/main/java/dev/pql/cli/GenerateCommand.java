package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.generate.LakeGenerator;
import dev.pql.io.StageContext;
import dev.pql.options.GenerateOptions;
import dev.pql.pipeline.StageRunner;
import dev.pql.pipeline.Stages;

final class GenerateCommand extends SparkCommand<GenerateOptions> {
  GenerateCommand() {
    super(new GenerateOptions());
  }

  @Override
  int run(Settings settings, StageContext context) {
    LakeGenerator.Summary summary = Stages.generate(StageRunner.forCommand(context), settings);
    summary.counts().forEach((k, v) -> System.out.printf("  %-24s %,d%n", k, v));
    return 0;
  }

  @Override
  boolean writesWarehouse() {
    return false;
  }
}
