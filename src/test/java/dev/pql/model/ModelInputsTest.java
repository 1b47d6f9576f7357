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
        50, 1000, List.of(), null, null, List.of(), List.of(), List.of(), false);
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

  @Test
  void aPointIsJudgedByTheErrorOfItsOwnGapToTheBestNotByTheBestsLoss() {
    // The constant model (0.1) loses 0.0146 to the best; the best's own loss is known to ±0.0170, but the gap,
    // paired row by row, to ±0.004: the constant model is surely worse and is not chosen.
    List<UpgradeModel.GridPoint> grid = List.of(
        new UpgradeModel.GridPoint(0.01, 0.5, 0.2376, 0.0192, 0.681, 0.0030),
        new UpgradeModel.GridPoint(0.03, 0.5, 0.2247, 0.0170, 0.684, 0),
        new UpgradeModel.GridPoint(0.1, 0.5, 0.2393, 0.0185, 0.5, 0.0040));
    assertEquals(0.03, UpgradeModel.oneStandardError(grid).regParam());
    // Where the gap is that uncertain, the simpler model is as good as the best.
    List<UpgradeModel.GridPoint> noisy = List.of(grid.get(0), grid.get(1),
        new UpgradeModel.GridPoint(0.1, 0.5, 0.2393, 0.0185, 0.5, 0.0150));
    assertEquals(0.1, UpgradeModel.oneStandardError(noisy).regParam());
  }

  @Test
  void theGapsErrorCountsAnAccountsRowsAsOneDraw() {
    // Two accounts of two rows each, gaps (1, 1) and (3, 3): mean 2; as clusters, sums 2 and 6 around 2 x 2.
    // sqrt(2 / 1 x ((2 - 4)^2 + (6 - 4)^2)) / 4 = sqrt(16) / 4 = 1.
    assertEquals(1.0, LocalMatrix.clusteredStandardError(2, 8, 4 + 36, 2 * 2 + 6 * 2, 4 + 4, 4), 1e-12);
    double[] values = {0, 0, 0, 0};
    LocalMatrix m = new LocalMatrix(values, new double[] {1, 0, 1, 0}, new boolean[4], new long[] {7, 7, 9, 9}, 4, 1);
    assertEquals(0.0, m.gapStandardError(new double[] {0}, 0.3, new double[] {0}, 0.3), 1e-12, "a model beside itself");
    // A constant model against another: each account holds one upgrade and one not, so its gap sum is the same for
    // both accounts and the clustered error is zero, although the rows' gaps differ.
    assertEquals(0.0, m.gapStandardError(new double[] {0}, 1.0, new double[] {0}, -1.0), 1e-12);
  }
}
