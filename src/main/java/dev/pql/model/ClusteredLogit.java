package dev.pql.model;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.LUDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.RealVector;

/**
 * A logistic regression on a handful of terms (an intercept first), fitted by Newton's method from sums over the
 * rows, with standard errors clustered by account: each account's weekly snapshots are one draw, not many, so the
 * variance of the estimates is a sandwich whose middle sums the outer products of each account's score (Liang and
 * Zeger). The rows must be partitioned by account. Each Newton step is one pass over the partitions with the
 * coefficients as plain values — no query to plan or code to generate per step — and only (k+1)² sums reach the
 * driver (or, with rows small enough to be held there, {@link Observations}, no Spark job at all).
 */
final class ClusteredLogit {
  private ClusteredLogit() {}

  /** One row: its 0/1 label, its account and each feature's bin (a few hundred at most: a short each). */
  record Observation(double label, String account, short[] bins) implements Serializable {}

  /** A term's value on a row. */
  interface Term extends Serializable {
    double value(Observation o);
  }

  /** Coefficients (intercept first) and their cluster-robust covariance. */
  record Fit(double[] beta, double[][] covariance) implements Serializable {
    /** The robust z statistic of coefficient j (0 is the intercept). */
    double z(int j) {
      double v = covariance[j][j];
      return v > 0 ? beta[j] / Math.sqrt(v) : 0;
    }

    /** The linear predictor on a row. */
    double margin(Observation o, List<Term> terms) {
      double m = beta[0];
      for (int j = 0; j < terms.size(); j++) m += beta[j + 1] * terms.get(j).value(o);
      return m;
    }
  }

  /** A tiny ridge on the terms (not the intercept): keeps a term that separates the labels finite. */
  private static final double RIDGE = 1e-4;
  private static final int MAX_ITERATIONS = 30;

  /**
   * Fits {@code label ~ 1 + terms} on rows partitioned by account; {@code start} holds starting values (intercept
   * first; missing ones start at 0).
   */
  static Fit fit(Observations rows, List<Term> terms, double[] start) {
    int k = terms.size() + 1;
    double[] beta = new double[k];
    System.arraycopy(start, 0, beta, 0, Math.min(start.length, k));
    Sums sums = null;
    for (int iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
      sums = sums(rows, terms, beta);
      double[] gradient = sums.gradient().clone();
      double[][] information = new double[k][];
      for (int j = 0; j < k; j++) {
        information[j] = sums.information()[j].clone();
        if (j > 0) {
          gradient[j] -= RIDGE * beta[j];
          information[j][j] += RIDGE;
        }
      }
      RealVector step = new LUDecomposition(new Array2DRowRealMatrix(information)).getSolver()
          .solve(new ArrayRealVector(gradient));
      double largest = 0;
      for (int j = 0; j < k; j++) {
        // A damped step: a separating term walks towards large values instead of jumping to them.
        double s = Math.max(-5, Math.min(5, step.getEntry(j)));
        beta[j] += s;
        largest = Math.max(largest, Math.abs(s));
      }
      if (largest < 1e-5) break; // far below what is reported: coefficients to two decimals
    }
    // The sandwich H⁻¹ M H⁻¹ at the last pass.
    RealMatrix inverse = new LUDecomposition(new Array2DRowRealMatrix(sums.information())).getSolver()
        .getInverse();
    double[][] covariance = inverse.multiply(new Array2DRowRealMatrix(sums.meat())).multiply(inverse).getData();
    return new Fit(beta, covariance);
  }

  /** One pass's sums: the score, the information and the middle of the sandwich. */
  record Sums(double[] gradient, double[][] information, double[][] meat) implements Serializable {
    static Sums zero(int k) {
      return new Sums(new double[k], new double[k][k], new double[k][k]);
    }

    Sums plus(Sums o) {
      int k = gradient.length;
      for (int j = 0; j < k; j++) {
        gradient[j] += o.gradient[j];
        for (int l = 0; l < k; l++) {
          information[j][l] += o.information[j][l];
          meat[j][l] += o.meat[j][l];
        }
      }
      return this;
    }
  }

  private static Sums sums(Observations rows, List<Term> terms, double[] beta) {
    int k = beta.length;
    List<Term> t = List.copyOf(terms);
    double[] b = beta.clone();
    return rows.aggregate((Iterator<Observation> it) -> {
      Sums s = Sums.zero(k);
      Map<String, double[]> scores = new HashMap<>();
      double[] x = new double[k];
      while (it.hasNext()) {
        Observation o = it.next();
        x[0] = 1;
        double m = b[0];
        for (int j = 1; j < k; j++) {
          x[j] = t.get(j - 1).value(o);
          m += b[j] * x[j];
        }
        double p = 1 / (1 + Math.exp(-m));
        double r = o.label() - p;
        double w = p * (1 - p);
        double[] score = scores.computeIfAbsent(o.account(), a -> new double[k]);
        for (int j = 0; j < k; j++) {
          s.gradient()[j] += r * x[j];
          score[j] += r * x[j];
          for (int l = j; l < k; l++) s.information()[j][l] += w * x[j] * x[l];
        }
      }
      for (double[] score : scores.values()) {
        for (int j = 0; j < k; j++) {
          for (int l = j; l < k; l++) s.meat()[j][l] += score[j] * score[l];
        }
      }
      for (int j = 0; j < k; j++) {
        for (int l = 0; l < j; l++) {
          s.information()[j][l] = s.information()[l][j];
          s.meat()[j][l] = s.meat()[l][j];
        }
      }
      return List.of(s).iterator();
    }, Sums::plus);
  }
}
