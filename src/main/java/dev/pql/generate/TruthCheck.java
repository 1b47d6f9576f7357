package dev.pql.generate;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.date_sub;

import org.apache.spark.ml.evaluation.BinaryClassificationEvaluator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Compares a model's ranking with the generated lake's true upgrade hazard on the same rows: for a snapshot at D
 * the truth is the hazard of the day before D, computed from behaviour up to the end of that day — exactly
 * what the snapshot can see.
 */
public final class TruthCheck {
  private TruthCheck() {}

  /** The rows compared and the AUC-ROC of the model's probability and of the true hazard. */
  public record Comparison(long rows, double modelAucRoc, double truthAucRoc) {
    public double ratio() {
      return modelAucRoc / truthAucRoc;
    }
  }

  /**
   * @param scored account_id, as_of_date, label and the model's probability column
   * @param lake the generated lake's root (its truth/hazard table)
   */
  public static Comparison compare(Dataset<Row> scored, String probability, String lake) {
    Dataset<Row> hazard = scored.sparkSession().read().parquet(lake + "/truth/hazard")
        .select(col("account_id").as("h_account_id"), col("date").as("h_date"), col("hazard"));
    Dataset<Row> joined = scored.join(hazard, col("account_id").equalTo(col("h_account_id"))
        .and(col("h_date").equalTo(date_sub(col("as_of_date"), 1)))).cache();
    try {
      BinaryClassificationEvaluator auc = new BinaryClassificationEvaluator().setLabelCol("label")
          .setMetricName("areaUnderROC");
      return new Comparison(joined.count(), auc.setRawPredictionCol(probability).evaluate(joined),
          auc.setRawPredictionCol("hazard").evaluate(joined));
    } finally {
      joined.unpersist();
    }
  }
}
