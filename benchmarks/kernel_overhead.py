"""KernelShap's own work per explained row against the time spent inside the model it explains.

A LightGBM classifier (100 trees, 31 leaves) on make_classification(n_samples=5000, n_features=40,
n_informative=13, random_state=0), explained as a black box on its raw margin against 50 background rows, at
budgets of 1024 and 4096 coalitions per background row. The model function measures the time spent inside
``booster.predict``; everything else in ``KernelShap(...).explain(rows)`` (building the designs, the synthetic
rows, the estimates) is our own work. Each run is a fresh process (imports, training and the explainer's
construction before the clock), the budgets alternate which goes first in each round, and the medians over
rounds are printed with the load average. Target: our own work <= 0.5x the model's time per row.
``--relevance`` measures the opt-in prior per game (``KernelShap(relevance=True)``) instead, at 384 and 1024
coalitions (it applies up to 512 pairs); the target is the default's, so that run only reports.

    python benchmarks/kernel_overhead.py [--repeats 3] [--rows 20] [--relevance]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

TARGET = 0.5
BUDGETS = (1024, 4096)
RELEVANCE_BUDGETS = (384, 1024)


def _worker(budget: int, n_rows: int, relevance: bool) -> None:
    import lightgbm as lgb
    from sklearn.datasets import make_classification

    from explain_lib import KernelShap

    X, y = make_classification(n_samples=5000, n_features=40, n_informative=13, random_state=0)
    booster = lgb.LGBMClassifier(n_estimators=100, num_leaves=31, verbose=-1, random_state=0).fit(X, y).booster_
    inside = [0.0]

    def margin(Z: np.ndarray) -> np.ndarray:
        start = time.perf_counter()
        out = booster.predict(Z, raw_score=True)
        inside[0] += time.perf_counter() - start
        return out

    explainer = KernelShap(margin, X[:50], n_samples=budget, progress=False, relevance=relevance)
    inside[0] = 0.0
    start = time.perf_counter()
    explainer.explain(X[1000 : 1000 + n_rows])
    total = time.perf_counter() - start
    print(json.dumps({"model": inside[0] / n_rows, "ours": (total - inside[0]) / n_rows}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", type=int, default=20, help="rows explained per run (half at budget 4096)")
    parser.add_argument("--relevance", action="store_true", help="KernelShap(relevance=True), reported only")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker, args.rows, args.relevance)
        return
    budgets = RELEVANCE_BUDGETS if args.relevance else BUDGETS
    runs: dict[int, list[dict]] = {budget: [] for budget in budgets}
    load_before = os.getloadavg()
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    for round_ in range(args.repeats):
        for budget in (budgets if round_ % 2 == 0 else budgets[::-1]):
            rows = args.rows if budget == budgets[0] else max(1, args.rows // 2)
            done = subprocess.run([sys.executable, __file__, "--worker", str(budget), "--rows", str(rows)]
                                  + (["--relevance"] if args.relevance else []),
                                  check=True, env=env, capture_output=True, text=True)
            runs[budget].append(json.loads(done.stdout.strip().splitlines()[-1]))
    load_after = os.getloadavg()
    print(f"LightGBM 100 trees, 40 features, 50 background rows; {args.repeats} rounds, a fresh process per run"
          + ("; KernelShap(relevance=True)" if args.relevance else ""))
    print(f"load average (1, 5, 15 min) before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
          f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    met = True
    for budget, results in runs.items():
        model = statistics.median(r["model"] for r in results)
        ours = statistics.median(r["ours"] for r in results)
        ratio = statistics.median(r["ours"] / r["model"] for r in results)
        met &= ratio <= TARGET
        rounds = ", ".join(f"{r['ours'] / r['model']:.2f}" for r in results)
        print(f"  budget {budget}: model {model:.4f} s/row, our own work {ours:.4f} s/row, ratio {ratio:.2f}x "
              f"(rounds {rounds})")
    if not args.relevance:
        print(f"target our own work <= {TARGET}x the model's time: {'met' if met else 'missed'}")


if __name__ == "__main__":
    main()
