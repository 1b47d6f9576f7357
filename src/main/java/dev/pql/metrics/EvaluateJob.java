package dev.pql.metrics;

import static org.apache.spark.sql.functions.col;

import dev.pql.PqlException.NotEnoughData;
import dev.pql.config.Definition;
import dev.pql.config.Settings;
import dev.pql.io.DeltaStore;
import dev.pql.io.Tables;
import dev.pql.model.TrainJob;
import dev.pql.model.TrainingSet;
import dev.pql.scoring.DefinitionCheck;
import dev.pql.scoring.RuleMatches;
import dev.pql.scoring.ScoreJob;
import java.sql.Date;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The fast loop for a candidate definition: replays it beside the active definitions on the stored snapshots
 * (no ingest, no feature build), each snapshot's open accounts labelled by an upgrade within the model's
 * horizon. Every definition is checked before anything is read.
 */
public final class EvaluateJob {
  private EvaluateJob() {}

  /** The figures of the candidate (first) and of each active definition, over the snapshots used. */
  public record Result(LocalDate from, LocalDate to, int horizonDays, List<Backtest.Figures> figures) {}

  public static Result run(SparkSession spark, Settings settings, DeltaStore store, Definition candidate,
      LocalDate from, LocalDate to) {
    Dataset<Row> snapshots = store.readIfExists(Tables.ACCOUNT_FEATURES);
    if (snapshots == null) throw new NotEnoughData("No account_features table in " + store.warehouse()
        + ": run `pql features` first");
    DefinitionCheck.check(spark, candidate, snapshots.schema());
    List<Backtest.Candidate> candidates = new ArrayList<>();
    candidates.add(new Backtest.Candidate(candidate.name(), candidate.version(), "candidate",
        RuleMatches.condition(candidate)));
    for (RuleMatches.Rule r : ScoreJob.rules(spark, settings.scoring().definitions(), snapshots.schema())) {
      if (r.definition().name().equals(candidate.name())) continue;
      candidates.add(new Backtest.Candidate(r.definition().name(), r.definition().version(), "rule",
          RuleMatches.condition(r.definition())));
    }
    int horizon = settings.model().horizonDays();
    if (from != null) snapshots = snapshots.filter(col("as_of_date").geq(Date.valueOf(from)));
    if (to != null) snapshots = snapshots.filter(col("as_of_date").leq(Date.valueOf(to)));
    Dataset<Row> labelled = TrainingSet.label(snapshots, store.read(Tables.CONVERSIONS), settings.plans().free(),
        horizon, TrainJob.dataEnd(store));
    List<Backtest.Figures> figures = Backtest.requireHistory(Backtest.run(labelled, candidates,
        settings.features().weekly() ? 7 : 1), horizon);
    return new Result(from, to, horizon, figures);
  }
}
