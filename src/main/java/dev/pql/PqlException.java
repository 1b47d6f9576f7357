package dev.pql;

/**
 * The one exception family of pql: one subtype per phase, each with the process exit code a scheduler
 * sees. Configuration and schema problems exit 2 because they are found before any work is done.
 */
public abstract class PqlException extends RuntimeException {
  private final int exitCode;

  protected PqlException(String message, Throwable cause, int exitCode) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  public int exitCode() {
    return exitCode;
  }

  /** A configuration file, key or value is wrong. Found before Spark starts. */
  public static final class ConfigurationError extends PqlException {
    public ConfigurationError(String message, Throwable cause) {
      super(message, cause, 2);
    }
  }

  /** A source's columns do not fit its mapping or a table's contract. Found before anything is written. */
  public static final class SchemaError extends PqlException {
    public SchemaError(String message) {
      super(message, null, 2);
    }
  }

  /** A source could not be read. */
  public static final class ReadError extends PqlException {
    public ReadError(String message, Throwable cause) {
      super(message, cause, 3);
    }
  }

  /** A table could not be written; the previous version of the table is intact. */
  public static final class WriteError extends PqlException {
    public WriteError(String message, Throwable cause) {
      super(message, cause, 4);
    }
  }

  /** The warehouse holds too little for the stage to do its work honestly (e.g. no labelled history). */
  public static final class NotEnoughData extends PqlException {
    public NotEnoughData(String message) {
      super(message, null, 3);
    }
  }

  /** Another run holds the warehouse (its lease), or wrote a table at the same time as this run. */
  public static final class WarehouseBusy extends PqlException {
    public WarehouseBusy(String message) {
      super(message, null, 5);
    }
  }
}
