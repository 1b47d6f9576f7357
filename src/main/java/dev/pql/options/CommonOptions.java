package dev.pql.options;

import java.io.File;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options every command that runs Spark takes: where its configuration comes from and where its tables go. */
public final class CommonOptions {
  @Option(names = "--config", paramLabel = "FILE",
      description = "Configuration file (HOCON). Default: $PQL_HOME/conf/application.conf when it exists.")
  public File config;

  @Option(names = "--warehouse", paramLabel = "DIR",
      description = "Warehouse: output tables are Delta tables at DIR/<table_name> (pql.warehouse). Local or s3a://.")
  public String warehouse;

  @Option(names = "--run-id", paramLabel = "ID", description = "Run id (pql.run-id); default: a new one.")
  public String runId;

  @Option(names = "-D", paramLabel = "KEY=VALUE", description = "Override any configuration key, e.g. -Dpql.spark.master=local[2].")
  public Map<String, String> properties = new LinkedHashMap<>();

  @Option(names = "--show-config", description = "Print the effective configuration (secrets masked) before the "
      + "work; it is always in the log at DEBUG.")
  public boolean showConfig;

  /** The overrides these options make: -D first, then --warehouse and --run-id. */
  Map<String, String> overrides() {
    Map<String, String> overrides = new LinkedHashMap<>(properties);
    if (warehouse != null) overrides.put("pql.warehouse", warehouse);
    if (runId != null) overrides.put("pql.run-id", runId);
    return overrides;
  }
}
