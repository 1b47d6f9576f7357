package dev.pql.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.min;

import dev.pql.config.Settings.UserAccounts;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A users table (pql.ingest.users) as the ingest joins it: one row per user id as the table writes it, with the
 * user's account. A user listed with two accounts takes the smallest account id (a fixed choice, not the file's
 * order); rows without a user or an account say nothing and are left out.
 */
public final class UserAccountsTable {
  private UserAccountsTable() {}

  /** The column of the user id as written, and of the user's account. */
  static final String USER = "pql_user_key";
  static final String ACCOUNT = "pql_user_account";

  public static Dataset<Row> of(Dataset<Row> source, UserAccounts users) {
    SourceMapping m = new SourceMapping(source, users.source().key());
    String k = users.source().key() + ".columns.";
    return source.select(m.string(k + "user-id", users.userId()).as(USER),
            m.string(k + "account-id", users.accountId()).as(ACCOUNT))
        .filter(col(USER).notEqual("").and(col(ACCOUNT).notEqual("")))
        .groupBy(USER).agg(min(ACCOUNT).as(ACCOUNT));
  }
}
