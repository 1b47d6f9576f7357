package dev.pql.model;

import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.linalg.Vectors;

/**
 * MLlib's binomial logistic regression fitted on the driver: the same objective (mean log loss plus
 * regParam × (elasticNet × |β|₁ + (1 − elasticNet) / 2 × |β|²), intercept unpenalized, inputs as given since pql
 * standardizes them itself, a constant input's coefficient 0) minimized by the coordinate descent of glmnet
 * (Friedman, Hastie and Tibshirani 2010): Newton steps on the log loss, each a penalized quadratic solved one
 * coordinate at a time on the Hessian, halved while they do not lower the objective. MLlib runs one
 * Spark job per L-BFGS / OWL-QN iteration; on a matrix of a few million cells that overhead is nearly all of
 * its fit. Breeze's optimizers, which MLlib uses, cannot take an objective written in Java: javac cannot
 * implement {@code DiffFunction}, whose {@code apply} returns both {@code double} and {@code Object}.
 */
final class LocalLogisticRegression {
  private LocalLogisticRegression() {}

  /**
   * Newton steps at most, and the objective's relative change below which the fit has converged (MLlib's
   * L-BFGS stops at 1e-6). Newton steps take the curvature along collinear inputs into account, where
   * first-order methods and coordinate descent on the rows crawl.
   */
  private static final int MAX_NEWTON_STEPS = 100;
  private static final double TOLERANCE = 1e-10;
  /**
   * Coordinate sweeps per Newton step at most, and the largest change of the quadratic that ends them (glmnet's
   * criterion, curvature × change²; its default is 1e-7, but a sweep here costs inputs², not rows × inputs).
   */
  private static final int MAX_SWEEPS = 10_000;
  private static final double SWEEP_TOLERANCE = 1e-12;
  /** The floor of the Newton weights p(1 − p), as glmnet's: fitted probabilities of 0 or 1 would stall it. */
  private static final double MIN_WEIGHT = 1e-5;

  /**
   * Fits {@code estimator}'s regularization on the matrix, from {@code start}'s coefficients when given (a warm
   * start along a regularization path: the problem is convex, so the start changes the time, not the answer).
   * The model carries the estimator's uid and parameters.
   */
  static LogisticRegressionModel fit(LocalMatrix m, LogisticRegression estimator, LogisticRegressionModel start) {
    double l1 = estimator.getRegParam() * estimator.getElasticNetParam();
    double l2 = estimator.getRegParam() * (1 - estimator.getElasticNetParam());
    int n = m.rows();
    int p = m.width();
    double[] x = m.values();
    double[] y = m.labels();
    boolean[] varies = m.varies();
    double positives = 0;
    for (double label : y) positives += label;
    double[] beta = new double[p];
    double intercept = positives > 0 && positives < n ? Math.log(positives / (n - positives)) : 0;
    if (start != null) {
      beta = start.coefficients().toArray().clone();
      for (int j = 0; j < p; j++) if (!varies[j]) beta[j] = 0;
      intercept = start.intercept();
    }
    double[] margin = new double[n];
    margins(x, n, p, beta, intercept, margin);
    double objective = objective(margin, y, beta, l1, l2);

    double[] w = new double[n];
    double[] residual = new double[n];
    for (int step = 0; step < MAX_NEWTON_STEPS; step++) {
      for (int i = 0; i < n; i++) {
        double prob = 1 / (1 + Math.exp(-margin[i]));
        w[i] = Math.max(prob * (1 - prob), MIN_WEIGHT);
        residual[i] = y[i] - prob;
      }
      double[] target = newtonTarget(x, n, p, w, residual, beta, intercept, l1, l2, varies);
      double[] newBeta = java.util.Arrays.copyOf(target, p);
      double newIntercept = target[p];
      // Halve the Newton step while it does not lower the objective (logistic IRLS can overshoot).
      double[] candidate = new double[n];
      double stepSize = 1;
      double candidateObjective = Double.POSITIVE_INFINITY;
      double[] candidateBeta = new double[p];
      double candidateIntercept = intercept;
      for (int halving = 0; halving < 30; halving++) {
        for (int j = 0; j < p; j++) candidateBeta[j] = beta[j] + stepSize * (newBeta[j] - beta[j]);
        candidateIntercept = intercept + stepSize * (newIntercept - intercept);
        margins(x, n, p, candidateBeta, candidateIntercept, candidate);
        candidateObjective = objective(candidate, y, candidateBeta, l1, l2);
        if (candidateObjective <= objective) break;
        stepSize /= 2;
      }
      if (candidateObjective > objective) break;
      double change = (objective - candidateObjective) / Math.max(Math.abs(objective), 1e-12);
      beta = candidateBeta.clone();
      intercept = candidateIntercept;
      System.arraycopy(candidate, 0, margin, 0, n);
      objective = candidateObjective;
      if (change < TOLERANCE) break;
    }
    LogisticRegressionModel model = new LogisticRegressionModel(estimator.uid(), Vectors.dense(beta), intercept);
    // The model shares the estimator's uid, so copy() takes over every parameter the estimator was given.
    return model.copy(estimator.extractParamMap());
  }

