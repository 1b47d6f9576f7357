package dev.pql.cli;

import dev.pql.PqlException;
import dev.pql.config.DefinitionLoader;
import dev.pql.config.Settings;
import dev.pql.config.SettingsLoader;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * jobs/pql-submit's planner: {@code Submit [--dry-run] [--argv-file F] <command> [pql options]}. Loads and checks
 * the configuration (pql.submit and everything the driver will read) before anything is submitted, then writes
 * the spark-submit command line NUL-separated to F for the launcher to exec, or prints it with --dry-run.
 * Needs only pql-cluster.jar: nothing here touches Spark.
 */
public final class Submit {
  /** The names a driver in cluster deploy mode finds the shipped files under, in its working directory. */
  static final String SHIPPED_CONFIG = "pql.conf";
  static final String SHIPPED_DEFINITIONS = "pql-definitions";

  private Submit() {}

  public static void main(String[] args) {
    try {
      System.exit(run(List.of(args), System.getenv()));
    } catch (PqlException e) {
      System.err.println("pql-submit: " + e.getMessage());
      System.exit(e.exitCode());
    }
  }

  static int run(List<String> args, Map<String, String> env) {
    boolean dryRun = false;
    Path argvFile = null;
    List<String> rest = new ArrayList<>(args);
    while (!rest.isEmpty() && rest.get(0).startsWith("--")) {
      String option = rest.remove(0);
      if (option.equals("--dry-run")) {
        dryRun = true;
      } else if (option.equals("--argv-file") && !rest.isEmpty()) {
        argvFile = Path.of(rest.remove(0));
      } else {
        throw usage("unknown launcher option " + option);
      }
    }
    if (rest.isEmpty()) throw usage("no pql command given");
    String command = rest.remove(0);
    if (!dev.pql.config.SubmitSettings.COMMANDS.contains(command)) {
      throw usage("'" + command + "' is not a pql command that runs on a cluster; one of "
          + new java.util.TreeSet<>(dev.pql.config.SubmitSettings.COMMANDS));
    }
    PqlArgs pql = PqlArgs.parse(rest, env);
    Settings settings = SettingsLoader.load(pql.config(), pql.mapping(), pql.overrides());
    DefinitionLoader.loadFolder(new File(settings.scoring().definitions()));

    String home = env.getOrDefault("PQL_HOME", ".");
    String sparkSubmit = !settings.submit().sparkSubmit().isBlank() ? settings.submit().sparkSubmit()
        : env.containsKey("SPARK_HOME") ? env.get("SPARK_HOME") + "/bin/spark-submit" : "spark-submit";
    String jar = !settings.submit().jar().isBlank() ? settings.submit().jar() : home + "/target/pql-cluster.jar";

    SubmitPlan.Shipped shipped = SubmitPlan.Shipped.NONE;
    List<String> driverArgs = pql.args();
    List<String> staged = new ArrayList<>();
    if (settings.submit().clusterDeployMode()) {
      Path stage = Path.of(env.getOrDefault("PQL_SUBMIT_DIR", home + "/target/submit"));
      Path config = stage.resolve(SHIPPED_CONFIG);
      Path definitions = stage.resolve(SHIPPED_DEFINITIONS + ".zip");
      shipped = new SubmitPlan.Shipped(List.of(config.toAbsolutePath().toString()),
          List.of(definitions.toAbsolutePath() + "#" + SHIPPED_DEFINITIONS));
      driverArgs = new ArrayList<>(pql.withoutFiles());
      driverArgs.addAll(List.of("--config", SHIPPED_CONFIG, "-Dpql.scoring.definitions=" + SHIPPED_DEFINITIONS));
      staged.add(config.toString());
      staged.add(definitions.toString());
      if (!dryRun) {
        writeString(config, SettingsLoader.render(pql.config(), pql.mapping()));
        zipFolder(new File(settings.scoring().definitions()), definitions);
      }
    }
    List<String> argv = SubmitPlan.command(settings.submit(), sparkSubmit, jar, shipped, command, driverArgs);
    if (dryRun) {
      if (!staged.isEmpty()) System.out.println("# ships " + String.join(" and ", staged) + " (written when not a dry run)");
      System.out.println(SubmitPlan.shellLine(argv));
      return 0;
    }
    if (argvFile == null) throw usage("--argv-file is required without --dry-run");
    writeString(argvFile, String.join("\0", argv) + "\0");
    return 0;
  }

  /**
   * The pql options that choose configuration: --config and --mapping (files on this machine) and the overrides
   * the driver will apply (-D, --warehouse, --lake, --run-id), so the check here sees what the driver will see.
   */
  record PqlArgs(List<String> args, File config, File mapping, Map<String, String> overrides) {
    static PqlArgs parse(List<String> args, Map<String, String> env) {
      File config = null;
      File mapping = null;
      Map<String, String> overrides = new LinkedHashMap<>();
      for (int i = 0; i < args.size(); i++) {
        String arg = args.get(i);
        String name = arg.contains("=") && arg.startsWith("--") ? arg.substring(0, arg.indexOf('=')) : arg;
        String value = arg.contains("=") && arg.startsWith("--") ? arg.substring(arg.indexOf('=') + 1)
            : i + 1 < args.size() ? args.get(i + 1) : null;
        boolean attached = !name.equals(arg);
        switch (name) {
          case "--config" -> config = new File(value);
          case "--mapping" -> mapping = new File(value);
          case "--warehouse" -> overrides.put("pql.warehouse", value);
          case "--lake" -> overrides.put("pql.ingest.lake", value);
          case "--run-id" -> overrides.put("pql.run-id", value);
          case "-D" -> {
            if (value == null || !value.contains("=")) throw usage("-D needs KEY=VALUE");
            overrides.put(value.substring(0, value.indexOf('=')), value.substring(value.indexOf('=') + 1));
            i++;
            continue;
          }
          default -> {
            if (arg.startsWith("-D") && arg.contains("=")) {
              overrides.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
            }
            continue;
          }
        }
        if (value == null) throw usage(name + " needs a value");
        if (!attached) i++;
      }
      if (config == null) {
        File fallback = new File(env.getOrDefault("PQL_HOME", "."), "conf/application.conf");
        if (fallback.isFile()) config = fallback;
      }
      return new PqlArgs(List.copyOf(args), config, mapping, Map.copyOf(overrides));
    }

    /** The arguments without --config and --mapping: in cluster deploy mode both travel inside the shipped file. */
    List<String> withoutFiles() {
      List<String> kept = new ArrayList<>();
      for (int i = 0; i < args.size(); i++) {
        String arg = args.get(i);
        if (arg.equals("--config") || arg.equals("--mapping")) {
          i++;
        } else if (!arg.startsWith("--config=") && !arg.startsWith("--mapping=")) {
          kept.add(arg);
        }
      }
      return kept;
    }
  }

  private static PqlException.ConfigurationError usage(String problem) {
    return new PqlException.ConfigurationError(problem
        + "\nusage: jobs/pql-submit [--dry-run] <command> [--config FILE] [pql options]", null);
  }

  private static void writeString(Path file, String text) {
    try {
      if (file.getParent() != null) Files.createDirectories(file.getParent());
      Files.writeString(file, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + file, e);
    }
  }

  private static void zipFolder(File folder, Path zip) {
    File[] files = folder.listFiles(File::isFile);
    try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
      for (File f : files == null ? new File[0] : files) {
        out.putNextEntry(new ZipEntry(f.getName()));
        Files.copy(f.toPath(), out);
        out.closeEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + zip, e);
    }
  }
}
