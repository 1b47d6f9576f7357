package dev.pql.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pql.io.Tables;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Two warehouses written by the same pipeline on the same lake hold the same tables: the same rows, with floating
 * point values within a relative 1e-6 (sums over other partitionings round differently, and iterative fits carry
 * the difference on: a driver's interval from 20 refits differed by 1.1e-9 between a cluster and local mode).
 */
final class TableComparison {
  /** Columns that record when or where a run happened, or how its tasks were split: they differ by nature. */
  static final Set<String> RUN_SPECIFIC = Set.of("ingested_at", "source_ingested_at", "started_at", "ended_at",
      "added_at", "trained_at", "model_path", "source_file", "busiest_spark_stage_tasks", "largest_task_share");
  static final double TOLERANCE = 1e-6;
  /** The largest difference between two floating point values compared so far (relative above 1), for the log. */
  static double largestDifference;

  private TableComparison() {}

  /** Every table of either warehouse; returns the names compared. */
  static List<String> assertSameTables(SparkSession spark, String expectedWarehouse, String actualWarehouse) {
    return assertSameTables(spark, expectedWarehouse, actualWarehouse, Set.of(), Map.of(), Set.of());
  }

  /**
   * Every table of either warehouse but {@code skipped}, leaving out the {@code ignored} columns too, with each
   * {@code renamed} text (another run's model version) read as its replacement in the actual warehouse's string
   * columns.
   */
  static List<String> assertSameTables(SparkSession spark, String expectedWarehouse, String actualWarehouse,
      Set<String> ignored, Map<String, String> renamed, Set<String> skipped) {
    List<String> compared = new ArrayList<>();
    for (String table : Stream.concat(Tables.ALL.stream().map(t -> t.name()), Stream.of(dev.pql.features.AccountFeatures.NAME))
        .toList()) {
      boolean inExpected = isDelta(spark, expectedWarehouse + "/" + table);
      assertEquals(inExpected, isDelta(spark, actualWarehouse + "/" + table), table + " in both or in neither");
      if (!inExpected || skipped.contains(table)) continue;
      Dataset<Row> expected = canonical(spark.read().format("delta").load(expectedWarehouse + "/" + table), ignored);
      Dataset<Row> actual = canonical(renamed(spark.read().format("delta").load(actualWarehouse + "/" + table),
          renamed), ignored);
      assertEquals(expected.schema(), actual.schema(), table + ": schema");
      assertSameRows(table, expected, actual);
      compared.add(table);
    }
    return compared;
  }

  private static boolean isDelta(SparkSession spark, String path) {
    return io.delta.tables.DeltaTable.isDeltaTable(spark, path);
  }

  /** The table with each text of {@code renamed} replaced in its top-level string columns. */
  private static Dataset<Row> renamed(Dataset<Row> table, Map<String, String> renamed) {
    if (renamed.isEmpty()) return table;
    for (StructField f : table.schema().fields()) {
      if (!(f.dataType() instanceof org.apache.spark.sql.types.StringType)) continue;
      Column c = functions.col(f.name());
      for (Map.Entry<String, String> r : renamed.entrySet()) {
        c = functions.regexp_replace(c, java.util.regex.Pattern.quote(r.getKey()),
            java.util.regex.Matcher.quoteReplacement(r.getValue()));
      }
      table = table.withColumn(f.name(), c.as(f.name(), f.metadata())); // the comment is part of the schema
    }
    return table;
  }

  static Dataset<Row> canonical(Dataset<Row> table) {
    return canonical(table, Set.of());
  }

  /** Without the run-specific columns (and {@code ignored}), maps as sorted entry arrays (comparable, order-free). */
  static Dataset<Row> canonical(Dataset<Row> table, Set<String> ignored) {
    List<Column> columns = new ArrayList<>();
    for (StructField f : table.schema().fields()) {
      if (RUN_SPECIFIC.contains(f.name()) || ignored.contains(f.name())) continue;
      Column c = functions.col(f.name());
      // A rejected timestamp's detail names the accepted range, which ends at the run's start + future-tolerance.
      if (f.name().equals("detail")) {
        c = functions.regexp_replace(c, "\\d{4}-\\d{2}-\\d{2}T[0-9:.]+Z\\]", "<run start + tolerance>]")
            .as(f.name());
      }
      columns.add(f.dataType() instanceof MapType ? functions.array_sort(functions.map_entries(c)).as(f.name()) : c);
    }
    return table.select(columns.toArray(Column[]::new));
  }

  static void assertSameRows(String table, Dataset<Row> expected, Dataset<Row> actual) {
    if (!hasFloatingPoint(expected.schema())) {
      // One scan per side: equal bags of rows have equal counts and equal sums of row hashes. Only when they
      // differ is it worth the two shuffles that say which rows.
      Row e = fingerprint(expected);
      Row a = fingerprint(actual);
      assertEquals(e.getLong(0), a.getLong(0), table + ": rows");
      if (e.equals(a)) return;
      assertEquals(0, expected.exceptAll(actual).count(), table + ": rows only in the expected warehouse");
      assertEquals(0, actual.exceptAll(expected).count(), table + ": rows only in the actual warehouse");
      return;
    }
    assertEquals(expected.count(), actual.count(), table + ": rows");
    // Test tables are small: bring both here, sort alike, and compare value by value with a tolerance.
    List<Row> e = sorted(expected.collectAsList());
    List<Row> a = sorted(actual.collectAsList());
    for (int i = 0; i < e.size(); i++) {
      String problem = difference(e.get(i), a.get(i));
      if (problem != null) fail(table + ": row " + i + " differs (" + problem + ")\n expected " + e.get(i) + "\n actual   " + a.get(i));
    }
  }

  /** The row count and two order-free sums of row hashes (wrapping on overflow, which keeps them order-free). */
  private static Row fingerprint(Dataset<Row> table) {
    Column[] all = Stream.of(table.columns()).map(functions::col).toArray(Column[]::new);
    return table.agg(functions.count(functions.lit(1)), functions.sum(functions.xxhash64(all)),
        functions.sum(functions.hash(all).cast("long"))).first();
  }

  private static boolean hasFloatingPoint(DataType type) {
    if (type instanceof DoubleType || type instanceof FloatType) return true;
    if (type instanceof StructType s) return Stream.of(s.fields()).anyMatch(f -> hasFloatingPoint(f.dataType()));
    if (type instanceof ArrayType a) return hasFloatingPoint(a.elementType());
    if (type instanceof MapType m) return hasFloatingPoint(m.keyType()) || hasFloatingPoint(m.valueType());
    return false;
  }

  private static List<Row> sorted(List<Row> rows) {
    List<Row> copy = new ArrayList<>(rows);
    copy.sort(Comparator.comparing(TableComparison::sortKey));
    return copy;
  }

  /** The row as text with floating point values to 6 significant digits, so tiny differences sort alike. */
  private static String sortKey(Object value) {
    if (value instanceof Double d) return String.format(Locale.ROOT, "%.6g", d);
    if (value instanceof Float f) return String.format(Locale.ROOT, "%.6g", f);
    if (value instanceof Row r) {
      StringBuilder key = new StringBuilder("[");
      for (int i = 0; i < r.length(); i++) key.append(sortKey(r.get(i))).append('|');
      return key.append(']').toString();
    }
    if (value instanceof scala.collection.Seq<?> s) {
      StringBuilder key = new StringBuilder("(");
      scala.collection.JavaConverters.seqAsJavaList(s).forEach(v -> key.append(sortKey(v)).append(','));
      return key.append(')').toString();
    }
    return String.valueOf(value);
  }

  /** Null when equal within the tolerance, else what differs. */
  static String difference(Object expected, Object actual) {
    if (expected == null || actual == null) return expected == actual ? null : expected + " vs " + actual;
    if (expected instanceof Number e && actual instanceof Number a && (expected instanceof Double || expected instanceof Float)) {
      double x = e.doubleValue();
      double y = a.doubleValue();
      if (Double.isNaN(x) && Double.isNaN(y)) return null;
      double relative = Math.abs(x - y) / Math.max(1.0, Math.max(Math.abs(x), Math.abs(y)));
      largestDifference = Math.max(largestDifference, relative);
      return relative <= TOLERANCE ? null : x + " vs " + y;
    }
    if (expected instanceof Row e && actual instanceof Row a) {
      if (e.length() != a.length()) return "fields";
      for (int i = 0; i < e.length(); i++) {
        String d = difference(e.get(i), a.get(i));
        if (d != null) return (e.schema() != null ? e.schema().fields()[i].name() : "#" + i) + ": " + d;
      }
      return null;
    }
    if (expected instanceof scala.collection.Seq<?> e && actual instanceof scala.collection.Seq<?> a) {
      List<?> x = scala.collection.JavaConverters.seqAsJavaList(e);
      List<?> y = scala.collection.JavaConverters.seqAsJavaList(a);
      if (x.size() != y.size()) return "lengths " + x.size() + " vs " + y.size();
      for (int i = 0; i < x.size(); i++) {
        String d = difference(x.get(i), y.get(i));
        if (d != null) return "[" + i + "] " + d;
      }
      return null;
    }
    if (expected instanceof String e && actual instanceof String a && !e.equals(a) && isNumber(e) && isNumber(a)) {
      // A figure written as text (model_runs.parameters holds the calibration log loss of each grid point): the
      // same floating-point tolerance as a double column.
      return difference(Double.valueOf(e), Double.valueOf(a));
    }
    return expected.equals(actual) ? null : expected + " vs " + actual;
  }

  private static boolean isNumber(String text) {
    try {
      return Double.isFinite(Double.parseDouble(text));
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
