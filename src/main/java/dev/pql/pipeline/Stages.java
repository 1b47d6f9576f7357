package dev.pql.pipeline;

import dev.pql.PqlException.ConfigurationError;
import dev.pql.config.Settings;
import dev.pql.features.FeatureStore;
import dev.pql.features.FeaturesJob;
import dev.pql.generate.LakeGenerator;
import dev.pql.generate.TruthCheck;
import dev.pql.ingest.IngestJob;
import dev.pql.io.RunLog.StageCounts;
import dev.pql.io.StageContext;
import dev.pql.metrics.BacktestJob;
import dev.pql.metrics.MetricsJob;
import dev.pql.model.ModelRegistry;
import dev.pql.model.TrainJob;
import dev.pql.model.TrainingSet;
import dev.pql.model.UpgradeModel;
import dev.pql.scoring.ScoreJob;
import java.time.LocalDate;
import java.util.List;
import org.apache.spark.ml.PipelineModel;

/**
 * Each stage of pql as the commands and the pipeline run it: the stage's job, called with the run's context and
 * its settings, inside the {@link StageRunner}, with its counts and its progress line.
 */
public final class Stages {
  private Stages() {}

  public static LakeGenerator.Summary generate(StageRunner runner, Settings settings) {
    return runner.run("generate", () -> LakeGenerator.generate(runner.context().spark(), settings.generate(),
            settings.domains()), s -> new StageCounts(0, s.get("source_rows"), 0, 0),
        s -> String.format("Generated %,d accounts and %,d source event rows at %s", s.get("accounts"), s.get("source_rows"),
            settings.generate().output()));
  }

  public static IngestJob.Result ingest(StageRunner runner, Settings settings) {
    // Recorded as one stage: its parts' rows (ingest.events, .accounts, .conversions) are written with its own, in
    // one pipeline_runs commit at its end instead of two each.
    return runner.run("ingest", () -> IngestJob.run(runner.context(), settings),
        r -> new StageCounts(r.eventRowsRead(), r.eventsWritten(), r.eventsRejected(), r.eventsDuplicate(),
            r.eventsHeld()),
        r -> (r.eventRowsRead() == 0 ? String.format("no new event rows; %,d accounts", r.accounts())
            : String.format("%,d event rows read, %,d new, %,d rejected, %,d duplicates%s; %,d accounts",
                r.eventRowsRead(), r.eventsWritten(), r.eventsRejected(), r.eventsDuplicate(),
                r.eventsHeld() == 0 ? "" : String.format(", %,d held for their identity", r.eventsHeld()),
                r.accounts()))
            + (r.eventsReleased() == 0 ? "" : String.format("; %,d held event%s released to their user",
                r.eventsReleased(), r.eventsReleased() == 1 ? "" : "s"))
            + (r.linesExplained().isEmpty() ? "" : "; " + r.linesExplained()));
  }

  /**
   * The feature settings with every window the active definitions name built too: a definition over
   * cnt_14d__message_sent gets its column without a change of pql.features.windows. Without a definitions folder,
   * the configured windows (scoring reports the missing folder).
   */
  static Settings.FeatureSettings featureSettings(Settings settings) {
    java.io.File folder = new java.io.File(settings.scoring().definitions());
    if (!folder.isDirectory()) return settings.features();
    java.util.Set<Integer> counts = new java.util.TreeSet<>();
    java.util.Set<Integer> sinceSignup = new java.util.TreeSet<>();
    java.util.Set<Integer> users = new java.util.TreeSet<>();
    for (dev.pql.definitions.Definition d : dev.pql.definitions.DefinitionParser.loadFolder(folder)) {
      if (!d.active()) continue;
      dev.pql.features.FeatureNames.NamedWindows named = dev.pql.features.FeatureNames.windowsNamed(d.when());
      counts.addAll(named.counts());
      sinceSignup.addAll(named.sinceSignup());
      users.addAll(named.users());
    }
    return settings.features().withWindows(counts, sinceSignup, users);
  }

