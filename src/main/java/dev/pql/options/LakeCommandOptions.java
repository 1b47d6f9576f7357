package dev.pql.options;

import java.io.File;
import java.util.Map;
import picocli.CommandLine.Mixin;

/** The options of a command that reads a lake (ingest, run): its source mapping and root. */
public abstract class LakeCommandOptions extends CommandOptions {
  @Mixin public LakeOptions lake = new LakeOptions();

  @Override
  public File mapping() {
    return lake.mapping;
  }

  @Override
  protected Map<String, String> commandOverrides() {
    return lake.lake == null ? Map.of() : Map.of("pql.ingest.lake", lake.lake);
  }
}
