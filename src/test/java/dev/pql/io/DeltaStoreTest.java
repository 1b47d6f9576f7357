package dev.pql.io;

import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.PqlException.SchemaError;
import dev.pql.SparkTestBase;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** Tables follow their contract: a newer contract's columns are added, a changed type is refused. */
class DeltaStoreTest extends SparkTestBase {
  static final TableContract V1 = TableContract.table("t", "A test table.").key("id")
      .required("id", StringType, "Id").required("n", LongType, "A count").build();
  static final TableContract V2 = TableContract.table("t", "A test table.").key("id")
      .required("id", StringType, "Id").required("n", LongType, "A count")
      .optional("label", StringType, "A label added later, it's new").build();
  static final TableContract CHANGED = TableContract.table("t", "A test table.").key("id")
      .required("id", StringType, "Id").required("n", StringType, "A count as text").build();

  @Test
  void aNewerContractAddsItsColumnsWithCommentsAndOldRowsReadThemAsNull() {
    DeltaStore store = new DeltaStore(spark, tempDir("pql-store").toString());
    store.insertNew(V1, spark.sql("SELECT 'a' AS id, 1L AS n"));
    store.insertNew(V2, spark.sql("SELECT 'b' AS id, 2L AS n, 'x' AS label"));
    Dataset<Row> t = store.read(V2);
    assertSameRows(spark.sql("SELECT * FROM VALUES ('a', 1L, CAST(NULL AS STRING)), ('b', 2L, 'x') AS t(id, n, label)"),
        t);
    assertEquals("A label added later, it's new", t.schema().apply("label").getComment().get());
  }

  @Test
  void ensuringATableThatFitsItsContractRunsNoQueryAndOneThatDoesNotIsBroughtUpToIt() throws Exception {
    DeltaStore store = new DeltaStore(spark, tempDir("pql-store").toString());
    store.insertNew(FEED, spark.sql("SELECT 'a' AS id, 1L AS n"));
    long version = store.version(FEED);
    List<String> queries = queriesRunBy(() -> {
      for (int i = 0; i < 3; i++) store.ensure(FEED);
    });
    assertEquals(List.of(), queries, "ensuring a table that fits: no query");
    assertEquals(version, store.version(FEED), "and no commit");
    // A newer contract (a column more, the change feed on) is still applied: a query and a commit.
    TableContract newer = TableContract.table("t", "A test table.").key("id").changeDataFeed()
        .required("id", StringType, "Id").required("n", LongType, "A count")
        .optional("label", StringType, "A label added later").build();
    List<String> applying = queriesRunBy(() -> store.ensure(newer));
    assertTrue(!applying.isEmpty() && store.version(FEED) > version, "the newer contract: " + applying);
    assertTrue(List.of(store.read(newer).columns()).contains("label"));
  }

  static final TableContract FEED = TableContract.table("t", "A test table.").key("id").changeDataFeed()
      .required("id", StringType, "Id").required("n", LongType, "A count").build();

  @Test
  void aTableAnOlderPqlWroteWithoutTheChangeFeedRecordsChangesFromItsNextWrite() {
    DeltaStore store = new DeltaStore(spark, tempDir("pql-store").toString());
    store.insertNew(V1, spark.sql("SELECT 'a' AS id, 1L AS n"));
    String path = store.location("t");
    Row detail = io.delta.tables.DeltaTable.forPath(spark, path).detail().first();
    assertTrue(!detail.<String, String>getJavaMap(detail.fieldIndex("properties"))
        .containsKey(TableContract.CHANGE_DATA_FEED), "an older pql's table: no change feed");
    store.insertNew(FEED, spark.sql("SELECT * FROM VALUES ('a', 1L), ('b', 2L) AS t(id, n)"));
    store.insertNew(FEED, spark.sql("SELECT 'c' AS id, 3L AS n"));
    // Version 0 created it, 1 inserted a, 2 turned the feed on, 3 and 4 inserted b and c.
    Dataset<Row> changes = spark.read().format("delta").option("readChangeFeed", "true").option("startingVersion", 2)
        .load(path);
    assertSameRows(spark.sql("SELECT * FROM VALUES ('b', 2L, 'insert', 3L), ('c', 3L, 'insert', 4L) "
        + "AS t(id, n, _change_type, _commit_version)"), changes.drop("_commit_timestamp"));
  }

  static final TableContract NESTED_V1 = TableContract.table("t", "A test table.").key("id")
      .required("id", StringType, "Id")
      .required("why", org.apache.spark.sql.types.DataTypes.createArrayType(new org.apache.spark.sql.types.StructType()
          .add("feature", StringType).add("value", StringType), true), "Reasons").build();
  static final TableContract NESTED_V2 = TableContract.table("t", "A test table.").key("id")
      .required("id", StringType, "Id")
      .required("why", org.apache.spark.sql.types.DataTypes.createArrayType(new org.apache.spark.sql.types.StructType()
          .add("feature", StringType).add("value", StringType).add("weight", org.apache.spark.sql.types.DataTypes
              .DoubleType), true), "Reasons").build();

