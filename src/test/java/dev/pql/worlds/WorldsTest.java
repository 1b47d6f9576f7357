package dev.pql.worlds;

import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.pql.SparkTestBase;
import dev.pql.config.Settings;
import dev.pql.config.SettingsLoader;
import dev.pql.features.SnapshotDates;
import dev.pql.io.DeltaStore;
import dev.pql.io.StageContext;
import dev.pql.model.TrainJob;
import dev.pql.pipeline.StageRunner;
import dev.pql.pipeline.Stages;
import java.time.Instant;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;

/**
 * The champion gate and discovery in worlds that can fail the method: generated lakes over 170 days whose upgrades
 * are driven by nothing (null), by logins alone (logins-only) or by messages without a step (graded), 600 accounts
 * each, by five planted steps (stepped),
 * or by four rules as people write them (grammar: a 14-day count, a first-7-days count, distinct people, an action
 * done once, each with a decoy) or by one combination of two actions (interaction), 1,000 accounts, each
 * ingested, built into weekly snapshots and trained as the pipeline does, with a 30-day label; the graded, grammar
 * and interaction worlds, whose tests read only drivers and rules, are explained as training explains them, without
 * the model it fits beside. The model must be withheld where it cannot beat a baseline and published where
 * it can; discovery must find what was planted and no decoy. The worlds are split over three classes
 * ({@link WorldsGateTest}, {@link WorldsStepsTest}, {@link WorldsRulesTest}) so that the suite's two test JVMs
 * share them; this one builds them.
 */
abstract class WorldsTest extends SparkTestBase {
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

  /** An explained world: what drives its upgrades as training explains it, its settings and its warehouse. */
  record Explained(TrainJob.Explanation explanation, Settings settings, DeltaStore store) {}

  /** A world's lake, generated, ingested, snapshotted weekly from its fourth week, and trained. */
  static World world(String world) {
    return world(world, ACCOUNTS);
  }

  static World world(String world, int accounts) {
    return world(world, accounts, NARROW);
  }

  /** A world with the given feature settings on top of the rest, trained. */
  static World world(String world, int accounts, Map<String, String> features) {
    Built b = built(world, accounts, features);
    TrainJob.Result trained = train(b, TrainJob::run,
        r -> new dev.pql.io.RunLog.StageCounts(r.trainingRows(), r.drivers().size(), 0, 0),
        r -> "model " + r.modelVersion() + " " + r.verdict().status());
    return new World(trained, b.settings(), b.context().store());
  }

  /**
   * A world whose test reads only what training explains (drivers, discovered rules, their figures on the locked
   * window): those computed as training computes them, without the model it would fit, judge and save beside them.
   */
  static Explained explained(String world, int accounts, Map<String, String> features) {
    Built b = built(world, accounts, features);
    TrainJob.Explanation explanation = train(b, TrainJob::explain,
        e -> new dev.pql.io.RunLog.StageCounts(e.driverRows(), e.drivers().size(), 0, 0),
        e -> e.rules().size() + " rules");
    return new Explained(explanation, b.settings(), b.context().store());
  }

  /** {@link TrainJob#run} or {@link TrainJob#explain}: the same arguments, another result. */
  private interface Training<T> {
    T on(StageContext context, dev.pql.config.Settings.ModelSettings model,
        dev.pql.config.Settings.FeatureSettings features, dev.pql.config.Settings.DomainSettings domains,
        List<String> freePlans, List<org.apache.spark.sql.Column> activeDefinitions);
  }

  /**
   * A world's train stage, as the pipeline runs it: one stage, its substages recorded with it (two pipeline_runs
   * commits, not eight).
   */
  private static <T> T train(Built b, Training<T> training, java.util.function.Function<T,
      dev.pql.io.RunLog.StageCounts> counts, java.util.function.Function<T, String> summary) {
    Settings s = b.settings();
    return b.runner().run("train", () -> training.on(b.context(), s.model(), s.features(), s.domains(),
        s.plans().free(), List.of()), counts, summary);
  }

  /**
   * Every world but grammar acts on what these snapshots keep (7- and 30-day counts, logins, active users, days to
   * a first action) or on nothing: they need no other window.
   */
  static final Map<String, String> NARROW = Map.of("pql.features.windows", "[7, 30]",
      "pql.features.signup-windows", "[]", "pql.features.user-windows", "[]");

  /** A world's lake generated, ingested and snapshotted, and the runner of its stages. */
  private record Built(Settings settings, StageContext context, StageRunner runner) {}

  private static Built built(String world, int accounts, Map<String, String> features) {
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
    return new Built(settings, context, runner);
  }

  static TrainJob.Result trained(String world) {
    return world(world, SMALLER).result();
  }

  static TrainJob.Explanation explained(String world) {
    return explained(world, SMALLER, NARROW).explanation();
  }
}
