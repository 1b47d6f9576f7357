package dev.pql.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How jobs/pql-submit hands a command to spark-submit (pql.submit): master, deploy mode, jar, packages, --conf
 * settings and resources per command. Read with the rest of the configuration, so a typo fails before anything
 * is submitted.
 */
public record SubmitSettings(
    String sparkSubmit,
    String master,
    boolean clusterDeployMode,
    String jar,
    List<String> packages,
    List<String> jars,
    List<String> files,
    String queue,
    Map<String, String> conf,
    Map<String, Map<String, String>> resources) {

  /** The commands a resources block may name, besides default. */
  public static final Set<String> COMMANDS = Set.of("generate", "events", "ingest", "features", "train", "score",
      "evaluate", "backtest", "metrics", "report", "run", "demo", "serve-sql");

  /** The resource keys, in the order spark-submit's options are written. */
  public static final List<String> RESOURCE_KEYS =
      List.of("driver-memory", "driver-cores", "executor-memory", "executor-cores", "num-executors");

  /** The command's resources: its own block over default; keys with an empty value are left out. */
  public Map<String, String> resourcesFor(String command) {
    Map<String, String> merged = new LinkedHashMap<>();
    for (String key : RESOURCE_KEYS) {
      String value = resources.getOrDefault(command, Map.of()).get(key);
      if (value == null) value = resources.getOrDefault("default", Map.of()).get(key);
      if (value != null && !value.isBlank()) merged.put(key, value);
    }
    return merged;
  }

  static SubmitSettings read(Config c) {
    String s = "pql.submit.";
    String deployMode = c.getString(s + "deploy-mode").toLowerCase(Locale.ROOT);
    if (!Set.of("client", "cluster").contains(deployMode)) {
      throw SettingsLoader.bad(c, s + "deploy-mode", "must be client or cluster, found '" + deployMode + "'");
    }
    if (c.getString(s + "master").isBlank()) throw SettingsLoader.bad(c, s + "master", "must not be empty");
    Map<String, Map<String, String>> resources = new LinkedHashMap<>();
    for (Map.Entry<String, ConfigValue> block : c.getConfig(s + "resources").root().entrySet()) {
      String command = block.getKey();
      String path = s + "resources." + command;
      if (!command.equals("default") && !COMMANDS.contains(command)) {
        throw SettingsLoader.bad(c, path, "is not a pql command (default or one of " + new java.util.TreeSet<>(COMMANDS)
            + ")");
      }
      Map<String, String> values = new LinkedHashMap<>();
      for (Map.Entry<String, ConfigValue> e : c.getConfig(path).root().entrySet()) {
        if (!RESOURCE_KEYS.contains(e.getKey())) {
          throw SettingsLoader.bad(c, path + "." + e.getKey(), "is not a resource (one of " + RESOURCE_KEYS + ")");
        }
        String value = String.valueOf(e.getValue().unwrapped()).trim();
        if (e.getKey().endsWith("-cores") || e.getKey().equals("num-executors")) {
          if (!value.isEmpty() && !value.matches("[1-9][0-9]*")) {
            throw SettingsLoader.bad(c, path + "." + e.getKey(), "must be a positive whole number, found '" + value + "'");
          }
        } else if (!value.isEmpty() && !value.matches("[0-9]+[kmgtKMGT]?")) {
          throw SettingsLoader.bad(c, path + "." + e.getKey(), "must be a JVM memory size like 4g, found '" + value + "'");
        }
        values.put(e.getKey(), value);
      }
      resources.put(command, Map.copyOf(values));
    }
    return new SubmitSettings(
        c.getString(s + "spark-submit"),
        c.getString(s + "master"),
        deployMode.equals("cluster"),
        c.getString(s + "jar"),
        c.getStringList(s + "packages"),
        c.getStringList(s + "jars"),
        c.getStringList(s + "files"),
        c.getString(s + "queue"),
        SettingsLoader.flatten(c.getConfig(s + "conf")),
        Map.copyOf(resources));
  }
}
