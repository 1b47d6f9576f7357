package dev.pql.model;

import java.util.Arrays;
import java.util.Locale;

/**
 * A figure people act on, with its interval: {@code value} and the bounds {@code lo}..{@code hi}. Undefined parts are
 * NaN here and null in tables; they print as "-".
 */
public record Estimate(double value, double lo, double hi) {
  public static final Estimate UNDEFINED = new Estimate(Double.NaN, Double.NaN, Double.NaN);

  /** A value without an interval. */
  public static Estimate of(double value) {
    return new Estimate(value, Double.NaN, Double.NaN);
  }

  /**
   * A proportion of independent trials (one per account) with its Wilson score interval: it stays inside 0..1 and
   * keeps its coverage near 0 and 1, where the normal approximation does not.
   */
  public static Estimate wilson(long successes, long trials, double confidence) {
    return wilson((double) successes, (double) trials, confidence);
  }

  /**
   * The Wilson interval at an effective sample size (trials divided by a design effect, so not whole): the rate is
   * successes / trials either way.
   */
  public static Estimate wilson(double successes, double trials, double confidence) {
    if (trials <= 0) return UNDEFINED;
    double z = Normal.twoSided(confidence);
    double p = (double) successes / trials;
    double z2n = z * z / trials;
    double centre = (p + z2n / 2) / (1 + z2n);
    double half = z / (1 + z2n) * Math.sqrt(p * (1 - p) / trials + z2n / (4.0 * trials));
    return new Estimate(p, Math.max(0, centre - half), Math.min(1, centre + half));
  }

  /**
   * The ratio of two independent rates with the MOVER-R interval of Donner and Zou (2012), from each rate's own
   * interval (Wilson's): it stays sensible where a rate is 0 or 1 from few trials. Undefined when the second rate
   * is 0.
   */
  public static Estimate ratio(Estimate first, Estimate second) {
    double p1 = first.value();
    double p2 = second.value();
    if (!(p2 > 0) || !Double.isFinite(p1)) return UNDEFINED;
    double product = p1 * p2;
    double lower1 = first.lo() * (2 * p1 - first.lo());
    double upper1 = first.hi() * (2 * p1 - first.hi());
    double lower2 = second.lo() * (2 * p2 - second.lo());
    double upper2 = second.hi() * (2 * p2 - second.hi());
    double lo = (product - Math.sqrt(Math.max(0, product * product - lower1 * upper2))) / upper2;
    double hi = lower2 > 0 ? (product + Math.sqrt(Math.max(0, product * product - upper1 * lower2))) / lower2
        : Double.POSITIVE_INFINITY;
    return new Estimate(p1 / p2, Math.max(0, lo), Double.isFinite(hi) ? hi : Double.NaN);
  }

  /**
   * The percentile bootstrap interval of {@code value} from its value on each resample. Resamples where the figure
   * is undefined (no qualifying row drawn) are left out; when more than a tenth are, the interval is undefined too:
   * the figure rests on too few accounts to say.
   */
  public static Estimate bootstrap(double value, double[] replicates, double confidence) {
    if (!Double.isFinite(value)) return UNDEFINED;
    double[] finite = Arrays.stream(replicates).filter(Double::isFinite).toArray();
    if (finite.length < 0.9 * replicates.length || finite.length < 2) return of(value);
    double tail = (1 - confidence) / 2;
    return new Estimate(value, AccountBootstrap.quantile(finite, tail), AccountBootstrap.quantile(finite, 1 - tail));
  }

  public boolean hasInterval() {
    return Double.isFinite(lo) && Double.isFinite(hi);
  }

  /** The value, or null when undefined: for a table's nullable column. */
  public Double valueOrNull() {
    return finite(value);
  }

  public Double loOrNull() {
    return finite(lo);
  }

  public Double hiOrNull() {
    return finite(hi);
  }

  /** True when the whole interval lies above {@code bound} (a lift above 1: the figure surely says something). */
  public boolean surelyAbove(double bound) {
    return hasInterval() && lo > bound;
  }

  /**
   * As a person reads it: {@code format} applied to value, lo and hi after multiplying by {@code scale}, as
   * "4.8x (3.9–5.9)"; "-" when undefined, the value alone when it has no interval.
   */
  public String format(String format, double scale) {
    if (!Double.isFinite(value)) return "-";
    String v = String.format(Locale.ROOT, format, value * scale);
    if (!hasInterval()) return v;
    String unit = format.replaceAll("%[^a-zA-Z%]*[a-zA-Z]", "");
    String bare = format.replace(unit, "");
    return v + " (" + String.format(Locale.ROOT, bare, lo * scale) + "–"
        + String.format(Locale.ROOT, format, hi * scale) + ")";
  }

  private static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }
}
