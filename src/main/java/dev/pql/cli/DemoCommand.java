package dev.pql.cli;

import dev.pql.PqlException.NotEnoughData;
import dev.pql.config.Settings;
import dev.pql.features.FeaturesJob;
import dev.pql.features.SnapshotDates;
import dev.pql.generate.LakeGenerator;
import dev.pql.ingest.IngestJob;
import dev.pql.io.RunLog.StageCounts;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "The embedded default in one command: generate a small lake, ingest it into a local warehouse, "
        + "build weekly feature snapshots over its history, train the upgrade model and print what each stage read, wrote and rejected.")
final class DemoCommand extends SparkCommand {
  @Option(names = "--lake", paramLabel = "DIR",
      description = "Where the sample lake is generated (pql.generate.output and pql.ingest.lake).")
  String lake;

  @Override
  String name() {
    return "demo";
  }

  @Override
  Map<String, String> overrides() {
    Map<String, String> o = new LinkedHashMap<>();
    // The demo ingests exactly what it generated, through the generic mapping of reference.conf.
    if (lake != null) {
      o.put("pql.generate.output", lake);
      o.put("pql.ingest.lake", lake);
    }
    return o;
  }

  @Override
  int run(SparkSession spark, Settings settings, Context context) {
    LakeGenerator.Summary lake = context.log().stage("generate",
        () -> LakeGenerator.generate(spark, settings.generate(), settings.domains()),
        s -> new StageCounts(0, s.get("source_rows"), 0, 0));
    System.out.printf("Generated %,d accounts and %,d source event rows at %s%n", lake.get("accounts"),
        lake.get("source_rows"), settings.generate().output());
    IngestJob.Result result = IngestJob.run(spark, settings, context.store(), context.log(), context.start());
    System.out.print(Report.ingest(context.runId(), settings.warehouse(), result, List.of()));

    // Snapshots over the generated history, leaving out its first weeks, which have too little of it.
    int days = settings.generate().days();
    LocalDate last = settings.generate().startDate().plusDays(days);
    List<LocalDate> dates = SnapshotDates.between(settings.generate().startDate().plusDays(Math.min(28, days / 2)),
        last, settings.features().weekly(), settings.features().weekday());
    FeaturesJob.Result features = FeaturesJob.run(spark, settings.features(), settings.domains(), context.store(),
        context.log(), dates.isEmpty() ? List.of(last) : dates, context.start());
    System.out.print(Report.features(context.runId(), settings.warehouse(), features, List.of()));

    try {
      System.out.print(TrainCommand.train(spark, settings, context, settings.generate().output(), false));
    } catch (NotEnoughData e) {
      // A lake generated with very few days has no labelled history yet: the rest of the demo still stands.
      System.out.println("\ntrain skipped: " + e.getMessage());
    }
    System.out.print(Report.stages(context.log().results()));
    return 0;
  }
}
