"""PFIExplainer against scikit-learn's permutation_importance on a random forest.

RandomForestClassifier(n_estimators=100, random_state=0) trained on make_classification(n_samples=10_000,
n_features=20, n_informative=8, random_state=0); importances of the same 10k rows with n_repeats=5, n_jobs=2
and random_state=0 for both. Model fitting is not timed. The contenders run interleaved in the same process;
every run's importances must equal scikit-learn's exactly, every repeat of every feature. Prints the median
wall time of each, the median of the per-round ratios and the machine's load average before and after.
Target: explain_lib <= 0.5x scikit-learn's time.

    python benchmarks/pfi.py [--repeats 5] [--n-jobs 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.inspection import permutation_importance

from explain_lib.explainers.pfi import PFIExplainer

TARGET = 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()

    X, y = make_classification(n_samples=10_000, n_features=20, n_informative=8, random_state=0)
    model = RandomForestClassifier(n_estimators=100, random_state=0).fit(X, y)
    settings = {"n_repeats": 5, "n_jobs": args.n_jobs, "random_state": 0}
    ours_name, theirs_name = "explain_lib PFIExplainer", "sklearn permutation_importance"
    contenders = {
        ours_name: lambda: PFIExplainer(model, **settings).explain(X, y).global_repeats,
        theirs_name: lambda: permutation_importance(model, X, y, **settings).importances,
    }
    load_before = os.getloadavg()
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for round_ in range(args.repeats):
        results = {}
        for name in (contenders if round_ % 2 == 0 else reversed(contenders)):  # alternate who goes first
            start = time.perf_counter()
            results[name] = contenders[name]()
            times[name].append(time.perf_counter() - start)
        assert np.array_equal(results[ours_name], results[theirs_name]), "importances differ from scikit-learn's"
    load_after = os.getloadavg()

    ratios = [ours / theirs for ours, theirs in zip(times[ours_name], times[theirs_name], strict=True)]
    print(f"10000 rows x 20 features, RandomForest(100), n_repeats=5, n_jobs={args.n_jobs}; {args.repeats} "
          "interleaved rounds; all 20 x 5 importances identical to scikit-learn's in every round")
    print(f"load average (1, 5, 15 min) before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
          f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    for name, values in times.items():
        runs = ", ".join(f"{v:.2f}" for v in values)
        print(f"  {name:32s} median {statistics.median(values):6.2f} s   (runs: {runs})")
    ratio = statistics.median(ratios)
    print(f"  ratio explain_lib / sklearn per round: {', '.join(f'{r:.2f}' for r in ratios)}")
    print(f"target explain_lib <= {TARGET}x sklearn: {'met' if ratio <= TARGET else 'missed'} "
          f"(median ratio {ratio:.3f}x)")


if __name__ == "__main__":
    main()
