package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.io.RunLog.StageCounts;
import dev.pql.scoring.ScoreJob;
import dev.pql.features.SnapshotDates;
import java.time.LocalDate;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "score", mixinStandardHelpOptions = true,
    description = "Score every open account of one snapshot with the active definitions in "
        + "pql.scoring.definitions, the learned model and the activation path: write pql_scores, "
        + "pql_qualifications and pql_new.")
final class ScoreCommand extends SparkCommand {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--as-of", paramLabel = "DATE", description = "The snapshot to score (default: the latest in "
      + "account_features).")
  LocalDate asOf;

  @Option(names = "--from", paramLabel = "DATE",
      description = "With --to: score every stored snapshot between the two dates, in one pass (a backfill).")
  LocalDate from;

  @Option(names = "--to", paramLabel = "DATE", description = "Last date of a backfill range.")
  LocalDate to;

  @Option(names = "--model", paramLabel = "VERSION", description = "Model version (default: pql.scoring.model-version, "
      + "else the latest).")
  String model;

  @Override
  String name() {
    return "score";
  }

  @Override
  int run(SparkSession spark, Settings settings, Context context) {
    List<LocalDate> dates;
    if (dateRange(spec, asOf, from, to)) {
      dates = SnapshotDates.stored(context.store(), from, to);
      if (dates.isEmpty()) {
        throw new ParameterException(spec.commandLine(), "account_features holds no snapshot from " + from + " to " + to);
      }
    } else {
      dates = asOf == null ? List.of() : List.of(asOf);
    }
    Settings effective = model == null ? settings : settings.withModelVersion(model);
    ScoreJob.Result r = context.log().stage("score", () -> ScoreJob.run(spark, effective, context.store(),
        context.log(), dates), x -> new StageCounts(x.accounts(), x.pqls(), 0, 0));
    System.out.print(Report.score(context.runId(), settings.warehouse(), r, context.store(), context.log().results()));
    return 0;
  }
}