  @Test
  void aNewerContractAddsAFieldToTheStructsOfAnArrayColumnAndOldElementsReadItAsNull() {
    DeltaStore store = new DeltaStore(spark, tempDir("pql-store").toString());
    store.insertNew(NESTED_V1, spark.sql("SELECT 'a' AS id, array(named_struct('feature', 'f', 'value', '1')) AS why"));
    store.insertNew(NESTED_V2, spark.sql("SELECT 'b' AS id, array(named_struct('feature', 'g', 'value', '2', "
        + "'weight', 0.5D)) AS why"));
    assertSameRows(spark.sql("SELECT * FROM VALUES ('a', 'f', '1', CAST(NULL AS DOUBLE)), ('b', 'g', '2', 0.5D) "
        + "AS t(id, feature, value, weight)"), store.read(NESTED_V2).selectExpr("id", "inline(why)"));
    // Fields only ever grow at the end: a field dropped or renamed is still a changed type.
    assertThrows(SchemaError.class, () -> store.ensure(CHANGED_NESTED));
  }

  static final TableContract CHANGED_NESTED = TableContract.table("t", "A test table.").key("id")
      .required("id", StringType, "Id")
      .required("why", org.apache.spark.sql.types.DataTypes.createArrayType(new org.apache.spark.sql.types.StructType()
          .add("feature", StringType).add("weight", org.apache.spark.sql.types.DataTypes.DoubleType), true),
          "Reasons").build();

  @Test
  void aColumnWhoseTypeChangedIsAnErrorNamingTableAndColumn() {
    DeltaStore store = new DeltaStore(spark, tempDir("pql-store").toString());
    store.insertNew(V1, spark.sql("SELECT 'a' AS id, 1L AS n"));
    SchemaError e = assertThrows(SchemaError.class, () -> store.ensure(CHANGED));
    assertEquals("Table t at " + store.path(CHANGED) + " does not fit its contract: column 'n' is bigint, "
        + "the contract says string", e.getMessage());
  }

  @Test
  void aRelativeWarehouseIsTheWorkingDirectorysAsTheDefaultConfigurationHasIt() throws java.io.IOException {
    // conf/application.conf says warehouse = "warehouse": Delta must not take it for a catalog table's name.
    String relative = "target/relative-warehouse-" + System.nanoTime();
    java.nio.file.Path absolute = java.nio.file.Path.of(relative).toAbsolutePath();
    try {
      DeltaStore store = new DeltaStore(spark, relative);
      store.insertNew(V1, spark.sql("SELECT 'a' AS id, 1L AS n"));
      assertEquals(relative, store.warehouse(), "shown as configured");
      assertEquals(absolute.toUri().toString().replaceFirst("^file:///", "file:/").replaceFirst("/$", "") + "/t",
          store.path(V1));
      assertEquals(true, java.nio.file.Files.isDirectory(absolute.resolve("t").resolve("_delta_log")));
      assertSameRows(spark.sql("SELECT 'a' AS id, 1L AS n"), new DeltaStore(spark, relative).read(V1));
    } finally {
      org.apache.commons.io.FileUtils.deleteDirectory(absolute.toFile());
    }
  }

  static final TableContract BY_DAY = TableContract.table("d", "A partitioned test table.").key("id")
      .required("id", StringType, "Id").required("day", StringType, "A day").partitionBy("day").build();

  @Test
  void aFirstInsertAppendsOneFilePerPartitionAndLaterOnesInsertOnlyNewKeys() {
    DeltaStore store = new DeltaStore(spark, tempDir("pql-store").toString());
    // 1,000 ids over 5 days, spread over 7 tasks: the append writes by partition, as a MERGE would.
    Dataset<Row> rows = spark.sql("SELECT CAST(id AS STRING) AS id, CAST(id % 5 AS STRING) AS day FROM range(1000)")
        .repartition(7);
    assertEquals(1000, store.insertNew(BY_DAY, rows));
    org.apache.spark.sql.delta.Snapshot first = org.apache.spark.sql.delta.DeltaLog.forTable(spark,
        store.location("d")).update(false, scala.Option.empty(), scala.Option.empty());
    assertEquals(5, first.numOfFiles(), "one file per day");
    assertEquals("WRITE", io.delta.tables.DeltaTable.forPath(spark, store.location("d")).history(1)
        .select("operation").first().getString(0));
    // Ids 990..1,009: ten of them are new.
    assertEquals(10, store.insertNew(BY_DAY, spark.sql("SELECT CAST(id AS STRING) AS id, CAST(id % 5 AS STRING) "
        + "AS day FROM range(990, 1010)")));
    assertEquals(1010, store.read(BY_DAY).count());
    assertEquals(1010, store.read(BY_DAY).select("id").distinct().count());
  }

