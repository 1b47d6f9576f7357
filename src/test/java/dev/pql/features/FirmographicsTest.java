package dev.pql.features;

import dev.pql.SparkTestBase;
import java.util.List;
import org.junit.jupiter.api.Test;

class FirmographicsTest extends SparkTestBase {
  @Test
  void domainClassAndSizeBandFollowTheConfiguredListsAndBounds() {
    assertSameRows(spark.sql("""
        SELECT * FROM VALUES
          ('GMail.com', 3, 'webmail', 'small'),
          ('globex.com', 49, 'enterprise', 'small'),
          ('company7.io', 50, 'corporate', 'mid'),
          ('company8.io', 999, 'corporate', 'mid'),
          ('company9.io', 1000, 'corporate', 'large'),
          (CAST(NULL AS STRING), CAST(NULL AS INT), CAST(NULL AS STRING), CAST(NULL AS STRING))
          AS t(email_domain, employees, domain_class, size_band)"""),
        Firmographics.classify(spark.sql("""
            SELECT * FROM VALUES ('GMail.com', 3), ('globex.com', 49), ('company7.io', 50), ('company8.io', 999),
              ('company9.io', 1000), (CAST(NULL AS STRING), CAST(NULL AS INT)) AS t(email_domain, employees)"""),
            List.of("gmail.com", "yahoo.com"), List.of("globex.com"), new Firmographics.SizeBands(50, 1000)));
  }
}
