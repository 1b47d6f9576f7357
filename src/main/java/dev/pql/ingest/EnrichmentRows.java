package dev.pql.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.lower;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.when;

import dev.pql.config.Settings.EnrichmentColumns;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A firmographic source (pql.ingest.enrichment) mapped to the enrichment table's columns: each row with its reason
 * when it cannot be used (no domain, no valid-from time), and the usable rows one per domain and time.
 */
public final class EnrichmentRows {
  private EnrichmentRows() {}

  /** The fields a row carries besides its key, in the contract's order. */
  static final java.util.List<String> FIELDS =
      java.util.List.of("employees", "industry", "country", "revenue_band", "founded_year");

  /** Every source row mapped, with {@link EventNormalizer#REASON} and its detail set where it cannot be used. */
  public static Dataset<Row> mapped(Dataset<Row> source, String sourceKey, EnrichmentColumns c) {
    SourceMapping m = new SourceMapping(source, sourceKey);
    String k = sourceKey + ".columns.";
    Column domain = lower(m.string(k + "domain", c.domain()));
    return source.select(domain.as("domain"),
            m.timestamp(k + "valid-from", c.validFrom(), "millis").as("valid_from"),
            m.integer(k + "employees", c.employees()).as("employees"),
            m.string(k + "industry", c.industry()).as("industry"),
            m.string(k + "country", c.country()).as("country"),
            m.string(k + "revenue-band", c.revenueBand()).as("revenue_band"),
            m.integer(k + "founded-year", c.foundedYear()).as("founded_year"),
            m.rawRecord().as(EventNormalizer.RAW),
            org.apache.spark.sql.functions.input_file_name().as(EventNormalizer.FILE))
        .withColumn(EventNormalizer.REASON,
            when(EventNormalizer.blank(col("domain")), lit(RejectReason.MISSING_DOMAIN.name()))
                .when(col("valid_from").isNull(), lit(RejectReason.MISSING_TIMESTAMP.name())))
        .withColumn(EventNormalizer.DETAIL,
            when(EventNormalizer.blank(col("domain")), lit("domain is empty (" + k + "domain)"))
                .when(col("valid_from").isNull(),
                    lit("valid-from time is empty or not a date-time (" + k + "valid-from)")));
  }

  /**
   * The usable rows, one per domain and valid-from time: a vendor file that lists a domain twice at one time gives
   * the row with the greatest fields (any fixed choice would do; this one does not depend on file order).
   */
  public static Dataset<Row> usable(Dataset<Row> mapped) {
    Column[] fields = FIELDS.stream().map(f -> col(f)).toArray(Column[]::new);
    Dataset<Row> one = mapped.filter(col(EventNormalizer.REASON).isNull())
        .groupBy("domain", "valid_from").agg(max(struct(fields)).as("e"));
    java.util.List<Column> out = new java.util.ArrayList<>(java.util.List.of(col("domain"), col("valid_from")));
    FIELDS.forEach(f -> out.add(col("e." + f).as(f)));
    return one.select(out.toArray(Column[]::new));
  }
}
