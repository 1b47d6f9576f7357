package dev.pql.cli;

import dev.pql.features.FeaturesJob;
import dev.pql.ingest.IngestJob;
import dev.pql.io.RunLog.StageResult;
import dev.pql.io.TaskBalance;
import java.util.List;

/** The console summaries of a run. */
final class Report {
  private Report() {}

  static String ingest(String runId, String warehouse, IngestJob.Result r, List<StageResult> stages) {
    StringBuilder out = new StringBuilder();
    out.append(String.format("%nRun %s -> %s%n", runId, warehouse));
    out.append(String.format("%-18s %12s %12s %12s %12s%n", "table", "read", "written", "rejected", "duplicate"));
    out.append(String.format("%-18s %,12d %,12d %,12d %,12d%n", "events", r.eventRowsRead(), r.eventsWritten(),
        r.eventsRejected(), r.eventsDuplicate()));
    out.append(String.format("%-18s %,12d %,12d %,12d %12s%n", "accounts", r.accountRowsRead(),
        r.accountStates().inserted(), r.accountRowsRejected(), "-"));
    out.append(String.format("%-18s %12s %,12d %12s %12s%n", "conversions", "-", r.conversions().inserted(), "-", "-"));
    out.append(String.format("Accounts: %,d; converted accounts: %,d%n", r.accounts(), r.convertedAccounts()));
    if (!r.rejectedByReason().isEmpty()) {
      out.append("Rejected events by reason:");
      r.rejectedByReason().forEach((k, v) -> out.append(String.format(" %s=%,d", k, v)));
      out.append('\n');
    }
    out.append(stages(stages));
    return out.toString();
  }

  static String features(String runId, String warehouse, FeaturesJob.Result r, List<StageResult> stages) {
    StringBuilder out = new StringBuilder();
    out.append(String.format("%nRun %s -> %s%n", runId, warehouse));
    out.append(String.format("Daily tables: %d day(s) rebuilt from %,d events%n", r.daily().days().size(),
        r.daily().eventsRead()));
    List<java.time.LocalDate> dates = r.asOfDates();
    out.append(String.format("account_features: %,d rows for %d as-of date(s) %s .. %s, %d key events%n",
        r.featureRows(), dates.size(), dates.get(0), dates.get(dates.size() - 1), r.keyEvents().size()));
    if (!r.unseenEvents().isEmpty()) {
      out.append("Configured events never seen in the events: ").append(String.join(", ", r.unseenEvents()))
          .append('\n');
    }
    out.append(stages(stages));
    return out.toString();
  }

  static String stages(List<StageResult> stages) {
    if (stages.isEmpty()) return "";
    StringBuilder out = new StringBuilder(String.format("%-24s %10s   %s%n", "Stage", "time",
        "busiest Spark stage: tasks, largest task's share of its task time"));
    for (StageResult s : stages) {
      TaskBalance.Balance b = s.balance();
      out.append(String.format("  %-22s %8.1f s   %s%n", s.stage(), s.millis() / 1000.0, b.tasks() == 0 ? "-"
          : String.format("%d tasks, %.1f s, largest %.0f%% (even: %.0f%%)", b.tasks(), b.taskMillis() / 1000.0,
              100 * b.largestTaskShare(), 100.0 / b.tasks())));
    }
    return out.toString();
  }
}
