package dev.pql.ingest;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.pql.config.Settings.Identities;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A table of identities (pql.ingest.identities) mapped to links: each row with its reason when it cannot be used (no
 * anonymous id, no user id, no readable time), and the usable rows as {@link IdentityStitching#links} gives them,
 * their ids stored as events store theirs.
 */
public final class IdentityRows {
  private IdentityRows() {}

  /** The user id as the table writes it, for the users table's account. */
  private static final String RAW_USER = "pql_raw_user_id";

  /**
   * Every source row mapped (anonymous_id, user_id, account_id, first_seen_at), with {@link EventNormalizer#REASON}
   * and its detail set where it cannot be used.
   */
  public static Dataset<Row> mapped(Dataset<Row> source, Identities identities, Pseudonyms ids) {
    String key = identities.source().key();
    SourceMapping m = new SourceMapping(source, key);
    String k = key + ".columns.";
    Column rawUser = m.string(k + "user-id", identities.userId());
    Column tsText = m.rawText(identities.ts());
    Dataset<Row> rows = source.select(
        ids.stored(m.string(k + "anonymous-id", identities.anonymousId())).as("anonymous_id"),
        ids.stored(rawUser).as("user_id"),
        rawUser.as(RAW_USER),
        ids.stored(EventNormalizer.nonBlank(m.string(k + "account-id", identities.accountId()))).as("account_id"),
        m.timestamp(k + "ts", identities.ts(), "millis").as("first_seen_at"),
        tsText.as("ts_text"),
        m.rawRecord().as(EventNormalizer.RAW),
        org.apache.spark.sql.functions.input_file_name().as(EventNormalizer.FILE));
    Column noAnonymous = EventNormalizer.blank(col("anonymous_id"));
    Column noUser = EventNormalizer.blank(col("user_id"));
    Column noTime = EventNormalizer.blank(col("ts_text"));
    Column unreadable = col("first_seen_at").isNull();
    return rows
        .withColumn(EventNormalizer.REASON,
            when(noAnonymous, lit(RejectReason.MISSING_ANONYMOUS_ID.name()))
                .when(noUser, lit(RejectReason.MISSING_USER_ID.name()))
                .when(noTime, lit(RejectReason.MISSING_TIMESTAMP.name()))
                .when(unreadable, lit(RejectReason.UNPARSEABLE_TIMESTAMP.name())))
        .withColumn(EventNormalizer.DETAIL,
            when(noAnonymous, lit("anonymous id is empty (" + k + "anonymous-id)"))
                .when(noUser, lit("user id is empty (" + k + "user-id)"))
                .when(noTime, lit("time is empty (" + k + "ts)"))
                .when(unreadable, concat_ws("", lit("time '"), col("ts_text"), lit("' is not a date-time (" + k
                    + "ts)"))))
        .drop("ts_text");
  }

  /**
   * The usable rows as links, the earliest of each anonymous id; a row that names no account takes its user's in the
   * users table ({@link UserAccountsTable}), when one is given.
   *
   * @param userAccounts each user's account (one row per user id as written), or null
   */
  public static Dataset<Row> links(Dataset<Row> mapped, Dataset<Row> userAccounts, Pseudonyms ids) {
    Dataset<Row> usable = mapped.filter(col(EventNormalizer.REASON).isNull());
    Column account = col("account_id");
    if (userAccounts != null) {
      usable = usable.join(org.apache.spark.sql.functions.broadcast(userAccounts),
          col(RAW_USER).equalTo(col(UserAccountsTable.USER)), "left");
      account = coalesce(account, ids.stored(col(UserAccountsTable.ACCOUNT)));
    }
    return IdentityStitching.earliestPerAnonymousId(usable.select(col("anonymous_id"), col("user_id"),
        account.as("account_id"), col("first_seen_at")));
  }
}
