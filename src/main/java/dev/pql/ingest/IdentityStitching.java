package dev.pql.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;

import java.sql.Timestamp;
import java.time.Instant;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;

/**
 * Anonymous ids stitched to users, as analytics tools merge a visitor's profile into the user's at login: an event
 * that carries an anonymous id beside a user id links the two (identity_links), and every event of that anonymous id
 * without a user id is that user's, and without an account id that user's account (the linking event's), whichever
 * batch brought it. One link per anonymous id: the earliest (a shared device's later users keep their own events).
 */
public final class IdentityStitching {
  private IdentityStitching() {}

  /** The columns of {@link #lookup}, as {@link EventNormalizer#normalize} joins them. */
  static final String LINKED_ANONYMOUS = "pql_linked_anonymous_id";
  static final String LINKED_USER = "pql_linked_user_id";
  static final String LINKED_ACCOUNT = "pql_linked_account_id";

  /**
   * The links normalized rows carry: per anonymous id, its usable event with a user id too that happened first
   * (anonymous_id, user_id, account_id, first_seen_at).
   */
  public static Dataset<Row> links(Dataset<Row> normalized) {
    return earliestPerAnonymousId(normalized.filter(col(EventNormalizer.REASON).isNull()
            .and(col("anonymous_id").isNotNull()).and(col("user_id").isNotNull()))
        .select(col("anonymous_id"), col("user_id"), col("account_id"), col("ts").as("first_seen_at")));
  }

  /** Stored and new links together, the earliest of each anonymous id. */
  public static Dataset<Row> earliest(Dataset<Row> stored, Dataset<Row> batch) {
    if (stored == null) return batch;
    return earliestPerAnonymousId(stored.select("anonymous_id", "user_id", "account_id", "first_seen_at")
        .unionByName(batch));
  }

  /** Links (anonymous_id, user_id, account_id, first_seen_at), the earliest of each anonymous id. */
  public static Dataset<Row> earliestPerAnonymousId(Dataset<Row> links) {
    return links.withColumn("pql_link", row_number().over(Window.partitionBy("anonymous_id")
            .orderBy(col("first_seen_at"), col("user_id"), col("account_id").asc_nulls_last())))
        .filter(col("pql_link").equalTo(1)).drop("pql_link");
  }

  /** Links as {@link EventNormalizer#normalize} looks them up. */
  public static Dataset<Row> lookup(Dataset<Row> links) {
    return links.select(col("anonymous_id").as(LINKED_ANONYMOUS), col("user_id").as(LINKED_USER),
        col("account_id").as(LINKED_ACCOUNT));
  }

  /** Links as identity_links stores them. */
  public static Dataset<Row> stored(Dataset<Row> links, Instant ingestedAt, String runId) {
    return links.withColumn("ingested_at", lit(Timestamp.from(ingestedAt))).withColumn("run_id", lit(runId));
  }
}
