package dev.pql.cli;

/**
 * pql's entry point for platforms that own the JVM and its Spark session (a Databricks JAR task, a notebook's
 * driver): the same commands as {@link Main}, but never System.exit; a command that fails throws, with its exit
 * code in the message, so the platform marks the task failed.
 */
public final class Task {
  private Task() {}

  public static void main(String[] args) {
    int code = Main.execute(args);
    if (code != 0) throw new IllegalStateException("pql " + String.join(" ", args) + " ended with exit code " + code);
  }
}
