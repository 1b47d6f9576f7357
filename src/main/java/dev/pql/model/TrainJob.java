package dev.pql.model;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.date_sub;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.sequence;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.to_date;

import dev.pql.PqlException.NotEnoughData;
import dev.pql.config.Settings.DomainSettings;
import dev.pql.config.Settings.FeatureSettings;
import dev.pql.config.Settings.ModelSettings;
import dev.pql.definitions.Definition;
import dev.pql.definitions.DefinitionTranslator;
import dev.pql.features.FeatureNames;
import dev.pql.features.FeatureStore;
import dev.pql.ingest.EventHistory;
import dev.pql.io.Concurrently;
import dev.pql.io.DeltaStore;
import dev.pql.io.RunLog;
import dev.pql.io.RunLog.StageCounts;
import dev.pql.io.StageContext;
import dev.pql.io.Tables;
import dev.pql.metrics.Backtest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * The train stage: labels the feature history, fits the upgrade model on the snapshots before the evaluation
 * window, evaluates it on the window against baselines, explains its drivers, discovers thresholds, saves the
 * model under the warehouse's models folder and registers it in model_runs — last, so that a failed run is
 * never the latest model.
 */
public final class TrainJob {
  private TrainJob() {}

  /** What a training run produced. */
  public record Result(String modelVersion, String modelPath, String featureSetVersion, LocalDate trainFrom,
      LocalDate trainTo, LocalDate calibrationFrom, LocalDate calibrationTo, LocalDate evaluationFrom,
      LocalDate evaluationTo, long trainingRows, long trainingPositives, long calibrationRows,
      long calibrationPositives, long evaluationRows, long evaluationPositives, Map<String, Double> metrics,
      List<Evaluation.CalibrationBin> calibration, List<Drivers.Driver> drivers,
      List<ThresholdDiscovery.Threshold> rules, List<ThresholdDiscovery.Threshold> lockedRules,
      List<Backtest.Reach> lockedReach, int thresholdsScanned, String bestRule,
      UpgradeModel.GridPoint chosen, int driverHorizonDays, long driverRows, long driverPositives,
      UpgradeModel.GridPoint driverChosen, ChampionGate.Verdict verdict) {}

  /**
   * The three time splits of a training run, oldest first: training snapshots; the calibration window, whose
   * horizons end before the locked window starts; the locked evaluation window, whose horizons end by the labels'
   * end (the data's end less pql.model.label-lag-days).
   */
  record Windows(LocalDate trainTo, LocalDate calibrationFrom, LocalDate calibrationTo, LocalDate evaluationFrom,
      LocalDate evaluationTo, LocalDate labelEnd) {
    static Windows of(LocalDate dataEnd, ModelSettings settings) {
      LocalDate labelEnd = TrainingSet.labelEnd(dataEnd, settings);
      LocalDate evaluationTo = labelEnd.minusDays(settings.horizonDays());
      LocalDate evaluationFrom = evaluationTo.minusDays(settings.evaluationDays() - 1L);
      LocalDate calibrationTo = evaluationFrom.minusDays(settings.horizonDays());
      LocalDate calibrationFrom = calibrationTo.minusDays(settings.calibrationDays() - 1L);
      return new Windows(calibrationFrom.minusDays(1), calibrationFrom, calibrationTo, evaluationFrom, evaluationTo,
          labelEnd);
    }
  }

  /** Rows, upgrades and first snapshot date (null without rows) of a labelled set, in one pass. */
  record Counts(long rows, long positives, LocalDate from) {
    static Counts of(Dataset<Row> labelled) {
      Row c = labelled.agg(count(lit(1)), sum(TrainingSet.LABEL), min("as_of_date")).first();
      return new Counts(c.getLong(0), c.getLong(0) == 0 ? 0 : (long) c.getDouble(1),
          c.isNullAt(2) ? null : c.getDate(2).toLocalDate());
    }
  }

  /** The driver fit: its chosen grid point, its rows and the drivers (those the selection kept first). */
  private record DriverFit(UpgradeModel.GridPoint chosen, Counts counts, List<Drivers.Driver> drivers,
      List<List<Drivers.Input>> refits) {}

  /** The fitted model, where it was saved, its locked-window figures beside the baselines' and the gate's verdict. */
  private record Modelled(UpgradeModel.Fitted fitted, String path, Map<String, Double> metrics,
      List<Evaluation.CalibrationBin> calibration, String bestRule, ChampionGate.Verdict verdict) {}

  /** The labelled rows of the three splits. */
  private record Splits(Dataset<Row> training, Dataset<Row> calibration, Dataset<Row> evaluation) {}

