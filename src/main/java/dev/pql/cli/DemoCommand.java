package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.generate.LakeGenerator;
import dev.pql.io.RunLog.StageCounts;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "The embedded default in one command: generate a sample lake, then run the whole pipeline on it "
        + "into a local warehouse (ingest, weekly snapshots over its history, train, score every snapshot, backtest, "
        + "metrics) and print the top leads, the top drivers and this week's metrics.")
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
    // The pipeline a scheduler runs, on the generated lake; with its true hazard beside the model.
    Pipeline.Outcome outcome = Pipeline.run(spark, settings, context, settings.generate().output());
    System.out.print(RunCommand.summary(settings, context, outcome));
    return 0;
  }
}
