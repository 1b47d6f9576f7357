package dev.pql.io;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Watches the tasks Spark runs while a pipeline stage works and tells how evenly the busiest Spark stage
 * shared its work: the largest task's share of that stage's task time. A share near 1/tasks is even; one
 * very large account handled by a single task shows up as a share far above it.
 */
public final class TaskBalance extends SparkListener {

  /** The busiest Spark stage of a pipeline stage: its id, tasks, total task time and its largest task's share. */
  public record Balance(int sparkStageId, int tasks, long taskMillis, double largestTaskShare) {
    public static final Balance NONE = new Balance(-1, 0, 0, Double.NaN);
  }

  private record Totals(int tasks, long millis, long largest) {
    Totals plus(long taskMillis) {
      return new Totals(tasks + 1, millis + taskMillis, Math.max(largest, taskMillis));
    }
  }

  private final Map<Integer, Totals> byStage = new ConcurrentHashMap<>();
  /** The job group watched: its Spark stages and those of groups within it ("pql train.fit" in "pql train"). */
  private final String group;
  private final java.util.Set<Integer> watched = ConcurrentHashMap.newKeySet();

  private TaskBalance(String group) {
    this.group = group;
  }

  @Override
  public void onStageSubmitted(org.apache.spark.scheduler.SparkListenerStageSubmitted submitted) {
    String jobGroup = submitted.properties() == null ? null : submitted.properties().getProperty("spark.jobGroup.id");
    // Work of the pipeline stage runs under its group; other threads' stages at the same time do not count.
    if (jobGroup == null || jobGroup.equals(group) || jobGroup.startsWith(group + ".")) {
      watched.add(submitted.stageInfo().stageId());
    }
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd end) {
    if (end.taskMetrics() == null || !watched.contains(end.stageId())) return;
    long millis = end.taskMetrics().executorRunTime();
    byStage.merge(end.stageId(), new Totals(1, millis, millis), (a, b) -> a.plus(b.millis()));
  }

  /** Starts watching the tasks {@code context} runs in job group {@code group} and the groups within it. */
  public static TaskBalance watch(SparkContext context, String group) {
    TaskBalance balance = new TaskBalance(group);
    context.addSparkListener(balance);
    return balance;
  }

  /** Stops watching and returns the balance of the busiest Spark stage seen. */
  public Balance stop(SparkContext context) {
    // Task ends reach listeners asynchronously: let the bus deliver those already posted.
    try {
      context.listenerBus().waitUntilEmpty();
    } catch (Exception e) {
      // a busy bus only makes the figure approximate
    }
    context.removeSparkListener(this);
    return byStage.entrySet().stream()
        .max(Map.Entry.comparingByValue((a, b) -> Long.compare(a.millis(), b.millis())))
        .map(e -> new Balance(e.getKey(), e.getValue().tasks(), e.getValue().millis(),
            e.getValue().millis() == 0 ? Double.NaN : (double) e.getValue().largest() / e.getValue().millis()))
        .orElse(Balance.NONE);
  }
}