  /**
   * @param activeDefinitions the active definitions' conditions, beside which each discovered rule's added recall
   *     is measured on the locked window (none: every upgrade a rule catches is added)
   */
  public static Result run(StageContext context, ModelSettings settings, FeatureSettings features,
      DomainSettings domains, List<String> freePlans, List<Column> activeDefinitions) {
    DeltaStore store = context.store();
    RunLog log = context.log();
    Prepared p = prepare(context, settings, features, domains, freePlans);
    try {
      // The model (fit, locked-window figures, gate, saved) and its explanations (a second fit, the drivers and the
      // rules they confirm, written) at once, on two threads. model_runs, which makes the model the latest, comes
      // last.
      String version = context.runId();
      Concurrently.Both<Modelled, Explained> both = Concurrently.both(
          () -> modelled(log, p.splits(), p.train().rows(), p.inputs(), p.thresholds(), p.snapshots().columns(),
              settings, features, store.location("models/" + version)),
          () -> {
            Explained e = explained(context, p, settings, features, activeDefinitions);
            writeExplanations(store, version, e.driverFit().drivers(), e.rules(), e.locked(), e.reach(),
                ThresholdDiscovery.curvesOn(p.splits().training(), p.discovery().curves()), settings, features);
            return e;
          });
      Modelled modelled = both.first();
      DriverFit driverFit = both.second().driverFit();
      List<ThresholdDiscovery.Threshold> rules = both.second().rules();

      UpgradeModel.Fitted fitted = modelled.fitted();
      Windows w = p.windows();
      Result result = new Result(version, modelled.path(), p.inputs().featureSetVersion(), p.train().from(),
          w.trainTo(), w.calibrationFrom(), w.calibrationTo(), w.evaluationFrom(), w.evaluationTo(), p.train().rows(),
          p.train().positives(), p.calibration().rows(), p.calibration().positives(), p.evaluation().rows(),
          p.evaluation().positives(), modelled.metrics(), modelled.calibration(), driverFit.drivers(), rules,
          both.second().locked(), both.second().reach(), (int) p.discovery().candidatesScored(),
          modelled.bestRule(), fitted.chosen(), settings.driverHorizonDays(), driverFit.counts().rows(),
          driverFit.counts().positives(), driverFit.chosen(), modelled.verdict());
      writeRun(store, result, settings, fitted, context.start(), version);
      return result;
    } finally {
      p.release();
    }
  }

  /**
   * What drives upgrades in the stored snapshots, as a training explains it: the drivers with their intervals, the
   * discovered rules its drivers confirm and those rules' figures on the locked window. Nothing is fitted for
   * scoring, saved or written: for code that asks which actions predict an upgrade (a notebook trying other feature
   * windows, the worlds' tests of discovery) without publishing a model.
   */
  public static Explanation explain(StageContext context, ModelSettings settings, FeatureSettings features,
      DomainSettings domains, List<String> freePlans, List<Column> activeDefinitions) {
    Prepared p = prepare(context, settings, features, domains, freePlans);
    try {
      Explained e = explained(context, p, settings, features, activeDefinitions);
      return new Explanation(e.driverFit().drivers(), e.rules(), e.locked(), e.reach(),
          (int) p.discovery().candidatesScored(), e.driverFit().counts().rows(), e.driverFit().counts().positives());
    } finally {
      p.release();
    }
  }

  /** A training's explanations alone ({@link #explain}): the fields of {@link Result} that bear the same names. */
  public record Explanation(List<Drivers.Driver> drivers, List<ThresholdDiscovery.Threshold> rules,
      List<ThresholdDiscovery.Threshold> lockedRules, List<Backtest.Reach> lockedReach, int thresholdsScanned,
      long driverRows, long driverPositives) {}

  /**
   * What the model and its explanations both start from: the labelled splits, the driver rows, the thresholds
   * discovered on them and the model's inputs. Its two local checkpoints are freed by {@link #release}.
   */
  private record Prepared(Dataset<Row> snapshots, Windows windows, Splits splits, Counts train, Counts calibration,
      Counts evaluation, Dataset<Row> shortRows, Counts shortCounts, ThresholdDiscovery.Discovery discovery,
      List<ThresholdDiscovery.Threshold> thresholds, ModelInputs inputs, Dataset<Row> labelled) {
    void release() {
      TrainJob.release(shortRows);
      TrainJob.release(labelled);
    }
  }

