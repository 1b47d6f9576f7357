package dev.pql.io;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkStageInfo;

/**
 * The console's progress line of the stage that runs, {@code [3/7] train ... }, which its end completes with the time
 * and what it did. On a terminal the line also shows, while the stage runs, its elapsed seconds and the tasks done of
 * Spark's active stages ({@code 41 s - Spark: 3 of 4 tasks, 75%}), rewritten in place once a second. A log line
 * written to the console (stderr) meanwhile never lands inside it: the open line is ended first, and the stage's
 * end is printed as a line of its own. Piped to a file or a scheduler's log, the output is plain lines.
 */
public final class ConsoleProgress {
  private static final Object LOCK = new Object();
  private static final ScheduledExecutorService TICKER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "pql-progress");
    t.setDaemon(true);
    return t;
  });

  private final PrintStream out;
  private final boolean terminal;
  private String prefix;
  private boolean open;
  private long started;
  private ScheduledFuture<?> ticking;
  private static volatile ConsoleProgress current;

  public ConsoleProgress(PrintStream out, boolean terminal) {
    this.out = out;
    this.terminal = terminal;
  }

  /** The console's progress: stdout, updated in place when it is a terminal. */
  public static ConsoleProgress console() {
    return new ConsoleProgress(System.out, System.console() != null);
  }

  /**
   * Wraps stderr so that whatever is written there (log4j's console appender, with follow = true) first ends an
   * open progress line.
   */
  public static void guardStderr() {
    PrintStream err = System.err;
    System.setErr(new PrintStream(new OutputStream() {
      @Override
      public void write(int b) {
        breakLine();
        err.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        breakLine();
        err.write(b, off, len);
      }

      @Override
      public void flush() {
        err.flush();
      }
    }, true));
  }

  private static void breakLine() {
    ConsoleProgress p = current;
    if (p == null) return;
    synchronized (LOCK) {
      if (p.open) {
        p.out.println();
        p.out.flush();
        p.open = false;
      }
    }
  }

  /** Opens the progress line of a stage; on a terminal, with Spark's progress of {@code spark} beside it. */
  public void start(String prefix, SparkContext spark) {
    synchronized (LOCK) {
      this.prefix = prefix;
      this.started = System.nanoTime();
      out.print(prefix);
      out.flush();
      open = true;
      current = this;
      if (terminal && spark != null) {
        ticking = TICKER.scheduleAtFixedRate(() -> tick(spark), 1, 1, TimeUnit.SECONDS);
      }
    }
  }

  /** Ends the stage's line with what it did: on the open line, or as a line of its own after a log line. */
  public void end(String what) {
    synchronized (LOCK) {
      if (ticking != null) ticking.cancel(false);
      ticking = null;
      String text = String.format("%.1f s: %s", seconds(), what);
      if (open) {
        out.print(terminal ? "\r" + prefix + text + "\033[K\n" : text + "\n");
      } else {
        out.println(prefix + text);
      }
      out.flush();
      open = false;
      current = null;
    }
  }

  private void tick(SparkContext spark) {
    String status = sparkProgress(spark);
    synchronized (LOCK) {
      if (current != this || ticking == null) return;
      out.print("\r" + prefix + String.format("%.0f s", seconds()) + status + "\033[K");
      out.flush();
      open = true;
    }
  }

  private double seconds() {
    return (System.nanoTime() - started) / 1e9;
  }

  /** The tasks done of Spark's active stages, e.g. " - Spark: 3 of 4 tasks, 75%"; empty when none runs. */
  static String sparkProgress(SparkContext spark) {
    long tasks = 0;
    long done = 0;
    try {
      for (int id : spark.statusTracker().getActiveStageIds()) {
        scala.Option<SparkStageInfo> info = spark.statusTracker().getStageInfo(id);
        if (info.isDefined()) {
          tasks += info.get().numTasks();
          done += info.get().numCompletedTasks();
        }
      }
    } catch (RuntimeException e) {
      return ""; // the context is stopping
    }
    return tasks == 0 ? "" : String.format(" - Spark: %,d of %,d tasks, %.0f%%", done, tasks, 100.0 * done / tasks);
  }
}
