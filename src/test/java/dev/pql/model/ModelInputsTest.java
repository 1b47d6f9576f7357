package dev.pql.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pql.config.Settings;
import java.time.DayOfWeek;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** Which feature columns the model leaves out as exact copies of another, and how the grid point is chosen. */
class ModelInputsTest {
  private static Settings.FeatureSettings settings(List<Settings.PlanLimit> limits) {
    return new Settings.FeatureSettings(List.of(), List.of("Signed In"), List.of("Invite Sent", "Invite Accepted"),
        List.of("Usage Limit Reached"), List.of("Contact Sales Clicked"), limits, List.of(), true, DayOfWeek.MONDAY,
        50, 1000, List.of(), null, null, List.of(), List.of(), List.of());
  }

  private static StructType features(String... columns) {
    StructType schema = new StructType();
    for (String c : columns) schema = schema.add(c, DataTypes.LongType);
    return schema;
  }

  @Test
  void familyColumnsThatRepeatTheirOneKeyEventAreLeftToTheKeyEventColumn() {
    StructType schema = features("cnt_7d__signed_in", "cnt_30d__signed_in", "logins_7d", "logins_30d", "invites_30d",
        "limits_reached_30d", "cnt_30d__usage_limit_reached", "hand_raises_total", "cnt_total__contact_sales_clicked",
        "cnt_total__file_uploaded", "usage_vs_limit__file_uploaded", "cnt_total__message_sent",
        "usage_vs_limit__message_sent");
    List<String> redundant = ModelInputs.redundant(schema, settings(List.of(
        new Settings.PlanLimit("File Uploaded", 50, true), new Settings.PlanLimit("Message Sent", 100, false))));
    // Two invite events: invites_30d is their sum, no copy. A 30-day message limit without cnt_30d__message_sent
    // has no copy either.
    assertEquals(Set.of("logins_7d", "logins_30d", "limits_reached_30d", "hand_raises_total",
        "usage_vs_limit__file_uploaded"), Set.copyOf(redundant));
    assertEquals(5, redundant.size());
  }

  @Test
  void theDriverFitReadsActionsTheTeamAndTheAccountButNoTotalOverActions() {
    StructType schema = features("events_30d", "breadth_total", "activation_share", "hand_raises_30d",
        "cnt_30d__message_sent", "days_to_first__integration_connected", "active_users_7d", "seats", "employees");
    ModelInputs inputs = ModelInputs.of(schema, List.of()).withSteps(List.of(
        threshold("events_30d", 2000), threshold("cnt_30d__message_sent", 2000)));
    ModelInputs actions = inputs.actionsOnly();
    assertEquals(List.of("cnt_30d__message_sent", "days_to_first__integration_connected", "active_users_7d", "seats",
        "employees"), actions.columns());
    assertEquals(List.of("cnt_30d__message_sent"), actions.steps().stream().map(ModelInputs.Step::feature).toList());
    assertEquals(inputs.featureSetVersion(), actions.featureSetVersion());
    assertEquals(List.of("message_sent", "integration_connected", "team", "team", "employees"),
        actions.columns().stream().map(dev.pql.features.FeatureNames::behaviour).toList());
  }

  private static ThresholdDiscovery.Threshold threshold(String feature, double at) {
    return new ThresholdDiscovery.Threshold(feature, ">=", at, 100, 10, 5, 0.5, 0.1, 0.14, 3.5, 0.5, 0.3, 0.1, 1e-9,
        10, true);
  }

  @Test
  void theChosenGridPointIsTheMostRegularizedWithinOneStandardErrorOfTheLowestLoss() {
    List<UpgradeModel.GridPoint> grid = List.of(
        new UpgradeModel.GridPoint(0.001, 0.5, 0.1500, 0.0020, 0.90),
        new UpgradeModel.GridPoint(0.01, 0.5, 0.1490, 0.0020, 0.91),
        new UpgradeModel.GridPoint(0.03, 0.5, 0.1505, 0.0021, 0.89),
        new UpgradeModel.GridPoint(0.1, 0.5, 0.1511, 0.0022, 0.88));
    // Lowest 0.1490 + 0.0020 = 0.1510: 0.03 is within, 0.1 is not.
    assertEquals(0.03, UpgradeModel.oneStandardError(grid).regParam());
    assertEquals(0.01, UpgradeModel.oneStandardError(grid.subList(1, 2)).regParam());
  }
}