  /**
   * Checks the active definitions against the feature columns before any work: against the columns the next build
   * will write when its key events are known, else (a first build) against the snapshots just built, before
   * training and scoring. A definition naming an unknown event or column stops the run (exit 2) with its file, its
   * name and the nearest columns. Before the first ingest, when no column is known yet, the folder, each file and
   * each `when`'s text and functions are checked; a missing folder stops the run too.
   */
  static void checkDefinitions(StageContext context, Settings settings, boolean built) {
    org.apache.spark.sql.types.StructType columns;
    if (built) {
      if (FeatureStore.latestDate(context.store()) == null) return;
      columns = FeatureStore.snapshots(context.store()).schema();
    } else {
      dev.pql.io.TableContract planned = FeaturesJob.plannedContract(context.store(), featureSettings(settings));
      if (planned == null) {
        // The columns are not known before the first ingest: the folder, the files and each `when` are.
        dev.pql.definitions.Definitions.checkedText(context.spark(), settings.scoring().definitions());
        return;
      }
      columns = planned.schema();
    }
    dev.pql.definitions.Definitions.active(context.spark(), settings.scoring().definitions(), columns);
  }

  /**
   * What the run should warn about once the snapshots are built: configured key events the lake never had, active
   * definitions that read features of events the lake never had (left out), and active definitions no stored
   * snapshot meets (they cannot fire on this lake as it is).
   */
  static List<String> lakeWarnings(StageContext context, Settings settings, FeaturesJob.Result built) {
    List<String> warnings = new java.util.ArrayList<>();
    if (built != null && !built.unseenEvents().isEmpty()) {
      warnings.add("configured events never seen in the events: " + String.join(", ", built.unseenEvents()));
    }
    if (FeatureStore.latestDate(context.store()) == null) return warnings;
    org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> snapshots = FeatureStore.snapshots(context.store());
    dev.pql.definitions.Definitions.Fitted fitted = dev.pql.definitions.Definitions.fitted(context.spark(),
        settings.scoring().definitions(), snapshots.schema());
    warnings.addAll(unfitWarnings(fitted));
    List<String> never = dev.pql.definitions.RuleMatches.neverMet(snapshots, fitted.fit());
    for (String name : never) {
      warnings.add("definition '" + name + "' is met by no account on any stored snapshot: on this lake it cannot "
          + "fire (an event it names never occurs, or its bar is above anything seen)");
    }
    return warnings;
  }

  /**
   * The active definitions that read features of events this lake never had, each as a warning: they are left out
   * of scoring; none before the first snapshot.
   */
  public static List<String> unfitDefinitions(StageContext context, Settings settings) {
    if (FeatureStore.latestDate(context.store()) == null) return List.of();
    return unfitWarnings(dev.pql.definitions.Definitions.fitted(context.spark(), settings.scoring().definitions(),
        FeatureStore.snapshots(context.store()).schema()));
  }

  private static List<String> unfitWarnings(dev.pql.definitions.Definitions.Fitted fitted) {
    List<String> warnings = new java.util.ArrayList<>();
    fitted.unfit().forEach((name, columns) -> warnings.add("definition '" + name + "' cannot fire on this lake and "
        + "is not applied: it reads " + String.join(", ", columns) + ", features of events the lake never had"));
    return warnings;
  }

  public static FeaturesJob.Result features(StageRunner runner, Settings settings, List<LocalDate> dates) {
    return runner.run("features", () -> FeaturesJob.run(runner.context(), featureSettings(settings),
        settings.domains(), dates), r -> new StageCounts(r.daily().eventsRead(), r.featureRows(), 0, 0),
        r -> dates.isEmpty() ? "no snapshot due (the latest is up to date with the data)"
        : String.format("%d snapshot%s %s .. %s, %,d rows of %s", dates.size(), dates.size() == 1 ? "" : "s",
            dates.get(0), dates.get(dates.size() - 1), r.featureRows(), r.width()));
  }

  /** A trained model and, with a generated lake, how it ranks against the lake's true hazard. */
  public record Trained(TrainJob.Result result, TruthCheck.Comparison truth) {}

