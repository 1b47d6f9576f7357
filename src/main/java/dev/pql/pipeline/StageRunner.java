package dev.pql.pipeline;

import dev.pql.PqlException.NotEnoughData;
import dev.pql.io.RunLog.StageCounts;
import dev.pql.io.StageContext;
import java.io.PrintStream;
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
  private final PrintStream out;
  private final java.util.List<String> skippedForData = new java.util.ArrayList<>();
  private int index;
  private long started;

  private StageRunner(StageContext context, int stages, boolean skipsTooEarly, PrintStream out) {
    this.context = context;
    this.stages = stages;
    this.skipsTooEarly = skipsTooEarly;
    this.out = out;
  }

  /** The pipeline's runner: numbered progress lines; a stage without enough data is skipped. */
  public static StageRunner forPipeline(StageContext context, int stages) {
    return new StageRunner(context, stages, true, System.out);
  }

  /** A command's runner: one line per stage; a stage without enough data fails the command (exit 3). */
  public static StageRunner forCommand(StageContext context) {
    return new StageRunner(context, 0, false, System.out);
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

  /** Records a stage that has nothing to do, with the reason for pipeline_runs and its progress line. */
  public void skip(String stage, String reason, String line) {
    start(stage);
    context.log().skipped(stage, reason);
    done(line);
  }

  private void start(String stage) {
    index++;
    started = System.nanoTime();
    out.print(stages > 0 ? String.format("[%d/%d] %-9s ... ", index, stages, stage) : String.format("%s ... ", stage));
    out.flush();
  }

  private void done(String what) {
    out.printf("%.1f s: %s%n", (System.nanoTime() - started) / 1e9, what);
  }
}
