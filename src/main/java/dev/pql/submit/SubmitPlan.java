package dev.pql.submit;

import dev.pql.config.SubmitSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The spark-submit command line of one pql command on a cluster: pure, so that --dry-run prints exactly what
 * jobs/pql-submit runs.
 */
final class SubmitPlan {
  static final String MAIN_CLASS = "dev.pql.cli.Main";

  private SubmitPlan() {}

  /**
   * @param sparkSubmit the spark-submit executable
   * @param jar the application jar
   * @param shipped extra --files and --archives entries (cluster deploy mode: the configuration and definitions)
   * @param command the pql command, e.g. run
   * @param pqlArgs the command's own arguments, passed to the driver as given
   */
  static List<String> command(SubmitSettings submit, String sparkSubmit, String jar, Shipped shipped, String command,
      List<String> pqlArgs) {
    List<String> argv = new ArrayList<>(List.of(sparkSubmit,
        "--master", submit.master(),
        "--deploy-mode", submit.clusterDeployMode() ? "cluster" : "client",
        "--name", "pql " + command,
        "--class", MAIN_CLASS));
    if (!submit.queue().isBlank()) argv.addAll(List.of("--queue", submit.queue()));
    addList(argv, "--packages", submit.packages());
    addList(argv, "--jars", submit.jars());
    List<String> files = new ArrayList<>(submit.files());
    files.addAll(shipped.files());
    addList(argv, "--files", files);
    addList(argv, "--archives", shipped.archives());
    argv.addAll(resources(submit, command));
    for (Map.Entry<String, String> e : submit.conf().entrySet()) {
      argv.addAll(List.of("--conf", e.getKey() + "=" + e.getValue()));
    }
    argv.add(jar);
    argv.add(command);
    argv.addAll(pqlArgs);
    return argv;
  }

  /** spark-submit's resource options for a command; a standalone master counts cores, not executors. */
  static List<String> resources(SubmitSettings submit, String command) {
    Map<String, String> r = submit.resourcesFor(command);
    boolean standalone = submit.master().startsWith("spark://");
    List<String> options = new ArrayList<>();
    for (Map.Entry<String, String> e : r.entrySet()) {
      String key = e.getKey();
      if (key.equals("driver-cores") && !submit.clusterDeployMode()) continue; // the client's JVM is already running
      if (key.equals("num-executors") && standalone) {
        int cores = Integer.parseInt(r.getOrDefault("executor-cores", "1"));
        options.addAll(List.of("--total-executor-cores", String.valueOf(Integer.parseInt(e.getValue()) * cores)));
      } else {
        options.addAll(List.of("--" + key, e.getValue()));
      }
    }
    return options;
  }

  private static void addList(List<String> argv, String option, List<String> values) {
    if (!values.isEmpty()) argv.addAll(List.of(option, String.join(",", values)));
  }

  /** What cluster deploy mode ships to the driver's working directory. */
  record Shipped(List<String> files, List<String> archives) {
    static final Shipped NONE = new Shipped(List.of(), List.of());
  }

  /** The command as one line a shell runs as given (single quotes where needed). */
  static String shellLine(List<String> argv) {
    StringBuilder line = new StringBuilder();
    for (String arg : argv) {
      if (line.length() > 0) line.append(' ');
      line.append(arg.matches("[A-Za-z0-9_@%+=:,./-]+") ? arg : "'" + arg.replace("'", "'\\''") + "'");
    }
    return line.toString();
  }
}