  private static Prepared prepare(StageContext context, ModelSettings settings, FeatureSettings features,
      DomainSettings domains, List<String> freePlans) {
    DeltaStore store = context.store();
    Dataset<Row> snapshots = history(store, settings);
    Windows w = Windows.of(EventHistory.dataEnd(store), settings);
    // The labelled and driver rows are read by dozens of queries: each is materialized once on the executors and
    // its lineage cut (localCheckpoint), so no task carries the wide plan that built them (hundreds of feature
    // columns; a persist keeps that plan in every task). A lost executor fails the stage, which a rerun redoes.
    Dataset<Row> labelled = TrainingSet.label(snapshots, store.read(Tables.CONVERSIONS), freePlans,
        settings.horizonDays(), w.labelEnd()).localCheckpoint(true);
    Dataset<Row> checkpointed = null; // the driver rows, once built
    try {
      Dataset<Row> training = labelled.filter(col("as_of_date").leq(Date.valueOf(w.trainTo())));
      Splits splits = new Splits(training, labelled.filter(col("as_of_date")
          .between(Date.valueOf(w.calibrationFrom()), Date.valueOf(w.calibrationTo()))),
          labelled.filter(col("as_of_date").geq(Date.valueOf(w.evaluationFrom()))));
      Counts train = Counts.of(training);
      Counts calibration = Counts.of(splits.calibration());
      Counts eval = Counts.of(splits.evaluation());
      // Before the driver rows, whose eves are built from the daily tables: a history too short to train on says
      // so at once.
      requireEnough(train, calibration, eval, w, settings.horizonDays());
      Dataset<Row> shortRows = withoutAdaptiveExecution(context.spark(),
          () -> driverRows(store, snapshots, settings, features, domains, freePlans, w).localCheckpoint(true));
      checkpointed = shortRows;
      Counts shortCounts = Counts.of(shortRows);
      if (shortCounts.positives() < 10) {
        throw new NotEnoughData(String.format("Too few upgrades within the driver horizon of %d days to explain "
            + "them: %,d rows, %,d upgrades. Build snapshots over a longer history.", settings.driverHorizonDays(),
            shortCounts.rows(), shortCounts.positives()));
      }
      ModelInputs plain = ModelInputs.forFeatures(snapshots.schema(), settings, features).withoutConstants(training);
      // Drivers and thresholds, first: the stepwise selection on the driver rows, over the inputs of one action each.
      ThresholdDiscovery.Discovery discovery = context.log().stage("train.thresholds",
          () -> ThresholdDiscovery.discover(shortRows, plain.actionsOnly().scanned(), settings.minSupport(),
              settings.alpha(), settings.localSolverMaxCells()),
          d -> new StageCounts(shortCounts.rows(), d.terms().size(), 0, 0));
      // Each threshold's rates, lift and recall as the rule's definition reads them: on the model's own label.
      List<ThresholdDiscovery.Threshold> thresholds = ThresholdDiscovery.measuredOn(training, discovery.thresholds(),
          settings.gate().replicates(), settings.seed(), settings.gate().confidence());
      return new Prepared(snapshots, w, splits, train, calibration, eval, shortRows, shortCounts, discovery,
          thresholds, plain.withSteps(thresholds), labelled);
    } catch (RuntimeException | Error e) { // prepared, the caller frees both; not, they are freed here
      if (checkpointed != null) release(checkpointed);
      release(labelled);
      throw e;
    }
  }

  /**
   * Materializes a plan without adaptive execution, which re-plans a plan whole after each of its query stages: the
   * driver rows' plan builds every feature column for the upgrades' eves (455 columns by default) over a few rows,
   * and took 18.6 s with it on a 300-account lake (2-4 s of planning between its jobs); without it, 4.6 s for a
   * 1,000-account world's 519 columns. The rest of training keeps it: without it, a world's whole stage took longer
   * (50 s against 39-43 s).
   */
  private static Dataset<Row> withoutAdaptiveExecution(SparkSession spark,
      java.util.function.Supplier<Dataset<Row>> materialized) {
    org.apache.spark.sql.RuntimeConfig conf = spark.conf();
    String adaptive = conf.get(ADAPTIVE, "true");
    conf.set(ADAPTIVE, "false");
    try {
      return materialized.get();
    } finally {
      conf.set(ADAPTIVE, adaptive);
    }
  }

  private static final String ADAPTIVE = "spark.sql.adaptive.enabled";

  /** Frees a local checkpoint's blocks now rather than when the driver's garbage collector finds its RDD. */
  private static void release(Dataset<Row> checkpointed) {
    if (checkpointed.queryExecution().analyzed() instanceof org.apache.spark.sql.execution.LogicalRDD rdd) {
      rdd.rdd().unpersist(false);
    }
  }

  /**
   * The driver rows: what accounts looked like on the eve of an upgrade, beside what open accounts look like. Every
   * stored snapshot whose driver horizon (an upgrade within pql.model.driver-horizon-days, default 1) ends before
   * the locked window, labelled on that horizon; and, for each upgrade among them, the account on each day of the
   * horizon before it that no stored snapshot holds, built from the daily tables. On a weekly cadence that is every
   * upgrade's eve (the cases) beside one day in seven of each open account (the controls): sampling on the outcome
   * leaves odds ratios and the place of a step as the daily hazard has them (Prentice and Pyke, 1979), so a rule on
   * 14 days is found on 14 days, not on the 7 that best foretell next week; only the base rate is not the hazard's,
   * and nothing reads it from these rows. Nothing of the locked window.
   */
  private static Dataset<Row> driverRows(DeltaStore store, Dataset<Row> snapshots, ModelSettings settings,
      FeatureSettings features, DomainSettings domains, List<String> freePlans, Windows w) {
    int dh = settings.driverHorizonDays();
    Dataset<Row> conversions = store.read(Tables.CONVERSIONS);
    Row range = snapshots.agg(min("as_of_date"), max("as_of_date")).first();
    Date last = Date.valueOf(w.evaluationFrom().minusDays(dh));
    if (!range.isNullAt(1) && range.getDate(1).before(last)) last = range.getDate(1);
    Dataset<Row> stored = TrainingSet.label(snapshots, conversions, freePlans, dh, w.labelEnd())
        .filter(col("as_of_date").leq(last));
    // Snapshots built elsewhere (no daily tables here) give only the stored rows.
    if (range.isNullAt(0) || !store.exists(Tables.ACCOUNT_DAILY)) return stored;
    Column upgradeDay = to_date(col("upgraded_at"));
    Dataset<Row> eves = conversions.groupBy("account_id").agg(min("converted_at").as("upgraded_at"))
        .select(col("account_id"), explode(sequence(date_sub(upgradeDay, dh - 1), upgradeDay)).as("as_of_date"))
        .filter(col("as_of_date").between(range.getDate(0), last))
        .alias("eve").join(snapshots.select("account_id", "as_of_date").alias("held"),
            col("eve.account_id").equalTo(col("held.account_id"))
                .and(col("eve.as_of_date").equalTo(col("held.as_of_date"))), "left_anti")
        // A few rows per upgrade, read by every branch of the snapshot plan below: materialized once, so that plan
        // (hundreds of feature columns) is planned over a handful of rows, not over the feature table's scan again.
        .localCheckpoint(true);
    Dataset<Row> cases = TrainingSet.label(FeatureStore.snapshotsAt(store, features, domains, eves), conversions,
        freePlans, dh, w.labelEnd()).filter(col(TrainingSet.LABEL).equalTo(1.0));
    return stored.unionByName(cases);
  }

