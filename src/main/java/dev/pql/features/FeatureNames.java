package dev.pql.features;

import dev.pql.PqlException.SchemaError;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The one grammar of feature column names: {@code <family>__<event>} with the event name in snake_case,
 * e.g. {@code cnt_30d__message_sent}, {@code days_to_first__integration_connected}.
 */
public final class FeatureNames {
  private FeatureNames() {}

  /** "Message Sent" → "message_sent"; "Pop-up Email Viewed" → "pop_up_email_viewed". */
  public static String snake(String event) {
    String s = event.trim().replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT)
        .replaceAll("[^a-z0-9]+", "_").replaceAll("^_+|_+$", "");
    return s.isEmpty() ? "event" : s;
  }

  /**
   * Event name → snake name, in the given order; two events with one snake name are an error naming both,
   * because their features would collide.
   */
  public static Map<String, String> snakeNames(List<String> events) {
    Map<String, String> byEvent = new LinkedHashMap<>();
    Map<String, String> bySnake = new LinkedHashMap<>();
    for (String event : events) {
      String snake = snake(event);
      String other = bySnake.putIfAbsent(snake, event);
      if (other != null && !other.equals(event)) {
        throw new SchemaError("Events '" + other + "' and '" + event + "' both become feature name '" + snake
            + "'; rename one in the source mapping or list only one in pql.features.key-events");
      }
      byEvent.put(event, snake);
    }
    return byEvent;
  }

  /**
   * Features that sum over many actions at once: volume, breadth, depth, trend, active days, recency and time
   * shares over all events, activation (a share of milestones), and the configured event families. Each of
   * them contains the actions it sums, so that a model explaining actions leaves them out.
   */
  public static final java.util.Set<String> COMPOSITES = java.util.Set.of("days_since_last_activity", "logins_7d",
      "logins_30d", "active_days_7d", "active_days_30d", "invites_30d", "invites_total", "events_7d",
      "events_prev_7d", "events_30d", "limits_reached_30d", "limits_reached_total", "hand_raises_30d",
      "hand_raises_total", "breadth_30d", "breadth_total", "trend_7d", "depth_30d", "weekday_share_30d",
      "working_hours_share_30d", "activation_share", "activation_milestones");

  /** Features of the team rather than of one action. */
  public static final java.util.Set<String> TEAM = java.util.Set.of("active_users_7d", "active_users_30d", "seats");

  /**
   * The behaviour a feature measures: the key event of a {@code <family>__<event>} column (cnt_30d__message_sent
   * and days_to_first__message_sent both measure message_sent), "team" for the team's size, else the feature.
   */
  public static String behaviour(String feature) {
    int split = feature.indexOf("__");
    if (split > 0) return feature.substring(split + 2);
    return TEAM.contains(feature) ? "team" : feature;
  }

  /** The families of per-event columns: each is a prefix before the event's snake name. */
  public static final String COUNT_TOTAL = "cnt_total__";
  public static final String COUNT_7D = "cnt_7d__";
  public static final String COUNT_30D = "cnt_30d__";
  public static final String DAYS_TO_FIRST = "days_to_first__";
  public static final String USAGE_VS_LIMIT = "usage_vs_limit__";

  /** The column of a family for an event's snake name, e.g. (cnt_30d__, message_sent) → cnt_30d__message_sent. */
  public static String column(String family, String snake) {
    return family + snake;
  }

  /** Whether a feature is a per-event column of the event with this snake name (of any family). */
  public static boolean isOfEvent(String feature, String snake) {
    return feature.endsWith("__" + snake);
  }

  public static String countTotal(String snake) {
    return column(COUNT_TOTAL, snake);
  }

  public static String count7d(String snake) {
    return column(COUNT_7D, snake);
  }

  public static String count30d(String snake) {
    return column(COUNT_30D, snake);
  }

  /** The count of the w days before D: cnt_14d__message_sent (cnt_7d__ and cnt_30d__ are two of them). */
  public static String countWindow(int days, String snake) {
    return "cnt_" + days + "d__" + snake;
  }

  /** The windows an expression's columns name: cnt_<w>d__, cnt_first_<k>d__ and users_<w>d__ of any event. */
  public record NamedWindows(java.util.SortedSet<Integer> counts, java.util.SortedSet<Integer> sinceSignup,
      java.util.SortedSet<Integer> users) {}

  private static final java.util.regex.Pattern WINDOWED =
      java.util.regex.Pattern.compile("\\b(cnt_|cnt_first_|users_)(\\d{1,4})d__[A-Za-z0-9_]+");

  /** The windows the columns of a Spark SQL expression (a definition's `when`) name. */
  public static NamedWindows windowsNamed(String expression) {
    NamedWindows named = new NamedWindows(new java.util.TreeSet<>(), new java.util.TreeSet<>(),
        new java.util.TreeSet<>());
    java.util.regex.Matcher m = WINDOWED.matcher(expression);
    while (m.find()) {
      (switch (m.group(1)) {
        case "cnt_" -> named.counts();
        case "users_" -> named.users();
        default -> named.sinceSignup();
      }).add(Integer.parseInt(m.group(2)));
    }
    return named;
  }

  /** Distinct users of the account who did the action in the w days before D: users_30d__message_sent. */
  public static String distinctUsers(int days, String snake) {
    return "users_" + days + "d__" + snake;
  }

  /** The count of the account's first k days: cnt_first_7d__message_sent. */
  public static String countFirst(int days, String snake) {
    return "cnt_first_" + days + "d__" + snake;
  }

  public static String daysToFirst(String snake) {
    return column(DAYS_TO_FIRST, snake);
  }

  public static String usageVsLimit(String snake) {
    return column(USAGE_VS_LIMIT, snake);
  }
}
