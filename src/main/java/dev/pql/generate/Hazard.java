package dev.pql.generate;

import java.util.List;

/**
 * The generator's true upgrade hazard: the probability that a free or trial account upgrades on the next
 * day, a logistic function of its behaviour up to the end of the day. Its drivers are written to the
 * lake's truth tables so that tests can check what pql learns against what was planted.
 */
public final class Hazard {
  private Hazard() {}

  /** A planted driver: its name, the feature pql computes for it, the threshold and its log-odds effect. */
  public record Driver(String name, String feature, double threshold, double coefficient, String description) {}

  public static final double INTERCEPT = -8.7;

  public static final List<Driver> DRIVERS = List.of(
      new Driver("active_team", "active_users_7d", 3, 1.2, "3+ distinct active users in the last 7 days"),
      new Driver("heavy_messaging", "cnt_30d__message_sent", 2000, 1.4, "2,000+ messages in the last 30 days"),
      new Driver("early_integration", "days_to_first__integration_connected", 7, 1.1,
          "an integration connected within 7 days of signup"),
      new Driver("usage_limit", "cnt_30d__usage_limit_reached", 1, 1.2, "hit the free-plan file limit in the last 30 days"),
      new Driver("asked_for_sales", "cnt_30d__contact_sales_clicked", 1, 1.7, "clicked 'contact sales' in the last 30 days"));

  /** Behaviours that move with a driver but have no effect on upgrades. */
  public record Decoy(String feature, String follows) {}

  public static final List<Decoy> DECOYS = List.of(
      new Decoy("cnt_30d__report_exported", "cnt_30d__message_sent"),
      new Decoy("cnt_30d__settings_changed", "active_users_7d"),
      new Decoy("cnt_30d__help_center_viewed", "days_to_first__integration_connected"),
      new Decoy("cnt_30d__pricing_page_viewed", "cnt_30d__contact_sales_clicked"));

  public static double daily(boolean activeTeam, boolean heavyMessaging, boolean earlyIntegration, boolean usageLimit,
      boolean askedForSales) {
    double[] x = {activeTeam ? 1 : 0, heavyMessaging ? 1 : 0, earlyIntegration ? 1 : 0, usageLimit ? 1 : 0,
        askedForSales ? 1 : 0};
    double logit = INTERCEPT;
    for (int i = 0; i < x.length; i++) logit += DRIVERS.get(i).coefficient() * x[i];
    return ProductSimulator.sigmoid(logit);
  }
}
