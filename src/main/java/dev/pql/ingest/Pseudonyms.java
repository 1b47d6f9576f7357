package dev.pql.ingest;

import static org.apache.spark.sql.functions.when;

import dev.pql.PqlException.ConfigurationError;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;

/**
 * User and account ids stored as a keyed hash (pql.ingest.pseudonymize): {@code p:} and the first 128 bits of the
 * HMAC-SHA256 of the id (trimmed, lower case) under a key read from the environment, never from a file. Without
 * the key nobody can tell which email an id was, nor test a guess; with it, the same id always gives the same
 * pseudonym, so events, accounts and conversions still join, run after run. The key travels inside the function
 * Spark sends to its tasks: it appears in no query plan or event log.
 */
public final class Pseudonyms {
  /** Which ids are replaced: those that are email addresses, all of them, or none. */
  public enum Ids { EMAILS, ALL, NONE }

  /** An id that is an email address: something, one @, a domain with a dot. */
  static final String EMAIL = "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$";

  private final Ids ids;
  private final String keyVariable;
  private final byte[] key;

  private Pseudonyms(Ids ids, String keyVariable, byte[] key) {
    this.ids = ids;
    this.keyVariable = keyVariable;
    this.key = key;
  }

  /**
   * The pseudonyms the settings ask for, with the key from the environment variable they name. All ids without a
   * key is a configuration error; email ids without a key are refused when a batch holds one ({@link #check}).
   */
  public static Pseudonyms of(Ids ids, String keyVariable, java.util.Map<String, String> environment) {
    String value = environment.get(keyVariable);
    byte[] key = value == null || value.isEmpty() ? null : value.getBytes(StandardCharsets.UTF_8);
    if (ids == Ids.ALL && key == null) {
      throw new ConfigurationError("pql.ingest.pseudonymize.ids = all stores every user and account id as a keyed "
          + "hash: set the environment variable " + keyVariable + " (pql.ingest.pseudonymize.key-variable) to a "
          + "secret kept for every run", null);
    }
    return new Pseudonyms(ids, keyVariable, key);
  }

  /** The id as stored: its pseudonym where the settings ask for one and a key is there, else the id itself. */
  public Column stored(Column id) {
    if (ids == Ids.NONE || key == null) return id;
    Column hashed = hash().apply(id);
    return ids == Ids.ALL ? hashed : when(id.rlike(EMAIL), hashed).otherwise(id);
  }

  /**
   * Refuses, before anything is written, a batch whose ids are email addresses when no key is there to hash
   * them: {@code rows} holds user_id and account_id as {@link #stored} left them.
   */
  public void check(org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> rows, String sourceKey) {
    if (ids != Ids.EMAILS || key != null) return;
    Column email = rows.col("user_id").rlike(EMAIL).or(rows.col("account_id").rlike(EMAIL));
    if (rows.filter(email).limit(1).count() == 0) return;
    throw new ConfigurationError("Ids in " + sourceKey + " are email addresses; pql stores such ids only as keyed "
        + "hashes: set the environment variable " + keyVariable + " to a secret kept for every run (or "
        + "pql.ingest.pseudonymize.ids = none to store them as they are); nothing was written", null);
  }

  private UserDefinedFunction hash() {
    return org.apache.spark.sql.functions.udf(new Hmac(key), DataTypes.StringType).withName("pql_pseudonym");
  }

  /** The keyed hash of one id; each task gets its own copy, whose MAC is made once (not once per row). */
  private static final class Hmac implements UDF1<String, String> {
    private final byte[] secret;
    private transient Mac mac;

    Hmac(byte[] secret) {
      this.secret = secret;
    }

    @Override
    public String call(String id) throws Exception {
      if (id == null) return null;
      if (mac == null) {
        mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      }
      byte[] digest = mac.doFinal(id.trim().toLowerCase(java.util.Locale.ROOT).getBytes(StandardCharsets.UTF_8));
      return "p:" + HexFormat.of().formatHex(digest, 0, 16);
    }
  }

  @Override
  public String toString() {
    return "pseudonyms of " + ids + " ids" + (key == null ? " (no key)" : " (key from " + keyVariable + ")");
  }
}
