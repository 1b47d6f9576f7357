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

  record Bars(String name, java.util.Map<String, Double> bars, java.util.Set<String> events, List<Integer> windows) {}

  @Test
  void settingsReadTheSameInEveryJvmWhateverTheOrderOfTheirMapsAndSets() {
    // Map.of and Set.of iterate in an order salted per JVM: two equal maps built in other orders stand for that.
    java.util.Map<String, Double> one = new java.util.LinkedHashMap<>();
    one.put("small", 0.75);
    one.put("mid", 0.6);
    java.util.Map<String, Double> two = new java.util.LinkedHashMap<>();
    two.put("mid", 0.6);
    two.put("small", 0.75);
    Bars a = new Bars("x", one, new java.util.LinkedHashSet<>(List.of("b", "a")), List.of(30, 7));
    Bars b = new Bars("x", two, new java.util.LinkedHashSet<>(List.of("a", "b")), List.of(30, 7));
    assertTrue(!a.toString().equals(b.toString()), "toString follows the iteration order");
    org.junit.jupiter.api.Assertions.assertEquals("Bars[name=x, bars={mid=0.6, small=0.75}, events=[a, b], "
        + "windows=[30, 7]]", Digests.canonical(a));
    org.junit.jupiter.api.Assertions.assertEquals(Digests.canonical(a), Digests.canonical(b));
    assertFalse(Digests.canonical(a).equals(Digests.canonical(new Bars("x", one, java.util.Set.of("a", "b"),
        List.of(7, 30)))), "a list's order is its meaning");
  }
}
