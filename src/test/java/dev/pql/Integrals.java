package dev.pql;

/** Truths of test worlds worked out by integration. */
public final class Integrals {
  private Integrals() {}

  /** E[sigmoid(a + b Z)] for Z ~ N(0, 1), by Simpson's rule over -10..10. */
  public static double meanSigmoid(double a, double b) {
    int n = 20_000;
    double h = 20.0 / n;
    double sum = 0;
    for (int k = 0; k <= n; k++) {
      double z = -10 + k * h;
      double f = Math.exp(-z * z / 2) / Math.sqrt(2 * Math.PI) / (1 + Math.exp(-(a + b * z)));
      sum += (k == 0 || k == n ? 1 : k % 2 == 1 ? 4 : 2) * f;
    }
    return sum * h / 3;
  }
}
