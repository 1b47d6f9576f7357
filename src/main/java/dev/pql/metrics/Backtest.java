package dev.pql.metrics;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.datediff;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.to_date;
import static org.apache.spark.sql.functions.when;

import dev.pql.model.Estimate;
import dev.pql.model.TrainingSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * Replays PQL definitions on labelled history — open accounts at each snapshot, labelled by an upgrade within
 * the horizon — and measures each side by side: precision (the share of qualified snapshots followed by an upgrade),
 * recall of upgrades (the share of upgrades whose account the definition flagged at a snapshot in the horizon before
 * it, with the lead time from that first flag), lift over the base rate, coverage, new PQLs per week and its overlap
 * with every other definition. Snapshots of one account are not independent, so the intervals come from resampling
 * accounts (precision, lift) or count each upgrade once (recall, Wilson). Rows are summed per account, then over
 * accounts and over account resamples; only the sums reach the driver.
 */
public final class Backtest {
  private Backtest() {}

  /** Resamples of accounts behind each interval, their seed, and the intervals' confidence. */
  public static final int REPLICATES = 200;
  static final long SEED = 20_260_301L;
  public static final double CONFIDENCE = 0.95;

  /** A definition to replay: what qualifies an account at a snapshot, as a boolean column over its features. */
  public record Candidate(String name, String version, String kind, Column qualifies) {
    /** A definition replayed as a candidate of the given kind (candidate, rule, discovered). */
    public static Candidate of(dev.pql.definitions.Definition d, String kind) {
      return new Candidate(d.name(), d.version(), kind, dev.pql.definitions.DefinitionTranslator.condition(d));
    }
  }

  /**
   * What a candidate did on the history. Row counts: {@code rows} open-account snapshots, {@code upgradeRows} of
   * them followed by an upgrade within the horizon, {@code pqlRows} qualified, {@code pqlUpgradeRows} both.
   */
  public record Figures(String name, String version, String kind, java.time.LocalDate from, java.time.LocalDate to,
      long snapshots, long rows, long upgradeRows, long pqlRows, long pqlUpgradeRows, Estimate precision,
      Estimate lift, double coverage, long accounts, double pqlsPerWeek, Map<String, Double> overlap,
      Upgrades upgrades) {
    /** The share of upgrades caught, with its interval. */
    public Estimate recall() {
      return upgrades.recall();
    }

    /**
     * The figures as definition_backtest's columns, run_id (the writer's) left out: the one projection the backtest
     * table and the warehouse API's evaluate share. Undefined figures are nulls.
     *
     * @param modelVersion the learned definition's model, or null for a rule
     */
    public Object[] columns(int horizonDays, String modelVersion) {
      Upgrades u = upgrades;
      return new Object[] {name, version, kind, java.sql.Date.valueOf(from), java.sql.Date.valueOf(to), snapshots,
          horizonDays, rows, upgradeRows, pqlRows, pqlUpgradeRows, precision.valueOrNull(), precision.loOrNull(),
          precision.hiOrNull(), u.upgrades(), u.caught(), u.recall().valueOrNull(), u.recall().loOrNull(),
          u.recall().hiOrNull(), finite(u.rowRecall()), finite(u.leadDaysMedian()), finite(u.leadDaysMedianLo()),
          finite(u.leadDaysMedianHi()), finite(u.leadDaysP90()),
          lift.valueOrNull(), lift.loOrNull(), lift.hiOrNull(), finite(coverage), accounts, finite(pqlsPerWeek),
          overlap.entrySet().stream().map(e -> org.apache.spark.sql.RowFactory.create(e.getKey(),
              finite(e.getValue()))).toList(), modelVersion};
    }

    /**
     * The same figures by definition_backtest's column names (run_id aside), in its order: dates as ISO text, the
     * overlap as a map from definition to share; undefined figures are nulls. For printing as JSON or CSV.
     */
    public java.util.LinkedHashMap<String, Object> named(int horizonDays) {
      List<String> names = dev.pql.io.Tables.DEFINITION_BACKTEST.columnNames().stream()
          .filter(c -> !c.equals("run_id")).toList();
      Object[] values = columns(horizonDays, null);
      java.util.LinkedHashMap<String, Object> named = new java.util.LinkedHashMap<>();
      for (int i = 0; i < names.size() && i < values.length; i++) {
        Object v = values[i];
        if (v instanceof java.sql.Date d) v = d.toLocalDate().toString();
        if (names.get(i).equals("overlap")) {
          java.util.LinkedHashMap<String, Double> shares = new java.util.LinkedHashMap<>();
          overlap.forEach((k, share) -> shares.put(k, finite(share)));
          v = shares;
        }
        named.put(names.get(i), v);
      }
      return named;
    }

    private static Double finite(double v) {
      return Double.isFinite(v) ? v : null;
    }
  }

