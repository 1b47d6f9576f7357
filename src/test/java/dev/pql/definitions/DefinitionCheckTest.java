package dev.pql.definitions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.GoldenLake;
import dev.pql.PqlException.ConfigurationError;
import dev.pql.SparkTestBase;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Definitions are read from their text and checked against the feature columns before any work. */
class DefinitionCheckTest extends SparkTestBase {
  static StructType features;

  @BeforeAll
  static void schema() {
    features = GoldenLake.snapshots(GoldenLake.settings(), GoldenLake.events(spark), GoldenLake.accounts(spark),
        List.of(LocalDate.parse("2026-03-10"))).schema();
  }

  private static String errorOf(String when) {
    Definition d = DefinitionParser.parse("name = heavy\nversion = \"1\"\ntype = usage\nwhen = \"\"\"" + when
        + "\"\"\"\n", "conf/definitions/heavy.conf");
    return assertThrows(ConfigurationError.class, () -> DefinitionCheck.check(spark, d, features)).getMessage();
  }

  @Test
  void aDefinitionSurvivesItsOwnTextAndAValidWhenPasses() {
    Definition d = new Definition("heavy-messaging", "2", "A team sent 2,000 messages", Definition.Type.USAGE,
        "cnt_30d__message_sent >= 2000 AND active_users_7d >= 3", 14, Map.of("country", List.of("US", "DE")), true,
        "discovered_rules");
    assertEquals(d, DefinitionParser.parse(d.toHocon(), "discovered_rules"));
    DefinitionCheck.check(spark, d, features);
  }

  @Test
  void eachKindOfInvalidWhenIsRejectedWithTheFileTheDefinitionAndThePart() {
    String at = "conf/definitions/heavy.conf: definition 'heavy': ";
    assertEquals(at + "'when' uses unknown column `cnt_30d__mesage_sent`; did you mean one of "
        + "`cnt_30d__message_sent`, `cnt_7d__message_sent`, `cnt_total__message_sent`, `days_to_first__message_sent`, "
        + "`as_of_date`? In: cnt_30d__mesage_sent > 5", errorOf("cnt_30d__mesage_sent > 5"));
    assertEquals(at + "'when' must be a boolean expression, but it is of type bigint: cnt_30d__message_sent + 1",
        errorOf("cnt_30d__message_sent + 1"));
    assertEquals(at + "'when' must be a row-level expression over one account's features, but it uses an aggregate "
        + "function: sum(cnt_30d__message_sent) > 5", errorOf("sum(cnt_30d__message_sent) > 5"));
    assertEquals(at + "'when' must be a row-level expression over one account's features, but it uses a window "
        + "function: rank() OVER (ORDER BY seats) < 10", errorOf("rank() OVER (ORDER BY seats) < 10"));
    assertEquals(at + "'when' must not contain a subquery: seats > (SELECT 1)", errorOf("seats > (SELECT 1)"));
    assertEquals(at + "'when' must be deterministic (no rand(), uuid(), ...): rand() < 0.5", errorOf("rand() < 0.5"));
  }

  /**
   * On a lake without an event, a definition reading that event's features cannot fire there: it is left out and
   * named, not an error; a near miss of a known event is a typo, and any other unknown column a mistake.
   */
  @Test
  void aDefinitionOfEventsTheLakeNeverHadIsLeftOutAndNamedWhileATypoStillFails() throws java.io.IOException {
    java.nio.file.Path folder = tempDir("pql-definitions");
    java.nio.file.Files.writeString(folder.resolve("fits.conf"),
        "name = fits\nversion = \"1\"\ntype = usage\nwhen = \"cnt_30d__message_sent >= 1\"\n");
    java.nio.file.Files.writeString(folder.resolve("music.conf"), "name = music\nversion = \"1\"\ntype = usage\n"
        + "when = \"cnt_7d__next_song >= 100 OR (days_to_first__thumbs_up <= 3 AND cnt_30d__message_sent > 0)\"\n");
    Definitions.Fitted fitted = Definitions.fitted(spark, folder.toString(), features);
    assertEquals(List.of("fits"), fitted.fit().stream().map(r -> r.definition().name()).toList());
    assertEquals(Map.of("music", List.of("cnt_7d__next_song", "days_to_first__thumbs_up")), fitted.unfit());

    java.nio.file.Files.writeString(folder.resolve("typo.conf"),
        "name = typo\nversion = \"1\"\ntype = usage\nwhen = \"cnt_30d__mesage_sent >= 1\"\n");
    assertTrue(assertThrows(ConfigurationError.class, () -> Definitions.fitted(spark, folder.toString(), features))
        .getMessage().contains("unknown column `cnt_30d__mesage_sent`; did you mean"));
    java.nio.file.Files.writeString(folder.resolve("typo.conf"),
        "name = typo\nversion = \"1\"\ntype = usage\nwhen = \"seets > 3 AND cnt_7d__next_song > 1\"\n");
    String error = assertThrows(ConfigurationError.class, () -> Definitions.fitted(spark, folder.toString(),
        features)).getMessage();
    assertTrue(error.contains("definition 'typo': 'when' uses unknown column `seets`"), error);
    assertEquals(1, dev.pql.config.SettingsLoader.editDistance("mesage_sent", "message_sent"));
  }

  @Test
  void onlyTheAllowedFunctionsPassAndTheTextIsCheckedAsScoringReadsIt() {
    String at = "conf/definitions/heavy.conf: definition 'heavy': ";
    String allowed = "(comparison, arithmetic, logic, null handling, casts, date and string functions only; "
        + "README \"Definitions\"): ";
    assertEquals(at + "'when' calls raise_error, which a definition may not call " + allowed
        + "seats > 3 OR raise_error('boom') IS NULL", errorOf("seats > 3 OR raise_error('boom') IS NULL"));
    assertEquals(at + "'when' calls assert_true, which a definition may not call " + allowed
        + "assert_true(seats > 0) IS NULL", errorOf("assert_true(seats > 0) IS NULL"));
    // Balanced only once wrapped in parentheses: scoring reads the text as it is, so the check does too.
    assertTrue(errorOf("true) OR (false").startsWith(at + "'when' is not a Spark SQL expression"),
        errorOf("true) OR (false"));
    // The functions people write in a rule pass.
    Definition ok = DefinitionParser.parse("name = ok\nversion = \"1\"\ntype = usage\nwhen = \"\"\""
        + "coalesce(cnt_30d__message_sent, 0) >= greatest(100, seats * 10) AND lower(plan) = 'free' "
        + "AND NOT array_contains(activation_milestones, 'x') AND log1p(double(seats)) > 0\"\"\"\n",
        "conf/definitions/ok.conf");
    DefinitionCheck.check(spark, ok, features);
  }
}
