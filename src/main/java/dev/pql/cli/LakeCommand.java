package dev.pql.cli;

import java.io.File;
import java.util.Map;
import picocli.CommandLine.Option;

/** A command that reads a lake: it takes the lake's source mapping and root. */
abstract class LakeCommand extends SparkCommand {
  @Option(names = "--mapping", paramLabel = "FILE",
      description = "Source mapping (conf/mappings/*.conf); default: the generic layout of reference.conf.")
  File mapping;

  @Option(names = "--lake", paramLabel = "DIR", description = "The lake's root (pql.ingest.lake). Local or s3a://.")
  String lake;

  @Override
  File mapping() {
    return mapping;
  }

  @Override
  Map<String, String> overrides() {
    return lake == null ? Map.of() : Map.of("pql.ingest.lake", lake);
  }
}
