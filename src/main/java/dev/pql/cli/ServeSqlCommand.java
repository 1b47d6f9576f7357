package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.io.SparkSessions;
import dev.pql.io.SqlCatalog;
import dev.pql.io.StageContext;
import dev.pql.options.ServeSqlOptions;
import dev.pql.pipeline.Contracts;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.hive.thriftserver.HiveThriftServer2;

final class ServeSqlCommand extends SparkCommand<ServeSqlOptions> {
  ServeSqlCommand() {
    super(new ServeSqlOptions());
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
  int run(Settings settings, StageContext context) {
    Settings.ServeSettings serve = settings.serve();
    List<String> all = Contracts.tableNames();
    List<String> internal = all.stream().filter(t -> !Contracts.BI_FACING.contains(t)).toList();
    List<String> bi = SqlCatalog.register(context.spark(), context.store(), serve.database(), Contracts.BI_FACING);
    List<String> own = SqlCatalog.register(context.spark(), context.store(), serve.internalDatabase(), internal);
    dev.pql.io.ReadOnlySql.enforce(context.warehouseLocation()); // the registrations were this JVM's last writes
    HiveThriftServer2 server = HiveThriftServer2.startWithContext(context.spark().sqlContext());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.stop();
      stopped.countDown();
    }, "pql-serve-sql-stop"));
    System.out.printf("Serving %s at jdbc:hive2://%s:%d/%s (stop: Ctrl-C or SIGTERM)%n"
        + "  %s, for BI tools: %s%n  %s, the stages' own: %s%n", settings.warehouse(), serve.host(), serve.port(),
        serve.database(), serve.database(), String.join(", ", bi), serve.internalDatabase(), String.join(", ", own));
    System.out.flush();
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  @Override
  boolean writesWarehouse() {
    return false;
  }
}
