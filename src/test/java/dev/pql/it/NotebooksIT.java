package dev.pql.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * pql's notebooks (notebooks/*.ipynb), each executed headless by Debian's Jupyter (nbconvert --execute, a Python 3
 * kernel whose JPype starts pql's JVM; installed by the project's setup step when missing) on the reference run's
 * warehouse and lake: every cell runs without an error and draws its plots, the notebooks are stored without
 * outputs, the rule the definition notebook evaluates has exactly the figures {@code jobs/pql evaluate} prints for
 * it on the same window, and the lake notebook lists every usable row the run ingested.
 */
class NotebooksIT {
  static final List<String> NOTEBOOKS = List.of("explore-a-warehouse", "iterate-on-a-definition",
      "bring-your-own-lake");
  /** The plots each notebook draws on a trained, scored warehouse. */
  static final Map<String, Integer> PLOTS = Map.of("explore-a-warehouse", 4, "iterate-on-a-definition", 2,
      "bring-your-own-lake", 1);
  static final String RULE = "cnt_30d__message_sent >= 20";
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void everyNotebookRunsOnTheReferenceWarehouseAndItsEvaluationIsTheCommandsOwn() throws Exception {
    install();
    SampleRun.Reference reference = SampleRun.reference();
    Path work = SampleRun.WORK.resolve("notebooks");
    SampleRun.deleteRecursively(work);
    Files.createDirectories(work);
    Map<String, String> env = new HashMap<>(Map.of("PQL_HOME", ServiceProcess.HOME.toString(),
        "PQL_WAREHOUSE", reference.warehouse().toString(), "PQL_CONFIG", SampleRun.config().toString(),
        "PQL_RULE", RULE, "PQL_RULE_NAME", "notebook-rule", "PQL_DEFINITIONS_OUT", work.resolve("definitions")
            .toString(), "PQL_LAKE", reference.lake().toString(), "PQL_DRAFT_DIR", work.resolve("drafts").toString()));
    env.put("PYDEVD_DISABLE_FILE_VALIDATION", "1");
    env.put("PQL_JAVA_OPTS", SampleRun.PQL_JAVA_OPTS); // the kernel's JVM, as the jobs/pql processes of the tests

    for (String name : NOTEBOOKS) {
      JsonNode stored = JSON.readTree(ServiceProcess.HOME.resolve("notebooks/" + name + ".ipynb").toFile());
      assertEquals(List.of(), outputs(stored), name + " is stored without outputs");
      for (JsonNode cell : stored.get("cells")) {
        assertTrue(cell.path("execution_count").isMissingNode() || cell.get("execution_count").isNull(),
            name + " is stored unexecuted");
      }
    }
    // The notebooks run at once, each in its own kernel and JVM, as three people's would, beside the command whose
    // evaluation the definition notebook's must equal: one after the other, each left part of the two cores idle
    // while its JVM started (the three notebooks took 92 and 94 s so, against 70 and 72 s at once).
    Row window = ItSpark.session().read().format("delta").load(reference.warehouse().resolve("model_runs").toString())
        .orderBy(org.apache.spark.sql.functions.col("trained_at").desc())
        .selectExpr("CAST(evaluation_from AS STRING)", "CAST(evaluation_to AS STRING)").first();
    long start = System.nanoTime();
    Map<String, Process> running = new java.util.LinkedHashMap<>();
    Map<String, JsonNode> executed = new HashMap<>();
    try (ServiceProcess evaluate = SampleRun.startPql(ServiceProcess.HOME, work.resolve("evaluate.log"), Map.of(),
        "evaluate", "--config", SampleRun.config().toString(), "--warehouse", reference.warehouse().toString(),
        "--rule", RULE, "--from", window.getString(0), "--to", window.getString(1), "--format", "json")) {
      for (String name : NOTEBOOKS) running.put(name, execute(name, work, env));
      for (String name : NOTEBOOKS) {
        Process p = running.get(name);
        assertTrue(p.waitFor(15, TimeUnit.MINUTES), name + " within 15 minutes");
        assertEquals(0, p.exitValue(), name + " executed:\n" + SampleRun.read(work.resolve(name + ".log")));
        executed.put(name, JSON.readTree(work.resolve(name + ".ipynb").toFile()));
        System.out.printf("NotebooksIT: %s executed, %.1f s after the three started%n", name,
            (System.nanoTime() - start) / 1e9);
      }
      assertEquals(0, SampleRun.finish(evaluate), "pql evaluate");
    } finally {
      running.values().forEach(Process::destroyForcibly); // a failed wait leaves no kernel behind (the ended: no-op)
    }
    for (String name : NOTEBOOKS) {
      JsonNode notebook = executed.get(name);
      for (JsonNode cell : notebook.get("cells")) {
        if (!cell.get("cell_type").asText().equals("code")) continue;
        assertTrue(cell.get("execution_count").isNumber(), name + ": every cell ran");
        for (JsonNode out : cell.get("outputs")) {
          assertTrue(!out.get("output_type").asText().equals("error"), name + ": " + out);
          assertTrue(!text(out).contains("Traceback"), name + ": " + text(out));
        }
      }
      long plots = outputs(notebook).stream().filter(o -> o.path("data").has("image/png")).count();
      assertEquals((long) PLOTS.get(name), plots, name + " draws its plots");
    }
    theEvaluationIsTheCommands(executed.get("iterate-on-a-definition"), window, work.resolve("evaluate.log"));
    assertTrue(Files.readString(work.resolve("definitions/notebook-rule.conf")).contains("when = \"" + RULE + "\""),
        "the rule saved as a definition");
    theLakeListingHoldsEveryUsableRow(executed.get("bring-your-own-lake"));
  }

