package dev.pql.generate;

import dev.pql.features.FeatureNames;
import java.util.List;
import java.util.Locale;

/**
 * The generator's true upgrade hazard: the probability that a free or trial account upgrades on the next day, a
 * logistic function of its behaviour up to the end of the day. Which behaviour moves it is the lake's world
 * (pql.generate.world), so that pql's method can be tried where it can fail, not only where it is exactly right:
 * <ul>
 *   <li>{@code stepped}: five step indicators of features pql builds (pql's own model is exactly right here);</li>
 *   <li>{@code graded}: messages in the last 30 days, smoothly (log2 of 1 + messages / 100), with no step;</li>
 *   <li>{@code null}: nothing the account does moves the hazard;</li>
 *   <li>{@code logins-only}: logins in the last 30 days (ln of 1 + logins), nothing else;</li>
 *   <li>{@code grammar}: four rules as people write them, on everyday actions whose use differs from account to
 *   account: a count over the last 14 days, a count over the first 7 days after signup, distinct people who did an
 *   action in the last 30 days, and an action done once in the last 30 days; each with an echo, an action that
 *   follows it without any effect (a decoy);</li>
 *   <li>{@code interaction}: only the combination of two actions moves the hazard, neither alone.</li>
 * </ul>
 * The planted effects are written to the lake's truth tables so that tests can check what pql learns against
 * what was planted, and {@link Oracle} turns them into figures on the label pql learns.
 */
public final class Hazard {
  private Hazard() {}

  /** Which behaviour drives upgrades. */
  public enum World {
    STEPPED, GRADED, NULL, LOGINS_ONLY, GRAMMAR, INTERACTION;

    public static World of(String name) {
      return valueOf(name.toUpperCase(Locale.ROOT).replace('-', '_'));
    }

    public String key() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /**
   * A planted effect: its name, the feature pql computes for it, its form (step: the feature passes
   * {@code threshold}, with the operator of {@code description}; graded: {@code description}'s smooth function
   * of the feature), and its log-odds coefficient.
   */
  public record Driver(String name, String feature, String form, double threshold, double coefficient,
      String description) {}

  public static final double INTERCEPT = -8.7;

  public static final List<Driver> DRIVERS = List.of(
      new Driver("active_team", "active_users_7d", "step", 3, 1.2, "3+ distinct active users in the last 7 days"),
      new Driver("heavy_messaging", "cnt_30d__message_sent", "step", 2000, 1.4, "2,000+ messages in the last 30 days"),
      new Driver("early_integration", "days_to_first__integration_connected", "step", 7, 1.1,
          "an integration connected within 7 days of signup"),
      new Driver("usage_limit", "cnt_30d__usage_limit_reached", "step", 1, 1.2,
          "hit the free-plan file limit in the last 30 days"),
      new Driver("asked_for_sales", "cnt_30d__contact_sales_clicked", "step", 1, 1.7,
          "clicked 'contact sales' in the last 30 days"));

  /** The graded world's one effect, and its intercept. */
  static final Driver GRADED = new Driver("graded_messaging", "cnt_30d__message_sent", "graded", Double.NaN, 0.55,
      "log2(1 + messages in the last 30 days / 100)");
  static final double GRADED_INTERCEPT = -8.6;
  /** The logins-only world's one effect, and its intercept. */
  static final Driver LOGINS = new Driver("logins", "logins_30d", "graded", Double.NaN, 1.2,
      "ln(1 + logins in the last 30 days)");
  static final double LOGINS_INTERCEPT = -9.2;
  /** The null world's constant log-odds: about the stepped world's upgrades in all. */
  static final double NULL_INTERCEPT = -6.4;

  /** How a condition counts its action, as pql's feature grammar does. */
  public enum Family {
    /** Occurrences over the last {@code days} days (cnt_<w>d__). */
    WINDOW,
    /** Occurrences over the first {@code days} days after signup, unknown before (cnt_first_<k>d__). */
    SINCE_SIGNUP,
    /** Distinct users who did it in the last {@code days} days (users_<w>d__). */
    USERS
  }

  /** One action's count at or above {@code atLeast}: a condition of a planted rule. */
  public record Condition(Family family, int days, String event, int atLeast) {
    /** The feature pql builds for the count. */
    public String feature() {
      String snake = FeatureNames.snake(event);
      return switch (family) {
        case WINDOW -> FeatureNames.countWindow(days, snake);
        case SINCE_SIGNUP -> FeatureNames.countFirst(days, snake);
        case USERS -> FeatureNames.distinctUsers(days, snake);
      };
    }

    public String predicate() {
      return feature() + " >= " + atLeast;
    }
  }

  /** A planted rule: the day's log-odds rise by {@code coefficient} when all its conditions hold. */
  public record Rule(String name, List<Condition> conditions, double coefficient, String description) {
    Driver driver() {
      Condition first = conditions.get(0);
      return conditions.size() == 1
          ? new Driver(name, first.feature(), "step", first.atLeast(), coefficient, description)
          : new Driver(name, String.join(" AND ", conditions.stream().map(Condition::predicate).toList()),
              "combination", Double.NaN, coefficient, description);
    }
  }

  /**
   * An action that follows another one, to no effect: {@code perAction} of it per occurrence, by the same user, and
   * {@code perUserDay} of its own per active user-day.
   */
  public record Echo(String event, String follows, double perAction, double perUserDay) {}

