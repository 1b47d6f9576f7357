package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.io.RunLog.StageCounts;
import dev.pql.metrics.BacktestJob;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;

@Command(name = "backtest", mixinStandardHelpOptions = true,
    description = "Replay the active definitions, the latest model's discovered rules and its learned definition on "
        + "the stored snapshots: write definition_backtest.")
final class BacktestCommand extends SparkCommand {
  @Override
  String name() {
    return "backtest";
  }

  @Override
  int run(SparkSession spark, Settings settings, Context context) {
    BacktestJob.Result r = context.log().stage("backtest", () -> BacktestJob.run(spark, settings, context.store(),
        context.runId()), x -> new StageCounts(0, x.rules().size() + x.learned().size(), 0, 0));
    StringBuilder out = new StringBuilder(String.format("%nRun %s -> %s%n", context.runId(), settings.warehouse()));
    java.util.List<dev.pql.metrics.Backtest.Figures> all = new java.util.ArrayList<>(r.rules());
    all.addAll(r.learned());
    out.append(EvaluateCommand.table(all));
    if (!r.learned().isEmpty()) {
      out.append(String.format("(learned: the snapshots from %s on, which model %s never trained on)%n",
          r.learnedFrom(), r.modelVersion()));
    }
    out.append(Report.stages(context.log().results()));
    System.out.print(out);
    return 0;
  }
}
