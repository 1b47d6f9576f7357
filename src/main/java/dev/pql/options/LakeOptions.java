package dev.pql.options;

import java.io.File;
import picocli.CommandLine.Option;

/** Options of a command that reads a lake: the lake's source mapping and root. */
public final class LakeOptions {
  @Option(names = "--mapping", paramLabel = "FILE",
      description = "Source mapping (conf/mappings/*.conf); default: the generic layout of reference.conf.")
  public File mapping;

  @Option(names = "--lake", paramLabel = "DIR", description = "The lake's root (pql.ingest.lake). Local or s3a://.")
  public String lake;
}
