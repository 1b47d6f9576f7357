package dev.pql.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pql.SparkTestBase;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** The learned definition's cutoffs on rows whose answer is worked out by hand. */
class LearnedScoreTest extends SparkTestBase {
  @Test
  void thePrecisionCutoffIsTheLowestProbabilityOfTheLargestTopSetThatMeetsTheTarget() {
    // From the top, precision after each row: 1/1, 2/2, 2/3, 3/4, 3/5, 3/6, 4/7.
    Dataset<Row> labelled = spark.sql("""
        SELECT * FROM VALUES (0.9, 1D), (0.8, 1D), (0.7, 0D), (0.6, 1D), (0.5, 0D), (0.4, 0D), (0.3, 1D) AS t(p, y)""");
    assertEquals(0.5, LearnedScore.precisionCutoff(labelled, "p", "y", 0.6), 1e-12, "3/5 = 0.6 is the last to meet it");
    assertEquals(0.6, LearnedScore.precisionCutoff(labelled, "p", "y", 0.75), 1e-12);
    assertEquals(0.8, LearnedScore.precisionCutoff(labelled, "p", "y", 1.0), 1e-12);
    assertEquals(0.3, LearnedScore.precisionCutoff(labelled, "p", "y", 0.5), 1e-12, "every row: 4/7 >= 0.5");
    assertEquals(Double.POSITIVE_INFINITY, LearnedScore.precisionCutoff(labelled.filter("y = 0"), "p", "y", 0.1));
  }

  @Test
  void topKTakesTheKMostLikelyOfEachDateBreakingTiesByAccount() {
    Dataset<Row> scored = spark.sql("""
        SELECT account_id, CAST(d AS DATE) AS as_of_date, probability FROM VALUES
          ('c', '2026-03-02', 0.9), ('b', '2026-03-02', 0.8), ('a', '2026-03-02', 0.8), ('d', '2026-03-02', 0.1),
          ('e', '2026-03-09', 0.2), ('f', '2026-03-09', 0.3), ('g', '2026-03-09', 0.1)
        AS t(account_id, d, probability)""");
    List<String> qualified = LearnedScore.topK(scored, 2).filter(LearnedScore.QUALIFIES).orderBy("account_id")
        .select("account_id").as(Encoders.STRING()).collectAsList();
    assertEquals(List.of("a", "c", "e", "f"), qualified);
  }
}