  @Test
  void aSyncThatWouldChangeNothingCommitsNothingAndOneThatWouldDoesItAll() {
    DeltaStore store = new DeltaStore(spark, tempDir("pql-store").toString());
    java.util.Set<String> audit = java.util.Set.of();
    store.syncIfChanged(V1, spark.sql("SELECT * FROM VALUES ('a', 1L), ('b', 2L) AS t(id, n)"), audit);
    long written = store.version(V1);
    assertEquals(new DeltaStore.MergeCounts(0, 0, 0),
        store.syncIfChanged(V1, spark.sql("SELECT * FROM VALUES ('b', 2L), ('a', 1L) AS t(id, n)"), audit));
    assertEquals(written, store.version(V1), "the same rows: no version");
    // One of each: a changed value, a new key, a key gone.
    assertEquals(new DeltaStore.MergeCounts(1, 1, 1),
        store.syncIfChanged(V1, spark.sql("SELECT * FROM VALUES ('a', 5L), ('c', 3L) AS t(id, n)"), audit));
    assertSameRows(spark.sql("SELECT * FROM VALUES ('a', 5L), ('c', 3L) AS t(id, n)"), store.read(V1));
    // A key gone alone is a change too.
    store.syncIfChanged(V1, spark.sql("SELECT * FROM VALUES ('a', 5L) AS t(id, n)"), audit);
    assertEquals(1, store.read(V1).count());
  }

  @Test
  void upsertingRowsFromTheDriverReplacesTheirKeysAddsNewOnesAndKeepsTheRest() {
    DeltaStore store = new DeltaStore(spark, tempDir("pql-store").toString());
    store.upsertRows(V1, java.util.List.of(org.apache.spark.sql.RowFactory.create("a", 1L),
        org.apache.spark.sql.RowFactory.create("it's b", 2L)));
    store.upsertRows(V1, java.util.List.of(org.apache.spark.sql.RowFactory.create("it's b", 20L),
        org.apache.spark.sql.RowFactory.create("c\\d", 3L)));
    store.upsertRows(V1, java.util.List.of(org.apache.spark.sql.RowFactory.create("it's b", 20L)));
    java.util.Map<String, Long> rows = new java.util.TreeMap<>();
    store.read(V1).collectAsList().forEach(r -> rows.put(r.getString(0), r.getLong(1)));
    assertEquals(java.util.Map.of("a", 1L, "it's b", 20L, "c\\d", 3L), rows, "one row per key, the latest");
  }

  @Test
  void anotherWritersCommitIsABusyWarehouseAndAnyOtherFailureAWriteError() {
    DeltaStore store = new DeltaStore(spark, tempDir("pql-busy").toString());
    dev.pql.PqlException busy = (dev.pql.PqlException) store.writeFailure(Tables.EVENTS, 3,
        new IllegalStateException("wrapped", new io.delta.exceptions.ConcurrentAppendException(
            "Files were added to the root of the table by a concurrent update.")));
    assertEquals(5, busy.exitCode());
    assertTrue(busy.getMessage().contains("Another writer changed table events") && busy.getMessage()
        .contains("its previous version 3 is intact"), busy.getMessage());
    dev.pql.PqlException failed = (dev.pql.PqlException) store.writeFailure(Tables.EVENTS, 3,
        new IllegalStateException("disk full\n\tat some.Frame"));
    assertEquals(4, failed.exitCode());
    assertTrue(failed.getMessage().endsWith("failed; its previous version 3 is intact: disk full"),
        failed.getMessage());
  }

  @Test
  void aTableADeadRunLeftHalfCreatedIsCreatedAgainAndOneBeingCreatedNowIsLeftAlone() throws Exception {
    java.nio.file.Path warehouse = tempDir("pql-torn");
    // What a run killed inside the table's creation leaves: the log's folder and version 0's temporary file.
    java.nio.file.Path log = java.nio.file.Files.createDirectories(warehouse.resolve("t/_delta_log/_commits"));
    java.nio.file.Path tmp = java.nio.file.Files.createFile(log.resolveSibling(
        ".00000000000000000000.json.d037b16c-225f-4896-b357-39b207efbc78.tmp"));
    java.nio.file.attribute.FileTime earlier = java.nio.file.attribute.FileTime.fromMillis(
        System.currentTimeMillis() - 60_000);
    for (java.nio.file.Path p : List.of(tmp, log, log.getParent(), log.getParent().getParent())) {
      java.nio.file.Files.setLastModifiedTime(p, earlier);
    }
    DeltaStore store = new DeltaStore(spark, warehouse.toString());
    assertEquals(1, store.insertNew(V1, spark.sql("SELECT 'a' AS id, 1L AS n")));
    assertEquals(1, store.read(V1).count());

    // The same, written after this store was opened: another writer's, maybe this run's own; not removed.
    java.nio.file.Path other = java.nio.file.Files.createDirectories(warehouse.resolve("u/_delta_log"));
    java.nio.file.Files.createFile(other.resolve(".00000000000000000000.json.0.tmp"));
    TableContract u = TableContract.table("u", "Another.").key("id").required("id", StringType, "Id").build();
    dev.pql.PqlException e = assertThrows(dev.pql.PqlException.class,
        () -> store.insertNew(u, spark.sql("SELECT 'a' AS id")));
    assertEquals(5, e.exitCode(), e.getMessage());
    assertTrue(java.nio.file.Files.exists(other.resolve(".00000000000000000000.json.0.tmp")));
  }
}
