package dev.pql.io;

import dev.pql.config.Settings.ServeSettings;
import io.delta.tables.DeltaTable;
import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * The warehouse's tables in a metastore database, for SQL clients (Spark's Thrift server, BI tools, notebooks):
 * each registered as an external Delta table at its location, so its schema, column comments and data come from
 * the Delta log and dropping the registration never deletes data.
 */
public final class SqlCatalog {
  private SqlCatalog() {}

  /**
   * The Spark settings of a session with a Hive metastore: the embedded Derby one in the configured folder (unless
   * pql.spark.conf names a shared metastore), Hive's scratch space beside it instead of /tmp, and the Thrift
   * server's address, which it reads only when the session starts.
   */
  public static Map<String, String> sessionConf(ServeSettings serve, Map<String, String> sparkConf) {
    requireAuthenticationBeyondLoopback(serve.host(), sparkConf);
    String folder = new File(serve.metastore()).getAbsolutePath();
    Map<String, String> conf = new LinkedHashMap<>();
    // Read-only SQL (enforced once the tables are registered), beside Delta's extension.
    conf.put("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension," + ReadOnlySql.class.getName());
    conf.put("spark.sql.catalogImplementation", "hive");
    conf.put("spark.sql.warehouse.dir", folder + "/managed");
    if (!sparkConf.containsKey("spark.hadoop.hive.metastore.uris")) {
      conf.put("spark.hadoop.javax.jdo.option.ConnectionURL", "jdbc:derby:;databaseName=" + folder + "/db;create=true");
    }
    for (String key : List.of("hive.exec.local.scratchdir", "hive.exec.scratchdir", "hive.downloaded.resources.dir",
        "hive.querylog.location", "hive.server2.logging.operation.log.location")) {
      conf.put("spark.hadoop." + key, folder + "/scratch/" + key);
    }
    conf.put("spark.hadoop.hive.server2.thrift.bind.host", serve.host());
    conf.put("spark.hadoop.hive.server2.thrift.port", String.valueOf(serve.port()));
    return conf;
  }

  /** The Hive setting that names the Thrift server's authentication (NONE: any user and password get in). */
  public static final String AUTHENTICATION = "spark.hadoop.hive.server2.authentication";

  /**
   * The server may listen beyond this machine only with Hive's own authentication configured (LDAP, KERBEROS,
   * PAM or CUSTOM in pql.spark.conf): without it any user and password get in.
   */
  static void requireAuthenticationBeyondLoopback(String host, Map<String, String> sparkConf) {
    String authentication = sparkConf.getOrDefault(AUTHENTICATION, "NONE").trim();
    if (isLoopback(host) || !authentication.equalsIgnoreCase("NONE") && !authentication.equalsIgnoreCase("NOSASL")) {
      return;
    }
    throw new dev.pql.PqlException.ConfigurationError("pql.serve.host = \"" + host + "\" serves the warehouse beyond "
        + "this machine, but the server has no authentication (pql.spark.conf.\"" + AUTHENTICATION + "\" is "
        + authentication + "): set it to LDAP, KERBEROS, PAM or CUSTOM with its Hive settings (README \"BI access\"), "
        + "or serve on 127.0.0.1 behind your own proxy", null);
  }

  private static boolean isLoopback(String host) {
    if (host.equalsIgnoreCase("localhost")) return true;
    try {
      // A literal address only: no name lookup decides what is exposed.
      return host.matches("[0-9.]+|\\[?[0-9a-fA-F:]+]?") && java.net.InetAddress.getByName(host).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  /**
   * Registers the named tables the warehouse holds in the database (created when missing) and returns their
   * names. A registration is replaced each time, so a moved warehouse is followed; tables not written yet are
   * left out.
   */
  public static List<String> register(SparkSession spark, DeltaStore store, String database, List<String> tables) {
    spark.sql("CREATE DATABASE IF NOT EXISTS `" + database + "` COMMENT 'pql: product-qualified leads; tables of "
        + store.warehouse().replace("'", "") + "'");
    List<String> registered = new ArrayList<>();
    for (String name : tables) {
      String location = store.location(name);
      if (!DeltaTable.isDeltaTable(spark, location)) continue;
      String table = "`" + database + "`.`" + name + "`";
      spark.sql("DROP TABLE IF EXISTS " + table);
      spark.sql("CREATE TABLE " + table + " USING DELTA LOCATION '" + location.replace("'", "\\'") + "'");
      registered.add(name);
    }
    return registered;
  }
}
