package dev.pql.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.SparkTestBase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * `pql score` stops with exit 2 before reading any data when a definition is invalid, and says which file,
 * definition and part is at fault. (The only test of its class: each command stops the Spark session.)
 */
class ScoreCommandTest extends SparkTestBase {
  @Test
  void eachKindOfInvalidDefinitionExitsWithTwoAndItsMessageBeforeAnyTableIsWritten() throws Exception {
    Path warehouse = tempDir("pql-score-cli");
    spark.sql("SELECT 'a1' AS account_id, DATE '2026-03-02' AS as_of_date, 'free' AS plan, 10L AS seats, "
            + "5L AS cnt_30d__message_sent")
        .write().format("delta").save(warehouse.resolve("account_features").toString());

    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("when = \"cnt_30d__mesage_sent > 5\"", "'when' uses unknown column `cnt_30d__mesage_sent`; did you "
        + "mean one of `cnt_30d__message_sent`, `as_of_date`, `seats`, `plan`, `account_id`? In: "
        + "cnt_30d__mesage_sent > 5");
    cases.put("when = \"seats + 1\"", "'when' must be a boolean expression, but it is of type bigint: seats + 1");
    cases.put("when = \"sum(seats) > 5\"", "'when' must be a row-level expression over one account's features, but "
        + "it uses an aggregate function: sum(seats) > 5");
    cases.put("when = \"rank() OVER (ORDER BY seats) < 10\"", "'when' must be a row-level expression over one "
        + "account's features, but it uses a window function: rank() OVER (ORDER BY seats) < 10");
    cases.put("when = \"seats > (SELECT 1)\"", "'when' must not contain a subquery: seats > (SELECT 1)");
    cases.put("when = \"rand() < 0.5\"", "'when' must be deterministic (no rand(), uuid(), ...): rand() < 0.5");
    cases.put("when = \"seats >\"", null);
    int i = 0;
    for (Map.Entry<String, String> c : cases.entrySet()) {
      Path definitions = tempDir("pql-bad-definitions");
      Path file = definitions.resolve("bad.conf");
      Files.writeString(file, "name = bad-" + i + "\nversion = \"1\"\ntype = usage\n" + c.getKey() + "\n");
      Files.writeString(definitions.resolve("good.conf"), "name = good\nversion = \"1\"\ntype = usage\n"
          + "when = \"seats >= 3\"\n");
      String[] outcome = run("score", "--warehouse", warehouse.toString(), "-Dpql.scoring.definitions=" + definitions,
          "-Dpql.spark.master=local[1]", "-Dpql.spark.conf.spark.ui.enabled=false");
      assertEquals("2", outcome[0], c.getKey() + ": " + outcome[1]);
      String prefix = "pql: " + file + ": definition 'bad-" + i + "': ";
      if (c.getValue() != null) {
        assertEquals(prefix + c.getValue(), outcome[1].strip());
      } else {
        // Spark's own parse error sits in the middle; the frame is pql's.
        String message = outcome[1].strip();
        assertTrue(message.startsWith(prefix + "'when' is not a Spark SQL expression: [PARSE_SYNTAX_ERROR]")
            && message.endsWith(" In: seats >"), message);
      }
      i++;
    }
    // A file that is not a definition: an unknown key, and an unknown type.
    Path definitions = tempDir("pql-bad-definitions");
    Path file = definitions.resolve("typo.conf");
    Files.writeString(file, "name = typo\nversion = \"1\"\ntype = usage\nwhen = \"seats > 1\"\nwithin-days = 7\n");
    String[] outcome = run("score", "--warehouse", warehouse.toString(), "-Dpql.scoring.definitions=" + definitions);
    assertEquals("2", outcome[0]);
    assertEquals("pql: " + file + " (definition 'typo'): unknown key 'within-days'; allowed: [active, description, "
        + "name, segments, type, version, when, within-days-of-signup]", outcome[1].strip());
    Files.writeString(file, "name = typo\nversion = \"1\"\ntype = useage\nwhen = \"seats > 1\"\n");
    outcome = run("score", "--warehouse", warehouse.toString(), "-Dpql.scoring.definitions=" + definitions);
    assertEquals("2", outcome[0]);
    assertEquals("pql: " + file + " (definition 'typo'): 'type' must be one of [usage, hand-raiser, "
        + "usage-limit-reached, self-serve-purchase], found 'useage'", outcome[1].strip());

    for (String table : new String[] {"pql_scores", "pql_qualifications", "pql_new"}) {
      assertFalse(Files.exists(warehouse.resolve(table)), table + " must not have been written");
    }

    // `run` checks them before ingest when the key events are known: a window of an event that does not exist.
    Files.writeString(file, "name = typo\nversion = \"1\"\ntype = usage\nwhen = \"cnt_14d__mesage_sent >= 1\"\n");
    outcome = run("run", "--warehouse", warehouse.toString(), "-Dpql.scoring.definitions=" + definitions,
        "-Dpql.features.key-events=[\"Message Sent\"]", "-Dpql.ingest.events.path=" + tempDir("pql-no-lake"));
    assertEquals("2", outcome[0], outcome[1]);
    assertEquals("pql: " + file + ": definition 'typo': 'when' uses unknown column `cnt_14d__mesage_sent`; did you "
        + "mean one of `cnt_14d__message_sent`, `cnt_1d__message_sent`, `cnt_30d__message_sent`, "
        + "`cnt_3d__message_sent`, `cnt_60d__message_sent`? In: cnt_14d__mesage_sent >= 1",
        outcome[1].strip().lines().reduce((a, b) -> b).orElse(""));
    for (String table : new String[] {"events", "events_rejected", "accounts"}) {
      assertFalse(Files.exists(warehouse.resolve(table)), table + ": nothing is ingested");
    }

    // Before the first ingest no column is known, but the text and its functions are; and the folder must exist.
    Files.writeString(file, "name = typo\nversion = \"1\"\ntype = usage\nwhen = \"raise_error('no') IS NULL\"\n");
    outcome = run("run", "--warehouse", warehouse.toString(), "-Dpql.scoring.definitions=" + definitions,
        "-Dpql.ingest.events.path=" + tempDir("pql-no-lake"));
    assertEquals("2", outcome[0], outcome[1]);
    assertTrue(outcome[1].contains("definition 'typo': 'when' calls raise_error, which a definition may not call"),
        outcome[1]);
    outcome = run("run", "--warehouse", warehouse.toString(),
        "-Dpql.scoring.definitions=" + definitions.resolve("gone"),
        "-Dpql.ingest.events.path=" + tempDir("pql-no-lake"));
    assertEquals("2", outcome[0], outcome[1]);
    assertTrue(outcome[1].contains("Definitions folder does not exist: " + definitions.resolve("gone")
        + " (pql.scoring.definitions)"), outcome[1]);
    for (String table : new String[] {"events", "events_rejected", "accounts"}) {
      assertFalse(Files.exists(warehouse.resolve(table)), table + ": nothing is ingested");
    }
  }

  /** Runs a command; returns its exit code and its standard error. */
  private static String[] run(String... args) {
    PrintStream stderr = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int code = Main.execute(args);
      return new String[] {String.valueOf(code), err.toString(StandardCharsets.UTF_8)};
    } finally {
      System.setErr(stderr);
    }
  }
}
