package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.io.SparkSessions;
import dev.pql.io.SqlCatalog;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.hive.thriftserver.HiveThriftServer2;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "serve-sql", mixinStandardHelpOptions = true,
    description = "Serve the warehouse to BI tools: Spark's Thrift JDBC/ODBC server, with every output table registered "
        + "in database pql (pql.serve) with its column comments. Connect with jdbc:hive2://HOST:PORT/pql (Hive JDBC "
        + "driver, or the Spark/Databricks ODBC driver). Runs until stopped (Ctrl-C, SIGTERM).")
final class ServeSqlCommand extends SparkCommand {
  @Option(names = "--host", paramLabel = "ADDRESS", description = "Address to listen on (pql.serve.host).")
  String host;

  @Option(names = "--port", paramLabel = "PORT", description = "Port to listen on (pql.serve.port).")
  Integer port;

  @Option(names = "--metastore", paramLabel = "DIR",
      description = "Folder of the embedded metastore and Hive's scratch space (pql.serve.metastore).")
  String metastore;

  @Override
  String name() {
    return "serve-sql";
  }

  @Override
  Map<String, String> overrides() {
    Map<String, String> o = new LinkedHashMap<>();
    if (host != null) o.put("pql.serve.host", host);
    if (port != null) o.put("pql.serve.port", String.valueOf(port));
    if (metastore != null) o.put("pql.serve.metastore", metastore);
    return o;
  }

  @Override
  SparkSession startSpark(Settings settings) {
    Map<String, String> conf = SqlCatalog.sessionConf(settings.serve(), settings.spark().conf());
    // Hive expects its local scratch folders to exist; Derby writes its log to the working directory unless told.
    for (String key : List.of("hive.exec.local.scratchdir", "hive.server2.logging.operation.log.location")) {
      new java.io.File(conf.get("spark.hadoop." + key)).mkdirs();
    }
    System.setProperty("derby.stream.error.file",
        new java.io.File(settings.serve().metastore(), "derby.log").getAbsolutePath());
    return SparkSessions.create(settings.spark(), conf);
  }

  @Override
  int run(SparkSession spark, Settings settings, Context context) {
    Settings.ServeSettings serve = settings.serve();
    List<String> tables = SqlCatalog.register(spark, context.store(), serve.database());
    HiveThriftServer2 server = HiveThriftServer2.startWithContext(spark.sqlContext());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.stop();
      stopped.countDown();
    }, "pql-serve-sql-stop"));
    System.out.printf("Serving %d tables of %s as database %s at jdbc:hive2://%s:%d/%s (stop: Ctrl-C or SIGTERM)%n  %s%n",
        tables.size(), settings.warehouse(), serve.database(), serve.host(), serve.port(), serve.database(),
        String.join(", ", tables));
    System.out.flush();
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }
}
