package dev.pql.bench;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;

/**
 * The DuckDB side of the ingest benchmark: the generic layout's event files read, each row checked as pql's ingest
 * checks it (an id, an account, an event name and a time within the accepted range), the rejected rows written with
 * their reason, and the usable rows deduplicated by event id (the earliest copy kept) and written as Parquet
 * partitioned by event date, the properties cut to the kept keys. The counts are pql's to compare.
 */
final class DuckDbIngest {
  private DuckDbIngest() {}

  /** DuckDB's time (the median of {@link #RUNS} runs) and what it read, kept, rejected and found duplicated. */
  record Outcome(double seconds, long read, long written, long rejected, long duplicates) {}

  static final int RUNS = 3;

  static Outcome run(Path events, Path out, Instant earliest, Instant latest, List<String> keptProperties)
      throws SQLException {
    String properties = keptProperties.isEmpty() ? "NULL::MAP(VARCHAR, VARCHAR)"
        : "map_from_entries(list_filter(map_entries(properties), e -> e.key IN ("
            + DuckDbSnapshot.list(keptProperties) + ")))";
    String checked = "SELECT *, CASE"
        + " WHEN event_id IS NULL OR trim(event_id) = '' THEN 'MISSING_EVENT_ID'"
        + " WHEN account_id IS NULL OR trim(account_id) = '' THEN 'MISSING_ACCOUNT_ID'"
        + " WHEN event IS NULL OR trim(event) = '' THEN 'MISSING_EVENT_NAME'"
        + " WHEN ts IS NULL THEN 'MISSING_TIMESTAMP'"
        + " WHEN ts < TIMESTAMP '" + ts(earliest) + "' OR ts > TIMESTAMP '" + ts(latest)
        + "' THEN 'TIMESTAMP_OUT_OF_RANGE' END AS reason"
        + " FROM read_parquet('" + events + "/**/*.parquet')";
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement()) {
      s.execute("SET TimeZone = 'UTC'");
      s.execute("SET preserve_insertion_order = false"); // as pql's writes: no order to keep
      double[] runs = new double[RUNS];
      for (int i = 0; i < RUNS; i++) {
        long t0 = System.nanoTime();
        s.execute("CREATE OR REPLACE TEMP TABLE checked AS " + checked);
        Path to = out.resolve("run-" + i); // a new folder each time: no run overwrites another's files
        s.execute("COPY (SELECT * FROM checked WHERE reason IS NOT NULL) TO '" + to + "-rejected.parquet' "
            + "(FORMAT PARQUET)");
        s.execute("COPY (SELECT event_id, account_id, user_id, event, ts, ts::DATE AS event_date, received_at, "
            + properties + " AS properties FROM checked WHERE reason IS NULL "
            + "QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ts, received_at) = 1) TO '" + to
            + "-events' (FORMAT PARQUET, PARTITION_BY (event_date))");
        runs[i] = (System.nanoTime() - t0) / 1e9;
      }
      System.out.printf("bench: DuckDB ingest runs: %s s%n", java.util.Arrays.toString(runs));
      java.util.Arrays.sort(runs);
      try (ResultSet r = s.executeQuery("SELECT count(*), count(*) FILTER (reason IS NOT NULL), "
          + "count(DISTINCT event_id) FILTER (reason IS NULL), count(*) FILTER (reason IS NULL) FROM checked")) {
        r.next();
        long written = r.getLong(3);
        return new Outcome(runs[RUNS / 2], r.getLong(1), written, r.getLong(2), r.getLong(4) - written);
      }
    }
  }

  private static String ts(Instant i) {
    return i.toString().replace('T', ' ').replace("Z", "");
  }
}
