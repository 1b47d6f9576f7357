package dev.pql.features;

import static org.apache.spark.sql.types.DataTypes.DateType;
import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.createArrayType;

import dev.pql.config.Settings.FeatureSettings;
import dev.pql.config.Settings.PlanLimit;
import dev.pql.io.TableContract;
import java.util.List;
import java.util.Map;

/**
 * The contract of account_features, the features stage's output: its columns depend on the configured events, and
 * each per-event column is named by the grammar of {@link FeatureNames}.
 */
public final class AccountFeatures {
  private AccountFeatures() {}

  public static final String NAME = "account_features";

  /** The contract as the README shows it: with placeholders for the configured events and windows. */
  public static TableContract documented() {
    return withWindows(Map.of("<key event>", "<event>"),
        Map.of("<event>", new PlanLimit("<limited event>", 1, false)),
        new Windows(List.of("7", "30", "<w>"), List.of("<k>"), List.of("<w>")));
  }

  /**
   * The contract for the key events, plan limits and windows (pql.features.windows, signup-windows, user-windows,
   * and those the active definitions name).
   */
  public static TableContract contract(Map<String, String> keyEvents, Map<String, PlanLimit> planLimits,
      FeatureSettings settings) {
    return withWindows(keyEvents, planLimits, new Windows(names(settings.countWindows()),
        names(settings.signupWindows()), names(settings.userWindows())));
  }

  /** The windows' day counts as the column names write them, or placeholders for the README. */
  private record Windows(List<String> counts, List<String> sinceSignup, List<String> users) {}

  private static List<String> names(List<Integer> days) {
    return days.stream().map(String::valueOf).toList();
  }

  /**
   * The contract for a set of key events (event name → snake name) and plan limits (snake name → limit): one row
   * per account and as-of date, partitioned by as_of_date.
   */
  private static TableContract withWindows(Map<String, String> keyEvents, Map<String, PlanLimit> planLimits,
      Windows windows) {
    TableContract.Builder b = TableContract.table(NAME,
            "One row per account and as-of date D: features from events before D 00:00 UTC and the account state "
                + "valid at that instant. Accounts that signed up on or after D are absent.")
        .key("account_id", "as_of_date")
        .partitionBy("as_of_date")
        .required("account_id", StringType, "Account id")
        .required("as_of_date", DateType, "Snapshot date D: only what was true before D 00:00 UTC is used")
        .required("days_since_signup", IntegerType, "Days from the signup date to D")
        .optional("days_since_last_activity", IntegerType, "Days from the last day with events to D; null if none");
    keyEvents.forEach((event, snake) -> {
      b.required(FeatureNames.countTotal(snake), LongType, "'" + event + "' events before D");
      for (String w : windows.counts()) {
        b.required("cnt_" + w + "d__" + snake, LongType, "'" + event + "' events in the " + w + " days before D"
            + (w.startsWith("<") ? " (pql.features.windows; 7 and 30 always)" : ""));
      }
      for (String k : windows.sinceSignup()) {
        b.optional("cnt_first_" + k + "d__" + snake, LongType, "'" + event + "' events in the account's first " + k
            + " calendar days (UTC, the signup day first; pql.features.signup-windows); null until it is " + k
            + " days old");
      }
      for (String w : windows.users()) {
        b.required("users_" + w + "d__" + snake, LongType, "Distinct users of the account with '" + event
            + "' events in the " + w + " days before D (pql.features.user-windows); 0 when events carry no user");
      }
      b.optional(FeatureNames.daysToFirst(snake), IntegerType,
          "Calendar days (UTC) from the signup date to the first '" + event + "', 0 = the signup day (speed of "
              + "adoption); null if never before D");
    });
    planLimits.forEach((snake, l) -> b.required(FeatureNames.usageVsLimit(snake), DoubleType,
        "'" + l.event() + "' events " + (l.sinceSignup() ? "since signup" : "in the 30 days before D")
            + " / its free-plan limit (pql.features.plan-limits); 1.0 = at the limit"));
    return accountColumns(b).build();
  }

  /** The columns every account has, whatever the configured events: activity, team, families, state. */
  private static TableContract.Builder accountColumns(TableContract.Builder b) {
    return b
        .required("logins_7d", LongType, "Login events (pql.features.login-events) in the 7 days before D")
        .required("logins_30d", LongType, "Login events in the 30 days before D")
        .required("active_days_7d", LongType, "Days with any event in the 7 days before D")
        .required("active_days_30d", LongType, "Days with any event in the 30 days before D")
        .required("active_users_7d", LongType, "Distinct users with events in the 7 days before D")
        .required("active_users_30d", LongType, "Distinct users with events in the 30 days before D")
        .required("seats", LongType, "Distinct users with any event before D")
        .required("invites_30d", LongType, "Invite events (pql.features.invite-events) in the 30 days before D")
        .required("invites_total", LongType, "Invite events before D")
        .required("events_7d", LongType, "Events of any kind in the 7 days before D")
        .required("events_prev_7d", LongType, "Events of any kind in the 7 days before those (D-14 to D-8)")
        .required("events_30d", LongType, "Events of any kind in the 30 days before D")
        .required("limits_reached_30d", LongType,
            "Free-plan limit events (pql.features.limit-events) in the 30 days before D")
        .required("limits_reached_total", LongType, "Free-plan limit events before D")
        .required("hand_raises_30d", LongType,
            "Hand-raise events (pql.features.hand-raise-events: contact sales, pricing) in the 30 days before D")
        .required("hand_raises_total", LongType, "Hand-raise events before D")
        .required("breadth_30d", LongType, "Distinct key events used in the 30 days before D")
        .required("breadth_total", LongType, "Distinct key events ever used before D")
        .required("trend_7d", DoubleType,
            "Usage trend: (events_7d + 1) / (events_prev_7d + 1); above 1 growing, below 1 shrinking")
        .optional("depth_30d", DoubleType, "Events per active day in the 30 days before D; null if no active day")
        .optional("weekday_share_30d", DoubleType,
            "Share of the 30-day events on Monday-Friday in the account's time zone (UTC if unknown)")
        .optional("working_hours_share_30d", DoubleType,
            "Share of the 30-day events on weekdays 09:00-18:00 in the account's time zone (UTC if unknown)")
        .optional("activation_share", DoubleType,
            "Share of the activation milestones (pql.features.activation-milestones) reached before D")
        .required("activation_milestones", createArrayType(StringType, false),
            "Names of the activation milestones reached before D, in configured order")
        .optional("plan", StringType, "Plan valid at D 00:00")
        .optional("email_domain", StringType, "Email domain valid at D 00:00")
        .optional("employees", IntegerType, "Employees valid at D 00:00 (account source or enrichment, "
            + "pql.ingest.enrichment.prefer)")
        .optional("industry", StringType, "Industry valid at D 00:00 (account source or enrichment)")
        .optional("country", StringType, "Country valid at D 00:00 (account source or enrichment)")
        .optional("revenue_band", StringType,
            "Annual revenue band of the account's domain valid at D 00:00 (the enrichment table; null without one)")
        .optional("founded_year", IntegerType,
            "Founding year of the account's domain valid at D 00:00 (the enrichment table; null without one)")
        .optional("timezone", StringType, "IANA time zone valid at D 00:00; null if unknown (features use UTC)")
        .optional("domain_class", StringType,
            "enterprise (a listed enterprise domain, pql.domains.enterprise), webmail (pql.domains.webmail) or "
                + "corporate; null without a domain")
        .optional("size_band", StringType,
            "small, mid or large by employees (pql.features.size-bands); null without employees");
  }
}
