package dev.pql.model;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log;
import static org.apache.spark.sql.functions.round;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;

import dev.pql.config.Settings;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;

/**
 * The champion gate: a learned model becomes the learned definition only if it ranks the accounts of the locked
 * evaluation window better than each simple baseline — logins only, activity only, the best single rule —, and
 * surely so: the lower end of the account-level paired bootstrap interval of its AUC-ROC gain must exceed the
 * configured margin. Paired: each resample of accounts scores the model and the baseline on the same rows, so
 * the interval is of the difference, much narrower than two separate intervals.
 *
 * <p>Each AUC-ROC is the weighted Mann-Whitney statistic over the score's values in bins of 0.001 in log-odds
 * (ties count half), aggregated by Spark per replicate; only (replicates + 1) x scores figures reach the driver.
 */
public final class ChampionGate {
  private ChampionGate() {}

  /** The model against one baseline on the locked window: both AUC-ROCs, the gain and its interval. */
  public record Comparison(String baseline, double modelAucRoc, double baselineAucRoc, double gain, double gainLow,
      double gainHigh, boolean beaten) {}

  /**
   * A score's ranking on the locked window with its account-level bootstrap intervals: AUC-ROC and the top
   * decile's lift (the share of upgrades in the top tenth of rows over a tenth), each on the binned scores.
   */
  public record Ranking(Estimate aucRoc, Estimate topDecileLift) {}

  /** A score's figures on one resample of accounts. */
  record Replicate(double aucRoc, double topDecileLift) {}

  /**
   * Whether the model is published, why, every comparison behind the decision, and each score's ranking with its
   * interval (by the name of {@link #judge}'s model and baselines).
   */
  public record Verdict(boolean published, String reason, long rows, long accounts, long upgrades,
      List<Comparison> comparisons, Map<String, Ranking> rankings) {
    public String status() {
      return published ? "published" : "withheld";
    }
  }

  /**
   * @param scored the locked window's rows: account_id, label, the model's score and each baseline's
   * @param model the model's score column (a probability)
   * @param baselines baseline name to its score column (a probability, or 0/1 for a rule), in report order
   */
  public static Verdict judge(Dataset<Row> scored, String model, Map<String, String> baselines, Settings.Gate gate,
      long seed) {
    Map<String, String> scores = new LinkedHashMap<>();
    scores.put(model, model);
    scores.putAll(baselines);
    Row size = scored.agg(org.apache.spark.sql.functions.count(lit(1)), countDistinct(col("account_id")),
        sum(col(TrainingSet.LABEL))).first();
    Map<Integer, Map<String, Replicate>> figures = replicates(scored, scores, gate.replicates(), seed);
    Map<Integer, Map<String, Double>> auc = new HashMap<>();
    figures.forEach((k, v) -> v.forEach((name, f) -> auc.computeIfAbsent(k, x -> new HashMap<>())
        .put(name, f.aucRoc())));
    double alpha = 1 - gate.confidence();
    List<Comparison> comparisons = new ArrayList<>();
    for (Map.Entry<String, String> b : baselines.entrySet()) {
      double[] gains = auc.entrySet().stream().filter(e -> e.getKey() > 0)
          .mapToDouble(e -> e.getValue().getOrDefault(model, Double.NaN) - e.getValue().getOrDefault(b.getKey(),
              Double.NaN))
          .filter(Double::isFinite).toArray();
      double modelAuc = auc.get(0).get(model);
      double baseAuc = auc.get(0).get(b.getKey());
      double low = gains.length == 0 ? Double.NaN : AccountBootstrap.quantile(gains, alpha / 2);
      double high = gains.length == 0 ? Double.NaN : AccountBootstrap.quantile(gains, 1 - alpha / 2);
      comparisons.add(new Comparison(b.getKey(), modelAuc, baseAuc, modelAuc - baseAuc, low, high,
          Double.isFinite(low) && low > gate.minAucGain()));
    }
    long rows = size.getLong(0);
    long upgrades = size.isNullAt(2) ? 0 : (long) size.getDouble(2);
    return new Verdict(!gate.enabled() || comparisons.stream().allMatch(Comparison::beaten),
        reason(comparisons, gate, rows, size.getLong(1), upgrades), rows, size.getLong(1), upgrades, comparisons,
        rankings(figures, scores.keySet(), gate.confidence()));
  }

  private static Map<String, Ranking> rankings(Map<Integer, Map<String, Replicate>> figures,
      java.util.Set<String> scores, double confidence) {
    Map<String, Ranking> out = new LinkedHashMap<>();
    for (String name : scores) {
      Replicate sample = figures.getOrDefault(0, Map.of()).get(name);
      if (sample == null) continue;
      double[] aucs = figures.entrySet().stream().filter(e -> e.getKey() > 0)
          .mapToDouble(e -> e.getValue().containsKey(name) ? e.getValue().get(name).aucRoc() : Double.NaN).toArray();
      double[] lifts = figures.entrySet().stream().filter(e -> e.getKey() > 0)
          .mapToDouble(e -> e.getValue().containsKey(name) ? e.getValue().get(name).topDecileLift() : Double.NaN)
          .toArray();
      out.put(name, new Ranking(Estimate.bootstrap(sample.aucRoc(), aucs, confidence),
          Estimate.bootstrap(sample.topDecileLift(), lifts, confidence)));
    }
    return out;
  }

