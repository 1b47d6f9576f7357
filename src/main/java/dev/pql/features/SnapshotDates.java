package dev.pql.features;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

/** The as-of dates of a snapshot range: every day, or every given weekday, from {@code from} to {@code to}. */
public final class SnapshotDates {
  private SnapshotDates() {}

  public static List<LocalDate> between(LocalDate from, LocalDate to, boolean weekly, DayOfWeek weekday) {
    if (to.isBefore(from)) throw new IllegalArgumentException("--to " + to + " is before --from " + from);
    List<LocalDate> dates = new ArrayList<>();
    for (LocalDate d = from; !d.isAfter(to); d = d.plusDays(1)) {
      if (!weekly || d.getDayOfWeek() == weekday) dates.add(d);
    }
    return dates;
  }
}
