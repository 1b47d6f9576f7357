package dev.pql.cli;

import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;

import dev.pql.PqlException.NotEnoughData;
import dev.pql.config.Settings;
import dev.pql.features.FeaturesJob;
import dev.pql.features.SnapshotDates;
import dev.pql.ingest.IngestJob;
import dev.pql.io.DeltaStore;
import dev.pql.io.RunLog.StageCounts;
import dev.pql.io.Tables;
import dev.pql.metrics.BacktestJob;
import dev.pql.metrics.MetricsJob;
import dev.pql.model.ModelRegistry;
import dev.pql.scoring.ScoreJob;
import java.sql.Date;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The whole pipeline, as a scheduler runs it: ingest, features for the snapshot dates not built yet, train when
 * due, score the snapshots not scored yet, backtest and metrics. Each stage prints one line of progress; a stage
 * that cannot run yet (too little history) is recorded as skipped and the rest go on. Rerunning on the same lake
 * builds, trains and scores nothing new.
 */
final class Pipeline {
  private Pipeline() {}

  /** What the summary shows: the model scored with (null: none yet) and the last date scored (null: none). */
  record Outcome(String modelVersion, LocalDate latestScored) {}

  static Outcome run(SparkSession spark, Settings settings, SparkCommand.Context context, String truthLake) {
    DeltaStore store = context.store();
    Progress progress = new Progress(6);

    progress.start("ingest");
    IngestJob.Result ingest = IngestJob.run(spark, settings, store, context.log(), context.start());
    progress.done(String.format("%,d event rows read, %,d new, %,d rejected, %,d duplicates; %,d accounts",
        ingest.eventRowsRead(), ingest.eventsWritten(), ingest.eventsRejected(), ingest.eventsDuplicate(),
        ingest.accounts()));

    progress.start("features");
    LocalDate dataEnd = dataEnd(store);
    List<LocalDate> dates = snapshotsDue(store, settings, dataEnd);
    FeaturesJob.Result features = FeaturesJob.run(spark, settings.features(), settings.domains(), store,
        context.log(), dates, context.start());
    progress.done(dates.isEmpty() ? "no snapshot due (the latest is up to date with the data)"
        : String.format("%d snapshot%s %s .. %s, %,d rows", dates.size(), dates.size() == 1 ? "" : "s", dates.get(0),
            dates.get(dates.size() - 1), features.featureRows()));

    progress.start("train");
    ModelRegistry.Latest latest = ModelRegistry.latest(store);
    String model = latest == null ? null : latest.version();
    String why = trainingDue(latest, settings, dataEnd);
    if (why == null) {
      context.log().skipped("train", "not due: the latest model is " + model);
      progress.done("not due (pql.run.retrain-every-days = " + settings.run().retrainEveryDays() + "): model " + model);
    } else {
      try {
        String report = TrainCommand.train(spark, settings, context, truthLake, false);
        model = ModelRegistry.latest(store).version();
        progress.done(why + ": model " + model);
        System.out.print(report);
      } catch (NotEnoughData e) {
        context.log().skipped("train", e.getMessage());
        progress.done("skipped: " + e.getMessage());
      }
    }

    progress.start("score");
    LocalDate scoredBefore = latestScored(store);
    List<LocalDate> toScore = SnapshotDates.stored(store, scoredBefore == null ? null : scoredBefore.plusDays(1), null);
    Settings scoring = model == null ? settings.withoutLearned() : settings.withModelVersion(model);
    if (toScore.isEmpty()) {
      context.log().skipped("score", "every snapshot is scored");
      progress.done("no snapshot left to score");
    } else {
      ScoreJob.Result r = context.log().stage("score", () -> ScoreJob.run(spark, scoring, store, context.log(),
          toScore), x -> new StageCounts(x.accounts(), x.pqls(), 0, 0));
      progress.done(String.format("%d snapshot%s%s; %,d new PQLs; %,d of %,d open accounts are PQLs on %s",
          toScore.size(), toScore.size() == 1 ? "" : "s", model == null ? " by the rules and activation (no model "
              + "yet)" : " with model " + model, r.newPqls(), r.pqls(), r.accounts(), r.asOf()));
    }
    LocalDate latestScored = latestScored(store);

    progress.start("backtest");
    try {
      BacktestJob.Result b = context.log().stage("backtest", () -> BacktestJob.run(spark, scoring, store,
          context.runId()), x -> new StageCounts(0, x.rules().size() + x.learned().size(), 0, 0));
      progress.done(String.format("%d definitions replayed", b.rules().size() + b.learned().size()));
    } catch (NotEnoughData e) {
      context.log().skipped("backtest", e.getMessage());
      progress.done("skipped: " + e.getMessage());
    }

    progress.start("metrics");
    try {
      MetricsJob.Result m = context.log().stage("metrics", () -> MetricsJob.run(settings, store, context.runId()),
          x -> new StageCounts(0, x.rows(), 0, 0));
      progress.done(String.format("%,d rows over the scores of %s .. %s (%,d changed)", m.rows(), m.scoredFrom(),
          m.scoredTo(), m.inserted() + m.updated() + m.deleted()));
    } catch (NotEnoughData e) {
      context.log().skipped("metrics", e.getMessage());
      progress.done("skipped: " + e.getMessage());
    }
    return new Outcome(model, latestScored);
  }

