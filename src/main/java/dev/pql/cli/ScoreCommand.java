package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.io.RunLog.StageCounts;
import dev.pql.scoring.ScoreJob;
import java.time.LocalDate;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "score", mixinStandardHelpOptions = true,
    description = "Score every open account of one snapshot with the active definitions in "
        + "pql.scoring.definitions, the learned model and the activation path: write pql_scores, "
        + "pql_qualifications and pql_new.")
final class ScoreCommand extends SparkCommand {
  @Option(names = "--as-of", paramLabel = "DATE", description = "The snapshot to score (default: the latest in "
      + "account_features).")
  LocalDate asOf;

  @Option(names = "--model", paramLabel = "VERSION", description = "Model version (default: pql.scoring.model-version, "
      + "else the latest).")
  String model;

  @Override
  String name() {
    return "score";
  }

  @Override
  int run(SparkSession spark, Settings settings, Context context) {
    System.out.print(score(spark, settings, context, asOf, model, true));
    return 0;
  }

  /** Runs the score stage and returns its report; shared with the demo. */
  static String score(SparkSession spark, Settings settings, Context context, LocalDate asOf, String model,
      boolean stages) {
    Settings effective = model == null ? settings : settings.withModelVersion(model);
    ScoreJob.Result r = context.log().stage("score", () -> ScoreJob.run(spark, effective, context.store(),
        context.log(), asOf), x -> new StageCounts(x.accounts(), x.pqls(), 0, 0));
    return Report.score(context.runId(), settings.warehouse(), r, context.store(),
        stages ? context.log().results() : java.util.List.of());
  }
}
