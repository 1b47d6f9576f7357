package dev.pql.model;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.sum;

import dev.pql.PqlException.NotEnoughData;
import dev.pql.config.Definition;
import dev.pql.config.Settings.FeatureSettings;
import dev.pql.config.Settings.ModelSettings;
import dev.pql.io.DeltaStore;
import dev.pql.io.RunLog;
import dev.pql.io.RunLog.StageCounts;
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
      LocalDate trainTo, LocalDate evaluationFrom, LocalDate evaluationTo, long trainingRows,
      long trainingPositives, long evaluationRows, long evaluationPositives, Map<String, Double> metrics,
      List<Evaluation.CalibrationBin> calibration, List<Drivers.Driver> drivers,
      List<ThresholdDiscovery.Threshold> rules, int thresholdsScanned, String bestRule,
      UpgradeModel.GridPoint chosen, int driverHorizonDays, long driverRows, long driverPositives,
      UpgradeModel.GridPoint driverChosen) {}

  public static Result run(SparkSession spark, ModelSettings settings, FeatureSettings features,
      List<String> freePlans, DeltaStore store, RunLog log, Instant start) {
    Dataset<Row> snapshots = store.readIfExists(Tables.ACCOUNT_FEATURES);
    if (snapshots == null) throw new NotEnoughData("No account_features table in " + store.warehouse()
        + ": run `pql features --from D1 --to D2` first");
    if (settings.trainFrom() != null) snapshots = snapshots.filter(col("as_of_date").geq(Date.valueOf(settings.trainFrom())));
    if (settings.trainTo() != null) snapshots = snapshots.filter(col("as_of_date").leq(Date.valueOf(settings.trainTo())));
    LocalDate dataEnd = dataEnd(store);
    int h = settings.horizonDays();
    LocalDate evaluationTo = dataEnd.minusDays(h);
    LocalDate evaluationFrom = evaluationTo.minusDays(settings.evaluationDays() - 1L);
    LocalDate trainTo = evaluationFrom.minusDays(h);

    Dataset<Row> labelled = TrainingSet.label(snapshots, store.read(Tables.CONVERSIONS), freePlans, h, dataEnd)
        .persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> training = labelled.filter(col("as_of_date").leq(Date.valueOf(trainTo)))
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      Dataset<Row> evaluation = labelled.filter(col("as_of_date").geq(Date.valueOf(evaluationFrom)));
      Row trainCounts = training.agg(count(lit(1)), sum(TrainingSet.LABEL), min("as_of_date")).first();
      Row evalCounts = evaluation.agg(count(lit(1)), sum(TrainingSet.LABEL)).first();
      long trainRows = trainCounts.getLong(0);
      long trainPositives = trainRows == 0 ? 0 : (long) trainCounts.getDouble(1);
      long evalRows = evalCounts.getLong(0);
      long evalPositives = evalRows == 0 ? 0 : (long) evalCounts.getDouble(1);
      if (trainPositives < 10 || evalPositives < 10) {
        throw new NotEnoughData(String.format("Too little labelled history to train and evaluate honestly: %,d "
                + "training rows (%,d upgrades) with snapshots up to %s, %,d evaluation rows (%,d upgrades) from %s to "
                + "%s; the data ends %s and the horizon is %d days. Build snapshots over a longer history.",
            trainRows, trainPositives, trainTo, evalRows, evalPositives, evaluationFrom, evaluationTo, dataEnd, h));
      }
      LocalDate trainFrom = trainCounts.getDate(2).toLocalDate();

      ModelInputs plain = ModelInputs.forFeatures(snapshots.schema(), settings, features).withoutConstants(training);
      // Thresholds first, on the training rows alone; the model then reads each significant one as a step.
      List<ThresholdDiscovery.Threshold> thresholds = log.stage("train.thresholds",
          () -> ThresholdDiscovery.discover(training, plain.scanned(), settings.minSupport(), settings.alpha()),
          t -> new StageCounts(trainRows, t.size(), 0, 0));
      ModelInputs inputs = plain.withSteps(thresholds.stream().filter(ThresholdDiscovery.Threshold::significant)
          .toList());
      UpgradeModel.Fitted fitted = log.stage("train.fit", () -> UpgradeModel.fit(training, inputs,
              settings.regParams(), settings.elasticNetParams(), settings.validationShare(),
              settings.maxIterations(), settings.seed()),
          f -> new StageCounts(trainRows, 0, 0, 0));
      PipelineModel model = fitted.pipeline();

      // The drivers come from a second fit with the short driver horizon, on the inputs that name one action (or
      // the team, or who the account is): what an account does just before it upgrades, rather than every early
      // sign of it, and the action itself rather than a total that contains it. Its rows are every snapshot
      // whose driver horizon ends before the evaluation window.
      int dh = settings.driverHorizonDays();
      Dataset<Row> driverRows = TrainingSet.label(snapshots, store.read(Tables.CONVERSIONS), freePlans, dh, dataEnd)
          .filter(col("as_of_date").leq(Date.valueOf(evaluationFrom.minusDays(dh))))
          .persist(StorageLevel.MEMORY_AND_DISK());
      UpgradeModel.Fitted driverFit;
      List<Drivers.Driver> drivers;
      List<Drivers.Input> modelInputs;
      long driverRowCount;
      long driverPositives;
      try {
        Row driverCounts = driverRows.agg(count(lit(1)), sum(TrainingSet.LABEL)).first();
        driverRowCount = driverCounts.getLong(0);
        driverPositives = driverRowCount == 0 ? 0 : (long) driverCounts.getDouble(1);
        if (driverPositives < 10) {
          throw new NotEnoughData(String.format("Too few upgrades within the driver horizon of %d days to explain "
              + "them: %,d rows, %,d upgrades. Build snapshots over a longer history.", dh, driverRowCount,
              driverPositives));
        }
        ModelInputs actions = inputs.actionsOnly();
        driverFit = log.stage("train.drivers", () -> UpgradeModel.fit(driverRows, actions, settings.regParams(),
                settings.elasticNetParams(), settings.validationShare(), settings.maxIterations(), settings.seed()),
            f -> new StageCounts(driverRowCount, 0, 0, 0));
        PipelineModel driverModel = driverFit.pipeline();
        modelInputs = Drivers.inputs(UpgradeModel.inputNames(driverModel, driverRows),
            UpgradeModel.regression(driverModel).coefficients().toArray(), UpgradeModel.scales(driverModel), actions);
        drivers = Drivers.describe(training, modelInputs,
            Drivers.importance(driverModel, driverRows, modelInputs, f -> f),
            Drivers.importance(driverModel, driverRows, modelInputs, dev.pql.features.FeatureNames::behaviour), h);
      } finally {
        driverRows.unpersist();
      }
      List<ThresholdDiscovery.Threshold> rules = Drivers.confirmed(drivers, modelInputs, thresholds,
          settings.leadingDrivers());

      Map<String, Double> metrics = new LinkedHashMap<>();
      List<Evaluation.CalibrationBin> calibration;
      String bestRule;
      Dataset<Row> scored = UpgradeModel.score(model, evaluation).persist(StorageLevel.MEMORY_AND_DISK());
      try {
        Evaluation.metrics(scored, UpgradeModel.PROBABILITY, true).forEach((k, v) -> metrics.put("model." + k, v));
        calibration = Evaluation.calibration(scored, UpgradeModel.PROBABILITY);
        List<String> loginColumns = java.util.Arrays.stream(snapshots.columns())
            .filter(c -> c.equals("logins_7d") || c.equals("logins_30d")).toList();
        if (!loginColumns.isEmpty()) {
          ModelInputs logins = ModelInputs.of(snapshots.select(loginColumns.stream()
              .map(org.apache.spark.sql.functions::col).toArray(org.apache.spark.sql.Column[]::new)).schema(), List.of());
          PipelineModel loginsOnly = UpgradeModel.pipeline(logins, 0, 0, settings.maxIterations())
              .fit(training);
          Evaluation.metrics(UpgradeModel.score(loginsOnly, evaluation), UpgradeModel.PROBABILITY, true)
              .forEach((k, v) -> metrics.put("logins_only." + k, v));
        }
        bestRule = bestRule(scored, rules, metrics);
      } finally {
        scored.unpersist();
      }

      String version = log.runId();
      String path = store.location("models/" + version);
      try {
        model.write().overwrite().save(path);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot save the model to " + path, e);
      }
      Result result = new Result(version, path, inputs.featureSetVersion(), trainFrom, trainTo, evaluationFrom,
          evaluationTo, trainRows, trainPositives, evalRows, evalPositives, metrics, calibration, drivers, rules,
          thresholds.size(), bestRule, fitted.chosen(), dh, driverRowCount, driverPositives, driverFit.chosen());
      write(spark, store, result, settings, features, fitted, start, log.runId());
      return result;
    } finally {
      training.unpersist();
      labelled.unpersist();
    }
  }

  /** The first day without events (the day after the last event date): labels must end on or before it. */
  public static LocalDate dataEnd(DeltaStore store) {
    Date lastEventDate = store.read(Tables.ACCOUNT_DAILY).agg(max("event_date")).first().getDate(0);
    if (lastEventDate == null) throw new NotEnoughData("account_daily is empty: no events to learn from");
    return lastEventDate.toLocalDate().plusDays(1);
  }

  /**
   * The evaluation rows of a trained model (account_id, as_of_date, label) with its probability, reloaded from
   * the saved model: for comparisons made after training, such as against a generated lake's true hazard.
   */
  public static Dataset<Row> evaluationScores(DeltaStore store, List<String> freePlans, Result r, int horizonDays) {
    return UpgradeModel.score(PipelineModel.load(r.modelPath()),
            evaluationRows(store, freePlans, r.evaluationFrom(), r.evaluationTo(), horizonDays))
        .select("account_id", "as_of_date", TrainingSet.LABEL, UpgradeModel.PROBABILITY);
  }

  /** The labelled snapshots of an evaluation window, as training labelled them: whole horizons only. */
  public static Dataset<Row> evaluationRows(DeltaStore store, List<String> freePlans, LocalDate from, LocalDate to,
      int horizonDays) {
    return TrainingSet.label(store.readIfExists(Tables.ACCOUNT_FEATURES)
            .filter(col("as_of_date").between(Date.valueOf(from), Date.valueOf(to))), store.read(Tables.CONVERSIONS),
        freePlans, horizonDays, to.plusDays(horizonDays));
  }

  /** Scores the evaluation rows with each significant discovered rule (0/1) and keeps the best by AUC-ROC. */
  private static String bestRule(Dataset<Row> scored, List<ThresholdDiscovery.Threshold> thresholds,
      Map<String, Double> metrics) {
    String best = null;
    Map<String, Double> bestMetrics = null;
    for (ThresholdDiscovery.Threshold t : thresholds) {
      if (!t.significant()) continue;
      Dataset<Row> ruled = scored.withColumn("rule_score",
          org.apache.spark.sql.functions.expr(t.predicate()).cast("double"))
          .na().fill(0.0, new String[] {"rule_score"});
      Map<String, Double> m = Evaluation.metrics(ruled, "rule_score", false);
      if (bestMetrics == null || m.get("auc_roc") > bestMetrics.get("auc_roc")) {
        best = t.predicate();
        bestMetrics = m;
      }
    }
    if (bestMetrics != null) bestMetrics.forEach((k, v) -> metrics.put("best_rule." + k, v));
    return best;
  }

  private static void write(SparkSession spark, DeltaStore store, Result r, ModelSettings settings,
      FeatureSettings features, UpgradeModel.Fitted fitted, Instant start, String runId) {
    List<Row> driverRows = new ArrayList<>();
    for (Drivers.Driver d : r.drivers()) {
      List<Row> effects = d.inputs().stream().map(e -> RowFactory.create(e.input(), e.transform(), e.coefficient(),
          e.oddsRatioPerSd(), e.oddsRatioPerUnit())).toList();
      driverRows.add(RowFactory.create(r.modelVersion(), d.feature(), d.kind(), d.rank(), d.importance(),
          d.behaviour(), d.behaviourRank(), d.behaviourImportance(),
          d.leadingInput(), d.transform(), d.coefficient(), d.oddsRatioPerSd(), d.oddsRatioPerUnit(), d.direction(),
          effects, d.support(), d.observedSplit(), nan(d.rateWith()), nan(d.rateWithout()), nan(d.observedLift()),
          d.sentence()));
    }
    store.upsert(Tables.MODEL_DRIVERS, spark.createDataFrame(driverRows, Tables.MODEL_DRIVERS.schema()));

    List<Row> ruleRows = new ArrayList<>();
    for (ThresholdDiscovery.Threshold t : r.rules()) {
      Definition d = RuleNames.definition(t, r.modelVersion(), features, settings.horizonDays());
      ruleRows.add(RowFactory.create(r.modelVersion(), d.name(), d.version(), d.type().key(), d.when(),
          d.withinDaysOfSignup(), t.feature(), t.operator(), t.threshold(), t.qualifying(), t.rateQualifying(),
          t.rateRest(), t.baseRate(), t.lift(), t.recall(), t.coverage(), t.pValue(), t.tests(), d.toHocon()));
    }
    store.upsert(Tables.DISCOVERED_RULES, spark.createDataFrame(ruleRows, Tables.DISCOVERED_RULES.schema()));

    Map<String, String> parameters = new LinkedHashMap<>();
    parameters.put("reg_param", String.valueOf(fitted.chosen().regParam()));
    parameters.put("elastic_net_param", String.valueOf(fitted.chosen().elasticNetParam()));
    parameters.put("validation_share", String.valueOf(settings.validationShare()));
    parameters.put("seed", String.valueOf(settings.seed()));
    parameters.put("max_iterations", String.valueOf(settings.maxIterations()));
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
    store.upsert(Tables.MODEL_RUNS, spark.createDataFrame(List.of(run), Tables.MODEL_RUNS.schema()));
  }

  private static Double nan(double v) {
    return Double.isNaN(v) || Double.isInfinite(v) ? null : v;
  }
}