  /**
   * The minimum of the quadratic model of the objective at ({@code beta}, {@code intercept}): gradient and
   * Hessian of the mean log loss, the elastic-net penalty exact. Returns the coefficients followed by the
   * intercept.
   */
  private static double[] newtonTarget(double[] x, int n, int p, double[] w, double[] residual, double[] beta,
      double intercept, double l1, double l2, boolean[] varies) {
    int q = p + 1; // the intercept is coordinate p, a column of ones
    Curvature hessian = new Curvature(x, n, p, w, varies);
    double[] gradient = slope(x, n, p, residual, varies);
    double[] start = java.util.Arrays.copyOf(beta, q);
    start[p] = intercept;
    PenalizedQuadratic quadratic = new PenalizedQuadratic(hessian, gradient, start, l1, l2, varies);
    for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
      double largest = quadratic.sweep();
      // Each step short of the target drops an input, so at most q of them before the support's minimum.
      Step step = Step.SHORT;
      for (int shrink = 0; step == Step.SHORT && shrink < q; shrink++) step = quadratic.exactStep();
      if (step == Step.OPTIMAL || largest < SWEEP_TOLERANCE) break;
    }
    return quadratic.b;
  }

  /** What an exact step reached: the minimum; the minimum on its support only; a sign change; or nothing. */
  private enum Step { OPTIMAL, SUPPORT_MINIMUM, SHORT, SINGULAR }

  /**
   * ½ d'Hd + g'd + l1 |b|₁ + l2/2 |b|² over b = start + d (intercept unpenalized), minimized by alternating a
   * coordinate-descent sweep, which finds which inputs are nonzero, with an exact step on those inputs (the
   * feature-sign search of Lee, Battle, Raina and Ng 2007): with their signs fixed the problem is a linear
   * system, solved by one Cholesky factorization, and the iterate moves towards its solution up to the first
   * sign change. On collinear inputs, where coordinate descent crawls through hundreds of sweeps, a few such
   * steps land on the minimum.
   */
  private static final class PenalizedQuadratic {
    private final Curvature hessian;
    private final double[] gradient;
    private final double[] start;
    private final double l1;
    private final double l2;
    private final boolean[] varies;
    private final int q;
    private final int p;
    final double[] b;
    /** H (b − start), kept up to date as b moves. */
    private final double[] hessianTimesStep;

    PenalizedQuadratic(Curvature hessian, double[] gradient, double[] start, double l1, double l2, boolean[] varies) {
      this.hessian = hessian;
      this.gradient = gradient;
      this.start = start;
      this.l1 = l1;
      this.l2 = l2;
      this.varies = varies;
      this.q = start.length;
      this.p = q - 1;
      this.b = start.clone();
      this.hessianTimesStep = new double[q];
    }

    /** One coordinate-descent pass over every input and the intercept; returns the largest curvature × change². */
    double sweep() {
      double largest = 0;
      for (int j = 0; j < q; j++) {
        boolean isIntercept = j == p;
        if (!isIntercept && !varies[j]) continue;
        double curvature = hessian.diagonal(j);
        double slope = gradient[j] + hessianTimesStep[j];
        double updated = isIntercept ? b[j] - slope / curvature
            : softThreshold(curvature * b[j] - slope, l1) / (curvature + l2);
        double delta = updated - b[j];
        if (delta == 0) continue;
        double[] column = hessian.column(j);
        for (int k = 0; k < q; k++) hessianTimesStep[k] += column[k] * delta;
        b[j] = updated;
        largest = Math.max(largest, curvature * delta * delta);
      }
      return largest;
    }

    /**
     * Moves b towards the minimum over its nonzero inputs with their signs, stopping where a sign would change
     * (that input drops to 0); optimal when no sign changed and every zero input's slope is within the L1 penalty.
     */
    Step exactStep() {
      int[] active = java.util.stream.IntStream.range(0, q).filter(j -> j == p || b[j] != 0).toArray();
      double[] target = solveOnSupport(active);
      if (target == null) return Step.SINGULAR;
      double reach = 1; // the share of the way to the target before the first sign change
      for (int j : active) {
        if (j != p && Math.signum(target[j]) != Math.signum(b[j])) reach = Math.min(reach, b[j] / (b[j] - target[j]));
      }
      for (int j : active) {
        double moved = b[j] + reach * (target[j] - b[j]);
        b[j] = reach == 1 ? target[j] : j != p && Math.signum(moved) != Math.signum(b[j]) ? 0 : moved;
      }
      java.util.Arrays.fill(hessianTimesStep, 0);
      for (int j = 0; j < q; j++) {
        if (b[j] == start[j]) continue;
        double[] column = hessian.column(j);
        for (int k = 0; k < q; k++) hessianTimesStep[k] += column[k] * (b[j] - start[j]);
      }
      if (reach < 1) return Step.SHORT;
      return zeroInputsOptimal() ? Step.OPTIMAL : Step.SUPPORT_MINIMUM;
    }

    /** (H_AA + l2) z_A = (H start)_A − g_A − l1 sign(b_A); every other coordinate 0. Null if not positive definite. */
    private double[] solveOnSupport(int[] active) {
      int m = active.length;
      double[] system = new double[m * m];
      double[] solution = new double[m];
      double[] hessianTimesStart = new double[q];
      for (int k = 0; k < q; k++) {
        if (start[k] == 0) continue;
        double[] column = hessian.column(k);
        for (int j = 0; j < q; j++) hessianTimesStart[j] += column[j] * start[k];
      }
      for (int c = 0; c < m; c++) {
        double[] column = hessian.column(active[c]);
        for (int r = 0; r < m; r++) system[c * m + r] = column[active[r]] + (r == c && active[r] != p ? l2 : 0);
      }
      for (int r = 0; r < m; r++) {
        int j = active[r];
        solution[r] = hessianTimesStart[j] - gradient[j] - (j == p ? 0 : l1 * Math.signum(b[j]));
      }
      org.netlib.util.intW info = new org.netlib.util.intW(0);
      dev.ludovic.netlib.lapack.LAPACK lapack = dev.ludovic.netlib.lapack.LAPACK.getInstance();
      lapack.dpotrf("U", m, system, m, info);
      if (info.val != 0) return null;
      lapack.dpotrs("U", m, 1, system, m, solution, m, info);
      if (info.val != 0) return null;
      double[] target = new double[q];
      for (int r = 0; r < m; r++) target[active[r]] = solution[r];
      return target;
    }

    /** Every input at zero has a slope within the L1 penalty: moving it would not lower the objective. */
    private boolean zeroInputsOptimal() {
      for (int j = 0; j < p; j++) {
        if (varies[j] && b[j] == 0 && Math.abs(gradient[j] + hessianTimesStep[j]) > l1 * (1 + 1e-9)) return false;
      }
      return true;
    }
  }

  /**
   * The gradient of the mean log loss at the current margins, from the residuals y − p; the intercept is the last
   * coordinate, a column of ones.
   */
  private static double[] slope(double[] x, int n, int p, double[] residual, boolean[] varies) {
    double[] gradient = new double[p + 1];
    dev.ludovic.netlib.blas.BLAS.getInstance().dgemv("T", n, p, -1.0 / n, x, n, residual, 1, 0.0, gradient, 1);
    for (int k = 0; k < p; k++) if (!varies[k]) gradient[k] = 0;
    double g = 0;
    for (double r : residual) g -= r;
    gradient[p] = g / n;
    return gradient;
  }

  /**
   * The Hessian of the mean log loss, X'WX / n with the intercept as a last column of ones, computed a column at a
   * time when first asked for (a BLAS product of the √w-scaled inputs). With the L1 penalty most inputs stay at
   * zero and only the columns of those that move are ever needed, each rows × inputs, where the whole matrix costs
   * rows × inputs² per Newton step.
   */
  private static final class Curvature {
    private final int n;
    private final int p;
    private final boolean[] varies;
    /** √w times each input, column-major, and √w itself (the intercept's column). */
    private final double[] scaled;
    private final double[] root;
    private final double[] diagonal;
    private final double[][] columns;

    Curvature(double[] x, int n, int p, double[] w, boolean[] varies) {
      this.n = n;
      this.p = p;
      this.varies = varies;
      this.scaled = new double[n * p];
      this.root = new double[n];
      this.diagonal = new double[p + 1];
      this.columns = new double[p + 1][];
      for (int i = 0; i < n; i++) {
        root[i] = Math.sqrt(w[i]);
        diagonal[p] += w[i];
      }
      diagonal[p] /= n;
      for (int j = 0; j < p; j++) {
        if (!varies[j]) continue;
        double sum = 0;
        for (int i = 0, c = j * n; i < n; i++) {
          double v = root[i] * x[c + i];
          scaled[c + i] = v;
          sum += v * v;
        }
        diagonal[j] = sum / n;
      }
    }

    double diagonal(int j) {
      return diagonal[j];
    }

    /** Column j of the Hessian (row j, by symmetry); a constant input's row and column are 0. */
    double[] column(int j) {
      if (columns[j] != null) return columns[j];
      double[] column = new double[p + 1];
      if (j == p || varies[j]) {
        // Input j's scaled values are read in place, at its offset in the column-major matrix.
        double[] times = j == p ? root : scaled;
        int offset = j == p ? 0 : j * n;
        dev.ludovic.netlib.blas.BLAS.getInstance()
            .dgemv("T", n, p, 1.0 / n, scaled, 0, n, times, offset, 1, 0.0, column, 0, 1);
        double withIntercept = 0;
        for (int i = 0; i < n; i++) withIntercept += root[i] * times[offset + i];
        column[p] = withIntercept / n;
        for (int k = 0; k < p; k++) if (!varies[k]) column[k] = 0;
        column[j] = diagonal[j];
      }
      columns[j] = column;
      return column;
    }
  }

  private static double softThreshold(double value, double threshold) {
    return Math.signum(value) * Math.max(Math.abs(value) - threshold, 0);
  }

  private static void margins(double[] x, int n, int p, double[] beta, double intercept, double[] margin) {
    java.util.Arrays.fill(margin, intercept);
    for (int j = 0; j < p; j++) {
      if (beta[j] == 0) continue;
      for (int i = 0; i < n; i++) margin[i] += x[j * n + i] * beta[j];
    }
  }

  /** Mean log loss, log(1 + e^η) − y·η computed stably, plus the elastic-net penalty. */
  private static double objective(double[] margin, double[] y, double[] beta, double l1, double l2) {
    double loss = 0;
    for (int i = 0; i < margin.length; i++) {
      double m = margin[i];
      loss += Math.max(m, 0) + Math.log1p(Math.exp(-Math.abs(m))) - y[i] * m;
    }
    double penalty = 0;
    for (double b : beta) penalty += l1 * Math.abs(b) + 0.5 * l2 * b * b;
    return loss / margin.length + penalty;
  }
}
