package dev.pql.options;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "serve-sql",
    description = "Serve the warehouse to BI tools: Spark's Thrift JDBC/ODBC server, with every output table registered "
    + "in database pql (pql.serve) with its column comments. Connect with jdbc:hive2://HOST:PORT/pql (Hive JDBC "
    + "driver, or the Spark/Databricks ODBC driver). Runs until stopped (Ctrl-C, SIGTERM).")
public final class ServeSqlOptions extends CommandOptions {
  @Option(names = "--host", paramLabel = "ADDRESS", description = "Address to listen on (pql.serve.host).")
  public String host;

  @Option(names = "--port", paramLabel = "PORT", description = "Port to listen on (pql.serve.port).")
  public Integer port;

  @Option(names = "--metastore", paramLabel = "DIR",
      description = "Folder of the embedded metastore and Hive's scratch space (pql.serve.metastore).")
  public String metastore;

  @Override
  protected Map<String, String> commandOverrides() {
    Map<String, String> o = new LinkedHashMap<>();
    if (host != null) o.put("pql.serve.host", host);
    if (port != null) o.put("pql.serve.port", String.valueOf(port));
    if (metastore != null) o.put("pql.serve.metastore", metastore);
    return o;
  }
}
