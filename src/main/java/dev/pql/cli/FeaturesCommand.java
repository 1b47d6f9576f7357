package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.features.FeaturesJob;
import dev.pql.features.SnapshotDates;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "features", mixinStandardHelpOptions = true,
    description = "Bring account_daily and account_user_daily up to date with the ingested events, then write "
        + "point-in-time account_features snapshots (one partition per as-of date).")
final class FeaturesCommand extends SparkCommand {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--as-of", paramLabel = "DATE", description = "One snapshot date (default: today, UTC).")
  LocalDate asOf;

  @Option(names = "--from", paramLabel = "DATE",
      description = "First date of a backfill range; with --to, snapshots on pql.features.cadence dates.")
  LocalDate from;

  @Option(names = "--to", paramLabel = "DATE", description = "Last date of a backfill range.")
  LocalDate to;

  @Override
  String name() {
    return "features";
  }

  @Override
  int run(SparkSession spark, Settings settings, Context context) {
    List<LocalDate> dates;
    if (dateRange(spec, asOf, from, to)) {
      dates = SnapshotDates.between(from, to, settings.features().weekly(), settings.features().weekday());
    } else {
      dates = List.of(asOf != null ? asOf : LocalDate.now(ZoneOffset.UTC));
    }
    FeaturesJob.Result r = FeaturesJob.run(spark, settings.features(), settings.domains(), context.store(),
        context.log(), dates, context.start());
    System.out.print(Report.features(context.runId(), settings.warehouse(), r, context.log().results()));
    return 0;
  }
}
