package dev.pql.model;

import java.util.Locale;

/**
 * How pql reports a p-value: from a normal approximation (an account-clustered z), which does not resolve tails
 * below {@link #RESOLUTION}. Tables store at least that value and print it as a bound, never as zero.
 */
public final class PValue {
  private PValue() {}

  /** The smallest p-value pql states; anything below reads "< 1e-6". */
  public static final double RESOLUTION = 1e-6;

  /** The value to store: p, or {@link #RESOLUTION} when below it. */
  public static double stored(double p) {
    return Double.isNaN(p) ? p : Math.max(p, RESOLUTION);
  }

  /** As a person reads it: "0.032", "2.1e-04", "< 1e-6"; "-" when undefined. */
  public static String text(double p) {
    if (!Double.isFinite(p)) return "-";
    if (p <= RESOLUTION) return "< 1e-6";
    return p >= 0.001 ? String.format(Locale.ROOT, "%.3f", p) : String.format(Locale.ROOT, "%.1e", p);
  }
}
