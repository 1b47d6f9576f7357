package dev.pql.io;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.SparkTestBase;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A stage is up to date only while every table it names is at the version it left and its inputs are the same. */
class UpToDateTest extends SparkTestBase {
  static final TableContract LATER = TableContract.table("not_there_yet", "A table created later.").key("id")
      .required("id", org.apache.spark.sql.types.DataTypes.StringType, "Id").build();

  @Test
  void aWriteADeletedTableOrOtherInputsMakeAStageDueAgain() throws Exception {
    java.nio.file.Path warehouse = tempDir("pql-uptodate");
    DeltaStore store = new DeltaStore(spark, warehouse.toString());
    store.insertNew(DeltaStoreTest.V1, spark.sql("SELECT 'a' AS id, 1L AS n"));
    List<String> tables = List.of("t", "not_there_yet");
    UpToDate stage = UpToDate.of(store, "stage", "settings one", tables);
    assertFalse(stage.holds(), "never recorded");

    stage.record();
    assertTrue(stage.holds());
    assertTrue(UpToDate.of(store, "stage", "settings one", tables).holds(), "a later run finds the same");
    assertFalse(UpToDate.of(store, "stage", "settings two", tables).holds(), "other settings");

    store.insertNew(DeltaStoreTest.V1, spark.sql("SELECT 'a' AS id, 1L AS n"));
    assertTrue(stage.holds(), "a write that adds nothing makes no commit");
    store.insertNew(DeltaStoreTest.V1, spark.sql("SELECT 'b' AS id, 2L AS n"));
    assertFalse(stage.holds(), "a new version of a table it reads");

    stage.record();
    store.insertNew(LATER, spark.sql("SELECT 'c' AS id"));
    assertFalse(stage.holds(), "a table that appeared");

    stage.record();
    org.apache.commons.io.FileUtils.deleteDirectory(warehouse.resolve("t").toFile());
    assertFalse(stage.holds(), "a table deleted");
  }
}
