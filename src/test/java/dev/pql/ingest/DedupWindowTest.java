package dev.pql.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.LocalDate;
import org.junit.jupiter.api.Test;

class DedupWindowTest {
  private static String ranges(int window, String... days) {
    return DedupWindow.ranges(java.util.Arrays.stream(days).map(LocalDate::parse).toList(), window).stream()
        .map(r -> r[0] + ".." + r[1]).toList().toString();
  }

  @Test
  void eachCoveredDayIsWidenedByTheWindowAndOverlappingOrAdjacentRangesMerge() {
    assertEquals("[2026-02-22..2026-03-10, 2026-03-23..2026-04-06]",
        ranges(7, "2026-03-03", "2026-03-01", "2026-03-30", "2026-03-01"));
    assertEquals("[2026-03-01..2026-03-02, 2026-03-04..2026-03-04]", ranges(0, "2026-03-02", "2026-03-01",
        "2026-03-04"));
    assertEquals("[2026-02-28..2026-03-04]", ranges(1, "2026-03-01", "2026-03-03"), "adjacent ranges are one");
    assertEquals("[]", ranges(7));
  }
}
