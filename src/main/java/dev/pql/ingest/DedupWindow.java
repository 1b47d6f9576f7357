package dev.pql.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.apache.spark.sql.Column;

/**
 * Where a batch's event ids are looked up for duplicates: the event days the batch covers, each widened by the
 * window either side, as a few date ranges over the events table's partition column, so Delta reads only those
 * partitions. A copy re-sent as it was (same timestamp) is always found, however old its day; one whose timestamp
 * moved by more than the window is not looked for.
 */
public final class DedupWindow {
  private DedupWindow() {}

  /** The days a batch's duplicates are looked up in, as inclusive ranges [from, to], merged and in order. */
  public static List<LocalDate[]> ranges(Iterable<LocalDate> covered, int windowDays) {
    TreeSet<LocalDate> days = new TreeSet<>();
    covered.forEach(days::add);
    List<LocalDate[]> ranges = new ArrayList<>();
    for (LocalDate day : days) {
      LocalDate from = day.minusDays(windowDays);
      LocalDate to = day.plusDays(windowDays);
      LocalDate[] last = ranges.isEmpty() ? null : ranges.get(ranges.size() - 1);
      if (last != null && !from.isAfter(last[1].plusDays(1))) {
        if (to.isAfter(last[1])) last[1] = to;
      } else {
        ranges.add(new LocalDate[] {from, to});
      }
    }
    return ranges;
  }

  /**
   * Whether {@code dateColumn} falls in one of the ranges (false when there is none: an empty batch looks nothing
   * up).
   */
  public static Column within(String dateColumn, List<LocalDate[]> ranges) {
    Column in = lit(false);
    for (LocalDate[] r : ranges) {
      in = in.or(col(dateColumn).between(lit(java.sql.Date.valueOf(r[0])), lit(java.sql.Date.valueOf(r[1]))));
    }
    return in;
  }
}
