package dev.pql.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.from_json;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.map;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;
import static org.apache.spark.sql.functions.trim;

import dev.pql.PqlException.SchemaError;
import dev.pql.io.SourceReader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DateType;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.TimestampType;

/**
 * Turns one configured mapping expression into a typed column over a source table. Each expression is
 * analyzed against the source's schema first, so a wrong column name or a wrong type stops the run before
 * anything is written, with the configuration key, the expression and the source's columns in the message.
 */
final class SourceMapping {
  private final Dataset<Row> source;
  private final String sourceKey;

  SourceMapping(Dataset<Row> source, String sourceKey) {
    this.source = source;
    this.sourceKey = sourceKey;
  }

  /** The expression's type over the source; a {@link SchemaError} naming the key when it does not resolve. */
  DataType typeOf(String key, String expression) {
    try {
      return source.select(expr(expression)).schema().fields()[0].dataType();
    } catch (Exception e) { // AnalysisException / ParseException, thrown undeclared from Scala
      String reason = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
      throw new SchemaError("Mapping " + key + " = \"" + expression + "\" does not fit the source " + sourceKey
          + " (its columns: " + String.join(", ", columnsOf(source)) + "): " + reason);
    }
  }

  /** A trimmed string column; null when the expression is empty. */
  Column string(String key, String expression) {
    if (expression.isBlank()) return lit(null).cast(DataTypes.StringType);
    DataType type = typeOf(key, expression);
    if (type instanceof StructType || type instanceof MapType || type instanceof org.apache.spark.sql.types.ArrayType) {
      throw new SchemaError("Mapping " + key + " = \"" + expression + "\" in " + sourceKey + " must give a single value, "
          + "found " + type.simpleString());
    }
    return trim(expr(expression).cast(DataTypes.StringType));
  }

  /** An integer column; a value that is not a number becomes null. */
  Column integer(String key, String expression) {
    if (expression.isBlank()) return lit(null).cast(DataTypes.IntegerType);
    typeOf(key, expression);
    return expr(expression).cast(DataTypes.DoubleType).cast(DataTypes.IntegerType);
  }

  /** The expression's value before any conversion, as text: kept to explain a rejected timestamp. */
  Column rawText(String expression) {
    return expression.isBlank() ? lit(null).cast(DataTypes.StringType) : expr(expression).cast(DataTypes.StringType);
  }

  /** 9999-12-31T23:59:59Z in epoch seconds. */
  private static final double MAX_EPOCH_SECONDS = 253_402_300_799.0;

  /**
   * A UTC timestamp from a timestamp, a date, a date-time string or an epoch number ({@code unit} millis or
   * seconds), also when the number is text (a JSON column where one row's time is not a number is read as text by
   * every row). A value that cannot be read becomes null; callers tell that apart from a missing value.
   */
  Column timestamp(String key, String expression, String unit) {
    DataType type = typeOf(key, expression);
    Column value = expr(expression);
    if (type instanceof TimestampType) return value;
    if (type instanceof DateType) return value.cast(DataTypes.TimestampType);
    if (type instanceof StringType) {
      return functions.when(functions.trim(value).rlike("^-?[0-9]+(\\.[0-9]+)?$"), epoch(functions.trim(value), unit))
          .otherwise(value.cast(DataTypes.TimestampType));
    }
    if (type instanceof NumericType) return epoch(value, unit);
    throw new SchemaError("Mapping " + key + " = \"" + expression + "\" in " + sourceKey + " gives "
        + type.simpleString() + "; a timestamp, date, string or epoch number is needed");
  }

  /**
   * An epoch number in {@code unit} as a timestamp. Beyond year 9999 in either direction the conversion would
   * overflow and fail the whole read: such a row's time is unparseable (null), and ingest rejects that row alone.
   */
  private static Column epoch(Column number, String unit) {
    boolean seconds = unit.equals("seconds");
    double bound = seconds ? MAX_EPOCH_SECONDS : MAX_EPOCH_SECONDS * 1000.0;
    Column whole = number.cast(DataTypes.DoubleType).cast(DataTypes.LongType);
    return functions.when(number.cast(DataTypes.DoubleType).between(-bound, bound),
        seconds ? functions.timestamp_seconds(whole) : functions.timestamp_millis(whole));
  }

  /** Event properties as map<string,string> from a map, a struct or a JSON string; empty map when unset. */
  Column properties(String key, String expression) {
    if (expression.isBlank()) return lit(null).cast(DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType));
    DataType type = typeOf(key, expression);
    MapType target = DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType);
    if (type instanceof MapType) return expr(expression).cast(target);
    if (type instanceof StructType struct) {
      List<Column> entries = new ArrayList<>();
      for (StructField f : struct.fields()) {
        entries.add(lit(f.name()));
        Column field = expr(expression).getField(f.name());
        entries.add(f.dataType() instanceof StructType || f.dataType() instanceof MapType ? to_json(field)
            : field.cast(DataTypes.StringType));
      }
      return functions.when(expr(expression).isNotNull(), map(entries.toArray(Column[]::new)));
    }
    if (type instanceof StringType) return from_json(expr(expression), target);
    throw new SchemaError("Mapping " + key + " = \"" + expression + "\" in " + sourceKey + " gives "
        + type.simpleString() + "; properties must be a map, a struct or a JSON string");
  }

  /** The source row as JSON, or the unparseable text of a malformed line. */
  Column rawRecord() {
    List<String> names = columnsOf(source);
    Column[] fields = names.stream().filter(n -> !n.equals(SourceReader.CORRUPT_RECORD)).map(n -> col("`" + n + "`"))
        .toArray(Column[]::new);
    Column json = to_json(struct(fields));
    if (!names.contains(SourceReader.CORRUPT_RECORD)) return json;
    return functions.coalesce(col(SourceReader.CORRUPT_RECORD), json);
  }

  /** True for a line the reader could not parse. */
  Column malformed() {
    return columnsOf(source).contains(SourceReader.CORRUPT_RECORD) ? col(SourceReader.CORRUPT_RECORD).isNotNull()
        : lit(false);
  }

  static List<String> columnsOf(Dataset<Row> rows) {
    return Arrays.asList(rows.columns());
  }
}
