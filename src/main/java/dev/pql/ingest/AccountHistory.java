package dev.pql.ingest;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lag;
import static org.apache.spark.sql.functions.lead;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.lower;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.when;

import dev.pql.config.Settings.AccountColumns;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;

/**
 * Pure transforms that keep account attributes with their history: states (a set of attribute values
 * from an instant on) are mapped from a source, merged with the states already stored, and compressed to
 * the instants where something changed.
 */
public final class AccountHistory {
  /** The attributes whose changes make a new state. */
  static final List<String> ATTRIBUTES =
      List.of("name", "plan", "email_domain", "employees", "industry", "country", "timezone");

  private AccountHistory() {}

  /**
   * Maps source rows to states: account_id, valid_from, signup_at and the attributes, with the raw record
   * and a reject reason for rows without an account id or a usable valid-from time.
   *
   */
  public static Dataset<Row> states(Dataset<Row> source, String sourceKey, AccountColumns c, Pseudonyms ids) {
    List<Column> columns = new java.util.ArrayList<>();
    stateColumns(source, sourceKey, c, c.validFrom(), "millis", ids)
        .forEach((name, value) -> columns.add(value.as(name)));
    columns.add(new SourceMapping(source, sourceKey).rawRecord().as(EventNormalizer.RAW));
    columns.add(org.apache.spark.sql.functions.input_file_name().as(EventNormalizer.FILE));
    return source.select(columns.toArray(Column[]::new))
        .withColumn(EventNormalizer.REASON,
            when(EventNormalizer.blank(col("account_id")), lit(RejectReason.MISSING_ACCOUNT_ID.name()))
                .when(col("valid_from").isNull(), lit(RejectReason.MISSING_TIMESTAMP.name())))
        .withColumn(EventNormalizer.DETAIL,
            when(EventNormalizer.blank(col("account_id")), lit("account id is empty (" + sourceKey + ".columns.account-id)"))
                .when(col("valid_from").isNull(),
                    lit("valid-from time is empty or not a date-time (" + sourceKey + ".columns.valid-from)")));
  }

  /**
   * The state columns as expressions over a source row.
   *
   * @param validFrom the expression for valid_from (for states read from events: the event time)
   * @param unit how a numeric valid_from is read: millis or seconds
   */
  static Map<String, Column> stateColumns(Dataset<Row> source, String sourceKey, AccountColumns c,
      String validFrom, String unit, Pseudonyms ids) {
    SourceMapping m = new SourceMapping(source, sourceKey);
    String k = sourceKey + ".columns.";
    Map<String, Column> columns = new LinkedHashMap<>();
    columns.put("account_id", ids.stored(m.string(k + "account-id", c.accountId())));
    columns.put("valid_from", m.timestamp(k + "valid-from", validFrom, unit));
    columns.put("signup_at", c.signupAt().isBlank() ? lit(null).cast("timestamp")
        : m.timestamp(k + "signup-at", c.signupAt(), "millis"));
    columns.put("name", m.string(k + "name", c.name()));
    columns.put("plan", lower(m.string(k + "plan", c.plan())));
    columns.put("email_domain", lower(m.string(k + "email-domain", c.emailDomain())));
    columns.put("employees", m.integer(k + "employees", c.employees()));
    columns.put("industry", m.string(k + "industry", c.industry()));
    columns.put("country", m.string(k + "country", c.country()));
    columns.put("timezone", m.string(k + "timezone", c.timezone()));
    return columns;
  }

  /** States of accounts known only by their events: one state at the first event, no attributes. */
  public static Dataset<Row> statesFromFirstEvents(Dataset<Row> events) {
    // Accounts formed from emails know their domain (a webmail one is a single person's).
    boolean fromEmail = java.util.Arrays.asList(events.columns()).contains(EventNormalizer.EMAIL_DOMAIN);
    Dataset<Row> first = events.groupBy("account_id").agg(min("ts").as("valid_from"),
        fromEmail ? min(EventNormalizer.EMAIL_DOMAIN).as("email_domain") : lit(null).cast("string").as("email_domain"));
    Dataset<Row> out = first.withColumn("signup_at", lit(null).cast("timestamp"));
    for (String a : ATTRIBUTES) {
      if (!a.equals("email_domain")) out = out.withColumn(a, lit(null).cast(a.equals("employees") ? "int" : "string"));
    }
    return out;
  }

  /**
   * The complete history after adding {@code newStates} to {@code stored} (rows of the accounts table):
   * a stored state wins over a new one at the same instant (so a rerun changes nothing), consecutive equal
   * states collapse into the first, and signup_at is the configured signup time or else the earliest of
   * the account's first state and first event ({@code firstEvents}: account_id, first_ts).
   */
  public static Dataset<Row> merge(Dataset<Row> stored, Dataset<Row> newStates, Dataset<Row> firstEvents,
      Instant ingestedAt, String runId) {
    Dataset<Row> fresh = newStates.select(stateSelection())
        .withColumn("ingested_at", lit(Timestamp.from(ingestedAt)))
        .withColumn("run_id", lit(runId))
        .withColumn("priority", lit(1));
    Dataset<Row> old = stored.select(stateSelection("ingested_at", "run_id"))
        .withColumn("priority", lit(0));
    WindowSpec sameInstant = Window.partitionBy("account_id", "valid_from").orderBy(col("priority"), col("ingested_at"));
    Dataset<Row> states = old.unionByName(fresh)
        .withColumn("rank", row_number().over(sameInstant))
        .filter(col("rank").equalTo(1))
        .drop("rank", "priority");

    WindowSpec timeline = Window.partitionBy("account_id").orderBy("valid_from");
    Column changed = lit(false);
    for (String a : ATTRIBUTES) changed = changed.or(col(a).eqNullSafe(lag(col(a), 1).over(timeline)).unary_$bang());
    Column first = lag(col("valid_from"), 1).over(timeline).isNull();
    WindowSpec account = Window.partitionBy("account_id");
    Dataset<Row> firsts = firstEvents.select(col("account_id").as("fe_account_id"), col("first_ts"));
    return states
        .withColumn("keep", first.or(changed))
        .withColumn("configured_signup", min("signup_at").over(account))
        .withColumn("first_state", min("valid_from").over(account))
        .filter(col("keep"))
        .join(firsts, col("account_id").equalTo(col("fe_account_id")), "left")
        .withColumn("signup_at", coalesce(col("configured_signup"),
            least(col("first_state"), coalesce(col("first_ts"), col("first_state")))))
        .withColumn("valid_to", lead(col("valid_from"), 1).over(timeline))
        .withColumn("is_current", col("valid_to").isNull())
        .drop("keep", "configured_signup", "first_state", "fe_account_id", "first_ts");
  }

  /** The state's columns, then {@code extra} ones. */
  private static Column[] stateSelection(String... extra) {
    List<Column> out = new java.util.ArrayList<>(List.of(col("account_id"), col("valid_from"), col("signup_at")));
    ATTRIBUTES.forEach(a -> out.add(col(a)));
    for (String e : extra) out.add(col(e));
    return out.toArray(Column[]::new);
  }
}
