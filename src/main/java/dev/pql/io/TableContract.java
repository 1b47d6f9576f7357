package dev.pql.io;

import dev.pql.PqlException.SchemaError;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.NullType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * One output table's contract: its name, what a row is, its key, its partitioning and every column with
 * its type and meaning. Writers create tables from it (column comments included) and conform every
 * Dataset to it before writing; the README's table section is generated from it.
 */
public record TableContract(String name, String description, List<String> key, List<String> partitionBy,
    List<ColumnSpec> columns, boolean changeDataFeed) {

  /** The Delta table property that records every row a commit inserts, updates or deletes (the change feed). */
  public static final String CHANGE_DATA_FEED = "delta.enableChangeDataFeed";

  public record ColumnSpec(String name, DataType type, boolean nullable, String comment) {}

  public static Builder table(String name, String description) {
    return new Builder(name, description);
  }

  public StructType schema() {
    return new StructType(columns.stream()
        .map(c -> new StructField(c.name(), c.type(), c.nullable(), comment(c.comment())))
        .toArray(StructField[]::new));
  }

  public List<String> columnNames() {
    return columns.stream().map(ColumnSpec::name).collect(Collectors.toList());
  }

  /**
   * The rows in contract order and types. A missing column or a column of another type is a bug in the
   * stage that built the rows, reported with the table, column and both types.
   */
  public Dataset<Row> conform(Dataset<Row> rows) {
    StructType actual = rows.schema();
    List<Column> selected = new ArrayList<>();
    for (ColumnSpec spec : columns) {
      if (!Arrays.asList(actual.fieldNames()).contains(spec.name())) {
        throw new SchemaError("Table " + name + ": the rows to write have no column '" + spec.name()
            + "' (expected " + spec.type().simpleString() + "); they have " + Arrays.toString(actual.fieldNames()));
      }
      DataType found = actual.apply(spec.name()).dataType();
      Column column = functions.col(spec.name());
      if (found instanceof NullType) {
        column = column.cast(spec.type());
      } else if (!found.sameType(spec.type())) {
        throw new SchemaError("Table " + name + ": column '" + spec.name() + "' is " + found.simpleString()
            + ", the contract says " + spec.type().simpleString());
      }
      selected.add(column.as(spec.name(), comment(spec.comment())));
    }
    return rows.select(selected.toArray(Column[]::new));
  }

  /** The table as a Markdown section: used for the README and by `pql tables`. */
  public String markdown() {
    StringBuilder out = new StringBuilder();
    out.append("### `").append(name).append("`\n\n").append(description).append("\n\n");
    out.append("Key: ").append(key.stream().map(k -> "`" + k + "`").collect(Collectors.joining(", ")));
    if (!partitionBy.isEmpty()) {
      out.append(". Partitioned by ")
          .append(partitionBy.stream().map(k -> "`" + k + "`").collect(Collectors.joining(", ")));
    }
    if (changeDataFeed) out.append(". Delta's change data feed is on (`" + CHANGE_DATA_FEED + "`)");
    out.append(".\n\n| column | type | null | meaning |\n| --- | --- | --- | --- |\n");
    for (ColumnSpec c : columns) {
      out.append("| `").append(c.name()).append("` | ").append(c.type().simpleString()).append(" | ")
          .append(c.nullable() ? "yes" : "no").append(" | ").append(c.comment().replace("|", "\\|")).append(" |\n");
    }
    return out.toString();
  }

  private static Metadata comment(String text) {
    return new MetadataBuilder().putString("comment", text).build();
  }

  public static final class Builder {
    private final String name;
    private final String description;
    private final List<ColumnSpec> columns = new ArrayList<>();
    private List<String> key = List.of();
    private List<String> partitionBy = List.of();
    private boolean changeDataFeed;

    private Builder(String name, String description) {
      this.name = name;
      this.description = description;
    }

    public Builder key(String... columnNames) {
      this.key = List.of(columnNames);
      return this;
    }

    public Builder partitionBy(String... columnNames) {
      this.partitionBy = List.of(columnNames);
      return this;
    }

    /** Records each commit's changed rows, so a consumer reads only what changed since the version it last read. */
    public Builder changeDataFeed() {
      this.changeDataFeed = true;
      return this;
    }

    public Builder required(String column, DataType type, String comment) {
      columns.add(new ColumnSpec(column, type, false, comment));
      return this;
    }

    public Builder optional(String column, DataType type, String comment) {
      columns.add(new ColumnSpec(column, type, true, comment));
      return this;
    }

    public TableContract build() {
      List<String> names = columns.stream().map(ColumnSpec::name).collect(Collectors.toList());
      if (!names.containsAll(key) || !names.containsAll(partitionBy)) {
        throw new IllegalStateException("Contract " + name + ": key or partition column not among " + names);
      }
      return new TableContract(name, description, key, partitionBy, List.copyOf(columns), changeDataFeed);
    }
  }
}