  /**
   * The notebook's evaluation of the rule, figure by figure, is what `jobs/pql evaluate --format json` printed to
   * {@code log} on the same window.
   */
  private static void theEvaluationIsTheCommands(JsonNode notebook, Row window, Path log) throws Exception {
    JsonNode shown = shown(notebook, "evaluation");
    String printed = SampleRun.read(log);
    JsonNode command = JSON.readTree(printed.substring(printed.indexOf('{'), printed.lastIndexOf('}') + 1));
    Map<String, JsonNode> byName = new HashMap<>();
    shown.forEach(r -> byName.put(r.get("definition_name").asText(), r));
    assertEquals(command.get("definitions").size(), byName.size(), "the same definitions: " + byName.keySet());
    int compared = 0;
    for (JsonNode expected : command.get("definitions")) {
      JsonNode actual = byName.get(expected.get("definition_name").asText());
      assertTrue(actual != null, "the notebook evaluated " + expected.get("definition_name"));
      for (var field : iterable(expected.fields())) {
        if (!field.getValue().isNumber() && !field.getValue().isNull()) continue;
        JsonNode value = actual.get(field.getKey());
        if (field.getValue().isNull()) {
          assertTrue(value == null || value.isNull(), field.getKey() + " of " + expected.get("definition_name"));
          continue;
        }
        double want = field.getValue().asDouble();
        assertEquals(want, value.asDouble(), 1e-12 * Math.max(1, Math.abs(want)), field.getKey() + " of "
            + expected.get("definition_name"));
        compared++;
      }
    }
    JsonNode added = command.get("added");
    assertTrue(text(notebook).contains(String.format("It adds %,d of the %,d upgrades", added.get("added_upgrades")
        .asLong(), added.get("upgrades").asLong())), "what it adds, as the command counts it");
    System.out.printf("NotebooksIT: the notebook's evaluation of %s equals `pql evaluate`'s on %s .. %s: %d figures "
        + "of %d definitions%n", RULE, window.getString(0), window.getString(1), compared, byName.size());
  }

  /** The lake notebook's listing counts every row the reference run read and did not reject, and its rejections. */
  private static void theLakeListingHoldsEveryUsableRow(JsonNode notebook) throws InterruptedException {
    Row ingest = ItSpark.session().read().format("delta").load(SampleRun.reference().warehouse()
        .resolve("pipeline_runs").toString()).filter("run_id = '" + SampleRun.RUN_ID + "' AND stage = 'ingest.events'")
        .select("rows_in", "rows_rejected").first();
    long listed = 0;
    for (JsonNode event : shown(notebook, "events")) listed += event.get("rows").asLong();
    long rejected = 0;
    for (JsonNode reason : shown(notebook, "rejected")) rejected += reason.get("rows").asLong();
    assertEquals(ingest.getLong(0) - ingest.getLong(1), listed, "usable rows listed");
    assertEquals(ingest.getLong(1), rejected, "rows rejected, by reason");
  }

  /** nbconvert executing a notebook, started; its own log file of the pql JVM in its kernel beside its output. */
  private static Process execute(String name, Path work, Map<String, String> env) throws Exception {
    String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    Path log = work.resolve(name + ".log");
    ProcessBuilder builder = new ProcessBuilder(python, "-m", "nbconvert", "--to", "notebook", "--execute",
        "--ExecutePreprocessor.timeout=600", "--output-dir", work.toString(),
        ServiceProcess.HOME.resolve("notebooks/" + name + ".ipynb").toString())
        .directory(ServiceProcess.HOME.resolve("notebooks").toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    builder.environment().putAll(env);
    builder.environment().put("PQL_LOG_FILE", work.resolve(name + ".pql.log").toString());
    return builder.start();
  }

  /** Jupyter and what the notebooks import, installed through the setup step when missing. */
  static void install() throws Exception {
    DebianPackages.install("jupyter-notebook", "python3-nbconvert", "python3-ipykernel", "python3-pandas",
        "python3-matplotlib", "python3-jpype");
  }

  /** The records a cell kept with pql_notebook.show(frame, name). */
  private static JsonNode shown(JsonNode notebook, String name) {
    for (JsonNode out : outputs(notebook)) {
      JsonNode json = out.path("data").path("application/json");
      if (json.path("name").asText().equals(name)) return json.get("records");
    }
    throw new AssertionError("no output named " + name);
  }

  private static List<JsonNode> outputs(JsonNode notebook) {
    List<JsonNode> all = new ArrayList<>();
    for (JsonNode cell : notebook.get("cells")) cell.path("outputs").forEach(all::add);
    return all;
  }

  /** Everything a notebook or an output printed, as text. */
  private static String text(JsonNode node) {
    StringBuilder out = new StringBuilder();
    if (node.has("cells")) {
      outputs(node).forEach(o -> out.append(text(o)));
      return out.toString();
    }
    JsonNode t = node.has("text") ? node.get("text") : node.path("data").path("text/plain");
    if (t.isArray()) t.forEach(line -> out.append(line.asText()));
    else out.append(t.asText());
    return out.toString();
  }

  private static <T> Iterable<T> iterable(java.util.Iterator<T> iterator) {
    return () -> iterator;
  }
}
