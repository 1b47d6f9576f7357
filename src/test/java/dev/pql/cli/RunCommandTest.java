package dev.pql.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pql.pipeline.Pipeline;
import java.util.List;
import org.junit.jupiter.api.Test;

/** --strict turns what a run only reports into exit 6: a withheld model, a skipped stage, a warning about the lake. */
class RunCommandTest {
  @Test
  void strictExitsSixOnAWithheldModelASkippedStageOrALakeWarningAndOtherwiseZero() {
    Pipeline.Outcome clean = new Pipeline.Outcome("m1", null, null, null, List.of(), List.of(), null);
    Pipeline.Outcome withheld = new Pipeline.Outcome("m1", null, null, "lost to logins only", List.of(), List.of(),
        null);
    Pipeline.Outcome skipped = new Pipeline.Outcome(null, null, null, null, List.of("train"), List.of(), null);
    Pipeline.Outcome warned = new Pipeline.Outcome("m1", null, null, null, List.of(),
        List.of("definition 'x' is met by no account on any stored snapshot"), null);
    for (Pipeline.Outcome o : List.of(clean, withheld, skipped, warned)) {
      assertEquals(0, RunCommand.exitCode(o, false), "without --strict: " + o);
    }
    assertEquals(0, RunCommand.exitCode(clean, true));
    for (Pipeline.Outcome o : List.of(withheld, skipped, warned)) {
      assertEquals(6, RunCommand.exitCode(o, true), "--strict: " + o);
    }
  }
}
