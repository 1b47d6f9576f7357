package dev.pql.model;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.SparkTestBase;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** The one-pass weighted sums resample accounts exactly as the SQL draw of {@link AccountBootstrap#replicated}. */
class AccountBootstrapTest extends SparkTestBase {
  private static final int REPLICATES = 200;
  private static final long SEED = 7;

  @Test
  void theOnePassSumsAreTheSqlResamplesSums() {
    // Account ids of several lengths and scripts (the hash reads their UTF-8 bytes), integer counts (exact sums),
    // two rows per account, in partitions of their own or not (an account's rows are added up before weighing).
    Dataset<Row> accounts = spark.sql("""
        SELECT CASE WHEN a % 3 = 0 THEN concat('a', a) WHEN a % 3 = 1 THEN concat('Zürich-', a, '-kunde')
                    ELSE concat('acct_', repeat('x', CAST(a % 40 AS INT)), a) END AS account_id,
               CAST(id % 9 AS DOUBLE) AS n, CAST(id % 2 AS DOUBLE) AS y, CAST(NULL AS DOUBLE) AS missing
        FROM (SELECT id, id % 350 AS a FROM range(0, 700, 1, 3))""");
    double[][] sums = AccountBootstrap.weightedSums(accounts, REPLICATES, SEED);

    Column w = col(AccountBootstrap.WEIGHT);
    List<Row> sql = AccountBootstrap.replicated(accounts, REPLICATES, SEED).groupBy(AccountBootstrap.REPLICATE)
        .agg(sum(w.multiply(col("n"))), sum(w.multiply(col("y"))), sum(w)).orderBy(AccountBootstrap.REPLICATE)
        .collectAsList();
    assertEquals(REPLICATES + 1, sql.size());
    double[] sampleSizes = new double[REPLICATES + 1];
    for (Row r : sql) {
      int replicate = r.getInt(0);
      assertArrayEquals(new double[] {r.getDouble(1), r.getDouble(2), 0}, sums[replicate], 0,
          "replicate " + replicate);
      sampleSizes[replicate] = r.getDouble(3);
    }
    // The resamples are resamples: the sample's weights are all 1, the others' average about 1.
    assertEquals(700, sampleSizes[0]);
    double mean = java.util.Arrays.stream(sampleSizes, 1, REPLICATES + 1).average().orElseThrow();
    assertTrue(Math.abs(mean - 700) < 10, "mean resample size " + mean);
  }
}