  /**
   * The upgrades replayed (accounts that upgraded within the horizon of a replayed snapshot), how many the
   * definition flagged beforehand, their share (Wilson interval: one trial per upgrade), the row-level share
   * pqlUpgradeRows / upgradeRows, and the median and 90th percentile of days from the first flag to the upgrade.
   */
  public record Upgrades(long upgrades, long caught, Estimate recall, double rowRecall, double leadDaysMedian,
      double leadDaysMedianLo, double leadDaysMedianHi, double leadDaysP90) {
    /** The median lead in days with its interval, e.g. "8 (5–12)"; "-" when nothing was caught. */
    public String leadDays() {
      if (!Double.isFinite(leadDaysMedian)) return "-";
      return String.format(java.util.Locale.ROOT, "%.0f (%.0f–%.0f)", leadDaysMedian, leadDaysMedianLo,
          leadDaysMedianHi);
    }
  }

  /** The lead days' quantiles read per candidate: 0, 1%, ..., 100%, from which the median's interval is taken. */
  private static final int LEAD_GRID = 100;
  private static final String LEAD_FRACTIONS = java.util.stream.IntStream.rangeClosed(0, LEAD_GRID)
      .mapToObj(j -> String.format(java.util.Locale.ROOT, "%.2f", (double) j / LEAD_GRID))
      .collect(java.util.stream.Collectors.joining(", ", "array(", ")"));

  /**
   * The median's distribution-free interval from the quantile grid: the order statistics of ranks k/2 -+ 0.98
   * sqrt(k) among k caught upgrades (the normal bound of Binomial(k, 1/2) at 95%), rounded outward to the grid.
   */
  static double[] medianInterval(List<Double> quantiles, long k) {
    double half = 0.98 * Math.sqrt(k);
    double lo = Math.max(0, (k / 2.0 - half - 1) / Math.max(1, k - 1));
    double hi = Math.min(1, (k / 2.0 + half) / Math.max(1, k - 1));
    return new double[] {quantiles.get((int) Math.floor(lo * LEAD_GRID)),
        quantiles.get((int) Math.ceil(hi * LEAD_GRID))};
  }

  /**
   * @param labelled rows of {@link TrainingSet#label}: one per open account and snapshot, with the label and
   *     {@link TrainingSet#UPGRADED_AT}
   * @param cadenceDays days between snapshots (7 weekly, 1 daily): the last snapshot stands for that many days
   * @return each candidate's figures, in order; none when there is no row
   */
  public static List<Figures> run(Dataset<Row> labelled, List<Candidate> candidates, int cadenceDays) {
    if (candidates.isEmpty()) return List.of();
    return byGroup(labelled.withColumn(GROUP, lit(0)), candidates, cadenceDays).getOrDefault(0, List.of());
  }

  /**
   * What a condition adds to the active definitions, upgrades counted once: its own upgrades caught (and lead
   * time), those any active definition catches ({@code byActive}), those it or any of them catches, and the
   * difference ({@code added}) with its share of the upgrades (Wilson interval).
   */
  public record Reach(Upgrades own, Upgrades byActive, long caughtWithActive, long added, Estimate addedRecall) {}

