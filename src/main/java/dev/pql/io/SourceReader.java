package dev.pql.io;

import dev.pql.PqlException.ReadError;
import dev.pql.config.Settings.SourceTable;
import java.util.Arrays;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Reads one lake table with Spark's own readers. Text formats are read permissively: a line that does not
 * parse keeps its text in {@link #CORRUPT_RECORD}, so ingest can reject it with its raw record instead of
 * failing or dropping it.
 */
public final class SourceReader {
  public static final String CORRUPT_RECORD = "_corrupt_record";

  private SourceReader() {}

  public static Dataset<Row> read(SparkSession spark, SourceTable table) {
    try {
      DataFrameReader reader = spark.read().format(table.format()).options(table.options());
      return switch (table.format()) {
        case "json", "csv" -> readPermissive(spark, table, reader);
        default -> reader.load(table.path());
      };
    } catch (ReadError e) {
      throw e;
    } catch (Exception e) { // Spark's AnalysisException is thrown undeclared from Scala
      throw new ReadError("Cannot read " + table.key() + ".path = '" + table.path() + "' as " + table.format()
          + ": " + e.getMessage(), e);
    }
  }

  private static Dataset<Row> readPermissive(SparkSession spark, SourceTable table, DataFrameReader reader) {
    boolean csv = table.format().equals("csv");
    if (csv && !table.options().containsKey("header")) reader = reader.option("header", "true");
    reader = reader.option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", CORRUPT_RECORD);
    StructType inferred = reader.load(table.path()).schema();
    if (inferred.fields().length == 0) {
      // Nothing to infer a column from: the files hold no line at all (or blank lines only).
      throw new ReadError(table.key() + ".path = '" + table.path() + "' holds no rows: its " + table.format()
          + " files are empty", null);
    }
    if (!Arrays.asList(inferred.fieldNames()).contains(CORRUPT_RECORD)) {
      inferred = inferred.add(CORRUPT_RECORD, DataTypes.StringType);
    }
    return reader.schema(inferred).load(table.path());
  }
}
