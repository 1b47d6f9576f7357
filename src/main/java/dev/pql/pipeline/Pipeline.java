package dev.pql.pipeline;

import dev.pql.config.Settings;
import dev.pql.features.AccountFeatures;
import dev.pql.features.FeatureStore;
import dev.pql.features.SnapshotDates;
import dev.pql.ingest.EventHistory;
import dev.pql.io.DeltaStore;
import dev.pql.io.Digests;
import dev.pql.io.Tables;
import dev.pql.io.UpToDate;
import dev.pql.model.ModelInputs;
import dev.pql.model.ModelRegistry;
import dev.pql.scoring.ScoringHistory;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * The whole pipeline, as a scheduler runs it: ingest, features for the snapshot dates not built yet, train when
 * due, score the snapshots not scored yet, backtest, metrics and the run's HTML report. Each stage prints one line
 * of progress; a stage that cannot run yet (too little history) is recorded as skipped and the rest go on.
 * Rerunning on the same lake builds, trains and scores nothing new; when nothing at all has changed since the last
 * run through every stage ({@link CompletedRun}), a run skips every stage at once and reads no table.
 */
public final class Pipeline {
  private Pipeline() {}

  /** The pipeline's stages, in order. */
  public static final List<String> STAGE_NAMES = List.of("ingest", "features", "train", "score", "backtest",
      "metrics", "report");

  /** How many stages the pipeline runs (its progress lines count them: [3/7]). */
  public static final int STAGES = STAGE_NAMES.size();

  /**
   * What the run did: the latest model (null: none yet), the last date scored (null: none), the training, why the
   * latest model does not score (the champion gate withheld it; null when it scores), the stages skipped for
   * too little data, the warnings about the lake, where the run's report went and every stage skipped (for too
   * little data or with nothing to do) with its reason; and, for a run that found nothing changed, the complete run
   * whose outcome this is (null for a run that ran its stages).
   */
  public record Outcome(String modelVersion, LocalDate latestScored, Stages.Trained trained, String withheld,
      List<String> skipped, List<String> warnings, String report, java.util.Map<String, String> skips,
      CompletedRun unchangedSince) {
    /** A run's outcome, not one that found nothing changed. */
    public Outcome(String modelVersion, LocalDate latestScored, Stages.Trained trained, String withheld,
        List<String> skipped, List<String> warnings, String report, java.util.Map<String, String> skips) {
      this(modelVersion, latestScored, trained, withheld, skipped, warnings, report, skips, null);
    }
  }

  /** @param truthLake a generated lake whose true hazard the model is compared with, or null */
  public static Outcome run(StageRunner runner, Settings settings, String truthLake) {
    DeltaStore store = runner.context().store();
    org.apache.spark.sql.SparkSession spark = runner.context().spark();
    // The lake as this run finds it, before any stage reads it: what the next run compares with. Unchanged since
    // the last complete run, the definitions are those that run checked.
    java.util.Optional<String> lake = CompletedRun.lake(spark, settings);
    java.util.Optional<CompletedRun> previous = lake.flatMap(l -> CompletedRun.matching(spark, store, settings, l));
    if (previous.isPresent()) return unchanged(runner, previous.get());
    Stages.checkDefinitions(runner.context(), settings, false);
    Outcome outcome = stages(runner, settings, truthLake);
    lake.ifPresent(l -> CompletedRun.record(spark, store, settings, l, runner.context().runId(), outcome));
    return outcome;
  }

  /**
   * Nothing has changed since the last run through every stage ended (the lake's files, every table, the settings,
   * the definitions, pql itself): each stage would find nothing to do, so each is skipped at once, in one commit
   * to the run log, and the run reports what that run found.
   */
  private static Outcome unchanged(StageRunner runner, CompletedRun previous) {
    String reason = "nothing changed since run " + previous.runId() + " ended (" + previous.endedAt() + "): the "
        + "lake's files, the warehouse's tables, the settings, the definitions and pql are as it left them";
    runner.context().log().together(() -> {
      for (String stage : STAGE_NAMES) runner.skip(stage, reason, "skipped: nothing changed since run "
          + previous.runId());
    });
    return previous.outcome();
  }

  private static Outcome stages(StageRunner runner, Settings settings, String truthLake) {
    DeltaStore store = runner.context().store();
    Stages.ingest(runner, settings);
    LocalDate dataEnd = EventHistory.dataEnd(store);
    dev.pql.features.FeaturesJob.Result built = Stages.features(runner, settings,
        snapshotsDue(store, settings, dataEnd));
    Stages.checkDefinitions(runner.context(), settings, true);
    List<String> warnings = Stages.lakeWarnings(runner.context(), settings, built);
    warnings.forEach(w -> System.out.println("warning: " + w));

    ModelRegistry.Latest latest = ModelRegistry.latest(store);
    String model = latest == null ? null : latest.version();
    String why = trainingDue(latest, settings, dataEnd, currentFeatureSet(store, settings));
    String withheld = latest == null ? null : latest.withheldReason();
    Stages.Trained trained = null;
    if (why == null) {
      runner.skip("train", "not due: the latest model is " + model,
          "not due (pql.run.retrain-every-days = " + settings.run().retrainEveryDays() + "): model " + model);
    } else {
      trained = Stages.train(runner, settings, why, truthLake);
      if (trained != null) {
        model = trained.result().modelVersion();
        withheld = trained.result().verdict().published() ? null : trained.result().verdict().reason();
      }
    }

    LocalDate scoredBefore = ScoringHistory.latestScored(store);
    List<LocalDate> toScore = FeatureStore.storedDates(store, scoredBefore == null ? null : scoredBefore.plusDays(1),
        null);
    Settings scoring = model == null ? settings.withoutLearned() : settings.withModelVersion(model);
    if (toScore.isEmpty()) {
      runner.skip("score", "every snapshot is scored", "no snapshot left to score");
    } else {
      Stages.score(runner, scoring, toScore);
    }
    backtest(runner, scoring);
    metrics(runner, settings);
    dev.pql.report.ReportJob.Result report = Stages.report(runner);
    return new Outcome(model, ScoringHistory.latestScored(store), trained, withheld, runner.skippedForData(),
        warnings, report.path(), runner.skips());
  }

