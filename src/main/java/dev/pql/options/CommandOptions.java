package dev.pql.options;

import dev.pql.config.Settings;
import dev.pql.config.SettingsLoader;
import java.io.File;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * A pql command's options, declared once without Spark: jobs/pql's commands mix them in, and jobs/pql-submit parses
 * the same command line with them to check the configuration the driver will load before anything is submitted.
 */
public abstract class CommandOptions {
  /** The options every command that runs Spark takes. */
  @Mixin public CommonOptions common = new CommonOptions();

  /** A mapping file layered under --config, for commands that read a lake; null otherwise. */
  public File mapping() {
    return null;
  }

  /** The configuration keys this command's own options set. */
  protected Map<String, String> commandOverrides() {
    return Map.of();
  }

  /** The command's name, from its declaration. */
  public String name() {
    return getClass().getAnnotation(Command.class).name();
  }

  /**
   * The configuration file: --config, else the installation's conf/application.conf when it exists.
   *
   * @param pqlHome the installation (PQL_HOME), or null for the working directory
   */
  public File config(String pqlHome) {
    if (common.config != null) return common.config;
    File file = new File(pqlHome != null ? pqlHome : ".", "conf/application.conf");
    return file.isFile() ? file : null;
  }

  /** Every override the command line makes: -D, --warehouse and --run-id, then the command's own options. */
  public Map<String, String> overrides() {
    Map<String, String> overrides = new LinkedHashMap<>(common.overrides());
    overrides.putAll(commandOverrides());
    return overrides;
  }

  /** Loads and validates the settings this command line selects (exit 2 on a bad key), before Spark starts. */
  public Settings load() {
    return SettingsLoader.load(config(System.getenv("PQL_HOME")), mapping(), overrides());
  }
}
