package dev.pql.definitions;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pql.SparkTestBase;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shipped definitions of conf/definitions on a hand-made feature set: each fires on exactly the rows worked
 * out by hand below, and its reasons name the values that made it true.
 */
class RuleMatchesTest extends SparkTestBase {
  static Dataset<Row> features;

  @BeforeAll
  static void handMade() {
    // Columns: account, messages 30d, active users 7d / 30d, active days 30d, days to first integration and
    // invite, limits reached 30d, contact-sales clicks 30d, domain class, size band, days since signup, reports
    // exported in 14 days, projects created in the first 7 days (null under 7 days old), distinct uploaders in
    // 30 days, invites sent in 30 days.
    features = spark.sql("""
        SELECT account_id, DATE '2026-03-02' AS as_of_date, CAST(msg AS BIGINT) AS cnt_30d__message_sent,
               CAST(au7 AS BIGINT) AS active_users_7d, CAST(au30 AS BIGINT) AS active_users_30d,
               CAST(days AS BIGINT) AS active_days_30d, CAST(integ AS INT) AS days_to_first__integration_connected,
               CAST(inv AS INT) AS days_to_first__invite_sent, CAST(lim AS BIGINT) AS limits_reached_30d,
               CAST(cs AS BIGINT) AS cnt_30d__contact_sales_clicked, domain_class, size_band,
               CAST(age AS INT) AS days_since_signup, 'US' AS country, 'software' AS industry,
               CAST(rep AS BIGINT) AS cnt_14d__report_exported, CAST(proj AS BIGINT) AS cnt_first_7d__project_created,
               CAST(up AS BIGINT) AS users_30d__file_uploaded, CAST(inv30 AS BIGINT) AS cnt_30d__invite_sent
        FROM VALUES
          ('heavy',       2500, 1, 1,  4, NULL, NULL, 0, 0, 'corporate',  'small', 40, 0, 0, 0, 0),
          ('team',        1200, 3, 3,  6, NULL, NULL, 0, 0, 'corporate',  'small', 40, 0, 0, 0, 0),
          ('just-short',   999, 3, 3,  9, NULL, NULL, 0, 0, 'webmail',    'small', 40, 0, 0, 0, 0),
          ('habit',         10, 1, 1, 10, NULL, NULL, 0, 0, 'corporate',  'small', 40, 0, 0, 0, 0),
          ('fast',           5, 2, 2,  3,    3,    7, 0, 0, 'corporate',  'mid',   12, 0, 0, 0, 0),
          ('slow-invite',    5, 2, 2,  3,    3,    8, 0, 0, 'corporate',  'mid',   12, 0, 0, 0, 0),
          ('limited',       50, 1, 1,  2, NULL, NULL, 2, 0, 'corporate',  'small', 40, 0, 0, 0, 0),
          ('hand-raiser',   50, 1, 1,  2, NULL, NULL, 0, 1, 'webmail',    'small', 40, 0, 0, 0, 0),
          ('enterprise',    50, 1, 2,  5, NULL, NULL, 0, 0, 'enterprise', 'large', 40, 0, 0, 0, 0),
          ('lone-ent',      50, 1, 1,  5, NULL, NULL, 0, 0, 'enterprise', 'large', 40, 0, 0, 0, 0),
          ('both',        2000, 3, 3,  4, NULL, NULL, 0, 0, 'corporate',  'small', 40, 0, 0, 0, 0),
          ('reports',       50, 1, 1,  2, NULL, NULL, 0, 0, 'corporate',  'small', 40, 10, 0, 0, 0),
          ('few-reports',   50, 1, 1,  2, NULL, NULL, 0, 0, 'corporate',  'small', 40,  9, 0, 0, 0),
          ('first-week',    50, 1, 1,  2, NULL, NULL, 0, 0, 'corporate',  'small', 10,  0, 3, 0, 0),
          ('too-young',     50, 1, 1,  2, NULL, NULL, 0, 0, 'corporate',  'small',  5,  0, NULL, 0, 0),
          ('many-hands',    50, 3, 3,  2, NULL, NULL, 0, 0, 'corporate',  'small', 40,  0, 0, 3, 0),
          ('inviter',     1000, 1, 1,  2, NULL, NULL, 0, 0, 'corporate',  'small', 40,  0, 0, 0, 3),
          ('nothing',     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 3, NULL, NULL, NULL, NULL)
        AS t(account_id, msg, au7, au30, days, integ, inv, lim, cs, domain_class, size_band, age, rep, proj, up,
          inv30)""");
  }

