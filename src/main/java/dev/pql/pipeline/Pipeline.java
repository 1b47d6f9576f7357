package dev.pql.pipeline;

import dev.pql.config.Settings;
import dev.pql.features.FeatureStore;
import dev.pql.features.SnapshotDates;
import dev.pql.ingest.EventHistory;
import dev.pql.io.DeltaStore;
import dev.pql.model.ModelInputs;
import dev.pql.model.ModelRegistry;
import dev.pql.scoring.ScoringHistory;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * The whole pipeline, as a scheduler runs it: ingest, features for the snapshot dates not built yet, train when
 * due, score the snapshots not scored yet, backtest and metrics. Each stage prints one line of progress; a stage
 * that cannot run yet (too little history) is recorded as skipped and the rest go on. Rerunning on the same lake
 * builds, trains and scores nothing new.
 */
public final class Pipeline {
  private Pipeline() {}

  /** The stages the pipeline runs: ingest, features, train, score, backtest, metrics. */
  public static final int STAGES = 6;

  /**
   * What the run did: the latest model (null: none yet), the last date scored (null: none), the training, why the
   * latest model does not score (the champion gate withheld it; null when it scores), and the stages skipped for
   * too little data.
   */
  public record Outcome(String modelVersion, LocalDate latestScored, Stages.Trained trained, String withheld,
      List<String> skipped, List<String> warnings) {}

  /** @param truthLake a generated lake whose true hazard the model is compared with, or null */
  public static Outcome run(StageRunner runner, Settings settings, String truthLake) {
    DeltaStore store = runner.context().store();
    Stages.checkDefinitions(runner.context(), settings, false);
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
    Stages.backtest(runner, scoring);
    Stages.metrics(runner, settings);
    return new Outcome(model, ScoringHistory.latestScored(store), trained, withheld, runner.skippedForData(),
        warnings);
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