  /** The first day without events (the day after the last event date). */
  static LocalDate dataEnd(DeltaStore store) {
    Date last = store.read(Tables.EVENTS).agg(max("event_date")).first().getDate(0);
    if (last == null) throw new NotEnoughData("The events table is empty: nothing to build features from");
    return last.toLocalDate().plusDays(1);
  }

  /**
   * The snapshot dates to build: on the cadence, after the latest stored snapshot, up to the data's end. The first
   * run starts pql.run.first-snapshot-after-days after the first event day (or takes the data's end alone when the
   * history is shorter).
   */
  static List<LocalDate> snapshotsDue(DeltaStore store, Settings settings, LocalDate dataEnd) {
    org.apache.spark.sql.Dataset<Row> existing = store.readIfExists(Tables.ACCOUNT_FEATURES);
    Date latest = existing == null ? null : existing.agg(max("as_of_date")).first().getDate(0);
    LocalDate from;
    if (latest != null) {
      from = latest.toLocalDate().plusDays(1);
    } else {
      LocalDate firstEvent = store.read(Tables.EVENTS).agg(min("event_date")).first().getDate(0).toLocalDate();
      from = firstEvent.plusDays(settings.run().firstSnapshotAfterDays());
    }
    List<LocalDate> dates = from.isAfter(dataEnd) ? new ArrayList<>()
        : new ArrayList<>(SnapshotDates.between(from, dataEnd, settings.features().weekly(),
            settings.features().weekday()));
    if (dates.isEmpty() && latest == null) dates.add(dataEnd);
    return dates;
  }

  /** Why training is due (no model yet, or the data has moved on), or null when it is not. */
  static String trainingDue(ModelRegistry.Latest latest, Settings settings, LocalDate dataEnd) {
    if (latest == null) return "no model yet";
    long days = java.time.temporal.ChronoUnit.DAYS.between(latest.dataEnd(), dataEnd);
    return days >= settings.run().retrainEveryDays()
        ? String.format("retrained: the data has grown %d days past the latest model's", days) : null;
  }

  private static LocalDate latestScored(DeltaStore store) {
    if (!store.exists(Tables.PQL_SCORES)) return null;
    Date d = store.read(Tables.PQL_SCORES).agg(max("as_of_date")).first().getDate(0);
    return d == null ? null : d.toLocalDate();
  }

  /** One console line per stage: "[3/6] train ... 92.4 s: model X". */
  private static final class Progress {
    private final int stages;
    private int stage;
    private long started;

    Progress(int stages) {
      this.stages = stages;
    }

    void start(String name) {
      stage++;
      started = System.nanoTime();
      System.out.printf("[%d/%d] %-9s ... ", stage, stages, name);
      System.out.flush();
    }

    void done(String what) {
      System.out.printf("%.1f s: %s%n", (System.nanoTime() - started) / 1e9, what);
    }
  }
}
