package dev.pql.scoring;

import static org.apache.spark.sql.functions.array_join;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.when;

import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * pql_leads_current, the table a BI tool or a CRM sync reads without unpicking nested columns: the open accounts of
 * the latest scored date with the account's current name, domain and plan, and the reasons as sentences in plain
 * columns.
 */
public final class CurrentLeads {
  /** How many reasons get a column of their own (reason_1 ...); all of them are in reasons_text. */
  public static final int REASON_COLUMNS = 3;

  private CurrentLeads() {}

  /**
   * @param latest the pql_scores rows of one as-of date, the latest scored
   * @param accounts the accounts table (its current states are joined)
   * @param openPlans the free and trial plans: an account whose current plan is another has upgraded since, and is
   *     no longer a lead
   */
  public static Dataset<Row> of(Dataset<Row> latest, Dataset<Row> accounts, List<String> openPlans, String runId) {
    Dataset<Row> current = accounts.filter(col("is_current")).select(col("account_id"), col("name"),
        col("email_domain").as("domain"), col("plan"), col("employees"), col("industry"), col("country"));
    Column stillOpen = col("plan").isNull().or(col("plan").isin(openPlans.toArray()));
    Dataset<Row> rows = latest.join(current, "account_id", "left").filter(stillOpen)
        .withColumn("pql_reason_texts", reasonTexts());
    List<Column> columns = new java.util.ArrayList<>(List.of(col("account_id"), col("as_of_date"), col("name"),
        col("domain"), col("plan"), col("employees"), col("industry"), col("country"), col("is_pql"),
        col("source"), col("pql_type"), col("size_band"), col("probability"), col("percentile"), col("activation"),
        col("activation_bar"), array_join(col("rules_matched"), ", ").as("rules_matched"),
        col("first_qualified_on")));
    for (int i = 1; i <= REASON_COLUMNS; i++) {
      columns.add(when(size(col("pql_reason_texts")).geq(i), element_at(col("pql_reason_texts"), i))
          .as("reason_" + i));
    }
    columns.add(array_join(col("pql_reason_texts"), "; ").as("reasons_text"));
    columns.add(col("model_version"));
    columns.add(lit(runId).as("run_id"));
    return rows.select(columns.toArray(Column[]::new));
  }

  /**
   * A pql_scores row's reasons as sentences (from its columns reasons and probability): learned first, in probability
   * terms ("active_users_7d=6: 54.1% → 31.2% without it"), then each column a rule or activation read, as
   * "feature=value", once (a column the learned reasons already show is not repeated). Percentages to 3
   * significant figures.
   */
  public static Column reasonTexts() {
    String learned = "filter(reasons, r -> r.source = 'learned')";
    String learnedTexts = "transform(" + learned + ", r -> concat(r.feature, '=', r.value, CASE WHEN probability IS "
        + "NULL OR r.probability_without IS NULL THEN '' ELSE concat(': ', " + percent("probability") + ", ' → ', "
        + percent("r.probability_without") + ", ' without it') END))";
    String otherTexts = "array_distinct(transform(filter(reasons, r -> r.source <> 'learned' AND NOT exists("
        + learned + ", l -> l.feature = r.feature)), r -> concat(r.feature, '=', r.value)))";
    return expr("concat(" + learnedTexts + ", " + otherTexts + ")");
  }

  /** A probability (0..1) as a percentage to 3 significant figures, as SQL: 54.1%, 4.17%, 0.418%. */
  static String percent(String probability) {
    String v = "(100 * " + probability + ")";
    return "CASE WHEN " + v + " = 0 THEN '0%' ELSE format_string(concat('%.', CAST(greatest(0, 2 - floor(log10(abs("
        + v + ")))) AS STRING), 'f%%'), " + v + ") END";
  }
}
