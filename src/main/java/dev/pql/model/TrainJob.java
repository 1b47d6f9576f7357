package dev.pql.model;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.sum;

import dev.pql.PqlException.NotEnoughData;
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
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
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
      LocalDate trainTo, LocalDate evaluationFrom, LocalDate evaluationTo, long trainingRows,
      long trainingPositives, long evaluationRows, long evaluationPositives, Map<String, Double> metrics,
      List<Evaluation.CalibrationBin> calibration, List<Drivers.Driver> drivers,
      List<ThresholdDiscovery.Threshold> rules, int thresholdsScanned, String bestRule,
      UpgradeModel.GridPoint chosen, int driverHorizonDays, long driverRows, long driverPositives,
      UpgradeModel.GridPoint driverChosen) {}

  /** The windows of a training run: training snapshots, then a gap of one horizon, then the evaluation window. */
  record Windows(LocalDate trainTo, LocalDate evaluationFrom, LocalDate evaluationTo, LocalDate dataEnd) {
    static Windows of(LocalDate dataEnd, ModelSettings settings) {
      LocalDate evaluationTo = dataEnd.minusDays(settings.horizonDays());
      LocalDate evaluationFrom = evaluationTo.minusDays(settings.evaluationDays() - 1L);
      return new Windows(evaluationFrom.minusDays(settings.horizonDays()), evaluationFrom, evaluationTo, dataEnd);
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

  /** The driver fit: its chosen grid point, its rows, the drivers and the model inputs they were read from. */
  private record DriverFit(UpgradeModel.GridPoint chosen, Counts counts, List<Drivers.Driver> drivers,
      List<Drivers.Input> inputs) {}

  /** The fitted model, where it was saved, and its holdout figures beside the logins-only baseline's. */
  private record Modelled(UpgradeModel.Fitted fitted, String path, Map<String, Double> metrics,
      List<Evaluation.CalibrationBin> calibration) {}

  public static Result run(StageContext context, ModelSettings settings, FeatureSettings features,
      List<String> freePlans) {
    DeltaStore store = context.store();
    RunLog log = context.log();
    Dataset<Row> snapshots = history(store, settings);
    Windows w = Windows.of(EventHistory.dataEnd(store), settings);
    Dataset<Row> labelled = TrainingSet.label(snapshots, store.read(Tables.CONVERSIONS), freePlans,
        settings.horizonDays(), w.dataEnd()).persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> training = labelled.filter(col("as_of_date").leq(Date.valueOf(w.trainTo())))
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      Dataset<Row> evaluation = labelled.filter(col("as_of_date").geq(Date.valueOf(w.evaluationFrom())));
      Counts train = Counts.of(training);
      Counts eval = Counts.of(evaluation);
      requireEnough(train, eval, w, settings.horizonDays());

      ModelInputs plain = ModelInputs.forFeatures(snapshots.schema(), settings, features).withoutConstants(training);
      // Thresholds first, on the training rows alone; the model then reads each significant one as a step.
      List<ThresholdDiscovery.Threshold> thresholds = log.stage("train.thresholds",
          () -> ThresholdDiscovery.discover(training, plain.scanned(), settings.minSupport(), settings.alpha()),
          t -> new StageCounts(train.rows(), t.size(), 0, 0));
      ModelInputs inputs = plain.withSteps(thresholds.stream().filter(ThresholdDiscovery.Threshold::significant)
          .toList());
      // The model (fit, holdout figures, saved) and its explanations (a second fit, the drivers and the rules
      // they confirm, written) at once, on two threads. model_runs, which makes the model the latest, comes last.
      String version = context.runId();
      Concurrently.Both<Modelled, Explained> both = Concurrently.both(
          () -> modelled(log, training, train.rows(), evaluation, inputs, snapshots.columns(), settings,
              store.location("models/" + version)),
          () -> explained(context, snapshots, training, inputs, thresholds, settings, features, freePlans, w));
      Modelled modelled = both.first();
      DriverFit driverFit = both.second().driverFit();
      List<ThresholdDiscovery.Threshold> rules = both.second().rules();
      Map<String, Double> metrics = new LinkedHashMap<>(modelled.metrics());
      String bestRule = bestRule(evaluation, rules, metrics, features, settings.horizonDays());

      UpgradeModel.Fitted fitted = modelled.fitted();
      Result result = new Result(version, modelled.path(), inputs.featureSetVersion(), train.from(), w.trainTo(),
          w.evaluationFrom(), w.evaluationTo(), train.rows(), train.positives(), eval.rows(), eval.positives(),
          metrics, modelled.calibration(), driverFit.drivers(), rules, thresholds.size(),
          bestRule, fitted.chosen(), settings.driverHorizonDays(), driverFit.counts().rows(),
          driverFit.counts().positives(), driverFit.chosen());
      writeRun(store, result, settings, fitted, context.start(), version);
      return result;
    } finally {
      training.unpersist();
      labelled.unpersist();
    }
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

  private static void requireEnough(Counts train, Counts eval, Windows w, int h) {
    if (train.positives() < 10 || eval.positives() < 10) {
      throw new NotEnoughData(String.format("Too little labelled history to train and evaluate honestly: %,d "
              + "training rows (%,d upgrades) with snapshots up to %s, %,d evaluation rows (%,d upgrades) from %s to "
              + "%s; the data ends %s and the horizon is %d days. Build snapshots over a longer history.",
          train.rows(), train.positives(), w.trainTo(), eval.rows(), eval.positives(), w.evaluationFrom(),
          w.evaluationTo(), w.dataEnd(), h));
    }
  }

  private static UpgradeModel.Fitted fit(Dataset<Row> rows, ModelInputs inputs, ModelSettings settings) {
    return UpgradeModel.fit(rows, inputs, settings);
  }

  /**
   * The drivers come from a second fit with the short driver horizon, on the inputs that name one action (or the
   * team, or who the account is): what an account does just before it upgrades, rather than every early sign of
   * it, and the action itself rather than a total that contains it. Its rows are every snapshot whose driver
   * horizon ends before the evaluation window.
   */
  private static DriverFit drivers(StageContext context, Dataset<Row> snapshots, Dataset<Row> training,
      ModelInputs inputs, ModelSettings settings, List<String> freePlans, Windows w) {
    int dh = settings.driverHorizonDays();
    Dataset<Row> driverRows = TrainingSet.label(snapshots, context.store().read(Tables.CONVERSIONS), freePlans, dh,
            w.dataEnd())
        .filter(col("as_of_date").leq(Date.valueOf(w.evaluationFrom().minusDays(dh))))
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      Counts counts = Counts.of(driverRows);
      if (counts.positives() < 10) {
        throw new NotEnoughData(String.format("Too few upgrades within the driver horizon of %d days to explain "
            + "them: %,d rows, %,d upgrades. Build snapshots over a longer history.", dh, counts.rows(),
            counts.positives()));
      }
      ModelInputs actions = inputs.actionsOnly();
      UpgradeModel.Fitted driverFit = context.log().stage("train.drivers", () -> fit(driverRows, actions, settings),
          f -> new StageCounts(counts.rows(), 0, 0, 0));
      PipelineModel driverModel = driverFit.pipeline();
      List<Drivers.Input> modelInputs = Drivers.inputs(UpgradeModel.inputNames(driverModel, driverRows),
          UpgradeModel.regression(driverModel).coefficients().toArray(), UpgradeModel.scales(driverModel), actions);
      List<Map<String, Double>> importance = Drivers.importances(driverModel, driverRows, modelInputs,
          List.of(f -> f, FeatureNames::behaviour));
      List<Drivers.Driver> drivers = Drivers.describe(training, modelInputs, importance.get(0), importance.get(1),
          settings.horizonDays());
      return new DriverFit(driverFit.chosen(), counts, drivers, modelInputs);
    } finally {
      driverRows.unpersist();
    }
  }

  /** The model fitted, evaluated on the evaluation window beside the logins-only baseline, and saved. */
  private static Modelled modelled(RunLog log, Dataset<Row> training, long trainingRows, Dataset<Row> evaluation,
      ModelInputs inputs, String[] featureColumns, ModelSettings settings, String path) {
    UpgradeModel.Fitted fitted = log.stage("train.fit", () -> fit(training, inputs, settings),
        f -> new StageCounts(trainingRows, 0, 0, 0));
    Map<String, Double> metrics = new LinkedHashMap<>();
    Dataset<Row> scored = UpgradeModel.score(fitted.pipeline(), evaluation).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      Evaluation.metrics(scored, UpgradeModel.PROBABILITY, true).forEach((k, v) -> metrics.put("model." + k, v));
      List<Evaluation.CalibrationBin> calibration = Evaluation.calibration(scored, UpgradeModel.PROBABILITY);
      List<String> loginColumns = java.util.Arrays.stream(featureColumns)
          .filter(c -> c.equals("logins_7d") || c.equals("logins_30d")).toList();
      if (!loginColumns.isEmpty()) {
        ModelInputs logins = ModelInputs.of(training.select(loginColumns.stream()
            .map(org.apache.spark.sql.functions::col).toArray(org.apache.spark.sql.Column[]::new)).schema(), List.of());
        PipelineModel loginsOnly = UpgradeModel.fitAt(training, logins, 0, 0, settings);
        Evaluation.metrics(UpgradeModel.score(loginsOnly, evaluation), UpgradeModel.PROBABILITY, true)
            .forEach((k, v) -> metrics.put("logins_only." + k, v));
      }
      return new Modelled(fitted, save(fitted.pipeline(), path), metrics, calibration);
    } finally {
      scored.unpersist();
    }
  }

  private static String save(PipelineModel model, String path) {
    try {
      model.write().overwrite().save(path);
      return path;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot save the model to " + path, e);
    }
  }

  /**
   * Scores the evaluation rows with each significant discovered rule (0/1), as its definition qualifies them, and
   * keeps the best by AUC-ROC (the first on ties). One aggregate counts every rule's confusion counts.
   */
  private static String bestRule(Dataset<Row> evaluation, List<ThresholdDiscovery.Threshold> thresholds,
      Map<String, Double> metrics, FeatureSettings features, int horizonDays) {
    Map<String, org.apache.spark.sql.Column> rules = new LinkedHashMap<>();
    for (ThresholdDiscovery.Threshold t : thresholds) {
      if (!t.significant()) continue;
      rules.putIfAbsent(t.predicate(), DefinitionTranslator.condition(
          RuleNames.definition(t, "best-rule", features, horizonDays)));
    }
    if (rules.isEmpty()) return null;
    String best = null;
    Map<String, Double> bestMetrics = null;
    for (Map.Entry<String, Map<String, Double>> e : Evaluation.ruleMetrics(evaluation, rules).entrySet()) {
      if (bestMetrics == null || e.getValue().get("auc_roc") > bestMetrics.get("auc_roc")) {
        best = e.getKey();
        bestMetrics = e.getValue();
      }
    }
    bestMetrics.forEach((k, v) -> metrics.put("best_rule." + k, v));
    return best;
  }

  /** The driver fit and the discovered rules its drivers confirm, both written for model version {@code version}. */
  private record Explained(DriverFit driverFit, List<ThresholdDiscovery.Threshold> rules) {}

  private static Explained explained(StageContext context, Dataset<Row> snapshots, Dataset<Row> training,
      ModelInputs inputs, List<ThresholdDiscovery.Threshold> thresholds, ModelSettings settings,
      FeatureSettings features, List<String> freePlans, Windows w) {
    DriverFit driverFit = drivers(context, snapshots, training, inputs, settings, freePlans, w);
    List<ThresholdDiscovery.Threshold> rules = Drivers.confirmed(driverFit.drivers(), driverFit.inputs(),
        thresholds, settings.leadingDrivers());
    writeExplanations(context.store(), context.runId(), driverFit.drivers(), rules, settings, features);
    return new Explained(driverFit, rules);
  }

  private static void writeExplanations(DeltaStore store, String version,
      List<Drivers.Driver> drivers, List<ThresholdDiscovery.Threshold> rules, ModelSettings settings,
      FeatureSettings features) {
    List<Row> driverRows = new ArrayList<>();
    for (Drivers.Driver d : drivers) {
      List<Row> effects = d.inputs().stream().map(e -> RowFactory.create(e.input(), e.transform(), e.coefficient(),
          e.oddsRatioPerSd(), e.oddsRatioPerUnit())).toList();
      driverRows.add(RowFactory.create(version, d.feature(), d.kind(), d.rank(), d.importance(),
          d.behaviour(), d.behaviourRank(), d.behaviourImportance(),
          d.leadingInput(), d.transform(), d.coefficient(), d.oddsRatioPerSd(), d.oddsRatioPerUnit(), d.direction(),
          effects, d.support(), d.observedSplit(), nan(d.rateWith()), nan(d.rateWithout()), nan(d.observedLift()),
          d.sentence()));
    }
    List<Row> ruleRows = new ArrayList<>();
    for (ThresholdDiscovery.Threshold t : rules) {
      Definition d = RuleNames.definition(t, version, features, settings.horizonDays());
      ruleRows.add(RowFactory.create(version, d.name(), d.version(), d.type().key(), d.when(),
          d.withinDaysOfSignup(), t.feature(), t.operator(), t.threshold(), t.qualifying(), t.rateQualifying(),
          t.rateRest(), t.baseRate(), t.lift(), t.recall(), t.coverage(), t.pValue(), t.tests(), d.toHocon()));
    }
    // Two tables, two commits: made at once.
    Concurrently.both(
        () -> store.upsert(Tables.MODEL_DRIVERS, store.frame(Tables.MODEL_DRIVERS, driverRows)),
        () -> store.upsert(Tables.DISCOVERED_RULES, store.frame(Tables.DISCOVERED_RULES, ruleRows)));
  }

  /** The model_runs row: written last, after the model and its explanations, so a failed run is never the latest. */
  private static void writeRun(DeltaStore store, Result r, ModelSettings settings,
      UpgradeModel.Fitted fitted, Instant start, String runId) {
    Map<String, String> parameters = new LinkedHashMap<>();
    parameters.put("reg_param", String.valueOf(fitted.chosen().regParam()));
    parameters.put("elastic_net_param", String.valueOf(fitted.chosen().elasticNetParam()));
    parameters.put("validation_share", String.valueOf(settings.validationShare()));
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
      parameters.put(point + ".validation_log_loss", String.valueOf(g.validationLogLoss()));
      parameters.put(point + ".validation_log_loss_se", String.valueOf(g.validationLogLossStandardError()));
      parameters.put(point + ".validation_auc_roc", String.valueOf(g.validationAucRoc()));
    }
    List<Row> bins = new ArrayList<>();
    for (Evaluation.CalibrationBin b : r.calibration()) {
      bins.add(RowFactory.create(b.bin(), b.rows(), b.meanPredicted(), b.observedRate()));
    }
    Map<String, Double> metrics = new LinkedHashMap<>();
    r.metrics().forEach((k, v) -> {
      if (!Double.isNaN(v)) metrics.put(k, v);
    });
    Row run = RowFactory.create(r.modelVersion(), Timestamp.from(start), r.featureSetVersion(), r.modelPath(),
        settings.horizonDays(), Date.valueOf(r.trainFrom()), Date.valueOf(r.trainTo()),
        Date.valueOf(r.evaluationFrom()), Date.valueOf(r.evaluationTo()), r.trainingRows(), r.trainingPositives(),
        r.evaluationRows(), r.evaluationPositives(), parameters, metrics, bins,
        r.bestRule(), runId);
    store.upsertRows(Tables.MODEL_RUNS, List.of(run));
  }

  private static Double nan(double v) {
    return Double.isNaN(v) || Double.isInfinite(v) ? null : v;
  }
}
