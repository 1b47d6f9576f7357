package dev.pql.model;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.date_add;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.to_timestamp;
import static org.apache.spark.sql.functions.when;

import java.sql.Date;
import java.time.LocalDate;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Labelled training rows from feature history, without leakage: a row is an account's snapshot at D while the
 * account was open at D ({@link OpenAccounts}); its label is a first conversion to paid in [D, D + H days). A row
 * whose horizon runs past the end of the data is censored: left out, since its label is not known yet.
 */
public final class TrainingSet {
  private TrainingSet() {}

  public static final String LABEL = "label";
  /** When a labelled row's upgrade happened (null for the other rows): lead times count back from it. */
  public static final String UPGRADED_AT = "upgraded_at";

  /**
   * @param features account_features rows
   * @param conversions the conversions table
   * @param freePlans plan names (lower case) that count as free or trial
   * @param horizonDays H
   * @param dataEnd the first day without data: horizons must end on or before it
   */
  public static Dataset<Row> label(Dataset<Row> features, Dataset<Row> conversions, List<String> freePlans,
      int horizonDays, LocalDate dataEnd) {
    Column converted = col(OpenAccounts.FIRST_CONVERTED_AT);
    Column horizonEnd = to_timestamp(date_add(col("as_of_date"), horizonDays));
    return OpenAccounts.open(features.filter(date_add(col("as_of_date"), horizonDays).leq(lit(Date.valueOf(dataEnd)))),
            conversions, freePlans)
        .withColumn(LABEL, when(converted.isNotNull().and(converted.lt(horizonEnd)), 1.0).otherwise(0.0))
        .withColumn(UPGRADED_AT, when(col(LABEL).equalTo(1.0), converted))
        .drop(OpenAccounts.FIRST_CONVERTED_AT);
  }

  /**
   * The first day whose conversions are not trusted yet: the data's end less pql.model.label-lag-days. Every
   * horizon that labels a row (training, backtest, evaluate) ends on or before it, so that an upgrade the warehouse
   * has not heard of yet never makes a negative.
   */
  public static LocalDate labelEnd(LocalDate dataEnd, dev.pql.config.Settings.ModelSettings settings) {
    return dataEnd.minusDays(settings.labelLagDays());
  }

  /** True for the rows of accounts in the validation share, by a hash of the account id (stable, seeded). */
  public static Column validationSide(double share, long seed) {
    return org.apache.spark.sql.functions.pmod(org.apache.spark.sql.functions.xxhash64(col("account_id"), lit(seed)),
        lit(10_000L)).lt(Math.round(share * 10_000));
  }
}
