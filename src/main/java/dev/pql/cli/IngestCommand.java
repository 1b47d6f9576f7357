package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.ingest.IngestJob;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;

@Command(name = "ingest", mixinStandardHelpOptions = true,
    description = "Read an event lake through a source mapping into the Delta tables events, events_rejected, "
        + "accounts and conversions.")
final class IngestCommand extends LakeCommand {
  @Override
  String name() {
    return "ingest";
  }

  @Override
  int run(SparkSession spark, Settings settings, Context context) {
    IngestJob.Result result = IngestJob.run(spark, settings, context.store(), context.log(), context.start());
    System.out.print(Report.ingest(context.runId(), settings.warehouse(), result, context.log().results()));
    return 0;
  }
}
