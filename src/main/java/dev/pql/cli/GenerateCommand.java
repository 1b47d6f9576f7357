package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.generate.LakeGenerator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "generate", mixinStandardHelpOptions = true,
    description = "Write a seeded synthetic event lake (generic and Segment layouts, with ground truth).")
final class GenerateCommand extends SparkCommand {
  @Option(names = "--output", paramLabel = "DIR", description = "Where the lake goes (pql.generate.output).")
  String output;

  @Option(names = "--accounts", paramLabel = "N", description = "Number of accounts (pql.generate.accounts).")
  Integer accounts;

  @Option(names = "--days", paramLabel = "N", description = "Days of activity (pql.generate.days).")
  Integer days;

  @Option(names = "--seed", paramLabel = "N", description = "Random seed (pql.generate.seed).")
  Long seed;

  @Override
  String name() {
    return "generate";
  }

  @Override
  Map<String, String> overrides() {
    Map<String, String> o = new LinkedHashMap<>();
    if (output != null) o.put("pql.generate.output", output);
    if (accounts != null) o.put("pql.generate.accounts", accounts.toString());
    if (days != null) o.put("pql.generate.days", days.toString());
    if (seed != null) o.put("pql.generate.seed", seed.toString());
    return o;
  }

  @Override
  int run(SparkSession spark, Settings settings, Context context) {
    long t0 = System.nanoTime();
    LakeGenerator.Summary summary = LakeGenerator.generate(spark, settings.generate(), settings.domains());
    System.out.printf("Generated lake at %s in %.1f s%n", settings.generate().output(), (System.nanoTime() - t0) / 1e9);
    summary.counts().forEach((k, v) -> System.out.printf("  %-24s %,d%n", k, v));
    return 0;
  }
}
