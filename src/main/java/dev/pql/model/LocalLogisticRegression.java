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
   * The minimum of the quadratic model of the objective at ({@code beta}, {@code intercept}) — gradient and
   * Hessian of the mean log loss, the elastic-net penalty exact — found by coordinate descent on the Hessian
   * (each update O(inputs), not O(rows)), with glmnet's active-set cycling: a sweep over every input, then
   * sweeps over the nonzero ones until they settle, then a full sweep again. Returns the coefficients followed by
   * the intercept.
   */
  private static double[] newtonTarget(double[] x, int n, int p, double[] w, double[] residual, double[] beta,
      double intercept, double l1, double l2, boolean[] varies) {
    int q = p + 1; // the intercept is coordinate p, a column of ones
    double[] hessian = new double[q * q];
    double[] gradient = new double[q];
    curvatureAndSlope(x, n, p, w, residual, varies, hessian, gradient);

    double[] b = java.util.Arrays.copyOf(beta, q);
    b[p] = intercept;
    double[] hessianTimesStep = new double[q]; // H (b − current), kept up to date as b moves
    boolean full = true;
    for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
      double largest = 0;
      for (int j = 0; j < q; j++) {
        boolean isIntercept = j == p;
        if (!isIntercept && (!varies[j] || (!full && b[j] == 0))) continue;
        double curvature = hessian[j * q + j];
        double slope = gradient[j] + hessianTimesStep[j];
        double updated = isIntercept ? b[j] - slope / curvature
            : softThreshold(curvature * b[j] - slope, l1) / (curvature + l2);
        double delta = updated - b[j];
        if (delta == 0) continue;
        for (int k = 0; k < q; k++) hessianTimesStep[k] += hessian[k * q + j] * delta;
        b[j] = updated;
        largest = Math.max(largest, curvature * delta * delta);
      }
      if (largest < SWEEP_TOLERANCE) {
        if (full) break;
        full = true;
      } else {
        full = false;
      }
    }
    return b;
  }

  /**
   * The Hessian (row-major, (inputs + 1)²) and the gradient of the mean log loss at the current margins, from the
   * Newton weights p(1 − p) and the residuals y − p; the intercept is the last coordinate, a column of ones.
   */
  private static void curvatureAndSlope(double[] x, int n, int p, double[] w, double[] residual, boolean[] varies,
      double[] hessian, double[] gradient) {
    int q = p + 1;
    double[] weighted = new double[n];
    for (int j = 0; j < p; j++) {
      if (!varies[j]) continue;
      int column = j * n;
      double g = 0;
      double sum = 0;
      for (int i = 0; i < n; i++) {
        weighted[i] = w[i] * x[column + i];
        g -= residual[i] * x[column + i];
        sum += weighted[i];
      }
      gradient[j] = g / n;
      for (int k = j; k < p; k++) {
        if (!varies[k]) continue;
        int other = k * n;
        double dot = 0;
        for (int i = 0; i < n; i++) dot += weighted[i] * x[other + i];
        hessian[j * q + k] = dot / n;
        hessian[k * q + j] = dot / n;
      }
      hessian[j * q + p] = sum / n;
      hessian[p * q + j] = sum / n;
    }
    double weightSum = 0;
    double g = 0;
    for (int i = 0; i < n; i++) {
      weightSum += w[i];
      g -= residual[i];
    }
    hessian[p * q + p] = weightSum / n;
    gradient[p] = g / n;
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
