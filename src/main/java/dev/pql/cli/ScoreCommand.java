package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.io.StageContext;
import dev.pql.options.ScoreOptions;
import dev.pql.pipeline.StageRunner;
import dev.pql.pipeline.Stages;
import dev.pql.pipeline.Summaries;
import dev.pql.scoring.ScoreJob;
import java.time.LocalDate;
import java.util.List;

final class ScoreCommand extends SparkCommand<ScoreOptions> {
  ScoreCommand() {
    super(new ScoreOptions());
  }

  @Override
  int run(Settings settings, StageContext context) {
    ScoreOptions o = options;
    List<LocalDate> dates = dateRange(o.asOf, o.from, o.to) ? Stages.storedSnapshots(context, o.from, o.to)
        : o.asOf == null ? List.of() : List.of(o.asOf);
    Settings effective = options.model == null ? settings : settings.withModelVersion(options.model);
    ScoreJob.Result r = Stages.score(StageRunner.forCommand(context), effective, dates);
    System.out.print(Report.score(context.runId(), settings.warehouse(), r, Summaries.leads(context.store(),
        r.asOf()), context.log().results()));
    Stages.unfitDefinitions(context, effective).forEach(w -> System.out.println("warning: " + w));
    return 0;
  }
}
