package dev.pql.model;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lower;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.to_timestamp;

import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The one definition of an open account, used by training, scoring, backtest, evaluate and metrics alike. At
 * snapshot date D an account is open when
 * <ul>
 *   <li>its plan at D, as the snapshot records it from the plan history, is a free or trial plan (pql.plans.free),
 *       or is not known at all (a lake without account states), and</li>
 *   <li>it has no conversion to paid before D in the conversions table, whatever found it: a plan change, or a
 *       conversion event while the plan history still says free (billing, not the product, changed the plan).</li>
 * </ul>
 * An account that upgraded and later went back to a free plan is never open again: it is a former customer, whose
 * return is a win-back rather than a product-qualified lead, and whose behaviour after paying is not a free
 * account's. Its snapshots after the first conversion are neither scored nor labelled.
 */
public final class OpenAccounts {
  private OpenAccounts() {}

  /** The account's first conversion to paid (null: none yet), a column of {@link #open}'s rows. */
  public static final String FIRST_CONVERTED_AT = "first_converted_at";

  /**
   * The snapshot rows of accounts open at their as_of_date, with {@link #FIRST_CONVERTED_AT} (on or after the
   * date, or null).
   *
   * @param snapshots account_features rows (account_id, as_of_date, plan, ...)
   * @param conversions the conversions table (account_id, converted_at)
   * @param freePlans plan names (lower case) that count as free or trial
   */
  public static Dataset<Row> open(Dataset<Row> snapshots, Dataset<Row> conversions, List<String> freePlans) {
    Dataset<Row> first = conversions.groupBy(col("account_id").as("fc_account_id"))
        .agg(min("converted_at").as(FIRST_CONVERTED_AT));
    Column converted = col(FIRST_CONVERTED_AT);
    return snapshots
        .filter(col("plan").isNull().or(lower(col("plan")).isin(freePlans.toArray())))
        .join(first, col("account_id").equalTo(col("fc_account_id")), "left")
        .filter(converted.isNull().or(converted.geq(to_timestamp(col("as_of_date")))))
        .drop("fc_account_id");
  }
}
