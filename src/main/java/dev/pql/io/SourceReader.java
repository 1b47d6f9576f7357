package dev.pql.io;

import dev.pql.PqlException.ReadError;
import dev.pql.config.Settings.SourceTable;
import java.util.Arrays;
import java.util.Set;
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
    return read(spark, table, java.util.Set.of());
  }

  /**
   * @param textColumns top-level columns of a text source to read as the text written in the file, whatever type
   *     inference would give them: ids, so that an account id {@code 1e3} stays "1e3" instead of the double 1000.0
   */
  public static Dataset<Row> read(SparkSession spark, SourceTable table, java.util.Set<String> textColumns) {
    try {
      DataFrameReader reader = spark.read().format(table.format()).options(table.options());
      return switch (table.format()) {
        case "json", "csv" -> readPermissive(spark, table, reader, textColumns);
        default -> reader.load(table.path());
      };
    } catch (ReadError e) {
      throw e;
    } catch (Exception e) { // Spark's AnalysisException is thrown undeclared from Scala
      throw new ReadError("Cannot read " + table.key() + ".path = '" + table.path() + "' as " + table.format()
          + ": " + e.getMessage(), e);
    }
  }

  /**
   * Lines of a text source that hold no record of their own: blank lines, which Spark's readers skip, and (JSON)
   * lines holding an array, whose elements Spark reads as one row each.
   */
  public record LineCounts(long blank, long arrays) {
    public static final LineCounts NONE = new LineCounts(0, 0);
  }

  /**
   * The blank and array lines of the given files of a source: one scan of their text, for JSON and CSV sources
   * (others, or no files: none).
   */
  public static LineCounts lineCounts(SparkSession spark, SourceTable table, java.util.List<String> files) {
    if (!table.format().equals("json") && !table.format().equals("csv") || files.isEmpty()) return LineCounts.NONE;
    org.apache.spark.sql.Column line = org.apache.spark.sql.functions.trim(org.apache.spark.sql.functions.col("value"));
    Row counts = spark.read().text(files.toArray(String[]::new)).agg(
        org.apache.spark.sql.functions.count(org.apache.spark.sql.functions.when(line.equalTo(""), 1)),
        org.apache.spark.sql.functions.count(org.apache.spark.sql.functions.when(
            org.apache.spark.sql.functions.lit(table.format().equals("json")).and(line.startsWith("[")), 1)))
        .first();
    return new LineCounts(counts.getLong(0), counts.getLong(1));
  }

  /**
   * The directory a source's files lie under, as the path part of the URI Spark reports for each file
   * ({@code input_file_name}): "/lake/tracks" for both {@code s3a://bucket/lake/tracks} and a local
   * {@code /lake/tracks}. Empty when the source is not a file path. Ingest keys a rejected row on its file's path
   * below this directory, so the same lake read from another place gives the same ids.
   */
  public static String root(SparkSession spark, SourceTable table) {
    String path = table.path();
    int glob = indexOfGlob(path);
    if (glob >= 0) path = path.substring(0, Math.max(0, path.lastIndexOf('/', glob)));
    if (path.isBlank()) return "";
    try {
      org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(path);
      return dir.getFileSystem(spark.sparkContext().hadoopConfiguration()).makeQualified(dir).toUri().getRawPath();
    } catch (Exception e) { // not a file system path (a table name, an unknown scheme): files keep their full name
      return "";
    }
  }

  /**
   * What a file source holds, as a digest: its format and options, and the path, length and modification time of
   * every file under its path (globs expanded, folders listed to their leaves, a Delta log's commits included).
   * Equal digests mean the same files as they were; empty when the path is not a file system path or cannot be
   * listed, so a caller that skips work on an unchanged source never skips then.
   */
  public static java.util.Optional<String> fingerprint(SparkSession spark, SourceTable table) {
    return Digests.files(spark, table.path(), table.format() + " " + new java.util.TreeMap<>(table.options()));
  }

  /** A file name as a glob that matches only it. */
  private static String globEscaped(String name) {
    return name.replaceAll("([*?\\[\\]{}\\\\])", "\\\\$1");
  }

  private static int indexOfGlob(String path) {
    int first = -1;
    for (char c : new char[] {'*', '?', '[', '{'}) {
      int i = path.indexOf(c);
      if (i >= 0 && (first < 0 || i < first)) first = i;
    }
    return first;
  }

  /**
   * Whether ingest reads the source as a stream of files (Structured Streaming's file source, which remembers the
   * files it has read): the file formats. A Delta source is read whole each time.
   */
  public static boolean streamable(SourceTable table) {
    return Set.of("parquet", "json", "csv").contains(table.format());
  }

  /**
   * The source as a stream of the files not read before, with the schema its batch read gives ({@link #read}):
   * the same columns, ids as text and the corrupt-record column included, and the same parser options. Every file
   * counts however old it is (the file source's default forgets files a week older than the newest).
   */
  public static Dataset<Row> stream(SparkSession spark, SourceTable table, StructType schema) {
    org.apache.spark.sql.streaming.DataStreamReader reader = spark.readStream().format(table.format())
        .options(table.options()).schema(schema).option("maxFileAge", "36500d");
    if (table.format().equals("json") || table.format().equals("csv")) {
      if (table.format().equals("csv") && !table.options().containsKey("header")) reader = reader.option("header", "true");
      reader = reader.option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", CORRUPT_RECORD);
    }
    try {
      // A stream reads directories: a single file is read as its folder's only file of that name.
      org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(table.path());
      if (indexOfGlob(table.path()) < 0 && path.getParent() != null
          && path.getFileSystem(spark.sparkContext().hadoopConfiguration()).getFileStatus(path).isFile()) {
        return reader.option("pathGlobFilter", globEscaped(path.getName())).load(path.getParent().toString());
      }
      return reader.load(table.path());
    } catch (Exception e) { // Spark's AnalysisException is thrown undeclared from Scala
      throw new ReadError("Cannot read " + table.key() + ".path = '" + table.path() + "' as a stream of "
          + table.format() + " files: " + e.getMessage(), e);
    }
  }

  private static Dataset<Row> readPermissive(SparkSession spark, SourceTable table, DataFrameReader reader,
      java.util.Set<String> textColumns) {
    boolean csv = table.format().equals("csv");
    if (csv && !table.options().containsKey("header")) reader = reader.option("header", "true");
    reader = reader.option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", CORRUPT_RECORD);
    StructType inferred = reader.load(table.path()).schema();
    if (inferred.fields().length == 0) {
      // Nothing to infer a column from: the files hold no line at all (or blank lines only).
      throw new ReadError(table.key() + ".path = '" + table.path() + "' holds no rows: its " + table.format()
          + " files are empty", null);
    }
    // Spark's JSON and CSV parsers give a string field the token's text as written (1e3, 007, 12.50).
    inferred = new StructType(Arrays.stream(inferred.fields())
        .map(f -> textColumns.contains(f.name()) && f.dataType() instanceof org.apache.spark.sql.types.AtomicType
            ? new org.apache.spark.sql.types.StructField(f.name(), DataTypes.StringType, true, f.metadata()) : f)
        .toArray(org.apache.spark.sql.types.StructField[]::new));
    if (!Arrays.asList(inferred.fieldNames()).contains(CORRUPT_RECORD)) {
      inferred = inferred.add(CORRUPT_RECORD, DataTypes.StringType);
    }
    return reader.schema(inferred).load(table.path());
  }
}
