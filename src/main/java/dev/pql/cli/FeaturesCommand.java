package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.features.FeaturesJob;
import dev.pql.features.SnapshotDates;
import dev.pql.io.StageContext;
import dev.pql.options.CommandOptions;
import dev.pql.options.FeaturesOptions;
import dev.pql.pipeline.StageRunner;
import dev.pql.pipeline.Stages;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

@Command(mixinStandardHelpOptions = true)
final class FeaturesCommand extends SparkCommand {
  @Mixin FeaturesOptions options;

  @Override
  CommandOptions options() {
    return options;
  }

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  int run(Settings settings, StageContext context) {
    FeaturesOptions o = options;
    List<LocalDate> dates = dateRange(spec, o.asOf, o.from, o.to)
        ? SnapshotDates.between(o.from, o.to, settings.features().weekly(), settings.features().weekday())
        : List.of(o.asOf != null ? o.asOf : LocalDate.now(ZoneOffset.UTC));
    FeaturesJob.Result r = Stages.features(StageRunner.forCommand(context), settings, dates);
    System.out.print(Report.features(context.runId(), settings.warehouse(), r, context.log().results()));
    return 0;
  }
}
