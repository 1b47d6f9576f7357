package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.io.StageContext;
import dev.pql.metrics.Backtest;
import dev.pql.metrics.BacktestJob;
import dev.pql.options.BacktestOptions;
import dev.pql.pipeline.StageRunner;
import dev.pql.pipeline.Stages;
import java.util.ArrayList;
import java.util.List;

final class BacktestCommand extends SparkCommand<BacktestOptions> {
  BacktestCommand() {
    super(new BacktestOptions());
  }

  @Override
  int run(Settings settings, StageContext context) {
    BacktestJob.Result r = Stages.backtest(StageRunner.forCommand(context), settings);
    StringBuilder out = new StringBuilder(String.format("%nRun %s -> %s%n", context.runId(), settings.warehouse()));
    List<Backtest.Figures> all = new ArrayList<>(r.rules());
    all.addAll(r.learned());
    out.append(Report.table(all));
    if (!r.learned().isEmpty()) {
      out.append(String.format("(learned: the snapshots from %s on, which model %s never trained on)%n",
          r.learnedFrom(), r.modelVersion()));
    }
    out.append(Report.stages(context.log().results()));
    System.out.print(out);
    return 0;
  }
}