  /** The stored snapshots within pql.model.train-from / train-to. */
  private static Dataset<Row> history(DeltaStore store, ModelSettings settings) {
    Dataset<Row> snapshots = FeatureStore.snapshots(store);
    if (settings.trainFrom() != null) {
      snapshots = snapshots.filter(col("as_of_date").geq(Date.valueOf(settings.trainFrom())));
    }
    if (settings.trainTo() != null) snapshots = snapshots.filter(col("as_of_date").leq(Date.valueOf(settings.trainTo())));
    return snapshots;
  }

  private static void requireEnough(Counts train, Counts calibration, Counts eval, Windows w, int h) {
    if (train.positives() < 10 || calibration.positives() < 10 || eval.positives() < 10) {
      throw new NotEnoughData(String.format("Too little labelled history to train, calibrate and evaluate honestly: "
              + "%,d training rows (%,d upgrades) with snapshots up to %s, %,d calibration rows (%,d upgrades) from "
              + "%s to %s, %,d evaluation rows (%,d upgrades) from %s to %s; the labels end %s and the horizon is %d "
              + "days. Build snapshots over a longer history, or shorten pql.model.calibration-days or "
              + "evaluation-days.", train.rows(), train.positives(), w.trainTo(), calibration.rows(),
          calibration.positives(), w.calibrationFrom(), w.calibrationTo(), eval.rows(), eval.positives(),
          w.evaluationFrom(), w.evaluationTo(), w.labelEnd(), h));
    }
  }

  /**
   * The driver fit orders the features the selection did not keep: a second fit with the short driver horizon, on
   * the inputs that name one action (or the team, or who the account is), over the driver rows.
   */
  private static DriverFit drivers(StageContext context, Dataset<Row> driverRows, Counts counts,
      Dataset<Row> training, ModelInputs inputs, ModelSettings settings) {
    ModelInputs actions = inputs.actionsOnly();
    UpgradeModel.Explaining explaining = context.log().stage("train.drivers",
        () -> UpgradeModel.fitByAccountSplit(driverRows, actions, settings),
        f -> new StageCounts(counts.rows(), f.refits().size(), 0, 0));
    UpgradeModel.Fitted driverFit = explaining.fitted();
    PipelineModel driverModel = driverFit.pipeline();
    List<String> names = UpgradeModel.inputNames(driverModel, driverRows);
    List<Drivers.Input> modelInputs = Drivers.inputs(names,
        UpgradeModel.regression(driverModel).coefficients().toArray(), UpgradeModel.scales(driverModel), actions);
    List<Map<String, Double>> importance = Drivers.importances(driverModel, driverRows, modelInputs,
        List.of(f -> f, FeatureNames::behaviour));
    List<Drivers.Driver> drivers = Drivers.describe(training, modelInputs, importance.get(0), importance.get(1),
        settings.horizonDays(), resampling(settings));
    // Each refit's inputs: the refits share the driver fit's inputs and their scales.
    List<List<Drivers.Input>> refits = explaining.refits().stream()
        .map(c -> Drivers.inputs(names, c, UpgradeModel.scales(driverModel), actions)).toList();
    return new DriverFit(driverFit.chosen(), counts, drivers, refits);
  }

  /** Score columns of the locked window's rows: {@value #SCORE} + model, logins_only, activity_only, best_rule. */
  static final String SCORE = "score__";
  static final String MODEL = "model";
  /** The simultaneous confidence of model_drivers' intervals. */
  static final double DRIVER_CONFIDENCE = 0.95;
  static final String BEST_RULE = "best_rule";
  /** The baselines' features: logins alone, and activity alone (events, active days, recency). */
  static final List<String> LOGIN_FEATURES = List.of("logins_7d", "logins_30d");
  static final List<String> ACTIVITY_FEATURES =
      List.of("events_7d", "events_30d", "active_days_7d", "active_days_30d", "days_since_last_activity");

