package dev.pql.io;

import dev.pql.PqlException.SchemaError;
import dev.pql.PqlException.WriteError;
import io.delta.tables.DeltaTable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.delta.actions.Action;
import org.apache.spark.sql.delta.actions.AddFile;
import org.apache.spark.sql.delta.actions.CommitInfo;
import org.apache.spark.sql.delta.actions.FileAction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.collection.JavaConverters;

/**
 * The warehouse: one Delta table per contract at {@code <warehouse>/<table_name>}. Tables are created
 * from their contract (with column comments) and written only by MERGE on the contract's key, so a
 * rerun of the same input changes nothing, and a failed write leaves the previous version intact.
 */
public final class DeltaStore {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DeltaStore.class);
  private final SparkSession spark;
  private final String warehouse;
  private final String root;

  /** When this store was opened: a table left half-created before then is a dead run's, not this run's. */
  private final long openedAt = System.currentTimeMillis();

  public DeltaStore(SparkSession spark, String warehouse) {
    this.spark = spark;
    this.warehouse = warehouse.endsWith("/") ? warehouse.substring(0, warehouse.length() - 1) : warehouse;
    this.root = qualified(spark, this.warehouse);
  }

  /**
   * The warehouse as a fully qualified URI (file:/abs/path, s3a://bucket/prefix): Delta takes a relative location
   * for the name of a catalog table, and a relative path means the file system's working directory anyway.
   */
  private static String qualified(SparkSession spark, String warehouse) {
    try {
      org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(warehouse);
      return p.getFileSystem(spark.sparkContext().hadoopConfiguration()).makeQualified(p).toString();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("Cannot resolve the warehouse " + warehouse, e);
    }
  }

  /** The warehouse as configured. */
  public String warehouse() {
    return warehouse;
  }

  public String path(TableContract table) {
    return location(table.name());
  }

  /** The warehouse's own fully qualified location (a relative warehouse made absolute, a scheme added). */
  public String root() {
    return root;
  }

  /** The fully qualified location of a name under the warehouse, e.g. models/v1. */
  public String location(String name) {
    return root + "/" + name;
  }

  /** Deletes a location under the warehouse that is no table (a stream's checkpoint), if it is there. */
  public void deleteLocation(String location) {
    org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(location);
    try {
      org.apache.hadoop.fs.FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (fs.exists(path)) fs.delete(path, true);
    } catch (java.io.IOException e) {
      throw new WriteError("Cannot delete " + location + ": " + e.getMessage(), e);
    }
  }

  /**
   * The table's current version from its log (no Spark job); -1 when there is no table. Two equal versions are
   * the same table contents: every write commits a new one.
   */
  public long version(TableContract table) {
    return version(table.name());
  }

  /** The same, for a table named under the warehouse (one whose contract is built at run time). */
  public long version(String table) {
    // A location without a committed version (no table, or one half-created) has Delta's initial snapshot, -1.
    return DeltaLog.forTable(spark, location(table))
        .update(false, scala.Option.empty(), scala.Option.empty()).version();
  }

  /** A small text file under the warehouse (a marker a stage leaves), or empty when it is not there. */
  public java.util.Optional<String> readText(String name) {
    org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(location(name));
    try {
      org.apache.hadoop.fs.FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(path)) return java.util.Optional.empty();
      try (java.io.InputStream in = fs.open(path)) {
        return java.util.Optional.of(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
      }
    } catch (java.io.IOException e) {
      return java.util.Optional.empty(); // unreadable: as if it were not there, so the work it spares is done
    }
  }

  /** Writes a small text file under the warehouse, replacing it. */
  public void writeText(String name, String text) {
    org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(location(name));
    try {
      org.apache.hadoop.fs.FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
      try (org.apache.hadoop.fs.FSDataOutputStream out = fs.create(path, true)) {
        out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
    } catch (java.io.IOException e) {
      throw new WriteError("Cannot write " + path + ": " + e.getMessage(), e);
    }
  }

  public boolean exists(TableContract table) {
    return DeltaTable.isDeltaTable(spark, path(table));
  }

  /** The table's rows; an empty frame of the contract's schema when the table does not exist yet. */
  public Dataset<Row> read(TableContract table) {
    if (!exists(table)) return spark.createDataFrame(List.of(), table.schema());
    return spark.read().format("delta").load(path(table));
  }

  /** A table whose columns depend on the configuration (account_features), by name; null when it does not exist. */
  public Dataset<Row> readIfExists(String tableName) {
    String path = location(tableName);
    return DeltaTable.isDeltaTable(spark, path) ? spark.read().format("delta").load(path) : null;
  }

  /** Creates the table from its contract if needed, and checks that an existing one still fits it. */
  public DeltaTable ensure(TableContract table) {
    // Every write ensures its table; a table that already fits is told apart from its log alone, without the three
    // Spark queries (create if not exists, schema, details) the full check costs.
    if (fits(table, snapshot(table))) return DeltaTable.forPath(spark, path(table));
    DeltaTable delta;
    try {
      delta = createIfNotExists(table);
    } catch (Exception e) { // Delta's IOExceptions arrive undeclared from Scala
      if (!clearedHalfCreated(table)) throw writeFailure(table, -1, e);
      try {
        delta = createIfNotExists(table);
      } catch (Exception again) {
        throw writeFailure(table, -1, again);
      }
    }
    StructType existing = delta.toDF().schema();
    List<String> added = new ArrayList<>();
    for (StructField wanted : table.schema().fields()) {
      java.util.Optional<StructField> found =
          Arrays.stream(existing.fields()).filter(f -> f.name().equals(wanted.name())).findFirst();
      if (found.isEmpty()) {
        added.add("`" + wanted.name() + "` " + wanted.dataType().sql() + " COMMENT '"
            + wanted.getComment().get().replace("'", "\\'") + "'");
      } else if (!found.get().dataType().sameType(wanted.dataType())) {
        List<String> nested = new ArrayList<>();
        if (!grows(found.get().dataType(), wanted.dataType(), "`" + wanted.name() + "`", nested)) {
          throw new SchemaError("Table " + table.name() + " at " + path(table) + " does not fit its contract: column '"
              + wanted.name() + "' is " + found.get().dataType().simpleString() + ", the contract says "
              + wanted.dataType().simpleString());
        }
        added.addAll(nested);
      }
    }
    // A newer pql may add columns to a table; older rows read them as null (Delta schema evolution).
    if (!added.isEmpty()) {
      spark.sql("ALTER TABLE delta.`" + path(table) + "` ADD COLUMNS (" + String.join(", ", added) + ")");
      delta = DeltaTable.forPath(spark, path(table));
    }
    return withChangeDataFeed(table, delta);
  }

  /**
   * Whether a committed table has every column of its contract, of its type up to nullability, and the change data
   * feed its contract asks for: nothing to create, add or set.
   */
  private static boolean fits(TableContract table, org.apache.spark.sql.delta.Snapshot snapshot) {
    if (snapshot.version() < 0) return false;
    StructType existing = snapshot.schema();
    for (StructField wanted : table.schema().fields()) {
      boolean same = Arrays.stream(existing.fields())
          .anyMatch(f -> f.name().equals(wanted.name()) && f.dataType().sameType(wanted.dataType()));
      if (!same) return false;
    }
    return !table.changeDataFeed() || changeDataFeedOn(snapshot);
  }

  /** Whether the table records its changes, from its log's configuration. */
  private static boolean changeDataFeedOn(org.apache.spark.sql.delta.Snapshot snapshot) {
    return "true".equals(snapshot.metadata().configuration().get(TableContract.CHANGE_DATA_FEED).getOrElse(() -> ""));
  }

  /**
   * A table whose contract records changes, created before it did (by an older pql), gets the property in one
   * commit of its own; its change feed starts at that version.
   */
  private DeltaTable withChangeDataFeed(TableContract table, DeltaTable delta) {
    if (!table.changeDataFeed() || changeDataFeedOn(snapshot(table))) return delta;
    spark.sql("ALTER TABLE delta.`" + path(table) + "` SET TBLPROPERTIES ('" + TableContract.CHANGE_DATA_FEED
        + "' = 'true')");
    return DeltaTable.forPath(spark, path(table));
  }

  /**
   * Whether {@code wanted} is {@code existing} with fields appended to its structs (also structs inside arrays), as
   * a newer contract adds a field to a nested column; the fields to add go to {@code added} as ALTER TABLE ADD
   * COLUMNS paths (an array's elements are {@code element}).
   */
  static boolean grows(org.apache.spark.sql.types.DataType existing, org.apache.spark.sql.types.DataType wanted,
      String path, List<String> added) {
    if (existing.sameType(wanted)) return true;
    if (existing instanceof org.apache.spark.sql.types.ArrayType e
        && wanted instanceof org.apache.spark.sql.types.ArrayType w) {
      return grows(e.elementType(), w.elementType(), path + ".element", added);
    }
    if (!(existing instanceof StructType e) || !(wanted instanceof StructType w)) return false;
    if (w.fields().length < e.fields().length) return false;
    for (int i = 0; i < w.fields().length; i++) {
      StructField field = w.fields()[i];
      String at = path + ".`" + field.name() + "`";
      if (i >= e.fields().length) {
        added.add(at + " " + field.dataType().sql());
      } else if (!e.fields()[i].name().equals(field.name())
          || !grows(e.fields()[i].dataType(), field.dataType(), at, added)) {
        return false;
      }
    }
    return true;
  }

  private DeltaTable createIfNotExists(TableContract table) {
    io.delta.tables.DeltaTableBuilder builder = DeltaTable.createIfNotExists(spark)
        .location(path(table))
        .addColumns(table.schema())
        .partitionedBy(table.partitionBy().toArray(String[]::new))
        .comment(table.description());
    if (table.changeDataFeed()) builder = builder.property(TableContract.CHANGE_DATA_FEED, "true");
    return builder.execute();
  }

  /**
   * A run killed while it created a table leaves a log without its first commit (a temporary file of version 0,
   * nothing else), which Delta reads as no table and refuses to create over. No version of it was ever readable, so
   * nothing is lost by removing it: the table's folder is deleted and true returned, when every file under it is
   * older than this store (a dead run's, not one this run is writing now).
   */
  private boolean clearedHalfCreated(TableContract table) {
    org.apache.hadoop.fs.Path folder = new org.apache.hadoop.fs.Path(path(table));
    try {
      org.apache.hadoop.fs.FileSystem fs = folder.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(new org.apache.hadoop.fs.Path(folder, "_delta_log"))) return false;
      org.apache.hadoop.fs.RemoteIterator<org.apache.hadoop.fs.LocatedFileStatus> files = fs.listFiles(folder, true);
      while (files.hasNext()) {
        org.apache.hadoop.fs.LocatedFileStatus f = files.next();
        boolean committed = f.getPath().getParent().getName().equals("_delta_log")
            && f.getPath().getName().matches("\\d{20}\\.(json|checkpoint.*\\.parquet)");
        if (committed || f.getModificationTime() >= openedAt) return false;
      }
      fs.delete(folder, true);
      LOG.warn("Table {} at {} was left half-created by a run that died (no commit of version 0); removed, and "
          + "created again", table.name(), folder);
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  /**
   * For a table each run recomputes whole: when an older pql wrote it with columns its contract no longer has, its
   * rows are replaced by none under the contract's schema (one commit; the history keeps the old rows), so that the
   * recomputation can be written. Other tables never lose a column.
   */
  public void dropObsoleteColumns(TableContract table) {
    if (!exists(table)) return;
    List<String> wanted = table.columnNames();
    if (wanted.containsAll(List.of(read(table).columns()))) return;
    commit(table, () -> spark.createDataFrame(List.of(), table.schema()).write().format("delta")
        .mode("overwrite").option("overwriteSchema", "true").save(path(table)));
  }

  /** Inserts the rows whose key is not in the table yet; returns how many were inserted. */
  public long insertNew(TableContract table, Dataset<Row> rows) {
    if (neverWritten(table)) {
      ensure(table);
      // No key to match yet: a plain append inserts what the MERGE would, without the MERGE's copy of its source
      // and its join (a first load of 1.6M events: about a third less time). A rerun finds the table written.
      // By partition, as MERGE writes (repartitionBeforeWrite): one file per partition value, not one per task.
      Dataset<Row> conformed = table.conform(rows);
      Dataset<Row> out = table.partitionBy().isEmpty() ? conformed
          : conformed.repartition(table.partitionBy().stream().map(functions::col).toArray(Column[]::new));
      Map<String, String> metrics = commit(table, () -> out.write().format("delta").mode("append").save(path(table)));
      return Long.parseLong(metrics.getOrDefault("numOutputRows", "0"));
    }
    return merge(table, rows, builder -> builder.whenNotMatched().insertAll()).inserted();
  }

  /**
   * The same, with the table's rows looked up only where {@code storedRows} holds (a condition on the stored rows,
   * alias {@code t}, e.g. on a partition column: Delta then reads only those partitions); a row whose key is stored
   * elsewhere is inserted again.
   */
  public long insertNew(TableContract table, Dataset<Row> rows, Column storedRows) {
    if (neverWritten(table)) return insertNew(table, rows);
    return merge(table, rows, storedRows, builder -> builder.whenNotMatched().insertAll()).inserted();
  }

  /**
   * Whether the table holds a data file, from its log (its checksum, without a Spark job, where it has one): false
   * for a table not written yet or emptied. A file may hold no row, so true does not promise a row.
   */
  public boolean hasFiles(TableContract table) {
    org.apache.spark.sql.delta.Snapshot snapshot = snapshot(table);
    if (snapshot.version() < 0) return false;
    scala.Option<Object> known = snapshot.numOfFilesIfKnown(); // the log's checksum; else the state is read
    return (known.isDefined() ? (Long) known.get() : snapshot.numOfFiles()) > 0;
  }

  /**
   * Whether the table has no committed version yet, or only the one {@link #ensure} creates: version 0, no file
   * (from the log's checksum alone).
   */
  private boolean neverWritten(TableContract table) {
    org.apache.spark.sql.delta.Snapshot snapshot = snapshot(table);
    if (snapshot.version() < 0) return true;
    scala.Option<Object> files = snapshot.numOfFilesIfKnown();
    return snapshot.version() == 0 && files.isDefined() && ((Long) files.get()) == 0L;
  }

  /** The table's latest snapshot, read from its log. */
  private org.apache.spark.sql.delta.Snapshot snapshot(TableContract table) {
    return DeltaLog.forTable(spark, location(table.name()))
        .update(false, scala.Option.empty(), scala.Option.empty());
  }

  /**
   * Upserts a few rows held on the driver (a run's log, a model's registration): one overwrite of exactly their
   * keys (Delta's replaceWhere), which replaces the rows of those keys and adds the new ones — the same outcome as
   * a MERGE that updates matched keys and inserts the rest, in about half its time on a small table, since no join
   * finds the rows to update.
   * For a handful of keys: the predicate names each one. Returns the rows written.
   */
  public long upsertRows(TableContract table, List<Row> rows) {
    ensure(table);
    if (rows.isEmpty()) return 0;
    List<String> key = table.key();
    StructType schema = table.schema();
    String keys = rows.stream().map(r -> key.stream()
            .map(k -> "`" + k + "` = " + literal(r.get(schema.fieldIndex(k))))
            .collect(Collectors.joining(" AND ", "(", ")")))
        .distinct().collect(Collectors.joining(" OR "));
    commit(table, () -> rowsWriter(table, rows).mode("overwrite").option("replaceWhere", keys).save(path(table)),
        false);
    return rows.size();
  }

  /** The files one of this store's own writes added, and the version it committed. */
  public record OwnFiles(List<AddFile> files, long version) {
    public static final OwnFiles NONE = new OwnFiles(List.of(), -1);
  }

  /**
   * Appends a few rows held on the driver as a file of their own, whatever their keys (no file of the table is read),
   * and returns that file, so that a later {@link #replaceOwnRows} can swap it for other rows: the run log's rows.
   */
  public OwnFiles appendOwnRows(TableContract table, List<Row> rows) {
    return replaceOwnRows(table, OwnFiles.NONE, rows);
  }

  /**
   * Replaces the rows of files this store wrote ({@link #appendOwnRows}) with {@code rows}, in one commit that removes
   * those files by name and adds the new one: no file of the table is read, where a keyed write ({@link #upsertRows})
   * first finds the files its keys may be in and the rows in them (some eight queries against one). If the table has
   * changed since those files were written (another writer's commit may have rewritten them elsewhere, as a
   * compaction does), the rows are written by key instead.
   */
  public OwnFiles replaceOwnRows(TableContract table, OwnFiles previous, List<Row> rows) {
    ensure(table);
    if (rows.isEmpty() && previous.files().isEmpty()) return OwnFiles.NONE;
    List<AddFile> added = new ArrayList<>();
    long[] committed = {-1};
    commit(table, () -> {
      org.apache.spark.sql.delta.OptimisticTransaction txn = DeltaLog.forTable(spark, path(table)).startTransaction();
      if (!previous.files().isEmpty() && txn.readVersion() != previous.version()) return;
      List<Action> actions = new ArrayList<>();
      previous.files().forEach(f -> actions.add(f.remove()));
      Dataset<Row> frame = table.conform(spark.createDataFrame(rows, table.schema())).coalesce(1);
      for (FileAction a : JavaConverters.seqAsJavaList(txn.writeFiles(frame))) {
        actions.add(a);
        if (a instanceof AddFile file) added.add(file);
      }
      committed[0] = txn.commit(JavaConverters.asScalaBuffer(actions).toSeq(),
          new org.apache.spark.sql.delta.DeltaOperations.Write(previous.files().isEmpty()
              ? org.apache.spark.sql.SaveMode.Append : org.apache.spark.sql.SaveMode.Overwrite, scala.Option.empty(),
              scala.Option.empty(), scala.Option.apply(spark.conf().get(USER_METADATA, null))));
    }, false);
    if (committed[0] < 0) {
      upsertRows(table, rows);
      return OwnFiles.NONE;
    }
    return new OwnFiles(List.copyOf(added), committed[0]);
  }

  /** A few rows held on the driver, under the table's contract, as one file to write. */
  private org.apache.spark.sql.DataFrameWriter<Row> rowsWriter(TableContract table, List<Row> rows) {
    return table.conform(spark.createDataFrame(rows, table.schema())).coalesce(1).write().format("delta");
  }

  /**
   * Updates the rows matching a SQL condition, setting columns to SQL expressions, in one commit; returns the rows
   * updated (0 and no commit when the table does not exist or nothing matches).
   */
  public long update(TableContract table, String condition, Map<String, String> set) {
    if (!exists(table) || read(table).filter(condition).isEmpty()) return 0; // no empty commit
    DeltaTable target = DeltaTable.forPath(spark, path(table));
    Map<String, String> metrics = commit(table, () -> target.updateExpr(condition, set));
    return Long.parseLong(metrics.getOrDefault("numUpdatedRows", "0"));
  }

  /**
   * Updates the stored rows that match a row of {@code rows} on {@code on} (a SQL condition over t, the table, and
   * s, the rows; each stored row matches one row at most) with {@code set} (column: SQL expression), in one MERGE;
   * returns the rows updated. No commit when nothing matches.
   */
  public long updateMatching(TableContract table, Dataset<Row> rows, String on, Map<String, String> set) {
    if (!exists(table)) return 0;
    Dataset<Row> matched = read(table).as("t").join(rows.as("s"), functions.expr(on), "left_semi");
    if (matched.isEmpty()) return 0; // no empty commit
    Map<String, String> metrics = commit(table, () -> DeltaTable.forPath(spark, path(table)).as("t")
        .merge(rows.as("s"), functions.expr(on)).whenMatched().updateExpr(set).execute());
    return Long.parseLong(metrics.getOrDefault("numTargetRowsUpdated", "0"));
  }

  /**
   * Deletes the stored rows that match a row of {@code rows} on {@code on} (a SQL condition over t, the table, and s,
   * the rows) in one MERGE; returns the rows deleted. No commit when nothing matches.
   */
  public long deleteMatching(TableContract table, Dataset<Row> rows, String on) {
    if (!exists(table)) return 0;
    if (read(table).as("t").join(rows.as("s"), functions.expr(on), "left_semi").isEmpty()) return 0;
    Map<String, String> metrics = commit(table, () -> DeltaTable.forPath(spark, path(table)).as("t")
        .merge(rows.as("s"), functions.expr(on)).whenMatched().delete().execute());
    return Long.parseLong(metrics.getOrDefault("numTargetRowsDeleted", "0"));
  }

  /** A key value as a SQL literal (a predicate on a table's rows: replaceWhere, {@link #replaceMatching}). */
  public static String literal(Object value) {
    if (value == null) throw new IllegalArgumentException("a key column is null");
    if (value instanceof Number || value instanceof Boolean) return value.toString();
    if (value instanceof java.sql.Date d) return "DATE'" + d + "'";
    return "'" + value.toString().replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  /**
   * The same as {@link #sync}, but when the table already holds exactly {@code rows} (audit columns aside) no
   * version is committed: a MERGE that changes nothing still commits one, and a new version of a table tells the
   * stages that read it that it changed. Finding out is one join of the table and the rows, so this is for rows
   * cheap to compute twice (the accounts, the conversions).
   */
  public MergeCounts syncIfChanged(TableContract table, Dataset<Row> rows, java.util.Set<String> auditColumns) {
    if (exists(table)) {
      Dataset<Row> t = spark.read().format("delta").load(path(table)).as("t");
      Dataset<Row> s = table.conform(rows).as("s");
      // Keys are never null: a row of either side with a null key found no partner.
      String key = "`" + table.key().get(0) + "`";
      Column unmatched = functions.col("t." + key).isNull().or(functions.col("s." + key).isNull());
      String changed = changed(table, auditColumns);
      Column differs = changed.isEmpty() ? unmatched : unmatched.or(functions.expr(changed));
      if (t.join(s, functions.expr(keysMatch(table)), "full_outer").where(differs).isEmpty()) {
        return new MergeCounts(0, 0, 0);
      }
    }
    return sync(table, rows, auditColumns);
  }

  /**
   * Makes the table hold exactly {@code rows} (a complete recomputation, e.g. the account history):
   * inserts new keys, updates keys whose values changed (audit columns aside), deletes keys no longer
   * there. Unchanged rows are not rewritten (Delta still commits a version when nothing changed).
   */
  public MergeCounts sync(TableContract table, Dataset<Row> rows, java.util.Set<String> auditColumns) {
    String changed = changed(table, auditColumns);
    return merge(table, rows, builder -> builder
        .whenMatched(changed).updateAll()
        .whenNotMatched().insertAll()
        .whenNotMatchedBySource().delete());
  }

  /**
   * Like {@link #sync}, within the rows of some dates (the table's date column {@code column}): the table's rows of
   * those dates become exactly {@code rows}; unchanged rows are not rewritten and other dates are not touched.
   */
  public MergeCounts syncDates(TableContract table, Dataset<Row> rows, String column, List<java.time.LocalDate> dates,
      java.util.Set<String> auditColumns) {
    String changed = changed(table, auditColumns);
    return merge(table, rows, builder -> builder
        .whenMatched(changed).updateAll()
        .whenNotMatched().insertAll()
        .whenNotMatchedBySource(dateIn(column, dates)).delete());
  }

  private static String dateIn(String column, List<java.time.LocalDate> dates) {
    return "t.`" + column + "` IN (" + dates.stream().map(d -> "DATE'" + d + "'").collect(Collectors.joining(", "))
        + ")";
  }

  /** The condition "target t and source s have the same key". */
  private static String keysMatch(TableContract table) {
    return table.key().stream().map(k -> "t.`" + k + "` = s.`" + k + "`").collect(Collectors.joining(" AND "));
  }

  /** The MERGE condition "some non-key, non-audit column differs between target t and source s". */
  private static String changed(TableContract table, java.util.Set<String> auditColumns) {
    return table.columnNames().stream()
        .filter(c -> !table.key().contains(c) && !auditColumns.contains(c))
        .map(c -> "NOT (t.`" + c + "` <=> s.`" + c + "`)")
        .collect(Collectors.joining(" OR "));
  }

  /** Inserts new keys and, for existing keys, takes the source row where its {@code column} is earlier. */
  public MergeCounts keepEarliest(TableContract table, Dataset<Row> rows, String column) {
    return merge(table, rows, builder -> builder
        .whenMatched("s.`" + column + "` < t.`" + column + "`").updateAll()
        .whenNotMatched().insertAll());
  }

  /**
   * Atomically replaces the rows that match {@code predicate} (a SQL condition on the table's columns) with
   * {@code rows}, each of which must match it too (Delta checks, and fails the write otherwise): one overwrite with
   * Delta's replaceWhere, where a DELETE and then a MERGE would be two commits and a join. Nothing is committed when
   * there are no rows to write and none stored to replace. Returns the rows written.
   */
  public long replaceMatching(TableContract table, List<Row> rows, String predicate) {
    ensure(table);
    if (rows.isEmpty() && read(table).filter(predicate).isEmpty()) return 0; // no empty commit
    Map<String, String> metrics = commit(table, () -> rowsWriter(table, rows).mode("overwrite")
        .option("replaceWhere", predicate).save(path(table)));
    return Long.parseLong(metrics.getOrDefault("numOutputRows", "0"));
  }

  /**
   * Atomically replaces the rows of the given dates (the table's date partition column {@code column}) with
   * {@code rows}, leaving every other partition's files untouched; each date is written as one file. Returns the
   * rows written.
   */
  public long replaceDates(TableContract table, Dataset<Row> rows, String column, List<java.time.LocalDate> dates) {
    ensure(table);
    if (dates.isEmpty()) return 0;
    String predicate = "`" + column + "` IN (" + dates.stream().map(d -> "DATE'" + d + "'")
        .collect(Collectors.joining(", ")) + ")";
    // Rows of one date go to one task, so each date partition is written as one file, not one per task.
    Map<String, String> metrics = commit(table, () -> table.conform(rows).repartition(functions.col(column))
        .write().format("delta")
        .mode("overwrite").option("replaceWhere", predicate).save(path(table)));
    return Long.parseLong(metrics.getOrDefault("numOutputRows", "0"));
  }

  /**
   * Replaces the whole table with the rows under the contract's schema, in one commit: for a table whose columns
   * changed (a feature set with other windows or events), so that no row keeps a column the contract dropped and no
   * commit adds a column before its values are written. A failed write leaves the previous version whole.
   */
  public long replaceAll(TableContract table, Dataset<Row> rows, String partitionColumn) {
    ensureExists(table);
    Map<String, String> metrics = commit(table, () -> table.conform(rows)
        .repartition(functions.col(partitionColumn)).write().format("delta")
        .mode("overwrite").option("overwriteSchema", "true")
        .partitionBy(table.partitionBy().toArray(String[]::new)).save(path(table)));
    return Long.parseLong(metrics.getOrDefault("numOutputRows", "0"));
  }

  /** The table, created under its contract if missing, without altering the columns of one that exists. */
  private DeltaTable ensureExists(TableContract table) {
    return exists(table) ? DeltaTable.forPath(spark, path(table)) : ensure(table);
  }

  /** Rows inserted, updated and deleted by one MERGE, from Delta's commit metrics. */
  public record MergeCounts(long inserted, long updated, long deleted) {}

  private MergeCounts merge(TableContract table, Dataset<Row> rows,
      java.util.function.UnaryOperator<io.delta.tables.DeltaMergeBuilder> clauses) {
    return merge(table, rows, null, clauses);
  }

  /** A MERGE on the table's key; with {@code storedRows} (null: every row), only those stored rows are matched. */
  private MergeCounts merge(TableContract table, Dataset<Row> rows, Column storedRows,
      java.util.function.UnaryOperator<io.delta.tables.DeltaMergeBuilder> clauses) {
    Dataset<Row> source = table.conform(rows);
    DeltaTable target = ensure(table);
    Column on = storedRows == null ? functions.expr(keysMatch(table)) : functions.expr(keysMatch(table))
        .and(storedRows);
    Map<String, String> metrics = commit(table,
        () -> clauses.apply(target.as("t").merge(source.as("s"), on)).execute());
    return new MergeCounts(
        Long.parseLong(metrics.getOrDefault("numTargetRowsInserted", "0")),
        Long.parseLong(metrics.getOrDefault("numTargetRowsUpdated", "0")),
        Long.parseLong(metrics.getOrDefault("numTargetRowsDeleted", "0")));
  }

  /**
   * Runs one write to the table and returns the metrics of the commit it made (empty when it made none). A
   * failed write becomes a {@link WriteError} that says which version is still intact.
   */
  private Map<String, String> commit(TableContract table, Runnable write) {
    return commit(table, write, true);
  }

  /**
   * The same; without {@code metrics} (a write whose counts nobody reads: the run log's rows), the commit's metrics
   * are not looked up (a Spark job on the table's history) and an empty map is returned.
   */
  private Map<String, String> commit(TableContract table, Runnable write, boolean metrics) {
    // From the log itself: a Spark job on the table's history would cost about a tenth of a second per commit.
    long before = version(table);
    try {
      FaultInjection.writing(spark.sparkContext(), table.name(), write);
    } catch (Exception e) { // Delta's IOExceptions arrive undeclared from Scala
      throw writeFailure(table, before, e);
    }
    if (!metrics) {
      if (version(table) > before) FaultInjection.committed(table.name());
      return Map.of();
    }
    // This write's own commit: the first after `before` that carries this run's commit info, not "the latest",
    // which may be another writer's. Read from the commit files themselves: the table's history as a DataFrame
    // would cost a Spark job per write.
    String mine = spark.conf().get(USER_METADATA, null);
    scala.collection.Iterator<scala.Tuple2<Object, scala.collection.Seq<Action>>> commits =
        DeltaLog.forTable(spark, path(table)).getChanges(before + 1, false);
    Map<String, String> found = null;
    boolean committed = false;
    for (int n = 0; n < HISTORY_SCAN && found == null && commits.hasNext(); n++) {
      committed = true;
      for (Action a : JavaConverters.seqAsJavaList(commits.next()._2())) {
        if (a instanceof CommitInfo info
            && (mine == null || mine.equals(info.userMetadata().isDefined() ? info.userMetadata().get() : null))) {
          found = info.operationMetrics().isDefined()
              ? Map.copyOf(JavaConverters.mapAsJavaMap(info.operationMetrics().get())) : Map.of();
        }
      }
    }
    if (committed) FaultInjection.committed(table.name());
    return found == null ? Map.of() : found;
  }


  /**
   * A failed write as pql's exit-code contract has it: another writer's commit (Delta's concurrent-modification
   * errors, or a table created meanwhile) is {@link dev.pql.PqlException.WarehouseBusy} (exit 5), anything else a
   * {@link WriteError} (exit 4) that names the version still intact.
   */
  RuntimeException writeFailure(TableContract table, long before, Exception e) {
    String intact = before < 0 ? "it was not created" : "its previous version " + before + " is intact";
    for (Throwable t = e; t != null; t = t.getCause()) {
      String error = t instanceof org.apache.spark.SparkThrowable s ? String.valueOf(s.getErrorClass()) : "";
      if (t instanceof io.delta.exceptions.DeltaConcurrentModificationException
          || error.startsWith("DELTA_TABLE_NOT_FOUND") || error.startsWith("DELTA_TABLE_ALREADY_EXISTS")) {
        return new dev.pql.PqlException.WarehouseBusy("Another writer changed table " + table.name() + " at "
            + path(table) + " while this run wrote it (" + intact + "): run one writer per warehouse (README "
            + "\"Crashes, retries and two runs at once\"); " + firstLine(t.getMessage()));
      }
    }
    return new WriteError("Writing table " + table.name() + " at " + path(table) + " failed; " + intact + ": "
        + firstLine(e.getMessage()), e);
  }

  private static String firstLine(String message) {
    if (message == null) return "";
    int end = message.indexOf('\n');
    return end < 0 ? message : message.substring(0, end);
  }

  /** The session setting whose value Delta writes into every commit's info: the run that made the commit. */
  public static final String USER_METADATA = "spark.databricks.delta.commitInfo.userMetadata";
  /** How many commits to look through for this write's own (other writers' commits may come between). */
  private static final int HISTORY_SCAN = 20;

}
