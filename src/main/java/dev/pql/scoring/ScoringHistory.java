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
        .limit(leads).collectAsList();
    return top.stream().map(row -> new Lead(row.getAs("account_id"), row.getAs("size_band"), row.getAs("pql_type"),
        row.getAs("source"), row.getAs("probability"), reasons(row, reasons))).toList();
  }

  private static List<String> reasons(Row row, int reasons) {
    List<Row> all = row.getList(row.fieldIndex("reasons"));
    Double probability = row.getAs("probability");
    List<Row> learned = all.stream().filter(r -> "learned".equals(r.getAs("source"))).toList();
    java.util.Set<String> shown = new java.util.HashSet<>();
    learned.forEach(r -> shown.add(r.getAs("feature")));
    // A rule's column the learned reasons already show with its value is not repeated.
    java.util.stream.Stream<String> others = all.stream().filter(r -> !"learned".equals(r.getAs("source")))
        .filter(r -> shown.add(r.getAs("feature"))).map(r -> r.getAs("feature") + "=" + r.getAs("value"));
    return java.util.stream.Stream.concat(learned.stream().map(r -> r.getAs("feature") + "=" + r.getAs("value")
        + withoutIt(probability, r.getAs("probability_without"))), others).limit(reasons).toList();
  }

  /** ": 54.1% -> 31.2% without it", to 3 significant figures; nothing when either is unknown. */
  static String withoutIt(Double probability, Double without) {
    if (probability == null || without == null) return "";
    return ": " + percent(probability) + " → " + percent(without) + " without it";
  }

  /** A probability as a percentage to 3 significant figures: 54.1%, 4.17%, 0.418%. */
  static String percent(double p) {
    double v = 100 * p;
    if (v == 0) return "0%";
    int decimals = Math.max(0, 2 - (int) Math.floor(Math.log10(Math.abs(v))));
    return String.format(java.util.Locale.ROOT, "%." + decimals + "f%%", v);
  }
}
