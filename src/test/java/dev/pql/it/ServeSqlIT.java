package dev.pql.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.io.TableContract;
import dev.pql.io.Tables;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/**
 * BI access: jobs/pql serve-sql serves the reference run's warehouse over Spark's Thrift server, and a Hive JDBC client
 * (what a BI tool's connector is) lists the tables BI tools read in database pql and the stages' own in
 * pql_internal, reads their column comments and runs a dashboard query, whose answer is the same query's on the
 * Delta files.
 */
class ServeSqlIT {
  static final String PQLS_PER_WEEK_BY_SIZE_BAND = "SELECT period_start AS week, segment AS size_band, new_pqls, signups "
      + "FROM %s WHERE period_type = 'week' AND definition_name = 'any' AND segment_by = 'size_band' "
      + "ORDER BY week, size_band";

  @Test
  void aJdbcClientReadsThePqlTablesWithTheirCommentsThroughTheThriftServer() throws Exception {
    Path warehouse = SampleRun.reference().warehouse();
    Path work = SampleRun.WORK.resolve("serve");
    SampleRun.deleteRecursively(work);
    int port = ServiceProcess.freePort();
    List<String> command = List.of(ServiceProcess.HOME.resolve("jobs/pql").toString(), "serve-sql",
        "--config", SampleRun.config().toString(), "--warehouse", warehouse.toString(), "--port", String.valueOf(port),
        "--metastore", work.resolve("metastore").toString());

    List<List<Object>> served = new ArrayList<>();
    Map<String, String> comments = new HashMap<>();
    List<String> tables = new ArrayList<>();
    List<String> internalTables = new ArrayList<>();
    long newPqls;
    long leads;
    long events;
    ServiceProcess server = ServiceProcess.start("pql serve-sql", command,
        Map.of("PQL_JAVA_OPTS", SampleRun.PQL_JAVA_OPTS.replace("-Xmx2g", "-Xmx1g")), work.resolve("serve-sql.log"));
    try (server) {
      server.awaitOutput("Serving ", Duration.ofMinutes(3));
      try (Connection jdbc = connect("jdbc:hive2://127.0.0.1:" + port + "/pql", server);
          Statement sql = jdbc.createStatement()) {
        try (ResultSet r = sql.executeQuery("SHOW TABLES IN pql")) {
          while (r.next()) tables.add(r.getString("tableName"));
        }
        try (ResultSet r = sql.executeQuery("SHOW TABLES IN pql_internal")) {
          while (r.next()) internalTables.add(r.getString("tableName"));
        }
        try (ResultSet r = sql.executeQuery("SELECT count(*) FROM pql.pql_leads_current WHERE reasons_text <> ''")) {
          r.next();
          leads = r.getLong(1);
        }
        try (ResultSet r = sql.executeQuery("SELECT count(*) FROM pql_internal.events")) {
          r.next();
          events = r.getLong(1);
        }
        try (ResultSet r = sql.executeQuery("DESCRIBE pql.pql_scores")) {
          while (r.next()) comments.put(r.getString("col_name"), r.getString("comment"));
        }
        try (ResultSet r = sql.executeQuery(String.format(PQLS_PER_WEEK_BY_SIZE_BAND, "pql.pql_metrics"))) {
          while (r.next()) {
            served.add(List.of(r.getDate("week").toLocalDate(), r.getString("size_band"), r.getLong("new_pqls"),
                r.getLong("signups")));
          }
        }
        // Read-only: a write, a Java call and a file read by path are refused, and nothing changed.
        for (String hostile : List.of("DELETE FROM pql.pql_new",
            "SELECT reflect('java.lang.System', 'getProperty', 'user.home')",
            "SELECT * FROM text.`/etc/hostname`", "DROP TABLE pql.pql_new")) {
          java.sql.SQLException e = org.junit.jupiter.api.Assertions.assertThrows(java.sql.SQLException.class,
              () -> sql.execute(hostile), hostile);
          assertTrue(e.getMessage().contains("pql serve-sql is read-only"), hostile + ": " + e.getMessage());
        }
        try (ResultSet r = sql.executeQuery("SELECT count(*) FROM pql.pql_new")) {
          r.next();
          newPqls = r.getLong(1);
        }
      }
      // SIGTERM, as a service manager stops it: the server and Spark stop and the JVM exits on its own.
      server.handle().destroy();
      server.handle().onExit().get(60, java.util.concurrent.TimeUnit.SECONDS);
    }
    assertFalse(server.handle().isAlive());

    // The BI database holds the tables BI tools read, pql_leads_current among them; the stages' own are apart.
    List<String> written = new ArrayList<>(Tables.ALL.stream().map(TableContract::name).toList());
    written.add(dev.pql.features.AccountFeatures.NAME);
    written.removeIf(t -> !io.delta.tables.DeltaTable.isDeltaTable(ItSpark.session(), warehouse + "/" + t));
    List<String> bi = written.stream().filter(dev.pql.pipeline.Contracts.BI_FACING::contains).sorted().toList();
    assertTrue(bi.containsAll(List.of("pql_leads_current", "pql_new", "pql_scores", "pql_metrics")), "BI: " + bi);
    assertEquals(bi, tables.stream().sorted().toList());
    assertEquals(written.stream().filter(t -> !bi.contains(t)).sorted().toList(),
        internalTables.stream().sorted().toList());
    assertTrue(internalTables.containsAll(List.of("events", "account_features", "pipeline_runs")), internalTables
        .toString());
    for (TableContract.ColumnSpec column : Tables.PQL_SCORES.columns()) {
      assertEquals(column.comment(), comments.get(column.name()), "comment of pql_scores." + column.name());
    }

    SparkSession spark = ItSpark.session();
    spark.read().format("delta").load(warehouse + "/pql_metrics").createOrReplaceTempView("metrics_files");
    List<List<Object>> expected = new ArrayList<>();
    for (Row row : spark.sql(String.format(PQLS_PER_WEEK_BY_SIZE_BAND, "metrics_files")).collectAsList()) {
      expected.add(List.of(row.getDate(0).toLocalDate(), row.getString(1), row.getLong(2), row.getLong(3)));
    }
    assertTrue(expected.size() >= 9, "several weeks and bands: " + expected);
    assertEquals(spark.read().format("delta").load(warehouse + "/pql_new").count(), newPqls, "pql_new intact");
    assertEquals(spark.read().format("delta").load(warehouse + "/pql_leads_current").filter("reasons_text <> ''")
        .count(), leads);
    assertTrue(leads > 0, "leads with reasons");
    assertEquals(spark.read().format("delta").load(warehouse + "/events").count(), events);
    assertEquals(expected, served);
  }

  /** A BI tool's connection, retried while the server that printed its address finishes binding. */
  private static Connection connect(String url, ServiceProcess server) throws Exception {
    Class.forName("org.apache.hive.jdbc.HiveDriver");
    for (int attempt = 1; ; attempt++) {
      try {
        return DriverManager.getConnection(url, "bi", "");
      } catch (java.sql.SQLException notYet) {
        if (attempt == 30) throw new AssertionError("cannot connect to " + url + ":\n" + server.tail(), notYet);
        Thread.sleep(1000);
      }
    }
  }
}
