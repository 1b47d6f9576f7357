package dev.pql.model;

import dev.pql.config.Settings.FeatureSettings;
import dev.pql.definitions.Definition;
import dev.pql.features.FeatureNames;
import java.util.Locale;
import java.util.Map;

/** Turns a discovered threshold into a PQL definition: a name, a type from the feature's family, a sentence. */
final class RuleNames {
  private RuleNames() {}

  static Definition definition(ThresholdDiscovery.Threshold t, String modelVersion, FeatureSettings features,
      int horizonDays) {
    String name = part(t.feature(), t.operator(), t.threshold());
    if (t.combination()) name += "_and_" + part(t.and().feature(), t.and().operator(), t.and().threshold());
    String description = String.format(Locale.ROOT,
        "Discovered by model %s: %s; %.1f%% of these training rows upgraded within %d days, %.1fx the base "
            + "rate of %.1f%%, covering %.1f%% of rows and %.1f%% of upgrades",
        modelVersion, t.predicate().replace("`", ""), 100 * t.rateQualifying(), horizonDays, t.lift(),
        100 * t.baseRate(), 100 * t.coverage(), 100 * t.recall());
    return new Definition(name, modelVersion, description, type(t.feature(), features), t.predicate().replace("`", ""),
        null, Map.of(), true, "discovered_rules");
  }

  private static String part(String feature, String operator, double threshold) {
    return feature + (operator.equals(">=") ? "_at_least_" : "_at_most_")
        + ThresholdDiscovery.Threshold.format(threshold).replace('.', '_');
  }

  /** usage-limit-reached and hand-raiser for the features of those configured events, usage otherwise. */
  static Definition.Type type(String feature, FeatureSettings features) {
    if (feature.startsWith("limits_reached_") || feature.startsWith(FeatureNames.USAGE_VS_LIMIT)
        || features.limitEvents().stream().anyMatch(e -> FeatureNames.isOfEvent(feature, FeatureNames.snake(e)))) {
      return Definition.Type.USAGE_LIMIT_REACHED;
    }
    if (feature.startsWith("hand_raises_")
        || features.handRaiseEvents().stream().anyMatch(e -> FeatureNames.isOfEvent(feature, FeatureNames.snake(e)))) {
      return Definition.Type.HAND_RAISER;
    }
    return Definition.Type.USAGE;
  }
}
