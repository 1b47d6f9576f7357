package dev.pql.generate;

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
 *   <li>{@code logins-only}: logins in the last 30 days (ln of 1 + logins), nothing else.</li>
 * </ul>
 * The planted effects are written to the lake's truth tables so that tests can check what pql learns against
 * what was planted, and {@link Oracle} turns them into figures on the label pql learns.
 */
public final class Hazard {
  private Hazard() {}

  /** Which behaviour drives upgrades. */
  public enum World {
    STEPPED, GRADED, NULL, LOGINS_ONLY;

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

  /** The planted effects of a world (none in the null world). */
  public static List<Driver> drivers(World world) {
    return switch (world) {
      case STEPPED -> DRIVERS;
      case GRADED -> List.of(GRADED);
      case LOGINS_ONLY -> List.of(LOGINS);
      case NULL -> List.of();
    };
  }

  /** The log-odds of a day's upgrade with no effect at all. */
  public static double intercept(World world) {
    return switch (world) {
      case STEPPED -> INTERCEPT;
      case GRADED -> GRADED_INTERCEPT;
      case LOGINS_ONLY -> LOGINS_INTERCEPT;
      case NULL -> NULL_INTERCEPT;
    };
  }

  /** Behaviours that move with a driver of the stepped world but have no effect on upgrades. */
  public record Decoy(String feature, String follows) {}

  public static final List<Decoy> DECOYS = List.of(
      new Decoy("cnt_30d__report_exported", "cnt_30d__message_sent"),
      new Decoy("cnt_30d__settings_changed", "active_users_7d"),
      new Decoy("cnt_30d__help_center_viewed", "days_to_first__integration_connected"),
      new Decoy("cnt_30d__pricing_page_viewed", "cnt_30d__contact_sales_clicked"));

  /** What an account has done up to the end of a day: the stepped world's indicators and the graded counts. */
  public record Behaviour(boolean activeTeam, boolean heavyMessaging, boolean earlyIntegration, boolean usageLimit,
      boolean askedForSales, int messages30d, int logins30d) {}

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
    };
    return ProductSimulator.sigmoid(logit);
  }
}
