package dev.pql.options;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo",
    description = "The embedded default in one command: generate a sample lake, then run the whole pipeline on it "
    + "into a local warehouse (ingest, weekly snapshots over its history, train, score every snapshot, backtest, "
    + "metrics) and print the top leads, the top drivers and this week's metrics.")
public final class DemoOptions extends CommandOptions {
  @Option(names = "--lake", paramLabel = "DIR",
      description = "Where the sample lake is generated (pql.generate.output and pql.ingest.lake).")
  public String lake;

  @Override
  protected Map<String, String> commandOverrides() {
    Map<String, String> o = new LinkedHashMap<>();
    // The demo ingests exactly what it generated, through the generic mapping of reference.conf.
    if (lake != null) {
      o.put("pql.generate.output", lake);
      o.put("pql.ingest.lake", lake);
    }
    return o;
  }
}
