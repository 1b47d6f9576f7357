package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.io.StageContext;
import dev.pql.options.RunOptions;
import dev.pql.pipeline.Pipeline;
import dev.pql.pipeline.StageRunner;
import dev.pql.pipeline.Summaries;
import java.util.List;

final class RunCommand extends SparkCommand<RunOptions> {
  RunCommand() {
    super(new RunOptions());
  }

  @Override
  int run(Settings settings, StageContext context) {
    Pipeline.Outcome outcome = Pipeline.run(StageRunner.forPipeline(context, Pipeline.STAGES), settings, null);
    System.out.print(summary(settings, context, outcome));
    return exitCode(outcome, options.strict);
  }

  /**
   * Exit code 6 under --strict when the model is withheld, a stage was skipped for too little data, or the lake
   * drew a warning (an event never seen, a definition that cannot fire); else 0.
   */
  static int exitCode(Pipeline.Outcome outcome, boolean strict) {
    List<String> reasons = new java.util.ArrayList<>();
    if (outcome.withheld() != null) reasons.add("the model is withheld");
    if (!outcome.skipped().isEmpty()) reasons.add("skipped for too little data: " + String.join(", ",
        outcome.skipped()));
    if (!outcome.warnings().isEmpty()) reasons.add(outcome.warnings().size() + " warning"
        + (outcome.warnings().size() == 1 ? "" : "s") + " about the lake");
    if (strict && !reasons.isEmpty()) {
      System.out.println("--strict: exit 6, since " + String.join(" and ", reasons));
      return 6;
    }
    return 0;
  }

  /** The model trained, leads, drivers, this week's metrics and the stage times: the end of a run and of the demo. */
  static String summary(Settings settings, StageContext context, Pipeline.Outcome outcome) {
    if (outcome.unchangedSince() != null) return unchanged(settings, context, outcome);
    StringBuilder out = new StringBuilder();
    if (outcome.trained() != null) {
      out.append(Report.train(context.runId(), settings.warehouse(), outcome.trained().result(),
          outcome.trained().truth(), List.of()));
    }
    if (outcome.trained() == null && outcome.withheld() != null) {
      out.append(String.format("%n%s%n", dev.pql.model.ModelRegistry.withheldLine(outcome.modelVersion(),
          outcome.withheld())));
    }
    out.append(String.format("%nRun %s -> %s%n", context.runId(), settings.warehouse()));
    outcome.warnings().forEach(w -> out.append("warning: ").append(w).append('\n'));
    out.append(Report.run(Summaries.run(context.store(), outcome)));
    out.append(Report.stages(context.log().results()));
    out.append(closing(outcome));
    return out.toString();
  }

  /**
   * A run that found nothing changed since the last complete one: which run that was, the warnings it gave (the lake
   * is the same), a withheld model and that run's report, with no table read.
   */
  static String unchanged(Settings settings, StageContext context, Pipeline.Outcome outcome) {
    dev.pql.pipeline.CompletedRun previous = outcome.unchangedSince();
    StringBuilder out = new StringBuilder(String.format("%nRun %s -> %s: nothing changed since run %s ended (%s); "
        + "every stage skipped, its tables stand%n", context.runId(), settings.warehouse(), previous.runId(),
        previous.endedAt()));
    outcome.warnings().forEach(w -> out.append("warning: ").append(w).append('\n'));
    if (outcome.withheld() != null) {
      out.append(String.format("Withheld: model %s scores nothing: %s%n", outcome.modelVersion(),
          outcome.withheld()));
    }
    if (outcome.report() != null) out.append(String.format("Report: %s (run %s's)%n", outcome.report(),
        previous.runId()));
    return out.toString();
  }

  /** The last lines: the stages skipped and why, a withheld model and why, and where the report is. */
  static String closing(Pipeline.Outcome outcome) {
    StringBuilder out = new StringBuilder();
    outcome.skips().forEach((stage, why) -> out.append(String.format("Skipped %s: %s%n", stage, why)));
    if (outcome.withheld() != null) {
      out.append(String.format("Withheld: model %s scores nothing: %s%n", outcome.modelVersion(),
          outcome.withheld()));
    }
    if (outcome.report() != null) out.append(String.format("Report: %s%n", outcome.report()));
    return out.toString();
  }
}
