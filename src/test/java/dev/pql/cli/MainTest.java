package dev.pql.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.io.Tables;
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
    for (String command : new String[] {"generate", "ingest", "features", "train", "score", "evaluate", "backtest", "demo",
        "tables"}) {
      Outcome o = run(command, "--help");
      assertEquals(0, o.exitCode(), command);
      assertTrue(o.out().startsWith("Usage: pql " + command), o.out());
    }
  }

  @Test
  void theReadmesTableSectionIsTheContractsOwnText() throws IOException {
    Outcome o = run("tables");
    assertEquals(Tables.markdown(), o.out());
    String readme = Files.readString(Path.of("README.md"));
    assertTrue(readme.contains(Tables.markdown()), "README.md must contain the output of `jobs/pql tables`");
  }

  @Test
  void theDemoRunsGenerateAndIngestAndPrintsTheSummary() {
    Path warehouse = dir.resolve("w");
    Outcome o = run("demo", "--warehouse", warehouse.toString(), "--lake", dir.resolve("lake").toString(),
        "-Dpql.generate.accounts=60", "-Dpql.generate.days=20", "-Dpql.spark.master=local[2]",
        "-Dpql.spark.conf.spark.ui.enabled=false");
    assertEquals(0, o.exitCode(), o.err());
    assertTrue(o.out().contains("Generated 61 accounts"), o.out());
    assertTrue(o.out().matches("(?s).*\\nevents +[0-9,]+ +[0-9,]+ +[0-9,]+ +[0-9,]+\\n.*"), o.out());
    assertTrue(o.out().matches("(?s).*\\naccount_features: [0-9,]+ rows for [0-9]+ as-of date\\(s\\) 2026-.*"), o.out());
    assertTrue(o.out().matches("(?s).*\\n  features.snapshots +[0-9.]+ s   [0-9]+ tasks.*"), o.out());
    for (String table : new String[] {"events", "accounts", "conversions", "events_rejected", "pipeline_runs",
        "account_daily", "account_user_daily", "account_features"}) {
      assertTrue(Files.isDirectory(warehouse.resolve(table).resolve("_delta_log")), table + " is a Delta table");
    }
  }
}
