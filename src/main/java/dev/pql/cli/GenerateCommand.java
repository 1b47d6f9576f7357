package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.generate.LakeGenerator;
import dev.pql.io.StageContext;
import dev.pql.options.CommandOptions;
import dev.pql.options.GenerateOptions;
import dev.pql.pipeline.StageRunner;
import dev.pql.pipeline.Stages;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(mixinStandardHelpOptions = true)
final class GenerateCommand extends SparkCommand {
  @Mixin GenerateOptions options;

  @Override
  CommandOptions options() {
    return options;
  }

  @Override
  int run(Settings settings, StageContext context) {
    LakeGenerator.Summary summary = Stages.generate(StageRunner.forCommand(context), settings);
    summary.counts().forEach((k, v) -> System.out.printf("  %-24s %,d%n", k, v));
    return 0;
  }
}
