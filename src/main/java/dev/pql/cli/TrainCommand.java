package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.generate.TruthCheck;
import dev.pql.model.TrainJob;
import dev.pql.model.UpgradeModel;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Learn which actions predict an upgrade from the account_features history: fit and evaluate "
        + "the model, write model_runs, model_drivers and discovered_rules, save the model under "
        + "<warehouse>/models/<version>.")
final class TrainCommand extends SparkCommand {
  @Option(names = "--truth", paramLabel = "LAKE",
      description = "A generated lake: also compare the model's AUC-ROC with its true hazard's on the same rows.")
  String truthLake;

  @Override
  String name() {
    return "train";
  }

  @Override
  int run(SparkSession spark, Settings settings, Context context) {
    System.out.print(train(spark, settings, context, truthLake, true));
    return 0;
  }

  /**
   * Runs the train stage and returns its report; with a generated lake, also compares the model with the lake's
   * true hazard on the evaluation rows. Shared with the demo, which prints the stage times once at its end.
   */
  static String train(SparkSession spark, Settings settings, Context context, String truthLake, boolean stages) {
    TrainJob.Result r = context.log().stage("train", () -> TrainJob.run(spark, settings.model(),
            settings.features(), settings.plans().free(), context.store(), context.log(), context.start()),
        x -> new dev.pql.io.RunLog.StageCounts(x.trainingRows() + x.evaluationRows(), x.drivers().size(), 0, 0));
    TruthCheck.Comparison truth = truthLake == null ? null : TruthCheck.compare(
        TrainJob.evaluationScores(context.store(), settings.plans().free(), r, settings.model().horizonDays()),
        UpgradeModel.PROBABILITY, truthLake);
    return Report.train(context.runId(), settings.warehouse(), r, truth,
        stages ? context.log().results() : java.util.List.of());
  }
}
