package dev.pql.cli;

import dev.pql.PqlException;
import dev.pql.config.Settings;
import dev.pql.io.StageContext;
import dev.pql.options.ReportOptions;
import dev.pql.pipeline.StageRunner;
import dev.pql.pipeline.Stages;
import dev.pql.report.ReportJob;

final class ReportCommand extends SparkCommand<ReportOptions> {
  ReportCommand() {
    super(new ReportOptions());
  }

  @Override
  int run(Settings settings, StageContext context) {
    String of = options.ofRun != null ? options.ofRun : ReportJob.latestRun(context.store());
    if (of == null) {
      throw new PqlException.NotEnoughData("No run of the pipeline is in " + settings.warehouse()
          + "/pipeline_runs: run `pql run` (or `pql demo`) first, or name one with --of-run.");
    }
    ReportJob.Result r = Stages.report(StageRunner.forCommand(context), of);
    System.out.printf("%nReport of run %s (model %s): %s%n", of, r.modelVersion() == null ? "none yet"
        : r.modelVersion(), r.path());
    return 0;
  }
}
