"""KernelShap against shap's KernelExplainer and PermutationExplainer: time and error against exact values.

Two workloads, every contender explaining the same black-box function of the same rows with the same
background (50 rows, uniform weights):

* ``lightgbm40``: LGBMClassifier (200 trees by default, 31 leaves) on make_classification(n_samples=5000, n_features=40,
  n_informative=13, random_state=0), explained on its raw margin (``predict(raw_score=True)``). Exact
  interventional values: shap.TreeExplainer(model, data=background, feature_perturbation="interventional",
  model_output="raw"). The margin, not the probability: TreeExplainer's interventional "probability" output
  rescales margin attributions per background row, which is not the Shapley value of the probability.
* ``mlp12``: MLPClassifier (32, 16) on 12 features, explained on P(class 1). Exact values: enumeration of all
  2^12 coalitions (KernelShap with exact_max_features=12, checked against the textbook formula in the tests).

Contenders, interleaved in each repeat: explain_lib KernelShap at its default budget; shap.KernelExplainer with
l1_reg=False at its default nsamples (2M + 2048); shap.KernelExplainer with its defaults; shap.PermutationExplainer
with its defaults (masker: the same background). Prints the median time over repeats, the model rows evaluated
per explained row, max and mean |error| against exact, max |error| relative to max |exact|, our error estimate,
and ratios against KernelExplainer(l1_reg=False). Target: KernelShap at equal or lower error than
KernelExplainer(l1_reg=False) in <= 0.25x its time.

``--relevance`` adds ``KernelShap(relevance=True)`` as a contender (printed, not part of the target).

    python benchmarks/kernel.py [--rows 3] [--repeats 3] [--trees 200] [--workloads mlp12 ...] [--relevance]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

import numpy as np


class Counted:
    """A black-box function that counts the rows it is called on."""

    def __init__(self, f):
        self.f, self.rows = f, 0

    def __call__(self, Z):
        self.rows += len(Z)
        return self.f(np.asarray(Z, dtype=np.float64))


def workload_data(trees: int, n_rows: int, first_row: int = 1000) -> list[tuple[str, object, callable, np.ndarray,
                                                                                np.ndarray, np.ndarray]]:
    """(name, model, its explained function, background, rows, exact values (rows, M)) per workload; also used by
    ``kernel_shapiq.py``."""
    import lightgbm as lgb
    import shap
    from sklearn.datasets import make_classification
    from sklearn.neural_network import MLPClassifier

    from explain_lib import KernelShap

    X, y = make_classification(n_samples=5000, n_features=40, n_informative=13, random_state=0)
    booster = lgb.LGBMClassifier(n_estimators=trees, num_leaves=31, verbose=-1, random_state=0).fit(X, y)
    background, rows = X[:50], X[first_row : first_row + n_rows]
    tree = shap.TreeExplainer(booster, data=background, feature_perturbation="interventional", model_output="raw")
    exact_tree = np.asarray(tree.shap_values(rows))

    X2, y2 = make_classification(n_samples=3000, n_features=12, n_informative=8, random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlp = MLPClassifier(hidden_layer_sizes=(32, 16), max_iter=300, random_state=0).fit(X2, y2)
    background2, rows2 = X2[:50], X2[first_row : first_row + n_rows]

    def probability(Z):
        return mlp.predict_proba(Z)[:, 1]

    exact_mlp = KernelShap(probability, background2, exact_max_features=12, progress=False).explain(rows2).local[0]
    return [("lightgbm40", booster, lambda Z: booster.predict(Z, raw_score=True), background, rows, exact_tree),
            ("mlp12", mlp, probability, background2, rows2, exact_mlp)]


def _workloads(args: argparse.Namespace) -> list[tuple[str, Counted, np.ndarray, np.ndarray, np.ndarray]]:
    """(name, function, background, rows, exact values (rows, M)) per workload."""
    return [(name, Counted(f), background, rows, exact)
            for name, _, f, background, rows, exact in workload_data(args.trees, args.rows)]


def _contenders(f: Counted, background: np.ndarray, relevance: bool = False):
    import shap

    from explain_lib import KernelShap

    kernel = shap.KernelExplainer(f, background)
    permutation = shap.PermutationExplainer(f, shap.maskers.Independent(background, max_samples=len(background)))

    def ours(rows, relevance=False):
        explanation = KernelShap(f, background, progress=False, relevance=relevance).explain(rows)
        return explanation.local[0], explanation.params["error"]

    return {
        "explain_lib KernelShap": ours,
        **({"explain_lib relevance=True": lambda rows: ours(rows, relevance=True)} if relevance else {}),
        "shap Kernel l1_reg=False":
            lambda rows: (np.asarray(kernel.shap_values(rows, l1_reg=False, silent=True)), None),
        "shap Kernel defaults": lambda rows: (np.asarray(kernel.shap_values(rows, silent=True)), None),
        "shap Permutation": lambda rows: (permutation(rows, silent=True).values, None),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3, help="rows explained per workload")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--trees", type=int, default=200)
    parser.add_argument("--workloads", nargs="+", default=["lightgbm40", "mlp12"], choices=["lightgbm40", "mlp12"])
    parser.add_argument("--relevance", action="store_true", help="also KernelShap(relevance=True), not in the target")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    np.random.seed(0)  # shap's samplers draw from numpy's global state
    print(f"load before: {os.getloadavg()[0]:.1f}; {args.rows} rows per workload, median of {args.repeats} "
          "interleaved repeats")
    met = True
    for name, f, background, rows, exact in _workloads(args):
        if name not in args.workloads:
            continue
        contenders = _contenders(f, background, args.relevance)
        times = {c: [] for c in contenders}
        evaluated, results = {}, {}
        for _ in range(args.repeats):
            for contender, run in contenders.items():
                f.rows = 0
                start = time.perf_counter()
                results[contender] = run(rows)
                times[contender].append(time.perf_counter() - start)
                evaluated[contender] = f.rows / len(rows)
        peer = "shap Kernel l1_reg=False"
        peer_time = statistics.median(times[peer])
        peer_error = np.abs(results[peer][0] - exact).max()
        scale = np.abs(exact).max()
        print(f"\n{name}: {exact.shape[1]} features, {len(background)} background rows, max |exact| {scale:.3g}")
        print(f"  {'contender':26s} {'time s':>8s} {'x peer':>7s} {'rows/row':>9s} {'max err':>9s} {'mean err':>9s} "
              f"{'max rel':>8s} {'err x peer':>10s}  estimate")
        for contender in contenders:
            values, estimate = results[contender]
            error = np.abs(values - exact)
            median = statistics.median(times[contender])
            note = f"{estimate:.3g} (true RMS {np.sqrt((error ** 2).mean()):.3g})" if estimate is not None else ""
            print(f"  {contender:26s} {median:8.2f} {median / peer_time:7.3f} {evaluated[contender]:9.0f} "
                  f"{error.max():9.4f} {error.mean():9.5f} {error.max() / scale:8.4f} "
                  f"{error.max() / peer_error:10.2f}  {note}")
        ours_time = statistics.median(times["explain_lib KernelShap"]) / peer_time
        ours_error = np.abs(results["explain_lib KernelShap"][0] - exact).max()
        ok = ours_time <= 0.25 and ours_error <= peer_error
        met &= ok
        print(f"  target (<= 0.25x time at <= error of {peer}): {'met' if ok else 'missed'} "
              f"({ours_time:.3f}x time, {ours_error / peer_error:.2f}x max error)")
    print(f"\nload after: {os.getloadavg()[0]:.1f}; overall target ({', '.join(args.workloads)}) "
          f"{'met' if met else 'missed'}")


if __name__ == "__main__":
    main()
