package dev.pql.metrics;

import static org.apache.spark.sql.functions.col;

import dev.pql.config.Settings;
import dev.pql.definitions.Definition;
import dev.pql.definitions.DefinitionCheck;
import dev.pql.definitions.Definitions;
import dev.pql.definitions.RuleMatches;
import dev.pql.features.FeatureStore;
import dev.pql.ingest.EventHistory;
import dev.pql.io.DeltaStore;
import dev.pql.io.StageContext;
import dev.pql.io.Tables;
import dev.pql.model.TrainingSet;
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

  /**
   * The figures of the candidate (first) and of each active definition, over the snapshots used, and the same for
   * the snapshots of each week on their own (weeks from Monday, in order).
   */
  public record Result(LocalDate from, LocalDate to, int horizonDays, List<Backtest.Figures> figures,
      java.util.SortedMap<LocalDate, List<Backtest.Figures>> weekly, Added added) {}

  /**
   * What the candidate adds to the active definitions over the whole window, upgrades counted once: of the
   * {@code upgrades} replayed, those any active definition catches, those the candidate or any of them catches, and
   * the difference ({@code added}, the upgrades only the candidate catches) with its share of the upgrades (Wilson
   * interval).
   */
  public record Added(long upgrades, long caughtByActive, long caughtWithCandidate, long added,
      dev.pql.model.Estimate addedRecall) {}

  /** The replay group of the whole window, beside each week's (the week's Monday as ISO text). */
  private static final String WINDOW = "window";

  public static Result run(StageContext context, Settings settings, Definition candidate, LocalDate from,
      LocalDate to) {
    SparkSession spark = context.spark();
    DeltaStore store = context.store();
    Dataset<Row> snapshots = FeatureStore.snapshots(store);
    DefinitionCheck.check(spark, candidate, snapshots.schema());
    List<Backtest.Candidate> candidates = new ArrayList<>();
    candidates.add(Backtest.Candidate.of(candidate, "candidate"));
    for (RuleMatches.Rule r : Definitions.active(spark, settings.scoring().definitions(), snapshots.schema())) {
      if (r.definition().name().equals(candidate.name())) continue;
      candidates.add(Backtest.Candidate.of(r.definition(), "rule"));
    }
    int cadence = settings.features().weekly() ? 7 : 1;
    int horizon = settings.model().horizonDays();
    if (from != null) snapshots = snapshots.filter(col("as_of_date").geq(Date.valueOf(from)));
    if (to != null) snapshots = snapshots.filter(col("as_of_date").leq(Date.valueOf(to)));
    Dataset<Row> labelled = TrainingSet.label(snapshots, store.read(Tables.CONVERSIONS), settings.plans().free(),
        horizon, TrainingSet.labelEnd(EventHistory.dataEnd(store), settings.model()));
    // The whole window and each week on its own in one replay (the same few jobs): every row once in the window's
    // group and once in its week's. Resamples are drawn per account, so the window's figures are run()'s.
    Dataset<Row> grouped = labelled.withColumn(Backtest.GROUP, org.apache.spark.sql.functions.lit(WINDOW))
        .unionByName(labelled.withColumn(Backtest.GROUP, org.apache.spark.sql.functions.date_trunc("week",
            col("as_of_date")).cast("date").cast("string")));
    java.util.Map<Object, List<Backtest.Figures>> replayed = Backtest.byGroup(grouped, candidates, cadence);
    List<Backtest.Figures> figures = Backtest.requireHistory(replayed.getOrDefault(WINDOW, List.of()), horizon);
    java.util.SortedMap<LocalDate, List<Backtest.Figures>> weekly = new java.util.TreeMap<>();
    replayed.forEach((group, f) -> {
      if (!WINDOW.equals(group)) weekly.put(LocalDate.parse((String) group), f);
    });
    return new Result(from, to, horizon, figures, weekly, added(labelled, candidates, cadence));
  }

  /** What the candidate (the first of the replayed) adds to the active definitions (the rest), on the window. */
  private static Added added(Dataset<Row> labelled, List<Backtest.Candidate> candidates, int cadence) {
    Backtest.Reach reach = Backtest.reach(labelled, List.of(candidates.get(0).qualifies()),
        candidates.stream().skip(1).map(Backtest.Candidate::qualifies).toList(), cadence).get(0);
    return new Added(reach.byActive().upgrades(), reach.byActive().caught(), reach.caughtWithActive(),
        reach.added(), reach.addedRecall());
  }
}