  /**
   * Trains; with a generated lake, also compares the model's ranking with the lake's true hazard on its evaluation
   * rows.
   *
   * @param why what the progress line says before the model (e.g. "no model yet")
   * @param truthLake a generated lake, or null
   */
  public static Trained train(StageRunner runner, Settings settings, String why, String truthLake) {
    return runner.run("train", () -> {
      TrainJob.Result r = TrainJob.run(runner.context(), settings.model(), featureSettings(settings),
          settings.domains(), settings.plans().free(), activeDefinitions(runner.context(), settings));
      return new Trained(r, truthLake == null ? null : truth(runner, settings, r, truthLake));
    }, t -> new StageCounts(t.result().trainingRows() + t.result().evaluationRows(), t.result().drivers().size(), 0,
        0), t -> why + ": model " + t.result().modelVersion() + " " + t.result().verdict().status()
        + (t.result().verdict().published() ? "" : " by the champion gate (the summary says why)"));
  }

  /** The active definitions' conditions, checked against the stored snapshots; none without a definitions folder. */
  static List<org.apache.spark.sql.Column> activeDefinitions(StageContext context, Settings settings) {
    if (!new java.io.File(settings.scoring().definitions()).isDirectory()) return List.of();
    return dev.pql.definitions.Definitions.active(context.spark(), settings.scoring().definitions(),
            FeatureStore.snapshots(context.store()).schema()).stream()
        .map(r -> dev.pql.definitions.DefinitionTranslator.condition(r.definition())).toList();
  }

  private static TruthCheck.Comparison truth(StageRunner runner, Settings settings, TrainJob.Result r, String lake) {
    PipelineModel model = PipelineModel.load(r.modelPath());
    return TruthCheck.compare(UpgradeModel.score(model, ModelRegistry.evaluationRows(runner.context().store(),
                settings.plans().free(), r.evaluationFrom(), r.evaluationTo(), settings.model().horizonDays()))
            .select("account_id", "as_of_date", TrainingSet.LABEL, UpgradeModel.PROBABILITY),
        UpgradeModel.PROBABILITY, lake);
  }

  /** The stored snapshot dates from one date to another; none is a usage error (exit 2). */
  public static List<LocalDate> storedSnapshots(StageContext context, LocalDate from, LocalDate to) {
    List<LocalDate> dates = FeatureStore.storedDates(context.store(), from, to);
    if (dates.isEmpty()) {
      throw new ConfigurationError("account_features holds no snapshot from " + from + " to " + to, null);
    }
    return dates;
  }

  /** Scores the dates (none: the latest snapshot) with the settings' model, or by the rules alone without one. */
  public static ScoreJob.Result score(StageRunner runner, Settings settings, List<LocalDate> dates) {
    return runner.run("score", () -> ScoreJob.run(runner.context(), settings, dates),
        r -> new StageCounts(r.accounts(), r.pqls(), 0, 0),
        r -> String.format("%d snapshot%s%s; %,d new PQLs; %,d of %,d open accounts are PQLs on %s",
            r.dates().size(), r.dates().size() == 1 ? "" : "s", r.modelVersion() != null ? " with model "
                + r.modelVersion() : r.withheld() != null ? " by the rules and activation (the model is withheld)"
                : " by the rules and activation (no model yet)", r.newPqls(), r.pqls(), r.accounts(),
            r.asOf()));
  }

  public static BacktestJob.Result backtest(StageRunner runner, Settings settings) {
    return runner.run("backtest", () -> BacktestJob.run(runner.context(), settings),
        r -> new StageCounts(0, r.rules().size() + r.learned().size(), 0, 0),
        r -> String.format("%d definitions replayed", r.rules().size() + r.learned().size()));
  }

  public static MetricsJob.Result metrics(StageRunner runner, Settings settings) {
    return runner.run("metrics", () -> MetricsJob.run(runner.context(), settings),
        r -> new StageCounts(0, r.rows(), 0, 0),
        r -> String.format("%,d rows over the scores of %s .. %s (%,d changed)", r.rows(), r.scoredFrom(),
            r.scoredTo(), r.inserted() + r.updated() + r.deleted()));
  }

  /** The run's HTML report, written under the warehouse (reports/RUN.html). */
  public static dev.pql.report.ReportJob.Result report(StageRunner runner) {
    return report(runner, runner.context().runId());
  }

  /** The report of run {@code of}, written under the warehouse (reports/OF.html). */
  public static dev.pql.report.ReportJob.Result report(StageRunner runner, String of) {
    return runner.run("report", () -> dev.pql.report.ReportJob.run(runner.context().store(), of),
        r -> new StageCounts(0, r.sections().size(), 0, 0), dev.pql.report.ReportJob.Result::path);
  }
}