  static final List<Rule> GRAMMAR_RULES = List.of(
      new Rule("two_weeks_of_tasks", List.of(new Condition(Family.WINDOW, 14, "Task Completed", 8)), 1.6,
          "8+ tasks completed in the last 14 days"),
      new Rule("dashboards_first_week", List.of(new Condition(Family.SINCE_SIGNUP, 7, "Dashboard Viewed", 6)), 1.6,
          "6+ dashboard views in the first 7 days after signup"),
      new Rule("two_template_users", List.of(new Condition(Family.USERS, 30, "Template Used", 2)), 1.6,
          "2+ people used templates in the last 30 days"),
      new Rule("calendar_synced", List.of(new Condition(Family.WINDOW, 30, "Calendar Synced", 1)), 1.4,
          "synced a calendar in the last 30 days"));
  /** Each driver's decoy: partly its echo, partly its own everyday use, so that it travels with it (rho 0.4+). */
  static final List<Echo> GRAMMAR_ECHOES = List.of(
      new Echo("Task Archived", "Task Completed", 0.3, 0.1),
      new Echo("Dashboard Shared", "Dashboard Viewed", 0.2, 0.1),
      new Echo("Template Previewed", "Template Used", 0.6, 0.02),
      new Echo("Calendar Viewed", "Calendar Synced", 0.8, 0.03));
  static final double GRAMMAR_INTERCEPT = -7.3;
  static final List<Rule> INTERACTION_RULES = List.of(
      new Rule("channel_and_search", List.of(new Condition(Family.WINDOW, 30, "Channel Created", 1),
          new Condition(Family.WINDOW, 30, "Search Performed", 6)), 3.2,
          "a channel created and 6+ searches in the last 30 days, together; neither alone"));
  static final double INTERACTION_INTERCEPT = -7.6;

  /** The planted rules of a world whose drivers are rules on actions (none in the other worlds). */
  public static List<Rule> rules(World world) {
    return switch (world) {
      case GRAMMAR -> GRAMMAR_RULES;
      case INTERACTION -> INTERACTION_RULES;
      default -> List.of();
    };
  }

  /** The decoy actions a world emits beside its rules' actions. */
  public static List<Echo> echoes(World world) {
    return world == World.GRAMMAR ? GRAMMAR_ECHOES : List.of();
  }

  /**
   * How much an account's use of each everyday action varies from the mean (the sigma of a log-normal factor, mean
   * 1): in the worlds of rules on those actions, as in real products, some teams use an action ten times as much.
   */
  public static double usageSpread(World world) {
    return rules(world).isEmpty() ? 0 : 0.8;
  }

  /** The planted effects of a world (none in the null world). */
  public static List<Driver> drivers(World world) {
    return switch (world) {
      case STEPPED -> DRIVERS;
      case GRADED -> List.of(GRADED);
      case LOGINS_ONLY -> List.of(LOGINS);
      case NULL -> List.of();
      case GRAMMAR, INTERACTION -> rules(world).stream().map(Rule::driver).toList();
    };
  }

  /** The log-odds of a day's upgrade with no effect at all. */
  public static double intercept(World world) {
    return switch (world) {
      case STEPPED -> INTERCEPT;
      case GRADED -> GRADED_INTERCEPT;
      case LOGINS_ONLY -> LOGINS_INTERCEPT;
      case NULL -> NULL_INTERCEPT;
      case GRAMMAR -> GRAMMAR_INTERCEPT;
      case INTERACTION -> INTERACTION_INTERCEPT;
    };
  }

  /** Behaviours that move with a driver of the stepped world but have no effect on upgrades. */
  public record Decoy(String feature, String follows) {}

  public static final List<Decoy> DECOYS = List.of(
      new Decoy("cnt_30d__report_exported", "cnt_30d__message_sent"),
      new Decoy("cnt_30d__settings_changed", "active_users_7d"),
      new Decoy("cnt_30d__help_center_viewed", "days_to_first__integration_connected"),
      new Decoy("cnt_30d__pricing_page_viewed", "cnt_30d__contact_sales_clicked"));

  /**
   * The decoys of a world: the stepped world's, or each echo counted as its rule counts the action it follows
   * (Task Archived in 14 days beside Task Completed in 14 days).
   */
  public static List<Decoy> decoys(World world) {
    if (world == World.STEPPED) return DECOYS;
    List<Decoy> decoys = new java.util.ArrayList<>();
    for (Rule r : rules(world)) {
      for (Condition c : r.conditions()) {
        for (Echo e : echoes(world)) {
          if (e.follows().equals(c.event())) {
            decoys.add(new Decoy(new Condition(c.family(), c.days(), e.event(), c.atLeast()).feature(), c.feature()));
          }
        }
      }
    }
    return decoys;
  }

  /**
   * What an account has done up to the end of a day: the stepped world's indicators, the graded counts and which of
   * the world's rules hold ({@link #rules}' order).
   */
  public record Behaviour(boolean activeTeam, boolean heavyMessaging, boolean earlyIntegration, boolean usageLimit,
      boolean askedForSales, int messages30d, int logins30d, boolean[] rulesHolding) {}

  public static double daily(World world, Behaviour b) {
    double logit = intercept(world) + switch (world) {
      case STEPPED -> {
        boolean[] on = {b.activeTeam(), b.heavyMessaging(), b.earlyIntegration(), b.usageLimit(), b.askedForSales()};
        double sum = 0;
        for (int i = 0; i < on.length; i++) sum += on[i] ? DRIVERS.get(i).coefficient() : 0;
        yield sum;
      }
      case GRADED -> GRADED.coefficient() * Math.log(1 + b.messages30d() / 100.0) / Math.log(2);
      case LOGINS_ONLY -> LOGINS.coefficient() * Math.log(1 + b.logins30d());
      case NULL -> 0.0;
      case GRAMMAR, INTERACTION -> {
        double sum = 0;
        List<Rule> rules = rules(world);
        for (int i = 0; i < rules.size(); i++) sum += b.rulesHolding()[i] ? rules.get(i).coefficient() : 0;
        yield sum;
      }
    };
    return ProductSimulator.sigmoid(logit);
  }
}