  /**
   * The model fitted (on the training rows, its regularization chosen on the calibration rows), the baselines
   * fitted or chosen on the training rows, all of them measured on the locked window, the gate's verdict, and the
   * model saved.
   */
  private static Modelled modelled(RunLog log, Splits splits, long trainingRows, ModelInputs inputs,
      List<ThresholdDiscovery.Threshold> thresholds, String[] featureColumns, ModelSettings settings,
      FeatureSettings features, String path) {
    // Fitted on the training rows, its regularization and then its probabilities calibrated on the calibration rows.
    UpgradeModel.Fitted fitted = log.stage("train.fit",
        () -> UpgradeModel.fit(splits.training(), splits.calibration(), inputs, settings)
            .recalibratedOn(splits.calibration()),
        f -> new StageCounts(trainingRows, 0, 0, 0));
    Map<String, PipelineModel> models = new LinkedHashMap<>();
    models.put(MODEL, fitted.pipeline());
    baseline(splits.training(), featureColumns, LOGIN_FEATURES, settings).ifPresent(m -> models.put("logins_only", m));
    baseline(splits.training(), featureColumns, ACTIVITY_FEATURES, settings)
        .ifPresent(m -> models.put("activity_only", m));
    BestRule best = bestRule(splits.training(), thresholds, features, settings.horizonDays());
    Dataset<Row> scored = scoredBy(splits.evaluation(), models, best).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      Map<String, Double> metrics = new LinkedHashMap<>();
      for (String name : models.keySet()) {
        Evaluation.metrics(scored, SCORE + name, true).forEach((k, v) -> metrics.put(name + "." + k, v));
      }
      Map<String, String> baselines = new LinkedHashMap<>();
      models.keySet().stream().filter(n -> !n.equals(MODEL)).forEach(n -> baselines.put(n, SCORE + n));
      if (best != null) {
        Evaluation.ruleMetrics(scored, Map.of(BEST_RULE, col(SCORE + BEST_RULE).equalTo(1.0))).get(BEST_RULE)
            .forEach((k, v) -> metrics.put(BEST_RULE + "." + k, v));
        baselines.put(BEST_RULE, SCORE + BEST_RULE);
      }
      ChampionGate.Verdict verdict = log.stage("train.gate",
          () -> ChampionGate.judge(scored, SCORE + MODEL, baselines, settings.gate(), settings.seed()),
          v -> new StageCounts(v.rows(), 0, 0, 0));
      for (ChampionGate.Comparison c : verdict.comparisons()) {
        metrics.put("gate." + c.baseline() + ".auc_gain", c.gain());
        metrics.put("gate." + c.baseline() + ".auc_gain_lo", c.gainLow());
        metrics.put("gate." + c.baseline() + ".auc_gain_hi", c.gainHigh());
      }
      verdict.rankings().forEach((score, ranking) -> {
        String name = score.equals(SCORE + MODEL) ? MODEL : score;
        putInterval(metrics, name + ".auc_roc", ranking.aucRoc());
        putInterval(metrics, name + ".top_decile_lift", ranking.topDecileLift());
      });
      Calibration.Line line = Calibration.line(scored, SCORE + MODEL);
      metrics.put(MODEL + ".calibration_intercept", line.intercept());
      metrics.put(MODEL + ".calibration_slope", line.slope());
      List<Evaluation.CalibrationBin> calibration = Evaluation.calibration(scored, SCORE + MODEL);
      return new Modelled(fitted, save(fitted.pipeline(), path), metrics, calibration,
          best == null ? null : best.predicate(), verdict);
    } finally {
      scored.unpersist();
    }
  }

  /** The drivers' observed figures are resampled as the gate resamples, at the drivers' confidence. */
  private static Drivers.Resampling resampling(ModelSettings settings) {
    return new Drivers.Resampling(settings.gate().replicates(), settings.seed(), DRIVER_CONFIDENCE);
  }

  /** An interval's bounds as {@code name_lo} and {@code name_hi}, when it has one. */
  private static void putInterval(Map<String, Double> metrics, String name, Estimate estimate) {
    if (!estimate.hasInterval()) return;
    metrics.put(name + "_lo", estimate.lo());
    metrics.put(name + "_hi", estimate.hi());
  }

  /** A logistic regression on some of the features alone, fitted on the training rows; empty when none is usable. */
  private static java.util.Optional<PipelineModel> baseline(Dataset<Row> training, String[] featureColumns,
      List<String> wanted, ModelSettings settings) {
    List<String> present = wanted.stream().filter(java.util.Arrays.asList(featureColumns)::contains).toList();
    if (present.isEmpty()) return java.util.Optional.empty();
    ModelInputs inputs = ModelInputs.of(training.select(present.stream().map(c -> col("`" + c + "`"))
        .toArray(org.apache.spark.sql.Column[]::new)).schema(), List.of()).withoutConstants(training);
    if (inputs.numeric().isEmpty() && inputs.categorical().isEmpty()) return java.util.Optional.empty();
    return java.util.Optional.of(UpgradeModel.fitAt(training, inputs, 0, 0, settings));
  }

  /** The rows with each model's probability and the best rule's 0/1 as {@value #SCORE}-prefixed columns. */
  private static Dataset<Row> scoredBy(Dataset<Row> rows, Map<String, PipelineModel> models, BestRule best) {
    List<String> keep = new ArrayList<>(List.of(rows.columns()));
    Dataset<Row> out = rows;
    for (Map.Entry<String, PipelineModel> m : models.entrySet()) {
      keep.add(SCORE + m.getKey());
      // Each pipeline adds its own working columns (x_..., steps); only the score is kept, so they never collide.
      out = UpgradeModel.score(m.getValue(), out).withColumnRenamed(UpgradeModel.PROBABILITY, SCORE + m.getKey())
          .select(keep.stream().map(c -> col("`" + c + "`")).toArray(org.apache.spark.sql.Column[]::new));
    }
    if (best != null) {
      out = out.withColumn(SCORE + BEST_RULE, org.apache.spark.sql.functions.when(best.condition(), 1.0)
          .otherwise(0.0));
    }
    // Only what the figures read: every later query plans, and every task carries, these few columns, not the
    // hundreds of features the scores came from.
    List<Column> figures = new ArrayList<>(List.of(col("account_id"), col("as_of_date"), col(TrainingSet.LABEL)));
    for (String c : out.columns()) if (c.startsWith(SCORE)) figures.add(col("`" + c + "`"));
    return out.select(figures.toArray(Column[]::new));
  }

  private static String save(PipelineModel model, String path) {
    try {
      model.write().overwrite().save(path);
      return path;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot save the model to " + path, e);
    }
  }

  /** The best single rule: its predicate and the condition its definition qualifies by. */
  private record BestRule(String predicate, org.apache.spark.sql.Column condition) {}

  /**
   * The significant discovered rule that ranks the training rows best (AUC-ROC; the first on ties), as its
   * definition qualifies them, or null without one. Chosen on the training rows, so that the locked window judges
   * it as it judges the model. One aggregate counts every rule's confusion counts.
   */
  private static BestRule bestRule(Dataset<Row> training, List<ThresholdDiscovery.Threshold> thresholds,
      FeatureSettings features, int horizonDays) {
    Map<String, org.apache.spark.sql.Column> rules = new LinkedHashMap<>();
    for (ThresholdDiscovery.Threshold t : thresholds) {
      if (!t.significant()) continue;
      rules.putIfAbsent(t.predicate(), DefinitionTranslator.condition(
          RuleNames.definition(t, "best-rule", features, horizonDays)));
    }
    if (rules.isEmpty()) return null;
    String best = null;
    double bestAuc = Double.NEGATIVE_INFINITY;
    for (Map.Entry<String, Map<String, Double>> e : Evaluation.ruleMetrics(training, rules).entrySet()) {
      if (e.getValue().get("auc_roc") > bestAuc) {
        best = e.getKey();
        bestAuc = e.getValue().get("auc_roc");
      }
    }
    return new BestRule(best, rules.get(best));
  }

  /** The driver fit and the discovered rules its drivers confirm (written by a training, not by {@link #explain}). */
  private record Explained(DriverFit driverFit, List<ThresholdDiscovery.Threshold> rules,
      List<ThresholdDiscovery.Threshold> locked, List<Backtest.Reach> reach) {}

  /**
   * Each rule beside the active definitions on the locked window, upgrades counted once (Backtest's replay): its
   * lead time, and the upgrades it catches that no active definition catches, with their share of the window's
   * upgrades.
   */
  static List<Backtest.Reach> reach(Dataset<Row> locked, List<ThresholdDiscovery.Threshold> rules,
      List<Column> active, int cadenceDays) {
    return Backtest.reach(locked, rules.stream().map(t -> expr(t.predicate())).toList(), active, cadenceDays);
  }

  /** The driver fit and the discovered rules its drivers confirm, with their figures on the locked window. */
  private static Explained explained(StageContext context, Prepared p, ModelSettings settings,
      FeatureSettings features, List<Column> activeDefinitions) {
    Dataset<Row> training = p.splits().training();
    ThresholdDiscovery.Discovery discovery = p.discovery();
    DriverFit fitted = drivers(context, p.shortRows(), p.shortCounts(), training, p.inputs(), settings);
    // The behaviours the selection kept lead, as the selection model sees them; the driver fit orders the rest.
    List<Drivers.Driver> selectedDrivers = discovery.terms().isEmpty() ? List.of() : Drivers.describe(training,
        Drivers.inputs(discovery.terms()), discovery.featureImportance(), discovery.behaviourImportance(),
        settings.horizonDays(), resampling(settings));
    // The selected behaviours' standard errors are those of the selection's account-clustered fit; their stability
    // the chance that another sample of accounts passes the same bound: Phi(z - z at the Bonferroni bound).
    Map<String, double[]> selected = new LinkedHashMap<>();
    for (ThresholdDiscovery.Term t : discovery.terms()) {
      double bound = Normal.quantile(1 - settings.alpha() / t.tests());
      selected.putIfAbsent(t.feature(), new double[] {Math.abs(t.coefficient() * t.standardDeviation() / t.z()),
          Normal.cdf(Math.abs(t.z()) - bound)});
    }
    DriverFit driverFit = new DriverFit(fitted.chosen(), fitted.counts(), Drivers.withUncertainty(
        Drivers.merged(selectedDrivers, fitted.drivers()), fitted.refits(), selected, DRIVER_CONFIDENCE),
        fitted.refits());
    List<ThresholdDiscovery.Threshold> rules = Drivers.leading(p.thresholds(), settings.leadingDrivers());
    // Each rule confirmed, or not, where nothing chose it: its figures on the locked window, accounts resampled.
    List<ThresholdDiscovery.Threshold> locked = ThresholdDiscovery.measuredOn(p.splits().evaluation(), rules,
        settings.gate().replicates(), settings.seed() + 1, settings.gate().confidence());
    List<Backtest.Reach> reach = reach(p.splits().evaluation(), rules, activeDefinitions, features.weekly() ? 7 : 1);
    return new Explained(driverFit, rules, locked, reach);
  }

  private static void writeExplanations(DeltaStore store, String version,
      List<Drivers.Driver> drivers, List<ThresholdDiscovery.Threshold> rules,
      List<ThresholdDiscovery.Threshold> locked, List<Backtest.Reach> reach, List<ThresholdDiscovery.CurvePoint> curves,
      ModelSettings settings, FeatureSettings features) {
    List<Row> driverRows = new ArrayList<>();
    for (Drivers.Driver d : drivers) {
      List<Row> effects = d.inputs().stream().map(e -> RowFactory.create(e.input(), e.transform(), e.coefficient(),
          e.oddsRatioPerSd(), e.oddsRatioPerUnit())).toList();
      driverRows.add(RowFactory.create(version, d.feature(), d.kind(), d.rank(), d.importance(),
          d.behaviour(), d.behaviourRank(), d.behaviourImportance(),
          d.leadingInput(), d.transform(), d.coefficient(), d.oddsRatioPerSd(), d.oddsRatioPerUnit(), d.direction(),
          effects, d.support(), d.observedSplit(), nan(d.rateWith()), nan(d.rateWithout()),
          d.observedLift().valueOrNull(), d.sentence(), d.oddsRatio().loOrNull(), d.oddsRatio().hiOrNull(),
          nan(d.stability()), d.observedLift().loOrNull(), d.observedLift().hiOrNull()));
    }
    List<Row> ruleRows = new ArrayList<>();
    for (int i = 0; i < rules.size(); i++) {
      ThresholdDiscovery.Threshold t = rules.get(i);
      ThresholdDiscovery.Threshold l = locked.get(i);
      ThresholdDiscovery.Uncertainty lu = l.uncertainty();
      Backtest.Reach reached = reach.isEmpty() ? null : reach.get(i);
      Definition d = RuleNames.definition(t, version, features, settings.horizonDays());
      ruleRows.add(RowFactory.create(version, d.name(), d.version(), d.type().key(), d.when(),
          d.withinDaysOfSignup(), t.feature(), t.operator(), t.threshold(), t.qualifying(), t.rateQualifying(),
          t.rateRest(), t.baseRate(), t.lift(), t.recall(), t.coverage(), PValue.stored(t.pValue()), t.tests(),
          d.toHocon(), t.uncertainty().rateQualifying().loOrNull(), t.uncertainty().rateQualifying().hiOrNull(),
          t.uncertainty().lift().loOrNull(), t.uncertainty().lift().hiOrNull(), t.uncertainty().recall().loOrNull(),
          t.uncertainty().recall().hiOrNull(), t.combination() ? t.and().feature() : null,
          t.combination() ? t.and().operator() : null, t.combination() ? t.and().threshold() : null,
          l.qualifying(), l.qualifyingPositives(), lu.rateQualifying().valueOrNull(), lu.rateQualifying().loOrNull(),
          lu.rateQualifying().hiOrNull(), lu.recall().valueOrNull(), lu.recall().loOrNull(), lu.recall().hiOrNull(),
          lu.lift().valueOrNull(), lu.lift().loOrNull(), lu.lift().hiOrNull(),
          lu.lift().surelyAbove(1), reached == null ? null : finite(reached.own().leadDaysMedian()),
          reached == null ? null : finite(reached.own().leadDaysMedianLo()),
          reached == null ? null : finite(reached.own().leadDaysMedianHi()),
          reached == null ? null : reached.added(), reached == null ? null : reached.addedRecall().valueOrNull(),
          reached == null ? null : reached.addedRecall().loOrNull(),
          reached == null ? null : reached.addedRecall().hiOrNull()));
    }
    java.util.Set<String> reported = new java.util.HashSet<>();
    rules.forEach(t -> reported.add(t.feature()));
    List<Row> curveRows = curves.stream().filter(c -> reported.contains(c.feature()))
        .map(c -> RowFactory.create(version, c.feature(), c.operator(), c.cut(), c.rowsAtOrAbove(),
            c.upgradesAtOrAbove(), rate(c.upgradesAtOrAbove(), c.rowsAtOrAbove()), c.rowsInBand(), c.upgradesInBand(),
            rate(c.upgradesInBand(), c.rowsInBand()), c.z(), c.inInterval(), c.reported())).toList();
    // Three tables, one commit each, made at once: each replaces this version's rows and drops those of models
    // never registered.
    String replaced = replacedExplanations(store, version);
    Concurrently.both(
        () -> store.replaceMatching(Tables.MODEL_DRIVERS, driverRows, replaced),
        () -> {
          store.replaceMatching(Tables.DISCOVERED_RULES, ruleRows, replaced);
          return store.replaceMatching(Tables.THRESHOLD_CURVES, curveRows, replaced);
        });
  }

  /**
   * The explanations a training replaces: its own version's (a rerun of the run writes them again) and those of
   * models not in model_runs (a run killed after writing them and before registering its model, registration being
   * the train stage's last commit, trains again under another version).
   */
  static String replacedExplanations(DeltaStore store, String version) {
    List<String> registered = store.read(Tables.MODEL_RUNS).select("model_version")
        .as(org.apache.spark.sql.Encoders.STRING()).collectAsList(); // the registry: one row per model
    String own = "model_version = " + DeltaStore.literal(version);
    return registered.isEmpty() ? "true" : own + " OR model_version NOT IN (" + registered.stream()
        .map(DeltaStore::literal).collect(java.util.stream.Collectors.joining(", ")) + ")";
  }

  private static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }

  private static Double rate(long upgrades, long rows) {
    return rows == 0 ? null : (double) upgrades / rows;
  }

  /** The model_runs row: written last, after the model and its explanations, so a failed run is never the latest. */
  private static void writeRun(DeltaStore store, Result r, ModelSettings settings,
      UpgradeModel.Fitted fitted, Instant start, String runId) {
    Map<String, String> parameters = new LinkedHashMap<>();
    parameters.put("reg_param", String.valueOf(fitted.chosen().regParam()));
    parameters.put("elastic_net_param", String.valueOf(fitted.chosen().elasticNetParam()));
    parameters.put("calibration_days", String.valueOf(settings.calibrationDays()));
    if (fitted.platt() != null) {
      parameters.put("platt.intercept", String.valueOf(fitted.platt().intercept()));
      parameters.put("platt.slope", String.valueOf(fitted.platt().slope()));
    }
    parameters.put("label_lag_days", String.valueOf(settings.labelLagDays()));
    parameters.put("gate.enabled", String.valueOf(settings.gate().enabled()));
    parameters.put("gate.min_auc_gain", String.valueOf(settings.gate().minAucGain()));
    parameters.put("gate.bootstrap_replicates", String.valueOf(settings.gate().replicates()));
    parameters.put("gate.confidence", String.valueOf(settings.gate().confidence()));
    parameters.put("driver.validation_share", String.valueOf(settings.validationShare()));
    parameters.put("seed", String.valueOf(settings.seed()));
    parameters.put("max_iterations", String.valueOf(settings.maxIterations()));
    parameters.put("solver", fitted.solver());
    parameters.put("driver.horizon_days", String.valueOf(settings.driverHorizonDays()));
    parameters.put("driver.reg_param", String.valueOf(r.driverChosen().regParam()));
    parameters.put("driver.elastic_net_param", String.valueOf(r.driverChosen().elasticNetParam()));
    parameters.put("driver.rows", String.valueOf(r.driverRows()));
    parameters.put("driver.upgrades", String.valueOf(r.driverPositives()));
    for (UpgradeModel.GridPoint g : fitted.grid()) {
      String point = "grid.reg=" + g.regParam() + ",elastic=" + g.elasticNetParam();
      parameters.put(point + ".calibration_log_loss", String.valueOf(g.validationLogLoss()));
      parameters.put(point + ".calibration_log_loss_se", String.valueOf(g.validationLogLossStandardError()));
      if (Double.isFinite(g.gapStandardError())) {
        parameters.put(point + ".calibration_log_loss_gap_se", String.valueOf(g.gapStandardError()));
      }
      parameters.put(point + ".calibration_auc_roc", String.valueOf(g.validationAucRoc()));
    }
    List<Row> bins = new ArrayList<>();
    for (Evaluation.CalibrationBin b : r.calibration()) {
      bins.add(RowFactory.create(b.bin(), b.rows(), b.meanPredicted(), b.observedRate()));
    }
    Map<String, Double> metrics = new LinkedHashMap<>();
    r.metrics().forEach((k, v) -> {
      if (Double.isFinite(v)) metrics.put(k, v);
    });
    List<Object> values = new ArrayList<>(List.of(r.modelVersion(), Timestamp.from(start), r.featureSetVersion(),
        r.modelPath(), settings.horizonDays(), Date.valueOf(r.trainFrom()), Date.valueOf(r.trainTo()),
        Date.valueOf(r.evaluationFrom()), Date.valueOf(r.evaluationTo()), r.trainingRows(), r.trainingPositives(),
        r.evaluationRows(), r.evaluationPositives(), parameters, metrics, bins));
    values.addAll(java.util.Arrays.asList(r.bestRule(), runId, Date.valueOf(r.calibrationFrom()),
        Date.valueOf(r.calibrationTo()), r.calibrationRows(), r.calibrationPositives(), r.verdict().status(),
        r.verdict().reason()));
    // The figures a BI tool charts, also as plain columns (a map column is awkward to read there).
    for (String[] plain : Tables.MODEL_RUN_PLAIN_METRICS) values.add(metrics.get(plain[1]));
    Row run = RowFactory.create(values.toArray());
    store.upsertRows(Tables.MODEL_RUNS, List.of(run));
  }

  private static Double nan(double v) {
    return Double.isNaN(v) || Double.isInfinite(v) ? null : v;
  }
}
