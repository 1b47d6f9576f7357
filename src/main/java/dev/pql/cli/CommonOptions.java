package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.config.SettingsLoader;
import java.io.File;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options every command takes: where its configuration comes from and where its tables go. */
final class CommonOptions {
  @Option(names = "--config", paramLabel = "FILE",
      description = "Configuration file (HOCON). Default: $PQL_HOME/conf/application.conf when it exists.")
  File config;

  @Option(names = "--warehouse", paramLabel = "DIR",
      description = "Warehouse: output tables are Delta tables at DIR/<table_name> (pql.warehouse). Local or s3a://.")
  String warehouse;

  @Option(names = "--run-id", paramLabel = "ID", description = "Run id (pql.run-id); default: a new one.")
  String runId;

  @Option(names = "-D", paramLabel = "KEY=VALUE", description = "Override any configuration key, e.g. -Dpql.spark.master=local[2].")
  Map<String, String> properties = new LinkedHashMap<>();

  Settings load(File mapping, Map<String, String> commandOverrides) {
    Map<String, String> overrides = new LinkedHashMap<>(properties);
    overrides.putAll(commandOverrides);
    if (warehouse != null) overrides.put("pql.warehouse", warehouse);
    if (runId != null) overrides.put("pql.run-id", runId);
    return SettingsLoader.load(config != null ? config : defaultConfig(), mapping, overrides);
  }

  private static File defaultConfig() {
    String home = System.getenv("PQL_HOME");
    File file = new File(home != null ? home : ".", "conf/application.conf");
    return file.isFile() ? file : null;
  }
}
