package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.ingest.IngestJob;
import java.io.File;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "ingest", mixinStandardHelpOptions = true,
    description = "Read an event lake through a source mapping into the Delta tables events, events_rejected, "
        + "accounts and conversions.")
final class IngestCommand extends SparkCommand {
  @Option(names = "--mapping", paramLabel = "FILE",
      description = "Source mapping (conf/mappings/*.conf); default: the generic layout of reference.conf.")
  File mapping;

  @Option(names = "--lake", paramLabel = "DIR", description = "The lake's root (pql.ingest.lake). Local or s3a://.")
  String lake;

  @Override
  String name() {
    return "ingest";
  }

  @Override
  File mapping() {
    return mapping;
  }

  @Override
  Map<String, String> overrides() {
    Map<String, String> o = new LinkedHashMap<>();
    if (lake != null) o.put("pql.ingest.lake", lake);
    return o;
  }

  @Override
  int run(SparkSession spark, Settings settings, Context context) {
    IngestJob.Result result = IngestJob.run(spark, settings, context.store(), context.log(), context.start());
    System.out.print(Report.ingest(context.runId(), settings.warehouse(), result, context.log().results()));
    return 0;
  }
}
