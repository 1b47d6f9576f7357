package dev.pql.worlds;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.features.FeatureNames;
import dev.pql.features.FeatureStore;
import dev.pql.generate.Hazard;
import dev.pql.generate.Oracle;
import dev.pql.ingest.EventHistory;
import dev.pql.io.Tables;
import dev.pql.model.TrainJob;
import dev.pql.model.TrainingSet;
import java.sql.Date;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * Five planted steps, which the model must beat its baselines on and discovery must find, and a smooth effect,
 * where it must find no threshold.
 */
class WorldsStepsTest extends WorldsTest {
  @Test
  void theSteppedWorldPublishesTheModel() {
    World w = world("stepped");
    TrainJob.Result r = w.result();
    System.out.println("stepped world: " + r.verdict().reason() + "\ndrivers: " + r.drivers().stream()
        .filter(d -> d.behaviourRank() <= 8).map(d -> d.behaviourRank() + " " + d.feature() + " "
            + d.behaviourImportance()).toList() + "\nrules: " + r.rules());
    assertTrue(r.verdict().published(), r.verdict().reason());
    assertEquals(3, r.verdict().comparisons().size(), "logins only, activity only and the best rule");
    // Discovery is conditional: a decoy that travels with a driver never becomes a rule, and some planted
    // behaviour does. (At this size the short-horizon rows hold some 40 upgrades: not all five steps are found;
    // the README gives the figures of a 4,000-account world, where all are.)
    java.util.Set<String> decoys = new java.util.HashSet<>();
    Hazard.DECOYS.forEach(d -> decoys.add(FeatureNames.behaviour(d.feature())));
    java.util.Set<String> planted = new java.util.HashSet<>();
    Hazard.DRIVERS.forEach(d -> planted.add(FeatureNames.behaviour(d.feature())));
    assertTrue(r.rules().stream().noneMatch(t -> decoys.contains(FeatureNames.behaviour(
        t.feature()))), "no decoy is a rule: " + r.rules());
    assertTrue(r.rules().stream().anyMatch(t -> planted.contains(FeatureNames.behaviour(
        t.feature()))), "a planted behaviour is a rule: " + r.rules());
    // Its intervals say so: a planted behaviour's odds ratio surely above 1, and no decoy's surely away from 1.
    assertTrue(r.drivers().stream().anyMatch(d -> planted.contains(d.behaviour()) && d.oddsRatio().lo() > 1),
        "a planted driver's interval excludes no effect");
    assertTrue(r.drivers().stream().noneMatch(d -> decoys.contains(d.behaviour()) && d.saysSomething()),
        "no decoy's interval excludes no effect: " + r.drivers().stream().filter(d -> decoys.contains(d.behaviour()))
            .map(d -> d.feature() + " " + d.oddsRatio()).toList());

    // The oracle on the locked window's rows: the true probability of an upgrade within the horizon, whose mean is
    // the observed rate up to sampling (122 or so upgrades: a few points of relative error), and the planted steps'
    // lifts on that label.
    Dataset<Row> locked = TrainingSet.label(FeatureStore.snapshots(w.store()), w.store().read(Tables.CONVERSIONS),
        w.settings().plans().free(), 30, TrainingSet.labelEnd(EventHistory.dataEnd(w.store()), w.settings().model()))
        .filter(col("as_of_date").geq(Date.valueOf(r.evaluationFrom())));
    Row rates = Oracle.probabilities(locked, w.settings().generate().output(), 30)
        .agg(avg(Oracle.PROBABILITY), avg(TrainingSet.LABEL), count(col(Oracle.PROBABILITY))).first();
    assertEquals(r.evaluationRows(), rates.getLong(2), "every open row has its true hazard");
    assertEquals(rates.getDouble(1), rates.getDouble(0), 0.25 * rates.getDouble(1), rates.toString());
    Map<String, Oracle.Effect> effects = Oracle.stepEffects(locked, w.settings().generate().output(), 30);
    System.out.println("oracle effects on the locked window: " + effects);
    assertEquals(5, effects.size());
    for (Oracle.Effect e : effects.values()) {
      if (e.rowsWith() > 0) assertTrue(e.lift() > 1.5, "a planted step raises the true rate: " + e);
    }
    coverTheOracle(locked, w, effects, rates.getDouble(0));
  }

  /**
   * Each planted step measured as a rule on the locked window's rows: its account-level intervals of the upgrade
   * rate and the lift over the base rate cover the oracle's. Ten intervals read together, so each is at
   * 1 - 0.05 / 10 (Bonferroni): all ten cover with 95% probability.
   */
  private static void coverTheOracle(Dataset<Row> locked, World w, Map<String, Oracle.Effect> effects,
      double oracleBase) {
    Dataset<Row> steps = Oracle.probabilities(locked, w.settings().generate().output(), 30);
    List<dev.pql.model.ThresholdDiscovery.Threshold> planted = new java.util.ArrayList<>();
    for (Oracle.Effect e : effects.values()) {
      if (e.rowsWith() == 0) continue;
      steps = steps.withColumn("step_" + e.driver(), col(e.driver()).cast("int"));
      planted.add(new dev.pql.model.ThresholdDiscovery.Threshold("step_" + e.driver(), ">=", 1, 0, 0, 0, 0, 0, 0, 0,
          0, 0, 0, 1, 1, true));
    }
    List<dev.pql.model.ThresholdDiscovery.Threshold> measured =
        dev.pql.model.ThresholdDiscovery.measuredOn(steps, planted, 200, 7, 1 - 0.05 / (2 * planted.size()));
    for (dev.pql.model.ThresholdDiscovery.Threshold t : measured) {
      Oracle.Effect e = effects.get(t.feature().substring("step_".length()));
      dev.pql.model.ThresholdDiscovery.Uncertainty u = t.uncertainty();
      System.out.printf("oracle %s: rate %.4f in %s, lift %.2f in %s%n", e.driver(), e.rateWith(),
          u.rateQualifying().format("%.4f", 1), e.rateWith() / oracleBase, u.lift().format("%.2f", 1));
      assertTrue(u.rateQualifying().lo() <= e.rateWith() && e.rateWith() <= u.rateQualifying().hi(),
          "the rate's interval covers the oracle's: " + e + " " + u);
      assertTrue(u.lift().lo() <= e.rateWith() / oracleBase && e.rateWith() / oracleBase <= u.lift().hi(),
          "the lift's interval covers the oracle's: " + e + " " + u);
    }
  }

  @Test
  void theGradedWorldYieldsNoThreshold() {
    // Upgrades follow log2(1 + messages in 30 days / 100): more is better, with no step anywhere.
    TrainJob.Explanation r = explained("graded");
    List<String> leading = r.drivers().stream().filter(d -> d.behaviourRank() <= 3)
        .map(d -> d.behaviourRank() + " " + d.feature() + " " + d.oddsRatio()).toList();
    System.out.println("graded world: rules " + r.rules().stream()
        .map(dev.pql.model.ThresholdDiscovery.Threshold::predicate).toList() + "\nleading drivers: " + leading);
    assertEquals(List.of(), r.rules().stream().map(dev.pql.model.ThresholdDiscovery.Threshold::predicate).toList(),
        "a smooth effect is no threshold");
    // Nor do the drivers name another behaviour. (At 600 accounts the driver fit is regularized to nothing here.)
    assertEquals(List.of(), r.drivers().stream().filter(d -> d.saysSomething() && !d.behaviour().equals("message_sent"))
        .map(d -> d.feature() + " " + d.oddsRatio()).toList());
  }
}
