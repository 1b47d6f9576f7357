package dev.pql.bench;

import dev.pql.api.Warehouse;
import dev.pql.config.SettingsLoader;
import dev.pql.io.SparkSessions;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * Times the warehouse API's evaluate on a warm session: {@code ApiTiming WAREHOUSE RULE [RUNS]} opens the warehouse
 * once, then evaluates the rule RUNS times (default 5) and prints each time. The first run pays for the JVM's and
 * Spark's warm-up; a notebook's later runs are the others.
 */
public final class ApiTiming {
  private ApiTiming() {}

  public static void main(String[] args) {
    SparkSession spark = SparkSessions.create(SettingsLoader.load(null, null, Map.of("pql.warehouse", args[0]))
        .spark());
    try {
      Warehouse warehouse = Warehouse.open(spark, args[0]);
      int runs = args.length > 2 ? Integer.parseInt(args[2]) : 5;
      for (int i = 1; i <= runs; i++) {
        long t0 = System.nanoTime();
        long rows = warehouse.evaluate(args[1]).count();
        System.out.printf("api evaluate, run %d: %.2f s (%d definitions)%n", i, (System.nanoTime() - t0) / 1e9, rows);
      }
    } finally {
      spark.stop();
    }
  }
}
