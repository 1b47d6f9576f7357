package dev.pql.model;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.to_date;

import dev.pql.GoldenLake;
import dev.pql.SparkTestBase;
import dev.pql.config.Settings;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Training rows of the golden lake. a1 (free) upgrades to team at 2026-03-10 00:00, a2 signs up free at that
 * instant, a3 stays on trial. Snapshots on D = 03-10 and D2 = 03-17, horizon 30 days.
 */
class TrainingSetTest extends SparkTestBase {
  static final LocalDate D = LocalDate.parse("2026-03-10");
  static final LocalDate D2 = LocalDate.parse("2026-03-17");
  static Settings settings;

  @BeforeAll
  static void configuration() {
    settings = GoldenLake.settings();
  }

  private static Dataset<Row> conversions() {
    return spark.sql("""
        SELECT 'a1' AS account_id, TIMESTAMP '2026-03-10 00:00:00' AS converted_at, 'free' AS from_plan,
               'team' AS to_plan, true AS is_first""");
  }

  private static Dataset<Row> training(Dataset<Row> events, LocalDate dataEnd) {
    Dataset<Row> features = GoldenLake.snapshots(settings, events, GoldenLake.accounts(spark), List.of(D, D2));
    return TrainingSet.label(features, conversions(), List.of("free", "trial"), 30, dataEnd);
  }

  private static Dataset<Row> keysAndLabels(Dataset<Row> rows) {
    return rows.select("account_id", "as_of_date", "label");
  }

  @Test
  void accountsOnAPaidPlanAtDAreNotRowsAndTheLabelIsAnUpgradeWithinTheHorizon() {
    // a1 at D2 is on team (paid) and has converted: not a row. a1 at D converts at D 00:00: inside [D, D+30).
    assertSameRows(spark.sql("""
        SELECT * FROM VALUES ('a1', DATE '2026-03-10', 1.0), ('a3', DATE '2026-03-10', 0.0),
                             ('a2', DATE '2026-03-17', 0.0), ('a3', DATE '2026-03-17', 0.0)
          AS t(account_id, as_of_date, label)"""),
        keysAndLabels(training(GoldenLake.events(spark), LocalDate.parse("2026-04-20"))));
  }

  @Test
  void rowsWhoseHorizonRunsPastTheEndOfTheDataAreCensoredNotNegative() {
    // Data through 04-09: D + 30 = 04-09 fits, D2 + 30 = 04-16 does not.
    assertSameRows(spark.sql("""
        SELECT * FROM VALUES ('a1', DATE '2026-03-10', 1.0), ('a3', DATE '2026-03-10', 0.0)
          AS t(account_id, as_of_date, label)"""),
        keysAndLabels(training(GoldenLake.events(spark), LocalDate.parse("2026-04-10"))));
  }

  @Test
  void eventsAtOrAfterDZeroHundredChangeNoTrainingRowOfD() {
    Dataset<Row> before = training(GoldenLake.events(spark), LocalDate.parse("2026-04-20"))
        .filter(col("as_of_date").equalTo(lit(java.sql.Date.valueOf(D))));
    Dataset<Row> planted = GoldenLake.events(spark).select("event").distinct().crossJoin(spark.sql("""
            SELECT * FROM VALUES ('a1'), ('a3') AS a(account_id)""")).crossJoin(spark.sql("""
            SELECT * FROM VALUES (TIMESTAMP '2026-03-10 00:00:00'), (TIMESTAMP '2026-03-10 00:00:00.001'),
                                 (TIMESTAMP '2026-03-12 12:00:00') AS t(ts)"""))
        .select(col("account_id"), lit("u8").as("user_id"), col("event"), col("ts"))
        .withColumn("event_date", to_date(col("ts")))
        .withColumn("ingested_at", lit(Timestamp.valueOf("2026-03-20 00:00:00")));
    Dataset<Row> after = training(GoldenLake.events(spark).unionByName(planted), LocalDate.parse("2026-04-20"))
        .filter(col("as_of_date").equalTo(lit(java.sql.Date.valueOf(D))));
    assertSameRows(before, after);
    // ... while the same events change the rows of D2, which may see them.
    Dataset<Row> laterBefore = training(GoldenLake.events(spark), LocalDate.parse("2026-04-20"))
        .filter("as_of_date = DATE '2026-03-17' AND account_id = 'a3'").select("cnt_total__message_sent");
    Dataset<Row> laterAfter = training(GoldenLake.events(spark).unionByName(planted), LocalDate.parse("2026-04-20"))
        .filter("as_of_date = DATE '2026-03-17' AND account_id = 'a3'").select("cnt_total__message_sent");
    assertSameRows(spark.sql("SELECT 0L AS cnt_total__message_sent"), laterBefore);
    assertSameRows(spark.sql("SELECT 3L AS cnt_total__message_sent"), laterAfter);
  }
}
