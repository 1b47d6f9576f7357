package dev.pql.worlds;

import dev.pql.config.Settings.FeatureSettings;
import dev.pql.generate.Hazard;
import dev.pql.model.ThresholdDiscovery;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether a discovered rule is a planted one as the issue states it: the same action and family, its window within
 * one step of the configured grid, its count within 10% of the planted one or the number people write nearest to it.
 */
final class PlantedRules {
  private PlantedRules() {}

  private static final Pattern GRAMMAR = Pattern.compile("^(cnt|cnt_first|users)_(\\d+)d__(.+)$");
  private static final double[] PEOPLE = {1, 2, 3, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000};

  /** A feature of the grammar: family, window and action; null for another feature. */
  record Parsed(String family, int days, String action) {
    static Parsed of(String feature) {
      Matcher m = GRAMMAR.matcher(feature);
      return m.matches() ? new Parsed(m.group(1), Integer.parseInt(m.group(2)), m.group(3)) : null;
    }
  }

  /** Whether the condition (feature, operator, threshold) finds the planted one. */
  static boolean matches(String feature, String operator, double threshold, Hazard.Condition planted,
      FeatureSettings settings) {
    Parsed found = Parsed.of(feature);
    Parsed wanted = Parsed.of(planted.feature());
    if (found == null || !operator.equals(">=") || !found.family().equals(wanted.family())
        || !found.action().equals(wanted.action())) {
      return false;
    }
    return steps(found, wanted, settings) <= 1 && countMatches(threshold, planted.atLeast());
  }

  /** The same action and family at a window within one step of the grid, whatever the count. */
  static boolean sameRule(ThresholdDiscovery.Threshold t, Hazard.Condition planted, FeatureSettings settings) {
    if (t.combination()) return false;
    Parsed found = Parsed.of(t.feature());
    Parsed wanted = Parsed.of(planted.feature());
    return found != null && t.operator().equals(">=") && found.family().equals(wanted.family())
        && found.action().equals(wanted.action()) && steps(found, wanted, settings) <= 1;
  }

  private static int steps(Parsed found, Parsed wanted, FeatureSettings settings) {
    List<Integer> grid = switch (found.family()) {
      case "cnt" -> settings.countWindows();
      case "cnt_first" -> settings.signupWindows();
      default -> settings.userWindows();
    };
    return grid.contains(found.days()) ? Math.abs(grid.indexOf(found.days()) - grid.indexOf(wanted.days()))
        : Integer.MAX_VALUE;
  }

  static boolean matches(ThresholdDiscovery.Threshold t, Hazard.Condition planted, FeatureSettings settings) {
    return !t.combination() && matches(t.feature(), t.operator(), t.threshold(), planted, settings);
  }

  /** Whether a combination's two conditions are the planted rule's two, in either order. */
  static boolean matchesCombination(ThresholdDiscovery.Threshold t, Hazard.Rule planted, FeatureSettings settings) {
    if (!t.combination() || planted.conditions().size() != 2) return false;
    Hazard.Condition a = planted.conditions().get(0);
    Hazard.Condition b = planted.conditions().get(1);
    ThresholdDiscovery.Condition other = t.and();
    return matches(t.feature(), t.operator(), t.threshold(), a, settings)
        && matches(other.feature(), other.operator(), other.threshold(), b, settings)
        || matches(t.feature(), t.operator(), t.threshold(), b, settings)
        && matches(other.feature(), other.operator(), other.threshold(), a, settings);
  }

  /** Within 10%, or the number people write nearest to the planted count. */
  static boolean countMatches(double found, int planted) {
    if (Math.abs(found - planted) <= 0.1 * planted) return true;
    double nearest = PEOPLE[0];
    for (double p : PEOPLE) {
      if (Math.abs(Math.log(p / planted)) < Math.abs(Math.log(nearest / planted))) nearest = p;
    }
    return found == nearest;
  }
}