  private static final String UNCHANGED = "up to date: nothing it reads has changed since it last ended";

  /**
   * The backtest, unless nothing it reads has changed since it last ended: the same versions of the snapshots,
   * conversions, events (the data's end), model registry and discovered rules, of its own table, and the same
   * settings and definition files. It recomputes its table whole, so a rerun on the same warehouse has nothing to
   * do; the backtest command always recomputes.
   */
  private static void backtest(StageRunner runner, Settings scoring) {
    DeltaStore store = runner.context().store();
    String definitions = Digests.files(runner.context().spark(), scoring.scoring().definitions(), "")
        .orElse("no definitions folder");
    UpToDate done = UpToDate.of(store, "backtest", String.join(" ", Digests.canonical(scoring.scoring()),
        Digests.canonical(scoring.model()), Digests.canonical(scoring.features()), Digests.canonical(scoring.plans()),
        definitions),
        List.of(Tables.EVENTS.name(), Tables.CONVERSIONS.name(), AccountFeatures.NAME, Tables.MODEL_RUNS.name(),
            Tables.DISCOVERED_RULES.name(), Tables.DEFINITION_BACKTEST.name()));
    if (done.holds()) {
      runner.skip("backtest", UNCHANGED, UNCHANGED);
    } else if (Stages.backtest(runner, scoring) != null) {
      done.record();
    }
  }

  /**
   * The metrics, unless nothing they read has changed since they last ended (the scores, qualifications and
   * definitions applied, accounts, conversions, events, their own tables and settings); the metrics command always
   * recomputes.
   */
  private static void metrics(StageRunner runner, Settings settings) {
    UpToDate done = UpToDate.of(runner.context().store(), "metrics", String.join(" ",
        Digests.canonical(settings.metrics()), Digests.canonical(settings.domains()),
        Digests.canonical(settings.features()), Digests.canonical(settings.plans())),
        List.of(Tables.EVENTS.name(), Tables.ACCOUNTS.name(), Tables.CONVERSIONS.name(),
            Tables.PQL_DEFINITIONS.name(), Tables.PQL_QUALIFICATIONS.name(), Tables.PQL_SCORES.name(),
            Tables.PQL_FUNNEL.name(), Tables.PQL_METRICS.name()));
    if (done.holds()) {
      runner.skip("metrics", UNCHANGED, UNCHANGED);
    } else if (Stages.metrics(runner, settings) != null) {
      done.record();
    }
  }

  /**
   * The snapshot dates to build: on the cadence, after the latest stored snapshot, up to the data's end. The first
   * run starts pql.run.first-snapshot-after-days after the first event day (or takes the data's end alone when the
   * history is shorter).
   */
  static List<LocalDate> snapshotsDue(DeltaStore store, Settings settings, LocalDate dataEnd) {
    LocalDate latest = FeatureStore.latestDate(store);
    LocalDate from = latest != null ? latest.plusDays(1)
        : EventHistory.firstEventDate(store).plusDays(settings.run().firstSnapshotAfterDays());
    List<LocalDate> dates = from.isAfter(dataEnd) ? new ArrayList<>()
        : new ArrayList<>(SnapshotDates.between(from, dataEnd, settings.features().weekly(),
            settings.features().weekday()));
    if (dates.isEmpty() && latest == null) dates.add(dataEnd);
    return dates;
  }

  /** The fingerprint of the stored snapshots' feature columns as a model reads them, or null without snapshots. */
  static String currentFeatureSet(DeltaStore store, Settings settings) {
    if (FeatureStore.latestDate(store) == null) return null;
    return ModelInputs.forFeatures(FeatureStore.snapshots(store).schema(), settings.model(), settings.features())
        .featureSetVersion();
  }

  /**
   * Why training is due (no model yet, the feature set changed — windows or events — so the latest model cannot
   * read the snapshots, or the data has moved on), or null when it is not.
   */
  static String trainingDue(ModelRegistry.Latest latest, Settings settings, LocalDate dataEnd, String featureSet) {
    if (latest == null) return "no model yet";
    if (featureSet != null && !featureSet.equals(latest.featureSetVersion())) {
      return "retrained: the feature set changed (" + latest.featureSetVersion() + " -> " + featureSet + ")";
    }
    long days = ChronoUnit.DAYS.between(latest.dataEnd(), dataEnd);
    return days >= settings.run().retrainEveryDays()
        ? String.format("retrained: the data has grown %d days past the latest model's", days) : null;
  }
}
