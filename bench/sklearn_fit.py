#!/usr/bin/python3
"""scikit-learn's side of the training benchmark (bench/run): fits pql's regularization path on the matrix pql's
train stage fitted (exported as CSV: label, validation_side, then the standardized inputs) and prints the times.

  sklearn_fit.py MATRIX.csv --reg 0.0003,0.001,... --elastic 0.5 [--max-iter 100]

The same objective as pql and MLlib: mean log loss + reg * (elastic * |w|_1 + (1 - elastic) / 2 * |w|^2), the
intercept unpenalized, i.e. C = 1 / (rows * reg). As in pql: for each elastic-net value the path runs from the most
regularized point on the fit side (validation_side = 0), warm-started, each point scored by log loss on the
validation side; the chosen point is refitted on all rows. Prints `load_seconds=`, `fit_seconds=` (the path and the
refit) and `rows=`, `inputs=`, `solver=`.
"""
import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss


def model(reg, elastic, rows, max_iter):
    c = 1.0 / (rows * reg) if reg > 0 else 1e12
    if elastic == 0:
        return LogisticRegression(penalty="l2", C=c, solver="lbfgs", max_iter=max_iter, warm_start=True)
    return LogisticRegression(penalty="elasticnet", l1_ratio=elastic, C=c, solver="saga", max_iter=max_iter,
                              warm_start=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("matrix")
    parser.add_argument("--reg", required=True)
    parser.add_argument("--elastic", required=True)
    parser.add_argument("--max-iter", type=int, default=100)
    args = parser.parse_args()
    regs = sorted((float(r) for r in args.reg.split(",")), reverse=True)
    elastics = [float(e) for e in args.elastic.split(",")]
    warnings.simplefilter("ignore", ConvergenceWarning)

    t0 = time.perf_counter()
    data = np.loadtxt(args.matrix, delimiter=",", skiprows=1)
    load = time.perf_counter() - t0
    y, validation, x = data[:, 0], data[:, 1] == 1, data[:, 2:]
    fit_x, fit_y, val_x, val_y = x[~validation], y[~validation], x[validation], y[validation]

    t0 = time.perf_counter()
    losses = []
    for elastic in elastics:
        previous = None
        for reg in regs:
            m = model(reg, elastic, len(fit_y), args.max_iter)
            if previous is not None:
                m.coef_, m.intercept_ = previous.coef_.copy(), previous.intercept_.copy()
            m.fit(fit_x, fit_y)
            previous = m
            losses.append((log_loss(val_y, m.predict_proba(val_x)[:, 1], labels=[0, 1]), reg, elastic))
    best, reg, elastic = min(losses)
    model(reg, elastic, len(y), args.max_iter).fit(x, y)
    fit = time.perf_counter() - t0
    print(f"load_seconds={load:.3f}")
    print(f"fit_seconds={fit:.3f}")
    print(f"rows={len(y)}")
    print(f"inputs={x.shape[1]}")
    print(f"solver={'saga' if any(e > 0 for e in elastics) else 'lbfgs'}")


if __name__ == "__main__":
    main()