  /**
   * Each condition's reach beside the active definitions: "any active definition", each condition and each
   * "condition or any active definition" replayed at once; what a condition adds is what its union catches beyond
   * the definitions alone. None without a replayable snapshot.
   */
  public static List<Reach> reach(Dataset<Row> labelled, List<Column> conditions, List<Column> active,
      int cadenceDays) {
    if (conditions.isEmpty()) return List.of();
    Column any = active.stream().map(c -> coalesce(c, lit(false))).reduce(Column::or).orElse(lit(false));
    List<Candidate> candidates = new ArrayList<>(List.of(new Candidate("active", "", "union", any)));
    for (int i = 0; i < conditions.size(); i++) {
      Column condition = coalesce(conditions.get(i), lit(false));
      candidates.add(new Candidate("condition" + i, "", "union", condition));
      candidates.add(new Candidate("condition" + i + "+active", "", "union", condition.or(any)));
    }
    List<Figures> figures = run(labelled, candidates, cadenceDays);
    if (figures.isEmpty()) return List.of();
    Upgrades byActive = figures.get(0).upgrades();
    List<Reach> out = new ArrayList<>();
    for (int i = 0; i < conditions.size(); i++) {
      long withActive = figures.get(2 + 2 * i).upgrades().caught();
      long added = withActive - byActive.caught();
      out.add(new Reach(figures.get(1 + 2 * i).upgrades(), byActive, withActive, added,
          Estimate.wilson(added, byActive.upgrades(), CONFIDENCE)));
    }
    return out;
  }

  /** The column that splits the rows of {@link #byGroup} into separate replays. */
  public static final String GROUP = "replay_group";

