package dev.pql.pipeline;

import dev.pql.PqlException.NotEnoughData;
import dev.pql.io.RunLog.StageCounts;
import dev.pql.io.ConsoleProgress;
import dev.pql.io.StageContext;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The one wrapper of a stage, for the commands and the pipeline alike: its Spark jobs in the job group "pql STAGE",
 * its row in pipeline_runs with its counts and task balance, and its progress line on the console,
 * {@code [3/7] train ... 92.4 s: model X}. In the pipeline, a stage that cannot run yet (too little history) is
 * recorded as skipped and the run goes on; a command fails instead.
 */
public final class StageRunner {
  private final StageContext context;
  private final int stages;
  private final boolean skipsTooEarly;
  private final ConsoleProgress progress;
  private final java.util.List<String> skippedForData = new java.util.ArrayList<>();
  private final java.util.Map<String, String> skips = new java.util.LinkedHashMap<>();
  private int index;

  private StageRunner(StageContext context, int stages, boolean skipsTooEarly, ConsoleProgress progress) {
    this.context = context;
    this.stages = stages;
    this.skipsTooEarly = skipsTooEarly;
    this.progress = progress;
  }

  /** The pipeline's runner: numbered progress lines; a stage without enough data is skipped. */
  public static StageRunner forPipeline(StageContext context, int stages) {
    return new StageRunner(context, stages, true, ConsoleProgress.console());
  }

  /** A command's runner: one line per stage; a stage without enough data fails the command (exit 3). */
  public static StageRunner forCommand(StageContext context) {
    return new StageRunner(context, 0, false, ConsoleProgress.console());
  }

  public StageContext context() {
    return context;
  }

  /**
   * Runs a stage.
   *
   * @param counted its counts for its pipeline_runs row; null for a stage whose job records its own parts
   *     (ingest.events, features.snapshots, ...)
   * @param summary its progress line after the time
   * @return its result, or null when the pipeline skipped it for too little data
   */
  public <T> T run(String stage, Supplier<T> work, Function<T, StageCounts> counted, Function<T, String> summary) {
    start(stage);
    try {
      T result = counted == null ? context.log().inJobGroup(stage, work) : context.log().stage(stage, work, counted);
      done(summary.apply(result));
      return result;
    } catch (NotEnoughData e) {
      if (!skipsTooEarly) {
        done("failed");
        throw e;
      }
      context.log().skipped(stage, e.getMessage());
      skippedForData.add(stage);
      skips.put(stage, e.getMessage());
      done("skipped: " + e.getMessage());
      return null;
    } catch (RuntimeException e) {
      done("failed");
      throw e;
    }
  }

  /** The stages skipped so far because the warehouse held too little data for them (not those with nothing to do). */
  public java.util.List<String> skippedForData() {
    return java.util.List.copyOf(skippedForData);
  }

  /** Every stage skipped so far, for too little data or with nothing to do, with the reason. */
  public java.util.Map<String, String> skips() {
    return java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(skips));
  }

  /** Records a stage that has nothing to do, with the reason for pipeline_runs and its progress line. */
  public void skip(String stage, String reason, String line) {
    start(stage);
    context.log().skipped(stage, reason);
    skips.put(stage, reason);
    done(line);
  }

  private void start(String stage) {
    index++;
    progress.start(stages > 0 ? String.format("[%d/%d] %-9s ... ", index, stages, stage)
        : String.format("%s ... ", stage), context.spark().sparkContext());
  }

  private void done(String what) {
    progress.end(what);
  }
}
