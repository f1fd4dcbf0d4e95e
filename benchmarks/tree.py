"""TreeShap on LightGBM against shap.TreeExplainer and LightGBM's native contributions.

LightGBM binary classifier (300 trees, 31 leaves) trained on make_classification(n_samples=50_000,
n_features=40, n_informative=13, random_state=0); explain 20k rows. Prints the median wall time of
each contender (measured in the same run, interleaved) and the ratios. Target: explain_lib within
1.1x of LightGBM's native pred_contrib.

    python benchmarks/tree.py [--repeats 3] [--rows 20000]
"""

from __future__ import annotations

import argparse
import statistics
import time

import lightgbm
import numpy as np
import shap
from sklearn.datasets import make_classification

from explain_lib import TreeShap


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()

    X, y = make_classification(n_samples=50_000, n_features=40, n_informative=13, random_state=0)
    model = lightgbm.LGBMClassifier(n_estimators=300, num_leaves=31, verbose=-1, random_state=0).fit(X, y)
    rows = X[: args.rows]
    booster = model.booster_

    contenders = {
        "explain_lib TreeShap": lambda: TreeShap(model).explain(rows),
        "shap.TreeExplainer": lambda: shap.TreeExplainer(model).shap_values(rows, check_additivity=False),
        "lightgbm pred_contrib": lambda: booster.predict(rows, pred_contrib=True),
    }
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.repeats):
        for name, run in contenders.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)

    ours = TreeShap(model).explain(rows)
    native = booster.predict(rows, pred_contrib=True)
    assert np.allclose(ours.local[1], native[:, :-1]), "explain_lib disagrees with LightGBM's contributions"

    baseline = statistics.median(times["lightgbm pred_contrib"])
    print(f"{args.rows} rows, 40 features, 300 trees x 31 leaves; median of {args.repeats} runs")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:24s} {median:8.2f} s   {median / baseline:5.2f}x native")
    ratio = statistics.median(times["explain_lib TreeShap"]) / baseline
    print(f"target explain_lib <= 1.10x native: {'met' if ratio <= 1.10 else 'missed'} ({ratio:.3f}x)")


if __name__ == "__main__":
    main()
