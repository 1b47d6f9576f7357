package dev.pql.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.pql.config.Settings;
import dev.pql.config.SettingsLoader;
import dev.pql.model.ModelRegistry;
import java.time.LocalDate;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** When the scheduled pipeline retrains: no model yet, or the data grown pql.run.retrain-every-days past it. */
class PipelineTest {
  private static final Settings SETTINGS = SettingsLoader.load(null, null, Map.of("pql.run.retrain-every-days", "28"));

  @Test
  void trainingIsDueWithoutAModelOrOnceTheDataHasGrownTheConfiguredDays() {
    LocalDate modelDataEnd = LocalDate.parse("2026-06-01");
    ModelRegistry.Latest latest = new ModelRegistry.Latest("m1", modelDataEnd, null);
    assertEquals("no model yet", Pipeline.trainingDue(null, SETTINGS, modelDataEnd));
    assertNull(Pipeline.trainingDue(latest, SETTINGS, modelDataEnd), "the data it was trained on");
    assertNull(Pipeline.trainingDue(latest, SETTINGS, modelDataEnd.plusDays(27)));
    assertEquals("retrained: the data has grown 28 days past the latest model's",
        Pipeline.trainingDue(latest, SETTINGS, modelDataEnd.plusDays(28)));
  }
}
