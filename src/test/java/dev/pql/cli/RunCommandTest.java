package dev.pql.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pql.pipeline.Pipeline;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * --strict turns what a run only reports into exit 6: a withheld model, a skipped stage, a warning about the lake;
 * and the run's last lines say each of them with its reason.
 */
class RunCommandTest {
  static Pipeline.Outcome outcome(String model, String withheld, List<String> skipped, List<String> warnings,
      Map<String, String> skips) {
    return new Pipeline.Outcome(model, null, null, withheld, skipped, warnings, "file:/w/reports/r.html", skips);
  }

  @Test
  void strictExitsSixOnAWithheldModelASkippedStageOrALakeWarningAndOtherwiseZero() {
    Pipeline.Outcome clean = outcome("m1", null, List.of(), List.of(), Map.of());
    Pipeline.Outcome withheld = outcome("m1", "lost to logins only", List.of(), List.of(), Map.of());
    Pipeline.Outcome skipped = outcome(null, null, List.of("train"), List.of(), Map.of("train", "too little"));
    Pipeline.Outcome warned = outcome("m1", null, List.of(),
        List.of("definition 'x' is met by no account on any stored snapshot"), Map.of());
    for (Pipeline.Outcome o : List.of(clean, withheld, skipped, warned)) {
      assertEquals(0, RunCommand.exitCode(o, false), "without --strict: " + o);
    }
    assertEquals(0, RunCommand.exitCode(clean, true));
    for (Pipeline.Outcome o : List.of(withheld, skipped, warned)) {
      assertEquals(6, RunCommand.exitCode(o, true), "--strict: " + o);
    }
  }

  @Test
  void theLastLinesListTheSkippedStagesAWithheldModelAndTheReportWithTheirReasons() {
    Map<String, String> skips = new java.util.LinkedHashMap<>();
    skips.put("train", "Too little labelled history");
    skips.put("backtest", "up to date");
    assertEquals("Skipped train: Too little labelled history\nSkipped backtest: up to date\n"
        + "Withheld: model m1 scores nothing: lost to logins only\nReport: file:/w/reports/r.html\n",
        RunCommand.closing(outcome("m1", "lost to logins only", List.of("train"), List.of(), skips)));
    assertEquals("Report: file:/w/reports/r.html\n", RunCommand.closing(outcome("m1", null, List.of(), List.of(),
        Map.of())));
  }
}
