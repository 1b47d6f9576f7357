package dev.pql.worlds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.model.ChampionGate;
import dev.pql.model.TrainJob;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The champion gate where nothing, or logins alone, drive upgrades: the model must be withheld. */
class WorldsGateTest extends WorldsTest {
  @Test
  void theNullWorldWithholdsTheModel() throws java.io.IOException {
    World w = world("null", SMALLER);
    TrainJob.Result r = w.result();
    assertEquals(Map.of(), dev.pql.OutputScan.nanOrInfinity(spark, java.nio.file.Path.of(w.store().warehouse())),
        "NaN or Infinity in the warehouse");
    System.out.println("null world: " + r.verdict().reason());
    assertFalse(r.verdict().published(), r.verdict().reason());
    assertTrue(r.verdict().reason().startsWith("does not surely beat"), r.verdict().reason());
    assertEquals(List.of(), r.rules(), "nothing moves the rate: no threshold is significant");
    // The drivers table still lists every feature, and no driver's simultaneous interval excludes "no effect".
    assertTrue(r.drivers().size() > 20, "every feature is listed: " + r.drivers().size());
    assertTrue(r.drivers().stream().allMatch(d -> d.oddsRatio().hasInterval() && d.stability() >= 0),
        "each with its interval and stability");
    assertEquals(List.of(), r.drivers().stream().filter(dev.pql.model.Drivers.Driver::saysSomething)
        .map(d -> d.feature() + " " + d.oddsRatio()).toList());
    // Nor does any observed lift's (the rates on each driver's split, accounts resampled).
    assertEquals(List.of(), r.drivers().stream().filter(d -> d.observedLift().hasInterval()
            && (d.observedLift().lo() > 1 || d.observedLift().hi() < 1))
        .map(d -> d.sentence() + " " + d.observedLift()).toList());
  }

  @Test
  void theLoginsOnlyWorldWithholdsTheModel() {
    TrainJob.Result r = trained("logins-only");
    System.out.println("logins-only world: " + r.verdict().reason());
    assertFalse(r.verdict().published(), r.verdict().reason());
    ChampionGate.Comparison logins = r.verdict().comparisons().stream()
        .filter(c -> c.baseline().equals("logins_only")).findFirst().orElseThrow();
    assertTrue(logins.baselineAucRoc() > 0.65, "logins rank the upgrades here: " + logins);
    assertFalse(logins.beaten(), logins.toString());
  }
}
