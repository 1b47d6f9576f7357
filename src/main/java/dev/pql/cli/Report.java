package dev.pql.cli;

import dev.pql.ingest.IngestJob;
import dev.pql.io.RunLog.StageResult;
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

  static String stages(List<StageResult> stages) {
    StringBuilder out = new StringBuilder("Time per stage:\n");
    for (StageResult s : stages) out.append(String.format("  %-22s %8.1f s%n", s.stage(), s.millis() / 1000.0));
    return out.toString();
  }
}
