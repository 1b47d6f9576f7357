package dev.pql.submit;

import dev.pql.PqlException;
import dev.pql.config.Settings;
import dev.pql.config.SettingsLoader;
import dev.pql.definitions.DefinitionParser;
import dev.pql.options.CommandOptions;
import dev.pql.options.Commands;
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
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;

/**
 * jobs/pql-submit's planner: {@code Submit [--dry-run] [--conf K=V]... <command> [pql options]}. Parses the command
 * line with the commands' own options (the ones jobs/pql parses with), loads and checks the configuration
 * (pql.submit and everything the driver will read) before anything is submitted, then writes the spark-submit
 * command line NUL-separated to the --argv-file for the launcher to exec, or prints it with --dry-run. Needs only
 * pql-cluster.jar: nothing here touches Spark.
 */
public final class Submit {
  /** The names a driver in cluster deploy mode finds the shipped files under, in its working directory. */
  static final String SHIPPED_CONFIG = "pql.conf";
  static final String SHIPPED_DEFINITIONS = "pql-definitions";

  private Submit() {}

  /** The launcher's own options; --conf is taken anywhere on the command line, before or after the command. */
  @Command(name = "pql-submit", mixinStandardHelpOptions = true, version = "pql 0.1.0",
      description = "Submit a pql command with spark-submit to a standalone, YARN or Kubernetes master, from an "
          + "environment file (start from conf/cluster.conf.template). The configuration and the definitions are "
          + "checked before anything is submitted.")
  static final class Launcher {
    @Option(names = "--dry-run", description = "Print the spark-submit command instead of running it.")
    boolean dryRun;

    @Option(names = "--argv-file", paramLabel = "FILE", hidden = true,
        description = "Where the launcher reads the command line to run (set by jobs/pql-submit).")
    Path argvFile;

    @Option(names = "--conf", paramLabel = "KEY=VALUE", scope = ScopeType.INHERIT,
        description = "A Spark setting for spark-submit, over pql.submit.conf; may be given anywhere, and repeated.")
    Map<String, String> conf = new LinkedHashMap<>();
  }

  public static void main(String[] args) {
    try {
      System.exit(run(List.of(args), System.getenv()));
    } catch (PqlException e) {
      System.err.println("pql-submit: " + e.getMessage());
      System.exit(e.exitCode());
    }
  }

  static int run(List<String> args, Map<String, String> env) {
    Launcher launcher = new Launcher();
    CommandLine line = commandLine(launcher);
    ParseResult parsed;
    try {
      parsed = line.parseArgs(args.toArray(String[]::new));
    } catch (ParameterException e) {
      throw usage(e.getMessage());
    }
    if (CommandLine.printHelpIfRequested(parsed)) return 0;
    if (!parsed.hasSubcommand()) throw usage("no pql command given; one of " + Commands.names());
    CommandOptions options = (CommandOptions) parsed.subcommand().commandSpec().userObject();
    String command = options.name();
    Map<String, String> overrides = new LinkedHashMap<>(options.overrides());
    launcher.conf.forEach((k, v) -> overrides.put("pql.submit.conf.\"" + k + "\"", v));
    Settings settings = SettingsLoader.load(options.config(env.get("PQL_HOME")), options.mapping(), overrides);
    DefinitionParser.loadFolder(new File(settings.scoring().definitions()));

    String sparkSubmit = !settings.submit().sparkSubmit().isBlank() ? settings.submit().sparkSubmit()
        : env.containsKey("SPARK_HOME") ? env.get("SPARK_HOME") + "/bin/spark-submit" : "spark-submit";
    // The launcher's own build: PQL_CLUSTER_JAR (set by jobs/pql-submit), else the installation's.
    String built = env.getOrDefault("PQL_CLUSTER_JAR", env.getOrDefault("PQL_HOME", ".") + "/target/pql-cluster.jar");
    String jar = !settings.submit().jar().isBlank() ? settings.submit().jar() : built;

    List<String> driverArgs = driverArgs(args, command);
    SubmitPlan.Shipped shipped = SubmitPlan.Shipped.NONE;
    List<String> staged = new ArrayList<>();
    if (settings.submit().clusterDeployMode()) {
      Path stage = env.containsKey("PQL_SUBMIT_DIR") ? Path.of(env.get("PQL_SUBMIT_DIR"))
          : Path.of(built).toAbsolutePath().getParent().resolve("submit");
      Path config = stage.resolve(SHIPPED_CONFIG);
      Path definitions = stage.resolve(SHIPPED_DEFINITIONS + ".zip");
      shipped = new SubmitPlan.Shipped(List.of(config.toAbsolutePath().toString()),
          List.of(definitions.toAbsolutePath() + "#" + SHIPPED_DEFINITIONS));
      // In cluster deploy mode --config and --mapping travel inside the shipped file.
      driverArgs = new ArrayList<>(without(driverArgs, List.of("--config", "--mapping")));
      driverArgs.addAll(List.of("--config", SHIPPED_CONFIG, "-Dpql.scoring.definitions=" + SHIPPED_DEFINITIONS));
      staged.add(config.toString());
      staged.add(definitions.toString());
      if (!launcher.dryRun) {
        writeString(config, SettingsLoader.render(options.config(env.get("PQL_HOME")), options.mapping()));
        zipFolder(new File(settings.scoring().definitions()), definitions);
      }
    }
    List<String> argv = SubmitPlan.command(settings.submit(), sparkSubmit, jar, shipped, command, driverArgs);
    if (launcher.dryRun) {
      if (!staged.isEmpty()) System.out.println("# ships " + String.join(" and ", staged) + " (written when not a dry run)");
      System.out.println(SubmitPlan.shellLine(argv));
      return 0;
    }
    if (launcher.argvFile == null) throw usage("--argv-file is required without --dry-run");
    writeString(launcher.argvFile, String.join("\0", argv) + "\0");
    return 0;
  }

  /** The launcher's command line: its own options, and each pql command with the options jobs/pql declares. */
  static CommandLine commandLine(Launcher launcher) {
    CommandLine line = new CommandLine(launcher);
    for (String name : Commands.names()) {
      CommandLine command = new CommandLine(Commands.options(name));
      command.getCommandSpec().mixinStandardHelpOptions(true);
      line.addSubcommand(name, command);
    }
    return line;
  }

  /** The driver's arguments: those after the command, as given, without the launcher's --conf settings. */
  static List<String> driverArgs(List<String> args, String command) {
    int at = 0;
    while (at < args.size() && !args.get(at).equals(command)) {
      at += args.get(at).equals("--conf") || args.get(at).equals("--argv-file") ? 2 : 1;
    }
    return without(args.subList(Math.min(at + 1, args.size()), args.size()), List.of("--conf"));
  }

  /** The arguments without the given options and their values, written "--option value" or "--option=value". */
  static List<String> without(List<String> args, List<String> options) {
    List<String> kept = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (options.contains(arg)) {
        i++;
      } else if (options.stream().noneMatch(o -> arg.startsWith(o + "="))) {
        kept.add(arg);
      }
    }
    return kept;
  }

  private static PqlException.ConfigurationError usage(String problem) {
    return new PqlException.ConfigurationError(problem
        + "\nusage: jobs/pql-submit [--dry-run] [--conf KEY=VALUE]... <command> [--config FILE] [pql options]; "
        + "jobs/pql-submit --help", null);
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