  @Test
  void eachShippedDefinitionFiresOnTheRowsComputedByHandWithTheValuesThatMadeItTrue() {
    List<RuleMatches.Rule> rules = Definitions.active(spark, "conf/definitions", features.schema());
    assertEquals(List.of("active-team", "asked-for-sales", "enterprise-domain", "fast-setup", "frequent-use",
        "heavy-messaging", "invited-and-messaging", "many-hands", "reporting-habit", "strong-first-week",
        "usage-limit"), rules.stream().map(r -> r.definition().name()).toList());

    Map<String, List<String>> expected = new LinkedHashMap<>();
    expected.put("heavy", List.of("heavy-messaging"));
    expected.put("team", List.of("active-team"));
    expected.put("just-short", List.of());
    expected.put("habit", List.of("frequent-use"));
    expected.put("fast", List.of("fast-setup"));
    expected.put("slow-invite", List.of());
    expected.put("limited", List.of("usage-limit"));
    expected.put("hand-raiser", List.of("asked-for-sales"));
    expected.put("enterprise", List.of("enterprise-domain"));
    expected.put("lone-ent", List.of());
    expected.put("both", List.of("active-team", "heavy-messaging"));
    expected.put("reports", List.of("reporting-habit"));
    expected.put("few-reports", List.of());
    expected.put("first-week", List.of("strong-first-week"));
    expected.put("too-young", List.of());
    expected.put("many-hands", List.of("many-hands"));
    expected.put("inviter", List.of("invited-and-messaging"));
    expected.put("nothing", List.of());
    Map<String, List<String>> matched = new LinkedHashMap<>();
    Map<String, List<String>> reasons = new LinkedHashMap<>();
    for (Row r : RuleMatches.apply(features, rules).orderBy("account_id").collectAsList()) {
      matched.put(r.getAs("account_id"), r.getList(r.fieldIndex(RuleMatches.MATCHED)));
      reasons.put(r.getAs("account_id"), r.<Row>getList(r.fieldIndex(RuleMatches.REASONS)).stream()
          .map(x -> x.getAs("definition") + ": " + x.getAs("feature") + " = " + x.getAs("value")).toList());
    }
    assertEquals(new java.util.TreeMap<>(expected), new java.util.TreeMap<>(matched));

    assertEquals(List.of("active-team: cnt_30d__message_sent = 2000", "active-team: active_users_7d = 3",
        "heavy-messaging: cnt_30d__message_sent = 2000"), reasons.get("both"));
    assertEquals(List.of("fast-setup: days_to_first__integration_connected = 3",
        "fast-setup: days_to_first__invite_sent = 7"), reasons.get("fast"));
    assertEquals(List.of("enterprise-domain: active_users_30d = 2", "enterprise-domain: active_days_30d = 5",
        "enterprise-domain: domain_class = enterprise"), reasons.get("enterprise"));
    assertEquals(List.of("usage-limit: limits_reached_30d = 2"), reasons.get("limited"));
    assertEquals(List.of("invited-and-messaging: cnt_30d__message_sent = 1000",
        "invited-and-messaging: cnt_30d__invite_sent = 3"), reasons.get("inviter"));
    assertEquals(List.of("strong-first-week: cnt_first_7d__project_created = 3"), reasons.get("first-week"));
    assertEquals(List.of(), reasons.get("nothing"));
  }

  @Test
  void theDefinitionsNoRowMeetsAreNamedAndOnlyThose() {
    List<RuleMatches.Rule> rules = Definitions.active(spark, "conf/definitions", features.schema());
    List<String> all = rules.stream().map(r -> r.definition().name()).toList();
    assertEquals(List.of(), RuleMatches.neverMet(features, rules), "each is met by a row made for it");
    List<String> allButHeavy = new java.util.ArrayList<>(all);
    allButHeavy.remove("heavy-messaging");
    assertEquals(allButHeavy, RuleMatches.neverMet(features.filter("account_id = 'heavy'"), rules));
    assertEquals(all, RuleMatches.neverMet(features.limit(0), rules), "no row: none is met");
  }

  @Test
  void segmentsAndTheWindowAfterSignupNarrowADefinition() {
    dev.pql.definitions.Definition d = dev.pql.definitions.DefinitionParser.parse("""
        name = early-team
        version = "2"
        type = usage
        when = "active_users_7d >= 2"
        within-days-of-signup = 14
        segments { size-band = ["mid"] }
        """, "early-team.conf");
    List<RuleMatches.Rule> rules = List.of(new RuleMatches.Rule(d, DefinitionCheck.check(spark, d,
        features.schema())));
    List<String> hits = RuleMatches.apply(features, rules).filter("size(rules_matched) > 0").orderBy("account_id")
        .select("account_id").as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
    // 2+ active users: fast and slow-invite (mid, 12 days after signup); team, just-short and both are small.
    assertEquals(List.of("fast", "slow-invite"), hits);
  }
}
