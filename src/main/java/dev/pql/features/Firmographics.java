package dev.pql.features;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.lower;
import static org.apache.spark.sql.functions.when;

import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** Classes derived from an account's attributes as of D: its email-domain class and its size band. */
public final class Firmographics {
  private Firmographics() {}

  /** Size bands by employees: small below {@code midFrom}, mid below {@code largeFrom}, large from there. */
  public record SizeBands(int midFrom, int largeFrom) {}

  /**
   * Adds domain_class (enterprise for a listed enterprise domain, webmail for a webmail domain, else
   * corporate; null without a domain) and size_band (null without employees) to rows with email_domain and
   * employees.
   */
  public static Dataset<Row> classify(Dataset<Row> rows, List<String> webmail, List<String> enterprise,
      SizeBands bands) {
    Column domain = lower(col("email_domain"));
    Column domainClass = when(domain.isNull(), lit(null).cast("string"))
        .when(domain.isin(enterprise.toArray()), lit("enterprise"))
        .when(domain.isin(webmail.toArray()), lit("webmail"))
        .otherwise(lit("corporate"));
    Column employees = col("employees");
    Column sizeBand = when(employees.isNull(), lit(null).cast("string"))
        .when(employees.lt(bands.midFrom()), lit("small"))
        .when(employees.lt(bands.largeFrom()), lit("mid"))
        .otherwise(lit("large"));
    return rows.withColumn("domain_class", domainClass).withColumn("size_band", sizeBand);
  }
}
