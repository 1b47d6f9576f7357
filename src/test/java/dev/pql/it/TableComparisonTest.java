package dev.pql.it;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pql.SparkTestBase;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** The comparison the integration tests rely on: it passes equal bags of rows and fails any other. */
class TableComparisonTest extends SparkTestBase {
  private static Dataset<Row> rows(String values) {
    return TableComparison.canonical(spark.sql("SELECT * FROM VALUES " + values + " AS t(id, n, props)"));
  }

  @Test
  void equalBagsPassInAnyOrderAndEveryKindOfDifferenceFails() {
    String base = "('a', 1, map('k', 'v')), ('b', 2, map('x', 'y', 'k', 'v')), ('b', 2, map('k', 'v', 'x', 'y'))";
    TableComparison.assertSameRows("t", rows(base),
        rows("('b', 2, map('k', 'v', 'x', 'y')), ('a', 1, map('k', 'v')), ('b', 2, map('x', 'y', 'k', 'v'))"));
    // a changed value, a changed map entry, a duplicate row instead of another, a missing row
    for (String other : new String[] {
        "('a', 1, map('k', 'v')), ('b', 3, map('x', 'y', 'k', 'v')), ('b', 2, map('k', 'v', 'x', 'y'))",
        "('a', 1, map('k', 'w')), ('b', 2, map('x', 'y', 'k', 'v')), ('b', 2, map('k', 'v', 'x', 'y'))",
        "('a', 1, map('k', 'v')), ('a', 1, map('k', 'v')), ('b', 2, map('k', 'v', 'x', 'y'))",
        "('a', 1, map('k', 'v')), ('b', 2, map('x', 'y', 'k', 'v'))"}) {
      assertThrows(AssertionError.class, () -> TableComparison.assertSameRows("t", rows(base), rows(other)), other);
    }
  }
}
