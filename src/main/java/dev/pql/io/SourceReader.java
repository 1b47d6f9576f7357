package dev.pql.io;

import static org.apache.spark.sql.functions.col;

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
   *     inference would give them: ids, so that an account id 1000 stays "1000" beside ids that make the column a
   *     double (a JSON number with a fraction or exponent is still written as a double's text: 1e3 as "1000.0")
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
    // Spark names a file by its URI (a '#' in the name as %23): read it by its path, glob characters escaped.
    String[] paths = files.stream().map(f -> globEscaped(new org.apache.hadoop.fs.Path(java.net.URI.create(f))
        .toString())).toArray(String[]::new);
    Row counts = spark.read().text(paths).agg(
        org.apache.spark.sql.functions.count(org.apache.spark.sql.functions.when(line.equalTo(""), 1)),
        org.apache.spark.sql.functions.count(org.apache.spark.sql.functions.when(
            org.apache.spark.sql.functions.lit(table.format().equals("json")).and(line.startsWith("[")), 1)))
        .first();
    return new LineCounts(counts.getLong(0), counts.getLong(1));
  }

  /**
   * Every line of the given files (as Spark names them, {@code input_file_name}) with its number: {@code path} (the
   * raw path part of the file's URI), {@code line} (1 for the first) and {@code text}. Read by Hadoop's line reader,
   * split as Spark splits files; a line's number is its place in its split plus the lines of the file's earlier
   * splits (one count per split). For the malformed lines of a text source, which Spark's readers give no number.
   */
  public static Dataset<Row> lines(SparkSession spark, java.util.List<String> files) {
    StructType schema = new StructType().add("path", DataTypes.StringType).add("split_start", DataTypes.LongType)
        .add("split_line", DataTypes.LongType).add("text", DataTypes.StringType);
    if (files.isEmpty()) {
      return spark.createDataFrame(java.util.List.of(), schema).select(col("path"), col("split_line").as("line"),
          col("text"));
    }
    org.apache.hadoop.mapreduce.Job job;
    try {
      job = org.apache.hadoop.mapreduce.Job.getInstance(spark.sparkContext().hadoopConfiguration());
      org.apache.hadoop.mapreduce.lib.input.FileInputFormat.setInputPaths(job, files.stream()
          .map(f -> new org.apache.hadoop.fs.Path(java.net.URI.create(f))).toArray(org.apache.hadoop.fs.Path[]::new));
    } catch (java.io.IOException e) {
      throw new ReadError("Cannot list the files of rejected lines " + files + ": " + e.getMessage(), e);
    }
    org.apache.spark.api.java.JavaPairRDD<org.apache.hadoop.io.LongWritable, org.apache.hadoop.io.Text> text =
        org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark.sparkContext()).newAPIHadoopRDD(
            job.getConfiguration(), org.apache.hadoop.mapreduce.lib.input.TextInputFormat.class,
            org.apache.hadoop.io.LongWritable.class, org.apache.hadoop.io.Text.class);
    org.apache.spark.api.java.JavaRDD<Row> rows =
        ((org.apache.spark.api.java.JavaNewHadoopRDD<org.apache.hadoop.io.LongWritable, org.apache.hadoop.io.Text>)
            text).mapPartitionsWithInputSplit((split, it) -> {
              org.apache.hadoop.mapreduce.lib.input.FileSplit file =
                  (org.apache.hadoop.mapreduce.lib.input.FileSplit) split;
              String path = file.getPath().toUri().getRawPath();
              long start = file.getStart();
              long[] n = {0};
              // Hadoop reuses its Text object: each line's text is copied out before the next is read.
              return new java.util.Iterator<Row>() {
                public boolean hasNext() {
                  return it.hasNext();
                }

                public Row next() {
                  return org.apache.spark.sql.RowFactory.create(path, start, n[0]++, it.next()._2().toString());
                }
              };
            }, false);
    Dataset<Row> inSplits = spark.createDataFrame(rows, schema);
    Dataset<Row> before = inSplits.groupBy("path", "split_start").count().withColumn("lines_before",
        org.apache.spark.sql.functions.coalesce(org.apache.spark.sql.functions.sum("count").over(
            org.apache.spark.sql.expressions.Window.partitionBy("path").orderBy("split_start")
                .rowsBetween(Long.MIN_VALUE, -1)), org.apache.spark.sql.functions.lit(0L)));
    return inSplits.join(before, new String[] {"path", "split_start"}).select(col("path"),
        col("lines_before").plus(col("split_line")).plus(1).as("line"), col("text"));
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
   * The source with its path fully qualified ({@code file:/abs/lake/events}, {@code s3a://bucket/lake}): the same
   * lake named relative to another folder, or absolutely, is one source. A path that is not a file system path (a
   * table name) is kept as written.
   */
  public static SourceTable located(SparkSession spark, SourceTable table) {
    try {
      org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(table.path());
      String qualified = path.getFileSystem(spark.sparkContext().hadoopConfiguration()).makeQualified(path).toString();
      return new SourceTable(table.key(), qualified, table.format(), table.options());
    } catch (Exception e) { // not a file system path, or an unknown scheme
      return table;
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
    // Read as strings, ids keep their digits (1000 stays "1000", not "1000.0"; a 24-digit id every digit, where a
    // double keeps 17). Spark's JSON parser still writes a number with a fraction or exponent as a double's text
    // (1e3 as 1000.0, 12.50 as 12.5): the README says to quote such ids.
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
