package dev.pql.io;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.ThreadLocalRandom;

/** Run ids: the UTC start time to the second and a short random suffix, e.g. 20261123T201500Z-3f2a. */
public final class RunIds {
  private static final DateTimeFormatter FORMAT =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private RunIds() {}

  public static String newId(Instant start) {
    return FORMAT.format(start) + "-" + String.format("%04x", ThreadLocalRandom.current().nextInt(0x10000));
  }
}
