package dev.pql.io;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.SparkTestBase;
import java.util.List;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.junit.jupiter.api.Test;

/** serve-sql's read-only check, on the plans Spark's analyzer makes of what a SQL client may send. */
class ReadOnlySqlTest extends SparkTestBase {
  @Test
  void registeredTablesAreReadAndEveryWriteCodeCallOrPathReadIsRefusedBeforeItRuns() {
    java.nio.file.Path warehouse = tempDir("pql-read-only");
    String path = warehouse.resolve("pql_new").toString();
    String served = new DeltaStore(spark, warehouse.toString()).location("");
    spark.sql("SELECT 'a1' AS account_id, DATE'2026-03-02' AS qualified_on").write().format("delta").save(path);
    spark.sql("CREATE DATABASE IF NOT EXISTS served");
    spark.sql("CREATE TABLE IF NOT EXISTS served.pql_new USING DELTA LOCATION '" + path + "'");

    String elsewhere = tempDir("pql-elsewhere-table").toString();
    spark.range(1).write().format("delta").save(elsewhere);
    for (String reading : List.of("SELECT * FROM served.pql_new", "SELECT * FROM delta.`" + path + "`",
        "SHOW TABLES IN served", "DESCRIBE served.pql_new",
        "SELECT count(*) FROM served.pql_new WHERE account_id IN (SELECT account_id FROM served.pql_new)",
        "EXPLAIN SELECT * FROM served.pql_new", "SHOW DATABASES", "USE served")) {
      assertDoesNotThrow(() -> ReadOnlySql.check(analyzed(reading), served), reading);
    }
    for (String hostile : List.of("DELETE FROM served.pql_new", "UPDATE served.pql_new SET account_id = 'x'",
        "INSERT INTO served.pql_new VALUES ('a2', DATE'2026-03-09')",
        "MERGE INTO served.pql_new t USING served.pql_new s ON t.account_id = s.account_id WHEN MATCHED THEN DELETE",
        "DROP TABLE served.pql_new", "CREATE TABLE served.copy USING DELTA AS SELECT 1 AS x",
        "ALTER TABLE served.pql_new SET TBLPROPERTIES ('x' = 'y')", "TRUNCATE TABLE served.pql_new",
        "SELECT reflect('java.lang.System', 'getProperty', 'user.home')",
        "SELECT * FROM served.pql_new WHERE java_method('java.lang.Runtime', 'version') IS NULL",
        "SELECT * FROM delta.`" + elsewhere + "`", "SELECT * FROM parquet.`" + elsewhere + "`",
        "SELECT * FROM served.pql_new WHERE account_id IN (SELECT value FROM text.`/etc/hostname`)")) {
      UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
          () -> ReadOnlySql.check(analyzed(hostile), served), hostile);
      assertTrue(e.getMessage().startsWith("pql serve-sql is read-only: this statement is refused because "),
          e.getMessage());
    }
    spark.sql("DROP TABLE served.pql_new");
  }

  @Test
  void theServerListensBeyondLoopbackOnlyWithHivesAuthentication() {
    for (String loopback : List.of("127.0.0.1", "localhost", "::1", "127.0.0.2")) {
      assertDoesNotThrow(() -> SqlCatalog.requireAuthenticationBeyondLoopback(loopback, java.util.Map.of()));
    }
    dev.pql.PqlException e = assertThrows(dev.pql.PqlException.class,
        () -> SqlCatalog.requireAuthenticationBeyondLoopback("0.0.0.0", java.util.Map.of()));
    assertTrue(e.exitCode() == 2 && e.getMessage().startsWith("pql.serve.host = \"0.0.0.0\" serves the warehouse "
        + "beyond this machine, but the server has no authentication"), e.getMessage());
    assertThrows(dev.pql.PqlException.class, () -> SqlCatalog.requireAuthenticationBeyondLoopback("10.0.0.5",
        java.util.Map.of(SqlCatalog.AUTHENTICATION, "NONE")));
    assertThrows(dev.pql.PqlException.class, () -> SqlCatalog.requireAuthenticationBeyondLoopback("localhost.evil.com",
        java.util.Map.of()));
    assertDoesNotThrow(() -> SqlCatalog.requireAuthenticationBeyondLoopback("0.0.0.0",
        java.util.Map.of(SqlCatalog.AUTHENTICATION, "LDAP")));
  }

  private LogicalPlan analyzed(String sql) {
    try {
      return spark.sessionState().analyzer().execute(spark.sessionState().sqlParser().parsePlan(sql));
    } catch (org.apache.spark.sql.catalyst.parser.ParseException e) {
      throw new IllegalArgumentException(sql, e);
    }
  }
}
