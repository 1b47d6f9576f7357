package dev.pql.options;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "generate",
    description = "Write a seeded synthetic event lake (generic and Segment layouts, with ground truth).")
public final class GenerateOptions extends CommandOptions {
  @Option(names = "--output", paramLabel = "DIR", description = "Where the lake goes (pql.generate.output).")
  public String output;

  @Option(names = "--accounts", paramLabel = "N", description = "Number of accounts (pql.generate.accounts).")
  public Integer accounts;

  @Option(names = "--days", paramLabel = "N", description = "Days of activity (pql.generate.days).")
  public Integer days;

  @Option(names = "--seed", paramLabel = "N", description = "Random seed (pql.generate.seed).")
  public Long seed;

  @Override
  protected Map<String, String> commandOverrides() {
    Map<String, String> o = new LinkedHashMap<>();
    if (output != null) o.put("pql.generate.output", output);
    if (accounts != null) o.put("pql.generate.accounts", accounts.toString());
    if (days != null) o.put("pql.generate.days", days.toString());
    if (seed != null) o.put("pql.generate.seed", seed.toString());
    return o;
  }
}