  /**
   * Per replicate (0: the sample itself), each score's AUC-ROC and top-decile lift on the weighted rows. The top
   * decile is the tenth of the weight from the highest bin down, the bin at the cut taken in part (its rows drawn at
   * random, as {@link Evaluation#topDecile} takes ties).
   */
  static Map<Integer, Map<String, Replicate>> replicates(Dataset<Row> scored, Map<String, String> scores,
      int replicates, long seed) {
    List<Column> bins = new ArrayList<>();
    scores.forEach((name, column) -> bins.add(struct(lit(name).as("score"), bin(col(column)).as("bin"))));
    Dataset<Row> narrow = scored.select(col("account_id"), col(TrainingSet.LABEL).cast("double").as("y"),
        array(bins.toArray(Column[]::new)).as("bins"));
    Column w = col(AccountBootstrap.WEIGHT);
    Dataset<Row> counts = AccountBootstrap.replicated(narrow, replicates, seed)
        .filter(w.gt(0))
        .select(col(AccountBootstrap.REPLICATE), w, col("y"), explode(col("bins")).as("s"))
        .groupBy(col(AccountBootstrap.REPLICATE), col("s.score").as("score"), col("s.bin").as("bin"))
        .agg(sum(w.multiply(col("y"))).as("pos"), sum(w.multiply(lit(1.0).minus(col("y")))).as("neg"))
        .withColumn("weight", col("pos").plus(col("neg")));
    WindowSpec perScore = Window.partitionBy(AccountBootstrap.REPLICATE, "score");
    Column below = coalesce(sum("neg").over(perScore.orderBy("bin")
        .rowsBetween(Window.unboundedPreceding(), -1)), lit(0.0));
    Column above = coalesce(sum("weight").over(perScore.orderBy(col("bin").desc())
        .rowsBetween(Window.unboundedPreceding(), -1)), lit(0.0));
    Column inTopDecile = greatest(lit(0.0), least(sum("weight").over(perScore).multiply(0.1).minus(above),
        col("weight")));
    List<Row> figures = counts.withColumn("neg_below", below)
        .withColumn("top_pos", inTopDecile.multiply(col("pos")).divide(col("weight")))
        .groupBy(AccountBootstrap.REPLICATE, "score")
        .agg(sum(col("pos").multiply(col("neg_below").plus(col("neg").divide(2)))).as("u"), sum("pos").as("p"),
            sum("neg").as("n"), sum("top_pos").as("top_pos"))
        .collectAsList();
    Map<Integer, Map<String, Replicate>> out = new HashMap<>();
    for (Row r : figures) {
      double p = r.getDouble(3);
      double n = r.getDouble(4);
      boolean both = p > 0 && n > 0;
      // The top decile's upgrade rate over the base rate: (top_pos / (0.1 (p + n))) / (p / (p + n)).
      out.computeIfAbsent(r.getInt(0), k -> new HashMap<>()).put(r.getString(1),
          new Replicate(both ? r.getDouble(2) / (p * n) : Double.NaN, p > 0 ? 10 * r.getDouble(5) / p : Double.NaN));
    }
    return out;
  }

  /** A probability's bin: its log-odds to 0.001, so that only practically equal scores tie. */
  private static Column bin(Column probability) {
    Column p = least(greatest(probability.cast("double"), lit(1e-12)), lit(1 - 1e-12));
    return round(log(p.divide(lit(1.0).minus(p))).multiply(1000)).cast("long");
  }

  private static String reason(List<Comparison> comparisons, Settings.Gate gate, long rows, long accounts,
      long upgrades) {
    String window = String.format(Locale.ROOT, "on the locked window (%,d rows, %,d accounts, %,d upgrades)", rows,
        accounts, upgrades);
    List<String> lost = new ArrayList<>();
    List<String> won = new ArrayList<>();
    for (Comparison c : comparisons) (c.beaten() ? won : lost).add(describe(c, gate));
    if (lost.isEmpty()) return "beats every baseline " + window + ": " + String.join("; ", won);
    String verdict = gate.enabled() ? "does not surely beat " : "the gate is off (pql.model.gate.enabled = false), "
        + "though it does not surely beat ";
    return verdict + String.join("; ", lost) + " " + window;
  }

  private static String describe(Comparison c, Settings.Gate gate) {
    return String.format(Locale.ROOT, "%s: AUC-ROC %.3f against %.3f, gain %+.3f (%.0f%% interval %+.3f to %+.3f)",
        c.baseline(), c.modelAucRoc(), c.baselineAucRoc(), c.gain(), gate.confidence() * 100, c.gainLow(),
        c.gainHigh());
  }
}
