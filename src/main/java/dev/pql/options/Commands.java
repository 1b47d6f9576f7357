package dev.pql.options;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The one list of pql's commands that run Spark, by name, with their options: what jobs/pql offers and what
 * jobs/pql-submit can submit.
 */
public final class Commands {
  private Commands() {}

  private static final Map<String, Supplier<CommandOptions>> OPTIONS = new LinkedHashMap<>();

  static {
    for (Supplier<CommandOptions> s : List.<Supplier<CommandOptions>>of(GenerateOptions::new, EventsOptions::new,
        IngestOptions::new, FeaturesOptions::new, TrainOptions::new, ScoreOptions::new, EvaluateOptions::new,
        BacktestOptions::new, MetricsOptions::new, ReportOptions::new, RunOptions::new, DemoOptions::new,
        ServeSqlOptions::new)) {
      OPTIONS.put(s.get().name(), s);
    }
  }

  /** The names, in the order of the help. */
  public static List<String> names() {
    return List.copyOf(OPTIONS.keySet());
  }

  /** New, unparsed options of a command; null for a name that is not a command. */
  public static CommandOptions options(String name) {
    Supplier<CommandOptions> s = OPTIONS.get(name);
    return s == null ? null : s.get();
  }
}
