package dev.pql.model;

import org.apache.commons.math3.distribution.NormalDistribution;

/** The standard normal distribution, for every z-based test and interval pql reports: one place, one instance. */
public final class Normal {
  private Normal() {}

  private static final NormalDistribution STANDARD = new NormalDistribution();

  /** Phi(x). */
  public static double cdf(double x) {
    return STANDARD.cumulativeProbability(x);
  }

  /** The p quantile: Phi^-1(p). */
  public static double quantile(double p) {
    return STANDARD.inverseCumulativeProbability(p);
  }

  /** The z of a two-sided interval at {@code confidence} (1.96 at 0.95). */
  public static double twoSided(double confidence) {
    return quantile(0.5 + confidence / 2);
  }
}
