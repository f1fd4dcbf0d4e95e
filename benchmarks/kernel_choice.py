"""KernelShap's choice of kriging prior by cross-validation: RMS error with it and without it, per model kind.

The kriging prior weights each feature (by its sensitivity over the background, or under
``relevance=True`` by that times the row's step from each background row). Up to ``CV_FEATURES`` features
each row's games choose among those weights and equal weights, each times 1, 1/2 and 2, the candidate whose
leave-one-out errors on their own observed pairs are least (``explain_lib/explainers/_kernel_ard.py``).
This prints, per workload, KernelShap's RMS error against exact values with the choice and with the weights
as they are (``CV_FEATURES`` set to 0 in the same process), for the default and for ``relevance=True``, at
the default budget; the ratio is what the choice buys.

Workloads, 50 background rows, explained rows from 1000 on:

* ``mlp12``, ``lightgbm40``: those of ``kernel.py`` and ``kernel_shapiq.py``;
* ``lightgbm12``: a LightGBM classifier (200 trees) on ``mlp12``'s data, on its raw margin;
* ``mlp10`` and ``forest10``: an MLP regressor (64, 32) and a random forest (50 trees, depth 8) on
  make_friedman1 with 10 features;
* ``lightgbm20`` and ``lightgbm30``: LightGBM classifiers (200 trees) on 20 and 30 features (10 informative).

Exact values: enumeration of all coalitions up to 12 features, interventional TreeSHAP (shap) above.
``--cv-features N`` lets the choice apply up to N features instead, to see where it misleads.

``--allotment`` prints instead what ``relevance=True``'s allotment of pairs to the games by their difficulty
buys (``explain_lib/explainers/_kernel_allotment.py``, up to 16 features): its RMS error against equal
designs of the same model calls (the allotment switched off in the same process).

    python benchmarks/kernel_choice.py [--rows 8] [--seeds 2] [--workloads mlp12 lightgbm12 ...] [--cv-features 40]
    python benchmarks/kernel_choice.py --allotment [--rows 20] [--seeds 8] [--workloads mlp12 mlp10 ...]
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from kernel import workload_data  # noqa: E402

WORKLOADS = ["mlp12", "lightgbm12", "mlp10", "forest10", "lightgbm20", "lightgbm30", "lightgbm40"]


def _workload(name: str, n_rows: int):
    """(function, background, rows, exact values (rows, M))."""
    import lightgbm as lgb
    import shap
    from sklearn.datasets import make_classification, make_friedman1
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.neural_network import MLPRegressor

    from explain_lib import KernelShap

    if name in ("mlp12", "lightgbm40"):
        _, _, f, background, rows, exact = next(w for w in workload_data(200, n_rows) if w[0] == name)
        return f, background, rows, exact
    if name in ("mlp10", "forest10"):
        X, y = make_friedman1(n_samples=3000, n_features=10, random_state=2)
        model = (MLPRegressor(hidden_layer_sizes=(64, 32), max_iter=500, random_state=0) if name == "mlp10" else
                 RandomForestRegressor(n_estimators=50, max_depth=8, random_state=0, n_jobs=1)).fit(X, y)
        f = model.predict
    else:
        m = int(name.removeprefix("lightgbm"))
        X, y = (make_classification(n_samples=3000, n_features=12, n_informative=8, random_state=1) if m == 12 else
                make_classification(n_samples=5000, n_features=m, n_informative=10, random_state=7))
        model = lgb.LGBMClassifier(n_estimators=200, verbose=-1, random_state=0).fit(X, y)

        def f(Z):
            return model.predict(Z, raw_score=True)

    background, rows = X[:50], X[1000 : 1000 + n_rows]
    if X.shape[1] <= 12:
        exact = KernelShap(f, background, exact_max_features=X.shape[1], progress=False).explain(rows).local[0]
    else:
        exact = np.asarray(shap.TreeExplainer(model, data=background, feature_perturbation="interventional",
                                              model_output="raw").shap_values(rows))
    return f, background, rows, exact


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=8)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--workloads", nargs="+", default=WORKLOADS, choices=WORKLOADS)
    parser.add_argument("--cv-features", type=int, help="apply the choice up to this many features")
    parser.add_argument("--allotment", action="store_true", help="relevance=True's allotment against equal designs")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    if args.allotment:
        _allotment(args)
        return
    from explain_lib import KernelShap
    from explain_lib.explainers import _kernel_ard

    limit = args.cv_features or _kernel_ard.CV_FEATURES
    print(f"load before: {os.getloadavg()[0]:.2f}; {args.rows} rows x {args.seeds} seeds, default budgets; "
          f"the choice applies up to {limit} features")
    print(f"{'workload':12s} {'prior':16s} {'RMS, choice':>12s} {'RMS, as is':>12s} {'ratio':>7s}")
    for name in args.workloads:
        f, background, rows, exact = _workload(name, args.rows)
        for relevance in (False, True):
            rms = {}
            for cv in (limit, 0):
                _kernel_ard.CV_FEATURES = cv
                phi = np.array([KernelShap(f, background, random_state=seed, progress=False, exact_max_features=0,
                                           relevance=relevance).explain(rows).local[0] for seed in range(args.seeds)])
                rms[cv] = float(np.sqrt(((phi - exact) ** 2).mean()))
            _kernel_ard.CV_FEATURES = limit
            print(f"{name:12s} {'relevance=True' if relevance else 'default':16s} {rms[limit]:12.4e} {rms[0]:12.4e} "
                  f"{rms[limit] / rms[0]:6.3f}x", flush=True)
    print(f"load after: {os.getloadavg()[0]:.2f}")


def _allotment(args: argparse.Namespace) -> None:
    from explain_lib import KernelShap
    from explain_lib.explainers import _kernel_estimator

    applies = _kernel_estimator.applies
    print(f"load before: {os.getloadavg()[0]:.2f}; {args.rows} rows x {args.seeds} seeds, relevance=True, default "
          f"budgets")
    print(f"{'workload':12s} {'RMS, allotted':>14s} {'RMS, equal':>12s} {'ratio':>7s}")
    for name in args.workloads:
        f, background, rows, exact = _workload(name, args.rows)
        rms = {}
        for allotted in (True, False):
            _kernel_estimator.applies = applies if allotted else (lambda m, pairs: False)
            phi = np.array([KernelShap(f, background, random_state=seed, progress=False, exact_max_features=0,
                                       relevance=True).explain(rows).local[0] for seed in range(args.seeds)])
            rms[allotted] = float(np.sqrt(((phi - exact) ** 2).mean()))
        _kernel_estimator.applies = applies
        print(f"{name:12s} {rms[True]:14.4e} {rms[False]:12.4e} {rms[True] / rms[False]:6.3f}x", flush=True)
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
