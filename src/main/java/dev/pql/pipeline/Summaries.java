package dev.pql.pipeline;

import dev.pql.io.DeltaStore;
import dev.pql.io.Tables;
import dev.pql.metrics.MetricsJob;
import dev.pql.model.ModelRegistry;
import dev.pql.scoring.ScoringHistory;
import java.time.LocalDate;
import java.util.List;

/** What the console shows after a run, read through each table's owner as small records: a bounded read. */
public final class Summaries {
  private Summaries() {}

  static final int LEADS = 10;
  static final int REASONS = 4;
  static final int BEHAVIOURS = 5;

  /** The latest complete week, and the latest week whose cohort and conversion windows have closed. */
  public record Metrics(List<MetricsJob.WeekFigures> latest, List<MetricsJob.WeekFigures> closed) {}

  /** The end of a run: the leads of its latest scored date, its model's leading behaviours and the metrics. */
  public record Run(LocalDate latestScored, List<ScoringHistory.Lead> leads, String modelVersion,
      List<ModelRegistry.DriverLine> drivers, Metrics metrics) {}

  /** The date's ten most likely PQLs with their first reasons. */
  public static List<ScoringHistory.Lead> leads(DeltaStore store, LocalDate asOf) {
    return ScoringHistory.topLeads(store, asOf, LEADS, REASONS);
  }

  /** The metrics weeks to show, or null when pql_metrics does not exist yet. */
  public static Metrics metrics(DeltaStore store) {
    if (!store.exists(Tables.PQL_METRICS)) return null;
    List<MetricsJob.WeekFigures> latest = MetricsJob.latestWeek(store, false);
    // No complete week means no closed one either.
    return new Metrics(latest, latest.isEmpty() ? List.of() : MetricsJob.latestWeek(store, true));
  }

  public static Run run(DeltaStore store, Pipeline.Outcome outcome) {
    LocalDate scored = outcome.latestScored();
    String model = outcome.modelVersion();
    return new Run(scored, scored == null ? List.of() : leads(store, scored), model,
        model == null ? List.of() : ModelRegistry.leadingBehaviours(store, model, BEHAVIOURS), metrics(store));
  }
}
