package dev.pql.worlds;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.features.FeatureNames;
import dev.pql.features.FeatureStore;
import dev.pql.generate.Hazard;
import dev.pql.model.TrainJob;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** Rules as people write them, each with a decoy, and one combination of two actions: found as planted. */
class WorldsRulesTest extends WorldsTest {
  @Test
  void theGrammarWorldsRulesAreFoundAsPlantedAndItsDecoysAreNot() {
    // Each planted window with its neighbours on the default grid (14 days: 7 and 30; first 7 days: 3 and 14; 30
    // days: 14 and 60), so "within one step" accepts what it would on the default grid, at two thirds of its width.
    Explained w = explained("grammar", ACCOUNTS, Map.of("pql.features.windows", "[7, 14, 30, 60]",
        "pql.features.signup-windows", "[3, 7, 14]"));
    TrainJob.Explanation r = w.explanation();
    dev.pql.config.Settings.FeatureSettings features = w.settings().features();
    System.out.println("grammar world:\nrules: " + r.rules().stream()
        .map(dev.pql.model.ThresholdDiscovery.Threshold::predicate).toList() + "\ndrivers: " + r.drivers().stream()
        .filter(dev.pql.model.Drivers.Driver::saysSomething).map(d -> d.feature() + " " + d.oddsRatio()).toList());
    Hazard.World grammar = Hazard.World.GRAMMAR;
    // The decoys travel with their drivers on the snapshots (rho >= 0.4), so dropping them is the method's doing.
    Dataset<Row> snapshots = FeatureStore.snapshots(w.store());
    for (Hazard.Decoy d : Hazard.decoys(grammar)) {
      double rho = snapshots.filter(col(d.feature()).isNotNull()).stat().corr(d.feature(), d.follows());
      assertTrue(rho >= 0.4, d + ": rho " + rho);
    }
    java.util.Set<String> planted = new java.util.HashSet<>();
    for (Hazard.Rule rule : Hazard.rules(grammar)) {
      Hazard.Condition c = rule.conditions().get(0);
      String behaviour = FeatureNames.behaviour(c.feature());
      planted.add(behaviour);
      // Its action and family, at a window within one step of the grid, its count within 10% or the number people
      // write nearest to it.
      List<dev.pql.model.ThresholdDiscovery.Threshold> found = r.rules().stream()
          .filter(t -> PlantedRules.sameRule(t, c, features)).toList();
      assertEquals(1, found.size(), c.predicate() + " is found once: " + r.rules().stream().map(t -> t.predicate())
          .toList());
      System.out.printf("planted %s: found %s%n", c.predicate(), found.get(0).predicate());
      assertTrue(PlantedRules.matches(found.get(0), c, features), c.predicate() + " as planted: " + found.get(0));
      assertTrue(r.drivers().stream().anyMatch(d -> d.behaviour().equals(behaviour) && d.saysSomething()),
          "the drivers agree on " + behaviour);
    }
    assertTrue(r.rules().stream().allMatch(t -> planted.contains(FeatureNames.behaviour(t.feature()))),
        "every rule is a planted behaviour: " + r.rules().stream().map(t -> t.predicate()).toList());
    assertTrue(r.drivers().stream().noneMatch(d -> d.saysSomething() && Hazard.decoys(grammar).stream()
        .anyMatch(x -> FeatureNames.behaviour(x.feature()).equals(d.behaviour()))), "no decoy says something");
  }

  @Test
  void theInteractionWorldsCombinationIsOneRuleAndNeitherPartIsOne() {
    // The planted combination acts on 30-day counts: the snapshots need no other window.
    Explained w = explained("interaction", ACCOUNTS, NARROW);
    TrainJob.Explanation r = w.explanation();
    System.out.println("interaction world:\nrules: " + r.rules().stream()
        .map(dev.pql.model.ThresholdDiscovery.Threshold::predicate).toList() + "\nlocked: " + r.lockedRules());
    Hazard.Rule planted = Hazard.rules(Hazard.World.INTERACTION).get(0);
    assertEquals(1, r.rules().size(), "one rule: " + r.rules().stream().map(t -> t.predicate()).toList());
    dev.pql.model.ThresholdDiscovery.Threshold rule = r.rules().get(0);
    assertTrue(PlantedRules.matchesCombination(rule, planted, w.settings().features()),
        planted.conditions() + " as planted: " + rule.predicate());
    assertTrue(r.lockedRules().get(0).uncertainty().lift().lo() > 1, "confirmed on the locked window: "
        + r.lockedRules().get(0));
    // The drivers agree: both actions say something, each interval above 1.
    for (Hazard.Condition c : planted.conditions()) {
      String behaviour = FeatureNames.behaviour(c.feature());
      assertTrue(r.drivers().stream().anyMatch(d -> d.behaviour().equals(behaviour) && d.oddsRatio().lo() > 1),
          "the drivers agree on " + behaviour);
    }
  }
}
