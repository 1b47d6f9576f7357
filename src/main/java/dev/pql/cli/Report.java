package dev.pql.cli;

import dev.pql.features.FeaturesJob;
import dev.pql.generate.TruthCheck;
import dev.pql.ingest.IngestJob;
import dev.pql.io.RunLog.StageResult;
import dev.pql.io.TaskBalance;
import dev.pql.metrics.Backtest;
import dev.pql.metrics.MetricsJob;
import dev.pql.model.ModelRegistry;
import dev.pql.model.ThresholdDiscovery;
import dev.pql.model.TrainJob;
import dev.pql.pipeline.Summaries;
import dev.pql.scoring.ScoringHistory;
import java.time.LocalDate;
import java.util.List;
import java.util.Locale;

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
    if (r.eventsHeld() > 0 || r.eventsReleased() > 0) {
      out.append(String.format("Events held for their identity (events_unattributed): %,d new; released to their "
          + "linked user: %,d%n", r.eventsHeld(), r.eventsReleased()));
    }
    if (!r.linesExplained().isEmpty()) out.append("Event source lines: ").append(r.linesExplained()).append('\n');
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
    out.append(String.format("account_features: %,d rows for %d as-of date(s) %s .. %s, %s%n",
        r.featureRows(), dates.size(), dates.get(0), dates.get(dates.size() - 1), r.width()));
    if (!r.unseenEvents().isEmpty()) {
      out.append("Configured events never seen in the events: ").append(String.join(", ", r.unseenEvents()))
          .append('\n');
    }
    out.append(stages(stages));
    return out.toString();
  }

  static String train(String runId, String warehouse, TrainJob.Result r, TruthCheck.Comparison truth,
      List<StageResult> stages) {
    StringBuilder out = new StringBuilder();
    out.append(String.format("%nRun %s -> %s%n", runId, warehouse));
    out.append(String.format("Model %s (features %s) saved at %s%n", r.modelVersion(), r.featureSetVersion(),
        r.modelPath()));
    out.append(String.format("Training:   snapshots %s .. %s, %,d rows, %,d upgrades; reg %s, elastic net %s%n",
        r.trainFrom(), r.trainTo(), r.trainingRows(), r.trainingPositives(), r.chosen().regParam(),
        r.chosen().elasticNetParam()));
    out.append(String.format("Calibration: snapshots %s .. %s, %,d rows, %,d upgrades (regularization, cutoff)%n",
        r.calibrationFrom(), r.calibrationTo(), r.calibrationRows(), r.calibrationPositives()));
    out.append(String.format("Locked:     snapshots %s .. %s, %,d rows, %,d upgrades%n", r.evaluationFrom(),
        r.evaluationTo(), r.evaluationRows(), r.evaluationPositives()));
    out.append(String.format("%-13s %8s %8s %8s %8s %10s %10s%n", "", "AUC-ROC", "AUC-PR", "logloss", "Brier",
        "top10 lift", "top10 capt"));
    for (String m : List.of("model", "logins_only", "activity_only", "best_rule")) {
      if (!r.metrics().containsKey(m + ".auc_roc")) continue;
      out.append(String.format("%-13s %8.3f %8.3f %8s %8s %10.2f %10.2f%n", m, r.metrics().get(m + ".auc_roc"),
          r.metrics().get(m + ".auc_pr"), fmt(r.metrics().get(m + ".log_loss")), fmt(r.metrics().get(m + ".brier")),
          r.metrics().get(m + ".top_decile_lift"), r.metrics().get(m + ".top_decile_capture")));
    }
    if (r.bestRule() != null) out.append("best rule (chosen on the training rows): ").append(r.bestRule()).append('\n');
    out.append(gate(r.modelVersion(), r.verdict())).append('\n');
    if (truth != null) {
      out.append(String.format("Against the lake's true hazard on the same %,d rows: model AUC-ROC %.4f, truth %.4f, "
          + "ratio %.3f%n", truth.rows(), truth.modelAucRoc(), truth.truthAucRoc(), truth.ratio()));
    }
    out.append(String.format("Top behaviours, each by its leading feature (first those the stepwise selection kept, "
        + "then the rest by a fit; both on %,d rows: the eve of %,d upgrades (within %d day%s) beside the snapshots "
        + "of open accounts; reg %s):%n", r.driverRows(), r.driverPositives(), r.driverHorizonDays(),
        r.driverHorizonDays() == 1 ? "" : "s", r.driverChosen().regParam()));
    // Only the drivers whose simultaneous interval excludes "no effect"; model_drivers keeps them all.
    java.util.Collection<dev.pql.model.Drivers.Driver> shown = r.drivers().stream()
        .filter(dev.pql.model.Drivers.Driver::saysSomething)
        .collect(java.util.stream.Collectors.toMap(dev.pql.model.Drivers.Driver::behaviourRank,
            d -> d, (a, b) -> a.rank() <= b.rank() ? a : b, java.util.TreeMap::new)).values();
    shown.stream().limit(10).forEach(d -> out.append(String.format(Locale.ROOT,
        "  %2d. %-24s %-40s odds %s per SD, stability %s  %s%n", d.behaviourRank(), d.behaviour(), d.feature(),
        d.oddsRatio().format("%.2fx", 1), format(100 * d.stability(), "%.0f%%"), d.sentence())));
    long silent = r.drivers().stream().map(dev.pql.model.Drivers.Driver::behaviour).distinct().count() - shown.size();
    out.append(shown.isEmpty()
        ? "  none: no behaviour's interval excludes \"no effect\" (model_drivers lists them all)\n"
        : silent > 0 ? String.format("  (%d more behaviours in model_drivers, whose intervals hold \"no effect\")%n",
            silent) : "");
    out.append(String.format("Discovered rules (steps the stepwise selection kept, one per behaviour; %,d candidate "
        + "terms scored):%n", r.thresholdsScanned()));
    for (int i = 0; i < r.rules().size(); i++) {
      ThresholdDiscovery.Threshold t = r.rules().get(i);
      dev.pql.model.ThresholdDiscovery.Uncertainty u = t.uncertainty();
      out.append(String.format("  %-48s %,d of %,d rows upgraded: %s vs %.1f%%, lift %s, recall %s of upgrading "
              + "accounts, coverage %.1f%% of rows, p %s%s%n", t.predicate().replace("`", ""),
          t.qualifyingPositives(), t.qualifying(),
          orValue(u.rateQualifying(), t.rateQualifying()).format("%.1f%%", 100), 100 * t.rateRest(),
          orValue(u.lift(), t.lift()).format("%.2fx", 1), orValue(u.recall(), t.recall()).format("%.0f%%", 100),
          100 * t.coverage(), dev.pql.model.PValue.text(t.pValue()), t.significant() ? "" : " (not significant)"));
      ThresholdDiscovery.Threshold l = r.lockedRules().get(i);
      dev.pql.model.ThresholdDiscovery.Uncertainty lu = l.uncertainty();
      out.append(String.format("  %-48s locked window: %,d of %,d rows upgraded: %s, lift %s, recall %s — %s%n", "",
          l.qualifyingPositives(), l.qualifying(), lu.rateQualifying().format("%.1f%%", 100),
          lu.lift().format("%.2fx", 1), lu.recall().format("%.0f%%", 100),
          lu.lift().surelyAbove(1) ? "confirmed" : "not confirmed (its lift's interval reaches 1)"));
      if (i < r.lockedReach().size()) {
        dev.pql.metrics.Backtest.Reach reach = r.lockedReach().get(i);
        out.append(String.format("  %-48s lead %s days; %,d of %,d upgrades caught that no active definition "
            + "catches: %s of the upgrades%n", "", reach.own().leadDays(), reach.added(),
            reach.own().upgrades(), reach.addedRecall().format("%.0f%%", 100)));
      }
    }
    out.append(stages(stages));
    return out.toString();
  }

  /** The champion gate's decision in one line. */
  static String gate(String version, dev.pql.model.ChampionGate.Verdict v) {
    return v.published() ? "Published: model " + version + " " + v.reason()
        : "Withheld: model " + version + " " + v.reason() + "; scoring applies the rules and activation only";
  }

  static String score(String runId, String warehouse, dev.pql.scoring.ScoreJob.Result r,
      List<ScoringHistory.Lead> leads, List<StageResult> stages) {
    StringBuilder out = new StringBuilder();
    out.append(String.format("%nRun %s -> %s%n", runId, warehouse));
    if (r.dates().size() > 1) {
      out.append(String.format("Scored %d snapshots %s .. %s: %,d new PQLs%n", r.dates().size(), r.dates().get(0),
          r.asOf(), r.newPqls()));
      out.append(String.format("As of %s: %,d open accounts, %,d PQLs%n", r.asOf(), r.accounts(), r.pqls()));
    } else {
      out.append(String.format("Scored %,d open accounts as of %s: %,d PQLs, %,d new%n", r.accounts(), r.asOf(),
          r.pqls(), r.newPqls()));
    }
    out.append("Definitions: ").append(String.join(", ", r.definitions()));
    if (r.learnedVersion() != null) out.append("; learned ").append(r.learnedVersion());
    if (!Double.isNaN(r.cutoff())) out.append(String.format(" (cutoff %.4f)", r.cutoff()));
    out.append('\n');
    if (r.withheld() != null) out.append(r.withheld()).append('\n');
    out.append(leads(r.asOf(), leads));
    out.append(stages(stages));
    return out.toString();
  }

  static String evaluate(dev.pql.metrics.EvaluateJob.Result r) {
    List<dev.pql.metrics.Backtest.Figures> all = r.figures();
    dev.pql.metrics.Backtest.Figures c = all.get(0);
    StringBuilder out = new StringBuilder(String.format(
        "%,d open-account snapshots on %d dates, %,d of them followed by an upgrade within %d days (base rate "
            + "%.1f%%); %,d upgrades%n", c.rows(), c.snapshots(), c.upgradeRows(), r.horizonDays(),
        100.0 * c.upgradeRows() / c.rows(), c.upgrades().upgrades()));
    out.append(table(all));
    if (all.size() > 1) {
      out.append("Overlap: share of the candidate's PQLs that each active definition also qualifies\n");
      c.overlap().forEach((name, share) -> out.append(String.format("  %-28s %s%n", name,
          format(100 * share, "%.1f%%"))));
    }
    dev.pql.metrics.EvaluateJob.Added added = r.added();
    out.append(String.format(Locale.ROOT, "What it adds: %,d of the %,d upgrades caught by the candidate and by no "
        + "active definition (%s of the upgrades); the active definitions catch %,d, with the candidate %,d%n",
        added.added(), added.upgrades(), added.addedRecall().format("%.0f%%", 100), added.caughtByActive(),
        added.caughtWithCandidate()));
    if (!r.weekly().isEmpty()) {
      out.append("The candidate week by week (each week's snapshots replayed on their own):\n");
      String columns = "  %-10s %8s %8s %-26s %-26s%n";
      out.append(String.format(Locale.ROOT, columns, "week of", "rows", "PQL rows", "precision", "recall of upgrades"));
      r.weekly().forEach((week, figures) -> {
        Backtest.Figures w = figures.get(0);
        Backtest.Upgrades u = w.upgrades();
        out.append(String.format(Locale.ROOT, columns, week, String.format("%,d", w.rows()),
            String.format("%,d", w.pqlRows()), w.pqlRows() == 0 ? "-" : w.pqlUpgradeRows() + "/" + w.pqlRows() + " "
                + w.precision().format("%.1f%%", 100), u.upgrades() == 0 ? "-" : u.caught() + "/" + u.upgrades()
                + " " + u.recall().format("%.0f%%", 100)));
      });
    }
    return out.toString();
  }

  /**
   * The evaluation for programs, as JSON: the window, then each definition's figures over the whole window and each
   * week's, by definition_backtest's column names; undefined figures are null.
   */
  static String evaluateJson(dev.pql.metrics.EvaluateJob.Result r) {
    java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
    out.put("from_date", r.figures().get(0).from().toString());
    out.put("to_date", r.figures().get(0).to().toString());
    out.put("horizon_days", r.horizonDays());
    out.put("definitions", r.figures().stream().map(f -> f.named(r.horizonDays())).toList());
    dev.pql.metrics.EvaluateJob.Added added = r.added();
    java.util.Map<String, Object> adds = new java.util.LinkedHashMap<>();
    adds.put("upgrades", added.upgrades());
    adds.put("caught_by_active", added.caughtByActive());
    adds.put("caught_with_candidate", added.caughtWithCandidate());
    adds.put("added_upgrades", added.added());
    adds.put("added_recall", added.addedRecall().valueOrNull());
    adds.put("added_recall_lo", added.addedRecall().loOrNull());
    adds.put("added_recall_hi", added.addedRecall().hiOrNull());
    out.put("added", adds);
    List<Object> weeks = new java.util.ArrayList<>();
    r.weekly().forEach((week, figures) -> {
      java.util.Map<String, Object> w = new java.util.LinkedHashMap<>();
      w.put("week", week.toString());
      w.put("definitions", figures.stream().map(f -> f.named(r.horizonDays())).toList());
      weeks.add(w);
    });
    out.put("weeks", weeks);
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter()
          .writeValueAsString(out) + "\n";
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The evaluation for programs, as CSV with a header: one row per definition over the whole window ({@code week}
   * empty), then one per definition and week; definition_backtest's columns, the overlap as JSON.
   */
  static String evaluateCsv(dev.pql.metrics.EvaluateJob.Result r) {
    java.io.StringWriter text = new java.io.StringWriter();
    com.univocity.parsers.csv.CsvWriter csv = new com.univocity.parsers.csv.CsvWriter(text,
        new com.univocity.parsers.csv.CsvWriterSettings());
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    List<String> header = new java.util.ArrayList<>(List.of("week"));
    header.addAll(r.figures().get(0).named(r.horizonDays()).keySet());
    csv.writeHeaders(header);
    java.util.function.BiConsumer<String, Backtest.Figures> row = (week, f) -> {
      List<Object> values = new java.util.ArrayList<>();
      values.add(week);
      f.named(r.horizonDays()).forEach((name, v) -> {
        try {
          values.add(v instanceof java.util.Map<?, ?> m ? json.writeValueAsString(m) : v);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
          throw new IllegalStateException(e);
        }
      });
      csv.writeRow(values);
    };
    r.figures().forEach(f -> row.accept(null, f));
    r.weekly().forEach((week, figures) -> figures.forEach(f -> row.accept(week.toString(), f)));
    csv.close();
    return text.toString();
  }

  /** The date's most likely PQLs with their first reasons. */
  static String leads(LocalDate asOf, List<ScoringHistory.Lead> leads) {
    StringBuilder out = new StringBuilder();
    if (!leads.isEmpty()) out.append("Top leads as of ").append(asOf).append(":\n");
    for (ScoringHistory.Lead lead : leads) {
      out.append(String.format("  %-14s %-6s %-20s %-10s p=%s  %s%n", lead.accountId(), lead.sizeBand(),
          lead.pqlType(), lead.source(), lead.probability() == null ? "-" : String.format("%.3f", lead.probability()),
          String.join(", ", lead.reasons())));
    }
    return out.toString();
  }

  /** The model's leading behaviours, each by its leading feature. */
  static String drivers(String modelVersion, List<ModelRegistry.DriverLine> drivers) {
    if (modelVersion == null) return "";
    StringBuilder out = new StringBuilder("Top drivers of model " + modelVersion + ":\n");
    for (ModelRegistry.DriverLine d : drivers) {
      out.append(String.format("  %d. %-24s %s%n", d.behaviourRank(), d.behaviour(), d.sentence()));
    }
    return out.toString();
  }

  /**
   * The latest complete week's flow (signups, new PQLs per signup) and the latest week whose cohort and conversion
   * windows have closed (the cohort's cumulative incidence of PQL and its median days to it, conversion of PQLs and
   * non-PQLs with their counts), by definition, each rate with its 95% interval.
   */
  static String metrics(Summaries.Metrics metrics) {
    List<MetricsJob.WeekFigures> week = metrics.latest();
    if (week.isEmpty()) return "pql_metrics: no complete week scored yet\n";
    int width = Math.max(10, week.stream().mapToInt(r -> r.definitionName().length()).max().orElse(0));
    StringBuilder out = new StringBuilder(String.format("PQL metrics, week of %s:%n", week.get(0).periodStart()));
    // New PQLs per signup is a ratio of two flows (a PQL may have signed up weeks before), not a share: it can pass
    // 1, so it is never printed as a percentage. The cohort's incidence below is the bounded one.
    out.append(String.format("  %-" + width + "s %8s %8s %11s%n", "definition", "signups", "new PQLs", "PQLs/signup"));
    for (MetricsJob.WeekFigures r : week) {
      out.append(String.format("  %-" + width + "s %,8d %,8d %11s%n", r.definitionName(), r.signups(), r.newPqls(),
          number(r.pqlRate(), "%.2f")));
    }
    List<MetricsJob.WeekFigures> closed = metrics.closed();
    if (closed.isEmpty()) return out.append("No week's cohort and conversion windows have closed yet\n").toString();
    MetricsJob.WeekFigures first = closed.get(0);
    out.append(String.format("Week of %s, the latest whose %d-day cohort and %d-day conversion windows have closed:%n",
        first.periodStart(), first.cohortDays(), first.conversionDays()));
    String pqlIn = "PQL in " + first.cohortDays() + "d";
    out.append(String.format("  %-" + width + "s %7s %-19s %8s %-25s %-25s %s%n", "definition", "signups", pqlIn,
        "days p50", "PQLs converted", "non-PQLs converted", "lift"));
    for (MetricsJob.WeekFigures r : closed) {
      out.append(String.format("  %-" + width + "s %,7d %-19s %8s %-25s %-25s %s%n", r.definitionName(),
          r.signups(), r.cohortPqlIncidence().format("%.1f%%", 100), number(r.medianDaysToPql(), "%.0f"),
          counted(r.pqlsConverted(), r.pqlsObserved(), r.pqlConversionRate()),
          counted(r.nonPqlsConverted(), r.nonPqlsObserved(), r.nonPqlConversionRate()),
          r.conversionLift().format("%.1fx", 1)));
    }
    return out.toString();
  }

  /** A rate with its counts and interval: "8/30 26.7% (14.2–44.4%)". */
  private static String counted(long successes, long trials, dev.pql.model.Estimate rate) {
    return String.format("%,d/%,d %s", successes, trials, rate.format("%.1f%%", 100));
  }

  /** The end of a run and of the demo: leads, drivers, this week's metrics. */
  static String run(Summaries.Run run) {
    StringBuilder out = new StringBuilder();
    if (run.latestScored() != null) out.append(leads(run.latestScored(), run.leads()));
    out.append(drivers(run.modelVersion(), run.drivers()));
    if (run.metrics() != null) out.append(metrics(run.metrics()));
    return out.toString();
  }

  /** The estimate, or the bare value when none was measured. */
  private static dev.pql.model.Estimate orValue(dev.pql.model.Estimate e, double value) {
    return Double.isFinite(e.value()) ? e : dev.pql.model.Estimate.of(value);
  }

  static String format(double v, String pattern) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, pattern, v) : "-";
  }

  /**
   * The figures as a table whose first columns are as wide as the longest name and version: precision and lift with
   * their 95% intervals, recall as upgrades caught of all with its interval, and the median lead time.
   */
  static String table(List<Backtest.Figures> figures) {
    int name = Math.max(10, figures.stream().mapToInt(f -> f.name().length()).max().orElse(0));
    int version = Math.max(3, figures.stream().mapToInt(f -> f.version().length()).max().orElse(0));
    String columns = "%-" + name + "s %-" + version + "s %-21s %-30s %-13s %-19s %8s %9s%n";
    StringBuilder out = new StringBuilder(String.format(Locale.ROOT, columns, "definition", "ver", "precision",
        "recall of upgrades", "lead days", "lift", "coverage", "PQLs/week"));
    for (Backtest.Figures f : figures) {
      Backtest.Upgrades u = f.upgrades();
      String recall = u.upgrades() == 0 ? "-" : String.format(Locale.ROOT, "%d/%d %s", u.caught(), u.upgrades(),
          u.recall().format("%.0f%%", 100));
      out.append(String.format(Locale.ROOT, columns, f.name(), f.version(), f.precision().format("%.1f%%", 100),
          recall, u.leadDays(), f.lift().format("%.2fx", 1), format(100 * f.coverage(),
              "%.1f%%"), format(f.pqlsPerWeek(), "%.1f")));
    }
    return out.toString();
  }

  private static String number(Double v, String pattern) {
    return v == null ? "-" : format(v, pattern);
  }

  private static String fmt(Double v) {
    return v == null ? "-" : String.format("%.4f", v);
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

  /** `pql events`: the lake's events, one line each, then what the listing leaves out and the rejected rows. */
  static String events(String lake, dev.pql.ingest.LakeEvents.Listing l) {
    StringBuilder out = new StringBuilder(String.format(
        "Events in %s (%,d names, %,d usable rows, duplicates included):%n", lake, l.distinctEvents(),
        l.usableRows()));
    int width = Math.max(5, l.events().stream().mapToInt(e -> e.event().length()).max().orElse(5));
    out.append(String.format("  %-" + width + "s %12s %9s %9s  %-10s  %-10s%n", "event", "rows", "accounts", "users",
        "first day", "last day"));
    for (dev.pql.ingest.LakeEvents.EventCount e : l.events()) {
      out.append(String.format("  %-" + width + "s %,12d %,9d %,9d  %s  %s%n", e.event(), e.rows(), e.accounts(),
          e.users(), e.firstDay(), e.lastDay()));
    }
    if (l.distinctEvents() > l.events().size()) {
      out.append(String.format("  ... and %,d rarer names (--limit)%n", l.distinctEvents() - l.events().size()));
    }
    out.append(String.format("Rows the mapping rejects: %,d (pql ingest keeps them in events_rejected, with the "
        + "reason)%n", l.rejectedRows()));
    if (l.heldRows() > 0) {
      out.append(String.format("Visitors' rows with no user, account or link here: %,d (pql ingest holds them in "
          + "events_unattributed until a link names their user, or stitches them at once with a link in the same "
          + "batch)%n", l.heldRows()));
    }
    return out.toString();
  }
}
