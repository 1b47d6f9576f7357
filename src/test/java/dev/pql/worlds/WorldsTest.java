package dev.pql.worlds;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.SparkTestBase;
import dev.pql.config.Settings;
import dev.pql.config.SettingsLoader;
import dev.pql.features.SnapshotDates;
import dev.pql.generate.LakeGenerator;
import dev.pql.io.RunLog;
import dev.pql.io.StageContext;

import dev.pql.features.FeatureNames;
import dev.pql.features.FeatureStore;
import dev.pql.generate.Hazard;
import dev.pql.generate.Oracle;
import dev.pql.ingest.EventHistory;
import dev.pql.io.DeltaStore;
import dev.pql.io.Tables;
import dev.pql.model.ChampionGate;
import dev.pql.model.TrainingSet;
import java.sql.Date;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import dev.pql.model.TrainJob;
import dev.pql.pipeline.StageRunner;
import dev.pql.pipeline.Stages;
import java.time.Instant;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The champion gate and discovery in worlds that can fail the method: generated lakes over 170 days whose upgrades
 * are driven by nothing (null), by logins alone (logins-only) or by messages without a step (graded), 600 accounts
 * each, by five planted steps (stepped),
 * or by four rules as people write them (grammar: a 14-day count, a first-7-days count, distinct people, an action
 * done once, each with a decoy) or by one combination of two actions (interaction), 1,000 accounts, each
 * ingested, built into weekly snapshots and trained as the
 * pipeline does, with a 30-day label. The model must be withheld where it cannot beat a baseline and published where
 * it can; discovery must find what was planted and no decoy.
 */
class WorldsTest extends SparkTestBase {
  /** The stepped world must be large enough to beat its baselines; the worlds that must not can be smaller. */
  static final int ACCOUNTS = 1000;
  static final int SMALLER = 600;
  static final int DAYS = 170;

  /** The folders of the worlds this class made: a world's lake and warehouse take some 100 MB. */
  private static final List<java.nio.file.Path> ROOTS = new java.util.ArrayList<>();

  @AfterAll
  static void deleteWorlds() throws java.io.IOException {
    for (java.nio.file.Path root : ROOTS) org.apache.commons.io.FileUtils.deleteDirectory(root.toFile());
  }

  /** A trained world: the training's result, its settings and its warehouse. */
  record World(TrainJob.Result result, Settings settings, DeltaStore store) {}

  /** A world's lake, generated, ingested, snapshotted weekly from its fourth week, and trained. */
  static World world(String world) {
    return world(world, ACCOUNTS);
  }

  static World world(String world, int accounts) {
    // The stepped, null and logins-only worlds act on 7- and 30-day counts: their snapshots need no other window.
    return world(world, accounts, Map.of("pql.features.windows", "[7, 30]", "pql.features.signup-windows", "[]",
        "pql.features.user-windows", "[]"));
  }

  /** A world with the given feature settings on top of the rest. */
  static World world(String world, int accounts, Map<String, String> features) {
    java.nio.file.Path folder = tempDir("pql-world-" + world);
    ROOTS.add(folder);
    String root = folder.toString();
    Map<String, String> overrides = new HashMap<>(Map.of(
        "pql.warehouse", root + "/warehouse", "pql.generate.output", root + "/lake",
        "pql.generate.accounts", String.valueOf(accounts), "pql.generate.days", String.valueOf(DAYS),
        "pql.generate.world", world, "pql.generate.big-account-event-share", "0", "pql.generate.files", "2",
        "pql.model.evaluation-days", "28", "pql.model.calibration-days", "28"));
    overrides.putAll(Map.of("pql.generate.late-event-share", "0", "pql.generate.duplicate-event-share", "0",
        "pql.generate.malformed-event-share", "0", "pql.model.min-support", "30",
        "pql.spark.shuffle-partitions", "2", "pql.generate.layouts", "[generic]"));
    overrides.putAll(features);
    Settings settings = SettingsLoader.load(null, null, overrides);
    StageContext context = StageContext.open(spark, settings.warehouse(), "world-" + world, "world",
        Instant.now());
    StageRunner runner = StageRunner.forCommand(context);
    Stages.generate(runner, settings);
    assertFalse(java.nio.file.Files.exists(java.nio.file.Path.of(root, "lake", "segment")), "only the generic layout");
    Stages.ingest(runner, settings);
    LocalDate start = settings.generate().startDate();
    Stages.features(runner, settings, SnapshotDates.between(start.plusDays(21), start.plusDays(DAYS),
        true, java.time.DayOfWeek.MONDAY));
    // As the pipeline trains: one stage, its substages recorded with it (two pipeline_runs commits, not eight).
    TrainJob.Result trained = runner.run("train", () -> TrainJob.run(context, settings.model(), settings.features(),
        settings.domains(), settings.plans().free(), List.of()),
        r -> new dev.pql.io.RunLog.StageCounts(r.trainingRows(), r.drivers().size(), 0, 0),
        r -> "model " + r.modelVersion() + " " + r.verdict().status());
    return new World(trained, settings, context.store());
  }

