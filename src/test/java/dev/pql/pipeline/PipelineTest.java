package dev.pql.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.pql.config.Settings;
import dev.pql.config.SettingsLoader;
import dev.pql.model.ModelRegistry;
import java.time.LocalDate;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * When the scheduled pipeline retrains: no model yet, the feature set changed, or the data grown
 * pql.run.retrain-every-days past it.
 */
class PipelineTest {
  private static final Settings SETTINGS = SettingsLoader.load(null, null, Map.of("pql.run.retrain-every-days", "28"));

  @Test
  void trainingIsDueWithoutAModelOrOnceTheDataHasGrownTheConfiguredDays() {
    LocalDate modelDataEnd = LocalDate.parse("2026-06-01");
    ModelRegistry.Latest latest = new ModelRegistry.Latest("m1", modelDataEnd, null, "fs1");
    assertEquals("no model yet", Pipeline.trainingDue(null, SETTINGS, modelDataEnd, "fs1"));
    assertNull(Pipeline.trainingDue(latest, SETTINGS, modelDataEnd, "fs1"), "the data it was trained on");
    assertNull(Pipeline.trainingDue(latest, SETTINGS, modelDataEnd.plusDays(27), "fs1"));
    assertEquals("retrained: the data has grown 28 days past the latest model's",
        Pipeline.trainingDue(latest, SETTINGS, modelDataEnd.plusDays(28), "fs1"));
  }

  @Test
  void aChangedFeatureSetRetrainsAtOnce() {
    LocalDate modelDataEnd = LocalDate.parse("2026-06-01");
    ModelRegistry.Latest latest = new ModelRegistry.Latest("m1", modelDataEnd, null, "fs1");
    assertEquals("retrained: the feature set changed (fs1 -> fs2)",
        Pipeline.trainingDue(latest, SETTINGS, modelDataEnd, "fs2"));
  }

  @Test
  void aWindowAnActiveDefinitionNamesIsBuiltAndAnInactiveOnesIsNot() throws java.io.IOException {
    java.nio.file.Path folder = java.nio.file.Files.createTempDirectory("pql-definitions");
    java.nio.file.Files.writeString(folder.resolve("reports.conf"), """
        name = "reports"
        version = "1"
        type = usage
        when = "cnt_14d__report_exported >= 10 AND cnt_first_7d__invite_sent >= 1 AND cnt_30d__message_sent > 0"
        """);
    java.nio.file.Files.writeString(folder.resolve("old.conf"), """
        name = "old"
        version = "1"
        type = usage
        when = "cnt_60d__report_exported >= 10"
        active = false
        """);
    java.nio.file.Files.writeString(folder.resolve("team.conf"), """
        name = "team"
        version = "1"
        type = usage
        when = "users_21d__message_sent >= 3"
        """);
    Settings settings = SettingsLoader.load(null, null, Map.of("pql.scoring.definitions", folder.toString(),
        "pql.features.windows", "[30]", "pql.features.signup-windows", "[]", "pql.features.user-windows", "[7]"));
    Settings.FeatureSettings features = Stages.featureSettings(settings);
    assertEquals(java.util.List.of(7, 14, 30), features.countWindows());
    assertEquals(java.util.List.of(7), features.signupWindows());
    assertEquals(java.util.List.of(7, 21), features.userWindows());
    assertEquals(java.util.List.of(7, 30), Stages.featureSettings(SettingsLoader.load(null, null,
        Map.of("pql.scoring.definitions", folder.resolve("none").toString(), "pql.features.windows", "[30]")))
        .countWindows(),
        "no folder: the configured windows");
  }
}
