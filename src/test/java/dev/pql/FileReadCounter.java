package dev.pql;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

/**
 * Counts how often each data file of a table is read, from the line Spark's file scan logs for every file it
 * opens ("Reading File path: ..."). This sees physical reads, whatever the plan: a cached frame read twice is
 * one read, a plan that scans a table twice is two, Delta's own queries included.
 */
public final class FileReadCounter implements AutoCloseable {
  private static final String SCAN_LOGGER = "org.apache.spark.sql.execution.datasources.FileScanRDD";
  private static final Pattern FILE = Pattern.compile("Reading File path: (\\S+), range: (\\d+)-");

  private final Map<String, Integer> readsByFile = new ConcurrentHashMap<>();
  private final AbstractAppender appender;
  private final LoggerConfig scanLogger;

  /** Starts counting reads of the data files under {@code tableDir} (its Delta log is not counted). */
  public FileReadCounter(String tableDir) {
    String prefix = tableDir.endsWith("/") ? tableDir : tableDir + "/";
    appender = new AbstractAppender("file-read-counter " + prefix, null, null, true, Property.EMPTY_ARRAY) {
      @Override
      public void append(LogEvent event) {
        Matcher m = FILE.matcher(event.getMessage().getFormattedMessage());
        // A split file is read in ranges: count each file once per read, at its first range.
        if (m.find() && m.group(1).contains(prefix) && !m.group(1).contains("/_delta_log/")
            && m.group(2).equals("0")) {
          readsByFile.merge(m.group(1), 1, Integer::sum);
        }
      }
    };
    appender.start();
    LoggerContext context = (LoggerContext) LogManager.getContext(false);
    scanLogger = context.getConfiguration().getLoggerConfig(SCAN_LOGGER);
    if (!scanLogger.getName().equals(SCAN_LOGGER) || !scanLogger.getLevel().isLessSpecificThan(Level.INFO)) {
      throw new IllegalStateException("log4j2-test.properties must set " + SCAN_LOGGER + " to info");
    }
    scanLogger.addAppender(appender, Level.INFO, null);
    context.updateLoggers();
  }

  /** How many times the table was scanned: the most times any of its files was read. */
  public int scans() {
    return readsByFile.values().stream().max(Integer::compare).orElse(0);
  }

  /** Data files read at least once. */
  public int filesRead() {
    return readsByFile.size();
  }

  @Override
  public void close() {
    scanLogger.removeAppender(appender.getName());
    ((LoggerContext) LogManager.getContext(false)).updateLoggers();
    appender.stop();
  }
}