  /**
   * The replay of each group of rows (column {@link #GROUP}) on its own, in the same few Spark jobs: for a test that
   * replays hundreds of small worlds at once.
   */
  public static Map<Object, List<Figures>> byGroup(Dataset<Row> labelled, List<Candidate> candidates,
      int cadenceDays) {
    int n = candidates.size();
    List<Column> flags = new ArrayList<>(List.of(col(GROUP), col("account_id"), col("as_of_date"),
        col(TrainingSet.LABEL).cast("long").as("y"), col(TrainingSet.UPGRADED_AT)));
    for (int i = 0; i < n; i++) flags.add(coalesce(candidates.get(i).qualifies(), lit(false)).as("q" + i));
    Dataset<Row> flagged = labelled.select(flags.toArray(Column[]::new));
    Map<Object, Row> histories = new LinkedHashMap<>();
    for (Row h : flagged.groupBy(GROUP).agg(countDistinct(col("as_of_date")), min("as_of_date"), max("as_of_date"))
        .collectAsList()) {
      histories.put(h.get(0), h);
    }
    Dataset<Row> accounts = perAccount(flagged, n).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      List<Column> sums = totals(n);
      Map<Object, List<Figures>> out = new LinkedHashMap<>();
      Map<Object, double[][]> resampled = resampled(accounts, n);
      for (Row totals : accounts.groupBy(GROUP).agg(sums.get(0), sums.subList(1, sums.size())
          .toArray(Column[]::new)).collectAsList()) {
        Object group = totals.get(0);
        Row history = histories.get(group);
        double weeks = (daysBetween(history.getDate(2), history.getDate(3)) + cadenceDays) / 7.0;
        List<Figures> figures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          figures.add(figures(candidates, i, totals, resampled.get(group), history, weeks));
        }
        out.put(group, figures);
      }
      return out;
    } finally {
      accounts.unpersist();
    }
  }

  /**
   * One row per account: its rows and upgrade rows, whether and when it upgraded, and per candidate i its qualified
   * rows (p_i), qualified upgrade rows (pu_i), whether it ever qualified (a_i), whether its upgrade was flagged
   * beforehand (c_i) and the days from the first such flag to the upgrade (lead_i); per pair, rows both qualify.
   */
  private static Dataset<Row> perAccount(Dataset<Row> flagged, int n) {
    Column y = col("y");
    List<Column> aggs = new ArrayList<>(List.of(sum(y).as("upgrade_rows"), max(y).as("upgraded"),
        max(col(TrainingSet.UPGRADED_AT)).as("upgraded_at")));
    for (int i = 0; i < n; i++) {
      Column q = col("q" + i);
      aggs.add(sum(when(q, 1L).otherwise(0L)).as("p" + i));
      aggs.add(sum(when(q, y).otherwise(0L)).as("pu" + i));
      aggs.add(max(when(q, 1L).otherwise(0L)).as("a" + i));
      aggs.add(max(when(q.and(y.equalTo(1L)), 1L).otherwise(0L)).as("c" + i));
      aggs.add(min(when(q.and(y.equalTo(1L)), col("as_of_date"))).as("f" + i));
      for (int j = 0; j < n; j++) {
        if (i != j) aggs.add(sum(when(q.and(col("q" + j)), 1L).otherwise(0L)).as("b" + i + "_" + j));
      }
    }
    Dataset<Row> perAccount = flagged.groupBy(GROUP, "account_id")
        .agg(count(lit(1)).as("rows"), aggs.toArray(Column[]::new));
    for (int i = 0; i < n; i++) {
      perAccount = perAccount.withColumn("lead" + i, when(col("c" + i).equalTo(1L),
          datediff(to_date(col("upgraded_at")), col("f" + i))));
    }
    return perAccount;
  }

  /** Sums over accounts (rows, upgrade rows, upgrades; per candidate p, pu, a, c, lead median and p90; overlaps). */
  private static List<Column> totals(int n) {
    List<Column> t = new ArrayList<>(List.of(sum("rows"), sum("upgrade_rows"), sum("upgraded")));
    for (int i = 0; i < n; i++) {
      t.addAll(List.of(sum("p" + i), sum("pu" + i), sum("a" + i), sum("c" + i),
          expr("percentile(lead" + i + ", " + LEAD_FRACTIONS + ")")));
      for (int j = 0; j < n; j++) {
        if (i != j) t.add(sum("b" + i + "_" + j));
      }
    }
    return t;
  }

  private static final int PER_CANDIDATE_TOTALS = 5;

  /**
   * Per group, per resample of accounts (rows of the array) the base rate, then per candidate its precision and lift
   * (columns 1 + 2i and 2 + 2i): a Poisson weight per account and resample, summed in Spark.
   */
  private static Map<Object, double[][]> resampled(Dataset<Row> accounts, int n) {
    Dataset<Row> weighted = dev.pql.model.AccountBootstrap.replicated(accounts, REPLICATES, SEED)
        .filter(col(dev.pql.model.AccountBootstrap.REPLICATE).gt(0));
    Column w = col(dev.pql.model.AccountBootstrap.WEIGHT);
    List<Column> sums = new ArrayList<>(List.of(sum(col("rows").multiply(w)), sum(col("upgrade_rows").multiply(w))));
    for (int i = 0; i < n; i++) {
      sums.add(sum(col("p" + i).multiply(w)));
      sums.add(sum(col("pu" + i).multiply(w)));
    }
    Map<Object, List<double[]>> byGroup = new LinkedHashMap<>();
    for (Row row : weighted.groupBy(col(GROUP), col(dev.pql.model.AccountBootstrap.REPLICATE))
        .agg(sums.get(0), sums.subList(1, sums.size()).toArray(Column[]::new)).collectAsList()) {
      double[] r = new double[1 + 2 * n];
      double base = ratio(row.getDouble(3), row.getDouble(2));
      r[0] = base;
      for (int i = 0; i < n; i++) {
        double precision = ratio(row.getDouble(5 + 2 * i), row.getDouble(4 + 2 * i));
        r[1 + 2 * i] = precision;
        r[2 + 2 * i] = ratio(precision, base);
      }
      byGroup.computeIfAbsent(row.get(0), g -> new ArrayList<>()).add(r);
    }
    Map<Object, double[][]> out = new LinkedHashMap<>();
    byGroup.forEach((g, rows) -> out.put(g, rows.toArray(double[][]::new)));
    return out;
  }

  private static Figures figures(List<Candidate> candidates, int i, Row totals, double[][] resampled, Row history,
      double weeks) {
    int n = candidates.size();
    long rows = longAt(totals, 1);
    long upgradeRows = longAt(totals, 2);
    long upgrades = longAt(totals, 3);
    int at = 4 + i * (PER_CANDIDATE_TOTALS + n - 1);
    long pqlRows = longAt(totals, at);
    long pqlUpgradeRows = longAt(totals, at + 1);
    long accounts = longAt(totals, at + 2);
    long caught = longAt(totals, at + 3);
    List<Double> lead = totals.isNullAt(at + 4) ? List.of() : totals.getList(at + 4);
    Map<String, Double> overlap = new LinkedHashMap<>();
    int pair = at + PER_CANDIDATE_TOTALS;
    for (int j = 0; j < n; j++) {
      if (i == j) continue;
      overlap.put(candidates.get(j).name(), ratio(longAt(totals, pair++), pqlRows));
    }
    double base = ratio(upgradeRows, rows);
    double precision = ratio(pqlUpgradeRows, pqlRows);
    double[][] draws = resampled == null ? new double[0][1 + 2 * n] : resampled;
    Estimate precisionCi = Estimate.bootstrap(precision, column(draws, 1 + 2 * i), CONFIDENCE);
    Estimate liftCi = Estimate.bootstrap(ratio(precision, base), column(draws, 2 + 2 * i), CONFIDENCE);
    if (pqlRows > 0 && (pqlUpgradeRows == 0 || pqlUpgradeRows == pqlRows)) {
      // None (or all) of the PQL rows upgraded: every resample says so too, an interval of width zero. The Wilson
      // interval over the accounts that qualified (each one trial, as clustered rows are at least) says how far
      // from 0% (or 100%) the rate may still be.
      precisionCi = Estimate.wilson(pqlUpgradeRows == 0 ? 0 : accounts, accounts, CONFIDENCE);
      precisionCi = new Estimate(precision, precisionCi.lo(), precisionCi.hi());
      if (base > 0) liftCi = new Estimate(precision / base, precisionCi.lo() / base, precisionCi.hi() / base);
    }
    double[] leadInterval = lead.isEmpty() ? new double[] {Double.NaN, Double.NaN} : medianInterval(lead, caught);
    Upgrades caughtUpgrades = new Upgrades(upgrades, caught, Estimate.wilson(caught, upgrades, CONFIDENCE),
        ratio(pqlUpgradeRows, upgradeRows), lead.isEmpty() ? Double.NaN : lead.get(LEAD_GRID / 2), leadInterval[0],
        leadInterval[1], lead.isEmpty() ? Double.NaN : lead.get(LEAD_GRID * 9 / 10));
    Candidate c = candidates.get(i);
    return new Figures(c.name(), c.version(), c.kind(), history.getDate(2).toLocalDate(),
        history.getDate(3).toLocalDate(), history.getLong(1), rows, upgradeRows, pqlRows, pqlUpgradeRows,
        precisionCi, liftCi, ratio(pqlRows, rows), accounts, ratio(accounts, weeks), overlap, caughtUpgrades);
  }

  private static long longAt(Row row, int i) {
    return row.isNullAt(i) ? 0 : row.getLong(i);
  }

  private static double[] column(double[][] table, int j) {
    return Arrays.stream(table).mapToDouble(r -> r[j]).toArray();
  }

  /** a / b, NaN when b is 0 (an undefined figure, printed "-" and stored as null). */
  private static double ratio(double a, double b) {
    return b == 0 ? Double.NaN : a / b;
  }

  /** The figures, or a clear error when no labelled snapshot was there to replay the definitions on. */
  static List<Figures> requireHistory(List<Figures> figures, int horizonDays) {
    if (figures.isEmpty() || figures.get(0).rows() == 0) {
      throw new dev.pql.PqlException.NotEnoughData("No snapshot with a complete " + horizonDays + "-day horizon to "
          + "replay the definitions on: build snapshots further back, or shorten pql.model.horizon-days");
    }
    return figures;
  }

  private static long daysBetween(java.sql.Date from, java.sql.Date to) {
    return java.time.temporal.ChronoUnit.DAYS.between(from.toLocalDate(), to.toLocalDate());
  }
}
