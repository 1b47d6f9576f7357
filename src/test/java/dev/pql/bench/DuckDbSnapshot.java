package dev.pql.bench;

import dev.pql.config.Settings;
import dev.pql.features.FeatureNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The DuckDB side of the benchmark: bench/duckdb/snapshot.sql, filled in from pql's configuration and key events,
 * run over the events table's Parquet files and the account states, then compared with pql's snapshot account by
 * account.
 */
final class DuckDbSnapshot {
  private DuckDbSnapshot() {}

  /** The time of DuckDB's snapshot query and the accounts on which the two engines differ (0: the same). */
  /** DuckDB's query runs this many times; the median time is reported. */
  static final int RUNS = 3;

  record Outcome(double seconds, long accounts, long differing, String example) {}

  /** The template's text with every placeholder filled in. */
  static String sql(Path template, Settings settings, Map<String, String> keyEvents, LocalDate asOf)
      throws IOException {
    Settings.FeatureSettings f = settings.features();
    StringBuilder perEvent = new StringBuilder();
    for (int w : f.countWindows()) {
      if (w != 30) perEvent.append(String.format("         count(*) FILTER (event_date >= DATE '%s' - %d) AS w%d,%n",
          asOf, w, w));
    }
    for (int k : f.signupWindows()) {
      perEvent.append(String.format("         count(*) FILTER (event_date < signup_date + %d) AS first%d,%n", k, k));
    }
    StringBuilder aggregates = new StringBuilder();
    StringBuilder columns = new StringBuilder();
    StringBuilder userAggregates = new StringBuilder();
    for (Map.Entry<String, String> e : keyEvents.entrySet()) {
      String is = "event = " + quote(e.getKey());
      String s = e.getValue();
      aggregates.append(String.format("         sum(total) FILTER (%1$s) AS %2$s, min(first_ts) FILTER (%1$s) AS "
          + "first_ts__%3$s,%n", is, FeatureNames.countTotal(s), s));
      columns.append(String.format("       coalesce(k.%1$s, 0) AS %1$s,%n", FeatureNames.countTotal(s)));
      for (int w : f.countWindows()) {
        String name = FeatureNames.countWindow(w, s);
        aggregates.append(String.format("         sum(w%d) FILTER (%s) AS %s,%n", w, is, name));
        columns.append(String.format("       coalesce(k.%1$s, 0) AS %1$s,%n", name));
      }
      for (int k : f.signupWindows()) {
        String name = FeatureNames.countFirst(k, s);
        aggregates.append(String.format("         sum(first%d) FILTER (%s) AS %s,%n", k, is, name));
        columns.append(String.format("       CASE WHEN DATE '%s' - s.signup_at::DATE >= %d THEN coalesce(k.%s, 0) END"
            + " AS %s,%n", asOf, k, name, name));
      }
      for (int w : f.userWindows()) {
        String name = FeatureNames.distinctUsers(w, s);
        userAggregates.append(String.format(
            "         count(*) FILTER (last_date >= DATE '%s' - %d AND %s) AS %s,%n", asOf, w, is, name));
        columns.append(String.format("       coalesce(p.%1$s, 0) AS %1$s,%n", name));
      }
      columns.append(String.format("       k.first_ts__%s::DATE - s.signup_at::DATE AS %s,%n", s,
          FeatureNames.daysToFirst(s)));
    }
    StringBuilder limitAggregates = new StringBuilder();
    StringBuilder limitColumns = new StringBuilder();
    for (Settings.PlanLimit l : f.planLimits()) {
      String s = FeatureNames.snake(l.event());
      limitAggregates.append(String.format("         count(*) FILTER (%sevent = %s) AS limit_use__%s,%n",
          l.sinceSignup() ? "" : "in30 AND ", quote(l.event()), s));
      limitColumns.append(String.format("       coalesce(c.limit_use__%s, 0) / %d AS %s,%n", s, l.limit(),
          FeatureNames.usageVsLimit(s)));
    }
    StringBuilder milestoneAggregates = new StringBuilder();
    List<String> reached = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < f.activationMilestones().size(); i++) {
      Settings.Milestone m = f.activationMilestones().get(i);
      milestoneAggregates.append(String.format("         count(*) FILTER (event = %s) AS milestone_%d,%n",
          quote(m.event()), i));
      String isReached = "coalesce(c.milestone_" + i + ", 0) >= " + m.atLeast();
      reached.add("CASE WHEN " + isReached + " THEN 1 ELSE 0 END");
      names.add("CASE WHEN " + isReached + " THEN " + quote(m.name()) + " END");
    }
    return Files.readString(template)
        .replace("${as_of}", asOf.toString())
        .replace("${per_event_aggregates}\n", perEvent.toString())
        .replace("${key_event_aggregates}\n", aggregates.toString())
        .replace("${key_event_columns}\n", columns.toString())
        .replace("${user_aggregates}\n", userAggregates.toString())
        .replace("${longest_user_window}", String.valueOf(f.userWindows().stream().max(Integer::compare).orElse(0)))
        .replace("${limit_aggregates}\n", limitAggregates.toString())
        .replace("${limit_columns}\n", limitColumns.toString())
        .replace("${milestone_aggregates}\n", milestoneAggregates.toString())
        .replace("${milestones_reached}", String.join(" + ", reached))
        .replace("${milestones}", String.valueOf(f.activationMilestones().size()))
        .replace("${milestone_names}", String.join(", ", names))
        .replace("${key_events}", list(List.copyOf(keyEvents.keySet())))
        .replace("${invite_events}", list(f.inviteEvents()))
        .replace("${login_events}", list(f.loginEvents()))
        .replace("${limit_events}", list(f.limitEvents()))
        .replace("${hand_raise_events}", list(f.handRaiseEvents()))
        .replace("${enterprise_domains}", list(settings.domains().enterprise()))
        .replace("${webmail_domains}", list(settings.domains().webmail()))
        .replace("${mid_from}", String.valueOf(f.sizeMidFrom()))
        .replace("${large_from}", String.valueOf(f.sizeLargeFrom()));
  }

  /**
   * Runs the snapshot in DuckDB over the events files and the account states, times it (the query alone, the
   * connection open; the median of {@link #RUNS} runs), and compares its rows with pql's snapshot files, every
   * column of every account.
   */
  static Outcome runAndCompare(String sql, Path eventsTable, Path accountStates, Path pqlSnapshot)
      throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement()) {
      s.execute("SET TimeZone = 'UTC'");
      s.execute("CREATE VIEW events AS SELECT * FROM read_parquet('" + eventsTable + "/*/*.parquet', "
          + "hive_partitioning = true)");
      s.execute("CREATE VIEW accounts AS SELECT * FROM read_parquet('" + accountStates + "/*.parquet')");
      // Its time varies run to run by up to 2x on this machine: the median of three runs is the one reported.
      double[] runs = new double[RUNS];
      for (int i = 0; i < RUNS; i++) {
        long t0 = System.nanoTime();
        s.execute("CREATE OR REPLACE TABLE duck AS " + sql);
        runs[i] = (System.nanoTime() - t0) / 1e9;
      }
      System.out.printf("bench: DuckDB runs: %s s%n", java.util.Arrays.toString(runs));
      java.util.Arrays.sort(runs);
      double seconds = runs[RUNS / 2];
      s.execute("CREATE VIEW pql AS SELECT * FROM read_parquet('" + pqlSnapshot + "/*.parquet')");
      List<String> checks = new ArrayList<>();
      try (ResultSet cols = s.executeQuery("SELECT column_name, data_type FROM information_schema.columns "
          + "WHERE table_name = 'duck' AND column_name <> 'account_id'")) {
        while (cols.next()) {
          String col = cols.getString(1);
          checks.add(cols.getString(2).equals("DOUBLE")
              ? "(d." + col + " IS NULL) = (p." + col + " IS NULL) AND coalesce(abs(d." + col + " - p." + col
                  + ") <= 1e-9 * greatest(1, abs(p." + col + ")), true)"
              : "d." + col + " IS NOT DISTINCT FROM p." + col);
        }
      }
      String same = checks.stream().map(x -> "(" + x + ")").collect(Collectors.joining(" AND "));
      long accounts;
      long differing;
      String example = "";
      try (ResultSet r = s.executeQuery("SELECT count(*), count(*) FILTER (WHERE d.account_id IS NULL OR "
          + "p.account_id IS NULL OR NOT (" + same + ")) FROM duck d FULL JOIN pql p USING (account_id)")) {
        r.next();
        accounts = r.getLong(1);
        differing = r.getLong(2);
      }
      if (differing > 0) {
        StringBuilder columns = new StringBuilder();
        for (String check : checks) {
          try (ResultSet r = s.executeQuery("SELECT count(*) FROM duck d JOIN pql p USING (account_id) WHERE NOT ("
              + check + ")")) {
            r.next();
            if (r.getLong(1) > 0) columns.append(check.replaceAll(".*d\\.([a-z0-9_]+).*", "$1")).append('=')
                .append(r.getLong(1)).append(' ');
          }
        }
        example = columns.toString().strip();
      }
      return new Outcome(seconds, accounts, differing, example);
    }
  }

  private static String quote(String s) {
    return "'" + s.replace("'", "''") + "'";
  }

  /** Values as a SQL list of quoted strings; NULL when there is none. */
  static String list(List<String> values) {
    return values.isEmpty() ? "NULL" : values.stream().map(DuckDbSnapshot::quote).collect(Collectors.joining(", "));
  }
}
