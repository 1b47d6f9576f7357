package dev.pql.ingest;

import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.lower;
import static org.apache.spark.sql.functions.substring_index;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.when;

import java.util.List;
import org.apache.spark.sql.Column;

/**
 * Accounts for products that have no workspace id: sales teams qualify companies, and a person's work email says
 * which company. Colleagues on one domain are one account, {@code domain:<domain>}; a webmail address (gmail.com,
 * outlook.com, ...) says nothing of a company, so its user is an account alone, {@code user:<user id>}. Only the
 * domain is read from the email.
 */
public final class EmailAccounts {
  private EmailAccounts() {}

  /** An email's domain, lower case; null when it has none. */
  public static Column domain(Column email) {
    Column domain = lower(trim(substring_index(email, "@", -1)));
    return when(email.contains("@").and(length(domain).gt(0)), domain);
  }

  /** The account of a user's email: null when the email has no domain (or a webmail user has no id). */
  public static Column account(Column email, Column userId, List<String> webmail) {
    Column domain = domain(email);
    Column hasDomain = domain.isNotNull();
    Column isWebmail = webmail.isEmpty() ? lit(false) : domain.isin(webmail.toArray());
    return when(hasDomain.and(isWebmail), when(userId.isNotNull(), concat(lit("user:"), userId)))
        .when(hasDomain, concat(lit("domain:"), domain));
  }
}
