package dev.pql;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The NaN and Infinity scan finds them at any depth and in text, and nowhere else. */
class OutputScanTest extends SparkTestBase {
  @Test
  void findsNaNAndInfinityInNumbersNestedValuesAndTextButNotInWordsOrSourceData() throws Exception {
    Path warehouse = tempDir("pql-scan");
    String[][] tables = {
        {"clean", "SELECT 'Nancy' AS name, 1.5D AS x, array(named_struct('d', 'nan_share', 'share', 0.2D)) AS o"},
        {"number", "SELECT 'a' AS name, CAST('NaN' AS DOUBLE) AS x"},
        {"nested", "SELECT map('k', CAST('-Infinity' AS DOUBLE)) AS m"},
        {"text", "SELECT 'against NaN% for the rest' AS sentence"},
        {"source", "SELECT 'NaN' AS raw_record, map('v', 'Infinity') AS properties, 2D AS x"}};
    for (String[] t : tables) {
      spark.sql(t[1]).write().format("delta").save(warehouse.resolve(t[0]).toString());
    }
    assertEquals(List.of("nested", "number", "text"),
        List.copyOf(OutputScan.nanOrInfinity(spark, warehouse).keySet()));
  }
}
