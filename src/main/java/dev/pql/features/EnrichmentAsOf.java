package dev.pql.features;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lower;
import static org.apache.spark.sql.functions.max_by;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_timestamp;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Snapshots with the firmographics of their account's domain as the enrichment table held them at D 00:00: for
 * each (domain, D), the row with the latest valid_from before D. Employees, industry and country come from the
 * account source or the enrichment, the other where the preferred one has none; revenue_band and founded_year from
 * the enrichment alone. An enrichment dated after D never reaches the snapshot at D.
 */
public final class EnrichmentAsOf {
  private EnrichmentAsOf() {}

  /** The attributes both sources can give, in the snapshots' order. */
  static final List<String> SHARED = List.of("employees", "industry", "country");

  /**
   * @param snapshots rows with account_id, as_of_date, email_domain and the shared attributes of the account source
   * @param enrichment the enrichment table (domain, valid_from and the fields), possibly empty
   * @param enrichmentFirst the enrichment's value wins over the account source's where both have one
   */
  public static Dataset<Row> apply(Dataset<Row> snapshots, Dataset<Row> enrichment, boolean enrichmentFirst) {
    // The few (domain, D) pairs the snapshots need, each with the enrichment row valid at D 00:00.
    Dataset<Row> wanted = snapshots.select(lower(col("email_domain")).as("x_domain"), col("as_of_date").as("x_as_of"))
        .filter(col("x_domain").isNotNull()).distinct();
    Dataset<Row> valid = wanted.join(enrichment, col("domain").equalTo(col("x_domain"))
            .and(col("valid_from").lt(to_timestamp(col("x_as_of")))))
        .groupBy("x_domain", "x_as_of")
        .agg(max_by(struct(col("employees"), col("industry"), col("country"), col("revenue_band"),
            col("founded_year")), col("valid_from")).as("x"));
    Dataset<Row> joined = snapshots.join(valid, lower(col("email_domain")).equalTo(col("x_domain"))
        .and(col("as_of_date").equalTo(col("x_as_of"))), "left");
    List<Column> out = new ArrayList<>();
    for (String name : snapshots.columns()) {
      Column own = col("`" + name + "`");
      if (SHARED.contains(name)) {
        Column enriched = col("x." + name);
        out.add((enrichmentFirst ? coalesce(enriched, own) : coalesce(own, enriched)).as(name));
      } else {
        out.add(own);
      }
      if (name.equals("country")) {
        out.add(col("x.revenue_band").as("revenue_band"));
        out.add(col("x.founded_year").as("founded_year"));
      }
    }
    return joined.select(out.toArray(Column[]::new));
  }
}
