package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.features.FeaturesJob;
import dev.pql.features.SnapshotDates;
import dev.pql.io.StageContext;
import dev.pql.options.FeaturesOptions;
import dev.pql.pipeline.StageRunner;
import dev.pql.pipeline.Stages;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;

final class FeaturesCommand extends SparkCommand<FeaturesOptions> {
  FeaturesCommand() {
    super(new FeaturesOptions());
  }

  @Override
  int run(Settings settings, StageContext context) {
    FeaturesOptions o = options;
    List<LocalDate> dates = dateRange(o.asOf, o.from, o.to)
        ? SnapshotDates.between(o.from, o.to, settings.features().weekly(), settings.features().weekday())
        : List.of(o.asOf != null ? o.asOf : LocalDate.now(ZoneOffset.UTC));
    FeaturesJob.Result r = Stages.features(StageRunner.forCommand(context), settings, dates);
    System.out.print(Report.features(context.runId(), settings.warehouse(), r, context.log().results()));
    return 0;
  }
}
