package dev.pql.metrics;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.pql.model.TrainingSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Replays PQL definitions on labelled history — open accounts at each snapshot, labelled by an upgrade within
 * the horizon — and measures each side by side: precision, recall (share of all upgrades it caught), lift over
 * the base rate, coverage, new PQLs per week and its overlap with every other definition. One aggregation over
 * the rows; only the sums reach the driver.
 */
public final class Backtest {
  private Backtest() {}

  /** A definition to replay: what qualifies an account at a snapshot, as a boolean column over its features. */
  public record Candidate(String name, String version, String kind, Column qualifies) {
    /** A definition replayed as a candidate of the given kind (candidate, rule, discovered). */
    public static Candidate of(dev.pql.definitions.Definition d, String kind) {
      return new Candidate(d.name(), d.version(), kind, dev.pql.definitions.DefinitionTranslator.condition(d));
    }
  }

  /** What a candidate did on the history. */
  public record Figures(String name, String version, String kind, java.time.LocalDate from, java.time.LocalDate to,
      long snapshots, long rows, long upgrades,
      long pqlRows, long pqlUpgrades, double precision, double recall, double lift, double coverage,
      long accounts, double pqlsPerWeek, Map<String, Double> overlap) {}

  /**
   * @param labelled rows of {@link TrainingSet#label}: one per open account and snapshot, with the label
   * @param cadenceDays days between snapshots (7 weekly, 1 daily): the last snapshot stands for that many days
   */
  public static List<Figures> run(Dataset<Row> labelled, List<Candidate> candidates, int cadenceDays) {
    if (candidates.isEmpty()) return List.of();
    List<Column> flags = new ArrayList<>(List.of(col("account_id"), col("as_of_date"), col(TrainingSet.LABEL)));
    for (int i = 0; i < candidates.size(); i++) {
      flags.add(coalesce(candidates.get(i).qualifies(), lit(false)).as("q" + i));
    }
    Dataset<Row> flagged = labelled.select(flags.toArray(Column[]::new));
    List<Column> aggs = new ArrayList<>(List.of(count(lit(1)), sum(TrainingSet.LABEL),
        countDistinct(col("as_of_date")), min("as_of_date"), max("as_of_date")));
    int n = candidates.size();
    for (int i = 0; i < n; i++) {
      Column q = col("q" + i);
      aggs.add(sum(when(q, 1L).otherwise(0L)));
      aggs.add(sum(when(q, col(TrainingSet.LABEL)).otherwise(0.0)));
      aggs.add(countDistinct(when(q, col("account_id"))));
    }
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        if (i != j) aggs.add(sum(when(col("q" + i).and(col("q" + j)), 1L).otherwise(0L)));
      }
    }
    Row r = flagged.agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(Column[]::new)).first();
    long rows = r.getLong(0);
    long upgrades = rows == 0 ? 0 : Math.round(r.getDouble(1));
    long snapshots = r.getLong(2);
    double weeks = rows == 0 ? 0 : (daysBetween(r.getDate(3), r.getDate(4)) + cadenceDays) / 7.0;
    double base = rows == 0 ? Double.NaN : (double) upgrades / rows;

    List<Figures> figures = new ArrayList<>();
    int pairs = 5 + 3 * n;
    for (int i = 0; i < n; i++) {
      Candidate c = candidates.get(i);
      long pqlRows = r.isNullAt(5 + 3 * i) ? 0 : r.getLong(5 + 3 * i);
      long caught = r.isNullAt(6 + 3 * i) ? 0 : Math.round(r.getDouble(6 + 3 * i));
      long accounts = r.getLong(7 + 3 * i);
      double precision = pqlRows == 0 ? Double.NaN : (double) caught / pqlRows;
      Map<String, Double> overlap = new LinkedHashMap<>();
      for (int j = 0; j < n; j++) {
        if (i == j) continue;
        long both = r.isNullAt(pairs) ? 0 : r.getLong(pairs);
        pairs++;
        overlap.put(candidates.get(j).name(), pqlRows == 0 ? Double.NaN : (double) both / pqlRows);
      }
      figures.add(new Figures(c.name(), c.version(), c.kind(), rows == 0 ? null : r.getDate(3).toLocalDate(),
          rows == 0 ? null : r.getDate(4).toLocalDate(), snapshots, rows, upgrades, pqlRows, caught, precision,
          upgrades == 0 ? Double.NaN : (double) caught / upgrades, precision / base,
          rows == 0 ? Double.NaN : (double) pqlRows / rows, accounts, weeks == 0 ? Double.NaN : accounts / weeks,
          overlap));
    }
    return figures;
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
