package dev.pql.generate;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.date_add;
import static org.apache.spark.sql.functions.date_sub;
import static org.apache.spark.sql.functions.exp;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log1p;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * What is true for the label pql learns, on the rows pql learns it from. A generated lake plants its effects on a
 * daily hazard; pql learns "an upgrade within H days of a snapshot". The oracle probability of a snapshot row at D
 * is 1 - prod(1 - h) over the true hazards of the days D-1 .. D+H-2 (the hazard of day d is that of upgrading on
 * d + 1, from behaviour up to the end of d, which is what a snapshot at d + 1 sees), and a planted step's oracle
 * effect compares the mean oracle probability of the rows where the step holds at D-1 with that of the rows where
 * it does not: the rates and the lift a perfect estimate on those rows would report.
 */
public final class Oracle {
  private Oracle() {}

  public static final String PROBABILITY = "oracle_probability";

  /** A planted step's figures on the rows: how many rows have it, the oracle upgrade rates with and without it. */
  public record Effect(String driver, String feature, long rowsWith, long rowsWithout, double rateWith,
      double rateWithout) {
    public double lift() {
      return rateWith / rateWithout;
    }
  }

  /**
   * The rows (account_id, as_of_date, ...) with {@link #PROBABILITY} and each stepped-world indicator at D-1
   * (active_team, heavy_messaging, early_integration, usage_limit, asked_for_sales). A row whose account had upgraded
   * before D has no hazard left and gets no oracle probability (null).
   */
  public static Dataset<Row> probabilities(Dataset<Row> rows, String lake, int horizonDays) {
    Dataset<Row> hazard = rows.sparkSession().read().parquet(lake + "/truth/hazard")
        .withColumnRenamed("account_id", "h_account_id");
    Dataset<Row> keys = rows.select("account_id", "as_of_date").distinct();
    org.apache.spark.sql.Column dayBefore = col("date").equalTo(date_sub(col("as_of_date"), 1));
    List<org.apache.spark.sql.Column> steps = new java.util.ArrayList<>();
    for (Hazard.Driver d : Hazard.DRIVERS) steps.add(first(when(dayBefore, col(d.name())), true).as(d.name()));
    Dataset<Row> window = keys.join(hazard, col("account_id").equalTo(col("h_account_id"))
            .and(col("date").between(date_sub(col("as_of_date"), 1), date_add(col("as_of_date"), horizonDays - 2))))
        .groupBy("account_id", "as_of_date")
        .agg(lit(1.0).minus(exp(sum(log1p(col("hazard").multiply(-1))))).as(PROBABILITY),
            steps.toArray(org.apache.spark.sql.Column[]::new));
    return rows.join(window, scala.collection.JavaConverters.asScalaBuffer(List.of("account_id", "as_of_date"))
        .toSeq(), "left");
  }

  /** Each planted step of the stepped world, on the rows: its oracle rates with and without it. */
  public static Map<String, Effect> stepEffects(Dataset<Row> rows, String lake, int horizonDays) {
    Dataset<Row> withOracle = probabilities(rows, lake, horizonDays).filter(col(PROBABILITY).isNotNull()).cache();
    try {
      Map<String, Effect> effects = new LinkedHashMap<>();
      for (Hazard.Driver d : Hazard.DRIVERS) {
        Row r = withOracle.agg(count(when(col(d.name()), true)), count(when(col(d.name()).unary_$bang(), true)),
            avg(when(col(d.name()), col(PROBABILITY))), avg(when(col(d.name()).unary_$bang(), col(PROBABILITY))))
            .first();
        effects.put(d.name(), new Effect(d.name(), d.feature(), r.getLong(0), r.getLong(1),
            r.isNullAt(2) ? Double.NaN : r.getDouble(2), r.isNullAt(3) ? Double.NaN : r.getDouble(3)));
      }
      return effects;
    } finally {
      withOracle.unpersist();
    }
  }
}
