package dev.pql.scoring;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.max;

import dev.pql.io.DeltaStore;
import dev.pql.io.Tables;
import java.sql.Date;
import java.time.LocalDate;
import java.util.List;
import org.apache.spark.sql.Row;

/** What scoring has written: the dates scored and the leads of a date. */
public final class ScoringHistory {
  private ScoringHistory() {}

  /** A lead of a date as a summary shows it: who, why, and how likely to upgrade (null without a model). */
  public record Lead(String accountId, String sizeBand, String pqlType, String source, Double probability,
      List<String> reasons) {}

  /** The latest date in pql_scores, or null when nothing is scored yet. */
  public static LocalDate latestScored(DeltaStore store) {
    if (!store.exists(Tables.PQL_SCORES)) return null;
    Date d = store.read(Tables.PQL_SCORES).agg(max("as_of_date")).first().getDate(0);
    return d == null ? null : d.toLocalDate();
  }

  /**
   * The date's most likely PQLs, each with its first reasons — the learned ones first, in probability terms
   * ("active_users_7d=6: 54.1% -> 31.2% without it"), then the rules' and activation's as "feature=value": a
   * bounded read for a summary.
   *
   * @param leads how many at most
   * @param reasons how many reasons of each at most
   */
  public static List<Lead> topLeads(DeltaStore store, LocalDate asOf, int leads, int reasons) {
    List<Row> top = store.read(Tables.PQL_SCORES)
        .filter(col("as_of_date").equalTo(Date.valueOf(asOf)).and(col("is_pql")))
        .orderBy(col("probability").desc_nulls_last(), col("account_id"))
        .limit(leads).withColumn("pql_reason_texts", CurrentLeads.reasonTexts()).collectAsList();
    return top.stream().map(row -> {
      List<String> texts = row.getList(row.fieldIndex("pql_reason_texts"));
      return new Lead(row.getAs("account_id"), row.getAs("size_band"), row.getAs("pql_type"), row.getAs("source"),
          row.getAs("probability"), List.copyOf(texts.subList(0, Math.min(reasons, texts.size()))));
    }).toList();
  }
}
