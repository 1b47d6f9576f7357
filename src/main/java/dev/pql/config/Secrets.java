package dev.pql.config;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The settings that hold a secret, by name: the credentials of Hadoop's S3A, ABFS/WASB and GCS connectors, Spark's
 * and Hive's own, and JDBC's (account keys, OAuth client secrets, passwords, tokens, encryption keys), whether set
 * as Spark settings (spark.hadoop.*), reader options or anything else passed through. pql refuses them in its
 * configuration and prints every setting through {@link #shown}.
 */
public final class Secrets {
  private Secrets() {}

  /** A storage account's host that ABFS and WASB append to a key: fs.azure.account.key.ACCOUNT.dfs.core.windows.net. */
  private static final Pattern AZURE_HOST =
      Pattern.compile("\\.[a-z0-9-]+\\.(dfs|blob|file|queue|table)\\.core\\.(windows\\.net|chinacloudapi\\.cn)$");

  /** Keys (after the prefix and host are dropped) that end with one of these hold a secret. */
  private static final List<String> ENDINGS = List.of("password", "passwd", "secret", "token", "credential",
      "credentials", "account.key", "access.key", "secret.key", "encryption.key", "private.key", "private.key.id",
      "sas.token", "auth.key");

  /** Key prefixes whose every key is a secret: Azure SAS tokens per container. */
  private static final List<String> PREFIXES = List.of("fs.azure.sas.");

  /** Whether the setting holds a secret. */
  public static boolean isSecret(String key) {
    String k = key.replace("\"", "").toLowerCase(Locale.ROOT);
    if (k.startsWith("spark.hadoop.")) k = k.substring("spark.hadoop.".length());
    k = AZURE_HOST.matcher(k).replaceFirst("");
    for (String prefix : PREFIXES) {
      if (k.startsWith(prefix)) return true;
    }
    String last = k.substring(k.lastIndexOf('.') + 1);
    for (String ending : ENDINGS) {
      if (ending.contains(".") ? k.equals(ending) || k.endsWith("." + ending) : last.endsWith(ending)) return true;
    }
    return false;
  }

  /** The value as pql prints it: masked for a secret. */
  public static String shown(String key, String value) {
    return isSecret(key) ? "***" : value;
  }
}
