"""PFIExplainer against scikit-learn's permutation_importance on a random forest.

RandomForestClassifier(n_estimators=100, random_state=0) trained on make_classification(n_samples=10_000,
n_features=20, n_informative=8, random_state=0); importances of the same 10k rows with n_repeats=5, n_jobs=2
and random_state=0 for both. Model fitting is not timed. The contenders run interleaved in the same process;
prints the median wall time of each and the ratio. Target: explain_lib no slower than scikit-learn.

    python benchmarks/pfi.py [--repeats 3] [--n-jobs 2]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.inspection import permutation_importance

from explain_lib.explainers.pfi import PFIExplainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()

    X, y = make_classification(n_samples=10_000, n_features=20, n_informative=8, random_state=0)
    model = RandomForestClassifier(n_estimators=100, random_state=0).fit(X, y)
    settings = {"n_repeats": 5, "n_jobs": args.n_jobs, "random_state": 0}

    contenders = {
        "explain_lib PFIExplainer": lambda: PFIExplainer(model, **settings).explain(X, y),
        "sklearn permutation_importance": lambda: permutation_importance(model, X, y, **settings),
    }
    times: dict[str, list[float]] = {name: [] for name in contenders}
    results = {}
    for _ in range(args.repeats):
        for name, run in contenders.items():
            start = time.perf_counter()
            results[name] = run()
            times[name].append(time.perf_counter() - start)

    ours, theirs = results["explain_lib PFIExplainer"], results["sklearn permutation_importance"]
    assert np.allclose(ours.global_, theirs.importances_mean, rtol=0, atol=1e-12), "importances disagree"

    baseline = statistics.median(times["sklearn permutation_importance"])
    print(f"10000 rows x 20 features, RandomForest(100), n_repeats=5, n_jobs={args.n_jobs}; "
          f"median of {args.repeats} interleaved runs")
    for name, values in times.items():
        median = statistics.median(values)
        runs = ", ".join(f"{v:.2f}" for v in values)
        print(f"  {name:32s} {median:7.2f} s   {median / baseline:5.2f}x sklearn   (runs: {runs})")
    ratio = statistics.median(times["explain_lib PFIExplainer"]) / baseline
    print(f"target explain_lib <= sklearn: {'met' if ratio <= 1.0 else 'missed'} ({ratio:.3f}x)")


if __name__ == "__main__":
    main()