  static TrainJob.Result trained(String world) {
    return world(world, SMALLER).result();
  }

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
    dev.pql.generate.Hazard.DECOYS.forEach(d -> decoys.add(dev.pql.features.FeatureNames.behaviour(d.feature())));
    java.util.Set<String> planted = new java.util.HashSet<>();
    dev.pql.generate.Hazard.DRIVERS.forEach(d -> planted.add(dev.pql.features.FeatureNames.behaviour(d.feature())));
    assertTrue(r.rules().stream().noneMatch(t -> decoys.contains(dev.pql.features.FeatureNames.behaviour(
        t.feature()))), "no decoy is a rule: " + r.rules());
    assertTrue(r.rules().stream().anyMatch(t -> planted.contains(dev.pql.features.FeatureNames.behaviour(
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
  void theNullWorldWithholdsTheModel() throws java.io.IOException {
    World w = world("null", SMALLER);
    TrainJob.Result r = w.result();
    assertEquals(Map.of(), dev.pql.OutputScan.nanOrInfinity(spark, java.nio.file.Path.of(w.store().warehouse())),
        "NaN or Infinity in the warehouse");
    System.out.println("null world: " + r.verdict().reason());
    assertFalse(r.verdict().published(), r.verdict().reason());
    assertTrue(r.verdict().reason().startsWith("does not surely beat"), r.verdict().reason());
    assertEquals(List.of(), r.rules(), "nothing moves the rate: no threshold is significant");
    // The drivers table still lists every feature, and no driver's simultaneous interval excludes "no effect".
    assertTrue(r.drivers().size() > 20, "every feature is listed: " + r.drivers().size());
    assertTrue(r.drivers().stream().allMatch(d -> d.oddsRatio().hasInterval() && d.stability() >= 0),
        "each with its interval and stability");
    assertEquals(List.of(), r.drivers().stream().filter(dev.pql.model.Drivers.Driver::saysSomething)
        .map(d -> d.feature() + " " + d.oddsRatio()).toList());
    // Nor does any observed lift's (the rates on each driver's split, accounts resampled).
    assertEquals(List.of(), r.drivers().stream().filter(d -> d.observedLift().hasInterval()
            && (d.observedLift().lo() > 1 || d.observedLift().hi() < 1))
        .map(d -> d.sentence() + " " + d.observedLift()).toList());
  }

  @Test
  void theGradedWorldYieldsNoThreshold() {
    // Upgrades follow log2(1 + messages in 30 days / 100): more is better, with no step anywhere.
    TrainJob.Result r = trained("graded");
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

  @Test
  void theLoginsOnlyWorldWithholdsTheModel() {
    TrainJob.Result r = trained("logins-only");
    System.out.println("logins-only world: " + r.verdict().reason());
    assertFalse(r.verdict().published(), r.verdict().reason());
    ChampionGate.Comparison logins = r.verdict().comparisons().stream()
        .filter(c -> c.baseline().equals("logins_only")).findFirst().orElseThrow();
    assertTrue(logins.baselineAucRoc() > 0.65, "logins rank the upgrades here: " + logins);
    assertFalse(logins.beaten(), logins.toString());
  }

  @Test
  void theGrammarWorldsRulesAreFoundAsPlantedAndItsDecoysAreNot() {
    World w = world("grammar", ACCOUNTS, Map.of());
    TrainJob.Result r = w.result();
    dev.pql.config.Settings.FeatureSettings features = w.settings().features();
    System.out.println("grammar world: " + r.verdict().reason() + "\nrules: " + r.rules().stream()
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
    World w = world("interaction", ACCOUNTS, Map.of("pql.features.windows", "[7, 30]",
        "pql.features.signup-windows", "[]", "pql.features.user-windows", "[]"));
    TrainJob.Result r = w.result();
    System.out.println("interaction world: " + r.verdict().reason() + "\nrules: " + r.rules().stream()
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
