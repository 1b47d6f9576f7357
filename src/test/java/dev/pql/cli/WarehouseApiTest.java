package dev.pql.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.SparkTestBase;
import dev.pql.api.Warehouse;
import dev.pql.definitions.Definition;
import dev.pql.io.DeltaStore;
import dev.pql.io.Tables;
import dev.pql.metrics.EvaluateJob;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * The warehouse API (dev.pql.api.Warehouse) on a synthetic warehouse whose answer is known: a candidate evaluated
 * through the API has the figures `pql evaluate` prints for it, and the API's rows carry the same numbers. (In
 * the cli package for Report, and the only test of its class: a command stops the Spark session.)
 */
class WarehouseApiTest extends SparkTestBase {
  @Test
  void aCandidateEvaluatedThroughTheApiHasTheFiguresTheCommandLinePrints() throws Exception {
    Path definitions = tempDir("pql-api-definitions");
    Files.writeString(definitions.resolve("big-x.conf"),
        "name = big-x\nversion = \"1\"\ntype = usage\nwhen = \"x >= 900\"\n");
    Path config = tempDir("pql-api-config").resolve("pql.conf");
    Files.writeString(config, "pql.scoring.definitions = \"" + definitions + "\"\n");
    DeltaStore store = new DeltaStore(spark, tempDir("pql-api").toString());
    spark.sql("""
        SELECT concat('a', id) AS account_id, date_add(DATE '2026-01-05', CAST(7 * (id % 10) AS INT)) AS as_of_date,
               CAST(pmod(xxhash64(id, 1), 1000) AS BIGINT) AS x,
               CASE WHEN id % 3 = 0 THEN 'trial' ELSE 'free' END AS plan,
               pmod(xxhash64(id, 5), 1000000) / 1000000.0 < 0.02 + CASE WHEN x >= 700 THEN 0.25 ELSE 0 END
                 AS upgrades
        FROM range(0, 4000)""").createOrReplaceTempView("api_synthetic");
    spark.sql("SELECT account_id, as_of_date, x, plan FROM api_synthetic").write().format("delta")
        .save(store.warehouse() + "/account_features");
    store.insertNew(Tables.CONVERSIONS, spark.sql("""
        SELECT account_id, CAST(date_add(as_of_date, 5) AS TIMESTAMP) AS converted_at, plan AS from_plan,
               'team' AS to_plan, true AS is_first, 'plan-history' AS source,
               TIMESTAMP '2026-05-08 00:00:00' AS ingested_at, 'r' AS run_id
        FROM api_synthetic WHERE upgrades"""));
    lastEventOn(store, "2026-05-06");

    Warehouse warehouse = Warehouse.open(spark, store.warehouse(), config.toString());
    EvaluateJob.Result api = warehouse.evaluation(Definition.candidate("x >= 700", null), null, null);
    List<Row> rows = warehouse.evaluate("x >= 700").collectAsList();
    assertEquals(List.of("candidate", "big-x"), rows.stream().map(r -> r.<String>getAs("definition_name")).toList());
    Row truth = spark.sql("SELECT count(*), avg(CAST(upgrades AS DOUBLE)) FROM api_synthetic WHERE x >= 700").first();
    assertEquals(truth.getLong(0), rows.get(0).<Long>getAs("pql_rows"));
    assertEquals(truth.getDouble(1), rows.get(0).<Double>getAs("precision"), 1e-12);
    assertEquals(api.figures().get(0).lift().value(), rows.get(0).<Double>getAs("lift"), 1e-12);
    // What the candidate adds to big-x (x >= 900), which qualifies only accounts the candidate (x >= 700) does:
    // together they catch what the candidate catches, and the candidate adds the upgrades big-x misses.
    EvaluateJob.Added added = api.added();
    assertEquals(api.figures().get(0).upgrades().caught(), added.caughtWithCandidate());
    assertEquals(api.figures().get(1).upgrades().caught(), added.caughtByActive());
    assertEquals(added.caughtWithCandidate() - added.caughtByActive(), added.added());
    assertTrue(added.added() > 0 && added.added() < added.upgrades(), added.toString());
    assertEquals((double) added.added() / added.upgrades(), added.addedRecall().value(), 1e-12);
    assertEquals(0, warehouse.drivers().count(), "no model trained yet: no drivers, and no error");
    assertEquals(0, warehouse.leads().count());
    assertTrue(warehouse.table("account_features").columns().length == 4);

    // Each week's truth, before a command stops this session: its rows, PQL rows and their upgrade rate.
    java.util.Map<String, Row> weeks = new java.util.TreeMap<>();
    spark.sql("""
        SELECT CAST(as_of_date AS STRING), count(*), count_if(x >= 700), avg(CASE WHEN x >= 700 THEN
               CAST(upgrades AS DOUBLE) END)
        FROM api_synthetic GROUP BY as_of_date""").collectAsList().forEach(r -> weeks.put(r.getString(0), r));

    String printed = evaluate(store, config, "--rule", "x >= 700");
    assertTrue(printed.contains(Report.evaluate(api)), "the command prints the API's figures:\n" + printed
        + "\nthe API's, as the report:\n" + Report.evaluate(api));
    assertTrue(printed.contains("The candidate week by week"), printed);

    // For programs: the same figures as JSON, with each week's (here one snapshot a week) beside the whole window's.
    com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(evaluate(store, config, "--rule", "x >= 700", "--format", "json"));
    com.fasterxml.jackson.databind.JsonNode whole = json.get("definitions").get(0);
    assertEquals("candidate", whole.get("definition_name").asText());
    assertEquals(truth.getLong(0), whole.get("pql_rows").asLong());
    assertEquals(api.figures().get(0).precision().lo(), whole.get("precision_lo").asDouble(), 1e-12);
    assertEquals(added.added(), json.get("added").get("added_upgrades").asLong());
    assertEquals(added.upgrades(), json.get("added").get("upgrades").asLong());
    assertEquals(List.copyOf(weeks.keySet()), json.get("weeks").findValuesAsText("week"));
    long pqlRows = 0;
    for (com.fasterxml.jackson.databind.JsonNode week : json.get("weeks")) {
      com.fasterxml.jackson.databind.JsonNode c = week.get("definitions").get(0);
      Row t = weeks.get(week.get("week").asText());
      assertEquals(t.getLong(1), c.get("rows").asLong(), week.toString());
      assertEquals(t.getLong(2), c.get("pql_rows").asLong(), week.toString());
      assertEquals(t.getDouble(3), c.get("precision").asDouble(), 1e-12, week.toString());
      assertTrue(c.get("precision_lo").asDouble() <= t.getDouble(3) && t.getDouble(3) <= c.get("precision_hi")
          .asDouble(), "each week's precision with its interval: " + c);
      pqlRows += c.get("pql_rows").asLong();
    }
    assertEquals(truth.getLong(0), pqlRows, "the weeks' PQL rows add up to the whole window's");

    // And as CSV: a row per definition for the window (week empty), then per definition and week.
    com.univocity.parsers.csv.CsvParserSettings settings = new com.univocity.parsers.csv.CsvParserSettings();
    settings.setHeaderExtractionEnabled(true);
    com.univocity.parsers.csv.CsvParser parser = new com.univocity.parsers.csv.CsvParser(settings);
    List<com.univocity.parsers.common.record.Record> records = parser.parseAllRecords(new java.io.StringReader(
        evaluate(store, config, "--rule", "x >= 700", "--format", "csv")));
    assertEquals(2 * (1 + weeks.size()), records.size(), "two definitions, the window and each week");
    assertEquals(null, records.get(0).getString("week"));
    assertEquals(truth.getLong(0), records.get(0).getLong("pql_rows"));
    assertEquals(whole.get("precision_hi").asDouble(), records.get(0).getDouble("precision_hi"), 1e-12);
    assertEquals(List.of("big-x", "candidate"), records.stream().filter(r -> r.getString("week") != null)
        .map(r -> r.getString("definition_name")).distinct().sorted().toList());
  }

  /** {@code pql evaluate} with the given arguments on the warehouse, its exit checked; what it printed. */
  private static String evaluate(DeltaStore store, Path config, String... args) {
    List<String> command = new java.util.ArrayList<>(List.of("evaluate", "--warehouse", store.warehouse(),
        "--config", config.toString()));
    command.addAll(List.of(args));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream stdout = System.out;
    int exit;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      exit = Main.commandLine().execute(command.toArray(String[]::new));
    } finally {
      System.setOut(stdout);
    }
    String printed = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, exit, printed);
    return printed;
  }
}
