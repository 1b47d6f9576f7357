package dev.pql.bench;

import dev.pql.config.Settings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Runs bench/sklearn_fit.py with Debian's Python (bench/run installs python3-sklearn) and reads its key=value
 * lines.
 */
final class SklearnFit {
  private SklearnFit() {}

  static final String PYTHON = "/usr/bin/python3";

  static Map<String, String> run(Path csv, Settings.ModelSettings model) {
    List<String> command = List.of(PYTHON, "bench/sklearn_fit.py", csv.toString(),
        "--reg", join(model.regParams()), "--elastic", join(model.elasticNetParams()),
        "--max-iter", String.valueOf(model.maxIterations()));
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (process.waitFor() != 0) {
        throw new IllegalStateException("scikit-learn side of the benchmark failed (" + String.join(" ", command)
            + "):\n" + output);
      }
      Map<String, String> values = new LinkedHashMap<>();
      for (String line : output.split("\n")) {
        int eq = line.indexOf('=');
        if (eq > 0) values.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
      }
      values.put("version", version());
      return values;
    } catch (IOException e) {
      throw new IllegalStateException("Cannot run " + PYTHON + ": bench/run installs python3-sklearn", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String version() throws IOException, InterruptedException {
    Process p = new ProcessBuilder(PYTHON, "-c", "import sklearn; print(sklearn.__version__)").start();
    String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    p.waitFor();
    return v;
  }

  private static String join(List<Double> values) {
    return values.stream().map(String::valueOf).collect(Collectors.joining(","));
  }
}
