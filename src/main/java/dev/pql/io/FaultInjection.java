package dev.pql.io;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Kill points for the fault suite ({@code FaultIT}): with the environment variable {@value #VARIABLE} set, the
 * process halts as {@code kill -9} would (no shutdown hook, no finally block, exit 137) at one point of a write:
 * {@code after-commit:<table>} right after the table's first commit of the process, {@code in-write:<table>} when
 * the first task of a write to the table ends (its files are being written, nothing is committed). Unset — as in
 * every real run — nothing is installed and each call is one map lookup.
 */
public final class FaultInjection {
  public static final String VARIABLE = "PQL_FAULT";
  /** The local property naming the table a thread's Spark jobs are writing. */
  static final String WRITING = "pql.writing";
  private static final String POINT = System.getenv(VARIABLE);

  private FaultInjection() {}

  /** Installs the in-write kill point's listener when one is asked for. */
  static void install(SparkContext sc) {
    if (POINT == null || !POINT.startsWith("in-write:")) return;
    String table = POINT.substring("in-write:".length());
    Set<Integer> writeStages = ConcurrentHashMap.newKeySet();
    sc.addSparkListener(new SparkListener() {
      @Override
      public void onJobStart(SparkListenerJobStart job) {
        if (job.properties() != null && table.equals(job.properties().getProperty(WRITING))) {
          scala.collection.JavaConverters.seqAsJavaList(job.stageIds()).forEach(id -> writeStages.add((Integer) id));
        }
      }

      @Override
      public void onTaskEnd(SparkListenerTaskEnd task) {
        if (writeStages.contains(task.stageId())) halt("in-write:" + table);
      }
    });
  }

  /** Runs a write with its Spark jobs marked as writing the table. */
  static void writing(SparkContext sc, String table, Runnable write) {
    String before = sc.getLocalProperty(WRITING);
    sc.setLocalProperty(WRITING, table);
    try {
      write.run();
    } finally {
      sc.setLocalProperty(WRITING, before);
    }
  }

  /** The point after a table's commit. */
  static void committed(String table) {
    if (POINT != null && POINT.equals("after-commit:" + table)) halt(POINT);
  }

  private static void halt(String point) {
    System.err.println("pql: halted at the fault point " + point + " (" + VARIABLE + ")");
    System.err.flush();
    Runtime.getRuntime().halt(137);
  }
}
