package dev.pql.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** The lines of text files with their numbers, however Spark splits the files. */
class SourceReaderTest extends SparkTestBase {
  @Test
  void everyLineHasItsNumberInItsFileAcrossSplitsAndFiles() throws Exception {
    Path dir = tempDir("pql-lines");
    List<String> first = new ArrayList<>();
    for (int i = 1; i <= 2_000; i++) first.add(i % 500 == 0 ? "" : "a file's line " + i);
    Files.write(dir.resolve("one file.json"), first);
    Files.write(dir.resolve("two.json"), List.of("first", "second", "first"));
    String key = "mapreduce.input.fileinputformat.split.maxsize";
    String was = spark.sparkContext().hadoopConfiguration().get(key);
    spark.sparkContext().hadoopConfiguration().set(key, "4096"); // some 10 splits of the larger file
    try {
      // Named as Spark names a file it read (input_file_name): a URI, a space encoded.
      List<String> files = List.of(dir.resolve("one file.json").toUri().toString(),
          dir.resolve("two.json").toUri().toString());
      List<Row> lines = SourceReader.lines(spark, files).orderBy("path", "line").collectAsList();
      assertEquals(2_003, lines.size());
      assertTrue(spark.sparkContext().hadoopConfiguration().getLong(key, 0) < Files.size(dir.resolve("one file.json"))
          / 5, "the larger file is read in several splits");
      for (int i = 1; i <= 2_000; i++) {
        Row r = lines.get(i - 1);
        assertEquals(dir.resolve("one file.json").toUri().getRawPath(), r.getString(0));
        assertEquals(i, r.getLong(1));
        assertEquals(i % 500 == 0 ? "" : "a file's line " + i, r.getString(2), "line " + i);
      }
      assertEquals(List.of("1 first", "2 second", "3 first"), lines.subList(2_000, 2_003).stream()
          .map(r -> r.getLong(1) + " " + r.getString(2)).toList());
    } finally {
      if (was == null) spark.sparkContext().hadoopConfiguration().unset(key);
      else spark.sparkContext().hadoopConfiguration().set(key, was);
    }
  }
}
