package dev.pql.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.pipeline.Contracts;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each command's entry point, as a user calls it. */
class MainTest {
  @TempDir Path dir;

  private record Outcome(int exitCode, String out, String err) {}

  private static Outcome run(String... args) {
    PrintStream stdout = System.out;
    PrintStream stderr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int code = Main.execute(args);
      return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(stdout);
      System.setErr(stderr);
    }
  }

  @Test
  void aMisspelledKeyExitsWithTwoNamingTheKeyAndTheFileBeforeSparkStarts() throws IOException {
    Path bad = dir.resolve("bad.conf");
    Files.writeString(bad, "include \"application\"\npql.warehous = \"/tmp/x\"\n");
    Files.writeString(dir.resolve("application.conf"), "pql.warehouse = \"w\"\n");
    var sessionBefore = SparkSession.getDefaultSession();
    Outcome o = run("ingest", "--config", bad.toString());
    assertEquals(2, o.exitCode());
    assertEquals("pql: Unknown configuration key 'pql.warehous' in " + bad + ":2 (did you mean 'pql.warehouse'?)",
        o.err().strip());
    assertEquals(sessionBefore, SparkSession.getDefaultSession(), "Spark must not have started");
  }

  @Test
  void everyCommandHasHelp() {
    for (String command : new String[] {"generate", "events", "ingest", "features", "train", "score", "evaluate",
        "backtest", "metrics",
        "run", "demo", "serve-sql", "tables"}) {
      Outcome o = run(command, "--help");
      assertEquals(0, o.exitCode(), command);
      assertTrue(o.out().startsWith("Usage: pql " + command), o.out());
      if (!command.equals("tables")) {
        assertTrue(o.out().contains("Exit codes:") && o.out().contains("  4   a table could not be written"),
            command + " lists the exit codes: " + o.out());
      }
    }
    assertTrue(run("--help").out().contains("  3   a source could not be read"), run("--help").out());
    assertTrue(run("run", "--help").out().contains("  5   another run holds the warehouse"));
  }

  @Test
  void theCommandsThatWriteTheWarehouseAreTheOnesThatTakeItsLease() {
    picocli.CommandLine line = Main.commandLine();
    for (var e : line.getSubcommands().entrySet()) {
      if (!(e.getValue().getCommand() instanceof SparkCommand<?> command)) continue;
      assertEquals(Main.LEASED_COMMANDS.contains(e.getKey()), command.writesWarehouse(), e.getKey());
    }
  }

  @Test
  void aCommandJoinsTheSessionItsPlatformRunsAndLeavesItRunning() {
    // As on Databricks or in a notebook: the session exists before pql's command starts.
    SparkSession platform = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false")
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog").getOrCreate();
    try {
      Outcome o = run("metrics", "--warehouse", dir.resolve("empty").toString());
      assertEquals(3, o.exitCode(), o.err());
      assertFalse(platform.sparkContext().isStopped(), "pql stops only a session it started");
      assertEquals(platform, SparkSession.getDefaultSession().get());
    } finally {
      platform.stop();
    }
  }

  @Test
  void theTaskEntryPointThrowsInsteadOfExiting() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Task.main(new String[] {"ingest", "--config", dir.resolve("missing.conf").toString()}));
    assertTrue(e.getMessage().endsWith("ended with exit code 2"), e.getMessage());
  }

  @Test
  void theReadmesTableSectionIsTheContractsOwnText() throws IOException {
    Outcome o = run("tables");
    assertEquals(Contracts.markdown(), o.out());
    String readme = Files.readString(Path.of("README.md"));
    assertTrue(readme.contains(Contracts.markdown()), "README.md must contain the output of `jobs/pql tables`");
  }

  @Test
  void aHalfDateRangeIsAUsageErrorOfScoreAndFeatures() {
    for (String command : new String[] {"score", "features"}) {
      Outcome o = run(command, "--from", "2026-03-02", "--warehouse", dir.resolve("w").toString(),
          "-Dpql.spark.master=local[1]", "-Dpql.spark.conf.spark.ui.enabled=false");
      assertEquals(2, o.exitCode(), command);
      assertTrue(o.err().contains("give --from and --to (from <= to), or --as-of"), o.err());
    }
  }

  @Test
  void theDemoRunsThePipelineAndARerunOfItDoesNothingNew() {
    Path warehouse = dir.resolve("w");
    String[] tiny = {"--warehouse", warehouse.toString(), "--lake", dir.resolve("lake").toString(),
        "-Dpql.generate.accounts=60", "-Dpql.generate.days=20", "-Dpql.spark.master=local[2]",
        // Expressions interpreted, as in the integration tests' processes: on 60 accounts generating code costs more
        // than it saves (87-91 s of CPU against 95-99 s).
        "-Dpql.spark.conf.spark.sql.codegen.wholeStage=false",
        "-Dpql.spark.conf.spark.sql.codegen.factoryMode=NO_CODEGEN",
        "-Dpql.spark.conf.spark.ui.enabled=false", "--run-id", "demo-1"};
    Outcome o = run(concat(new String[] {"demo"}, tiny));
    assertEquals(0, o.exitCode(), o.err());
    assertTrue(o.out().contains("Generated 61 accounts"), o.out());
    // Twenty days are too few to learn from or to backtest: those stages say so, the others run.
    assertLine(o, "\\[1/7\\] ingest +\\.\\.\\. [0-9.]+ s: [0-9,]+ event rows read, [0-9,]+ new, [0-9,]+ rejected.*");
    assertLine(o, "\\[2/7\\] features +\\.\\.\\. [0-9.]+ s: 1 snapshot 2026-01-21 \\.\\. 2026-01-21, [0-9,]+ rows of "
        + "[0-9,]+ columns \\([0-9]+ key events x 16 \\+ [0-9]+\\)");
    assertLine(o, "\\[3/7\\] train +\\.\\.\\. [0-9.]+ s: skipped: .*");
    assertLine(o, "\\[4/7\\] score +\\.\\.\\. [0-9.]+ s: 1 snapshot by the rules and activation \\(no model yet\\); "
        + "[0-9,]+ new PQLs; [0-9,]+ of [0-9,]+ open accounts are PQLs on 2026-01-21");
    assertLine(o, "\\[5/7\\] backtest +\\.\\.\\. [0-9.]+ s: skipped: .*");
    assertLine(o, "\\[6/7\\] metrics +\\.\\.\\. [0-9.]+ s: [0-9,]+ rows over the scores of 2026-01-21 \\.\\. 2026-01-21 .*");
    assertLine(o, "pql_metrics: no complete week scored yet");
    // Its report, with what a run without a model has: its stages, data quality and weekly figures.
    assertLine(o, "\\[7/7\\] report +\\.\\.\\. [0-9.]+ s: file:.*/w/reports/demo-1\\.html");
    assertLine(o, "Report: file:.*/w/reports/demo-1\\.html");
    String report = read(warehouse.resolve("reports/demo-1.html"));
    assertTrue(report.contains("\"run_id\":\"demo-1\"") && report.contains("\"model\":null")
        && report.contains("\"stage\":\"ingest.events\"") && report.contains("\"definition_name\":\"any\""),
        "the report's figures: " + report.substring(report.indexOf("pql-data")));

    // The same lake again, as a scheduler would: nothing to build, train or score; the metrics unchanged. With the
    // Spark UI on (any free port), its address comes first.
    tiny[tiny.length - 1] = "run-2";
    tiny[tiny.length - 3] = "-Dpql.spark.conf.spark.ui.port=0";
    java.util.Map<String, Long> versionsBefore = versions(warehouse);
    Outcome again = run(concat(new String[] {"run"}, tiny));
    assertEquals(0, again.exitCode(), again.err());
    // It writes no version of any table but the run log.
    java.util.Map<String, Long> versionsAfter = versions(warehouse);
    assertTrue(versionsAfter.get("pipeline_runs") > versionsBefore.get("pipeline_runs"));
    versionsAfter.remove("pipeline_runs");
    versionsBefore.remove("pipeline_runs");
    assertEquals(versionsBefore, versionsAfter, "the tables' latest versions");
    assertTrue(again.out().lines().findFirst().orElse("").matches("Spark UI: http://[^ ]+:[0-9]+ \\(while this run "
        + "runs\\)"), again.out());
    assertTrue(o.out().lines().noneMatch(l -> l.startsWith("Spark UI")), "none with the UI off: " + o.out());
    // Nothing changed since demo-1 ended: each stage is skipped at once, no table read, and that run's report named.
    for (String stage : dev.pql.pipeline.Pipeline.STAGE_NAMES) {
      assertLine(again, "\\[[1-7]/7\\] " + stage + " +\\.\\.\\. [0-9.]+ s: skipped: nothing changed since run demo-1");
    }
    assertLine(again, "Run run-2 -> .*: nothing changed since run demo-1 ended \\(.*\\); every stage skipped, its "
        + "tables stand");
    assertLine(again, "Report: file:.*/w/reports/demo-1\\.html \\(run demo-1's\\)");
    assertTrue(again.out().contains("warning: "), "the lake's warnings, as demo-1 gave them: " + again.out());

    SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false")
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog").getOrCreate();
    try {
      for (String table : new String[] {"events", "accounts", "conversions", "events_rejected", "pipeline_runs",
          "account_daily", "account_user_daily", "account_features", "pql_scores", "pql_qualifications", "pql_new",
          "pql_definitions", "pql_metrics"}) {
        assertTrue(Files.isDirectory(warehouse.resolve(table).resolve("_delta_log")), table + " is a Delta table");
      }
      java.util.Map<String, String> stages = new java.util.TreeMap<>();
      spark.read().format("delta").load(warehouse.resolve("pipeline_runs").toString())
          .filter("run_id = 'run-2'").collectAsList()
          .forEach(r -> stages.put(r.<String>getAs("stage"), r.<String>getAs("status")));
      assertEquals("{backtest=skipped, features=skipped, ingest=skipped, metrics=skipped, report=skipped, "
          + "score=skipped, train=skipped}", stages.toString());
      // One commit for the seven rows: the run log's versions after demo-1's, run-2's own only.
      assertEquals(1, spark.read().format("delta").load(warehouse.resolve("pipeline_runs").toString())
          .filter("run_id = 'run-2'").select(org.apache.spark.sql.functions.input_file_name()).distinct().count());
    } finally {
      spark.stop();
    }
  }

  /** Each Delta table of the warehouse with its latest version, from the commits in its log. */
  private static java.util.Map<String, Long> versions(Path warehouse) {
    java.util.Map<String, Long> versions = new java.util.TreeMap<>();
    try (var tables = Files.list(warehouse)) {
      for (Path table : tables.filter(t -> Files.isDirectory(t.resolve("_delta_log"))).toList()) {
        try (var log = Files.list(table.resolve("_delta_log"))) {
          versions.put(table.getFileName().toString(), log.map(f -> f.getFileName().toString())
              .filter(n -> n.matches("[0-9]{20}\\.json")).mapToLong(n -> Long.parseLong(n.substring(0, 20)))
              .max().orElse(-1));
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    assertTrue(versions.size() > 10, "the warehouse's tables: " + versions);
    return versions;
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void assertLine(Outcome o, String pattern) {
    assertTrue(o.out().lines().anyMatch(l -> l.matches(pattern)), "no line matches " + pattern + " in\n" + o.out());
  }

  private static String[] concat(String[] a, String[] b) {
    String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
