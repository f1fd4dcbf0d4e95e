"""TreeShap on LightGBM (tabulated TreeSHAP) against LightGBM's native contributions, at equal threads.

LightGBM binary classifier (300 trees, 31 leaves) trained on make_classification(n_samples=50_000,
n_features=40, n_informative=13, random_state=0); explain 20k rows. numba's threads are set to
LightGBM's ``num_threads``; the contenders run interleaved and the medians are compared. Prints the
trees' depth statistics, the precomputation's time and memory, numba's cold-start compile time (a
fresh process with an empty cache) and warm start (cached), the largest difference from
``pred_contrib`` (must be <= 1e-9), the break-even row count of ``algorithm="auto"``, and the load
average. Also times trees of depth 3 (400 x 8 leaves), which take the numpy per-tree tables. Target:
explain_lib <= 0.5x LightGBM's pred_contrib on the 31-leaf model.

    python benchmarks/tree.py [--repeats 3] [--rows 20000] [--threads 2] [--with-shap]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import lightgbm
import numpy as np
from sklearn.datasets import make_classification

from explain_lib import TreeShap

_START = """
import time; start = time.perf_counter()
import numpy as np, lightgbm
from explain_lib.explainers._fasttree import FastTreeShap
from explain_lib.explainers._tree_arrays import tree_arrays
model = lightgbm.LGBMRegressor(n_estimators=2, num_leaves=4, verbose=-1).fit(np.arange(40.0)[:, None], np.arange(40.0))
FastTreeShap(tree_arrays(model)[0]).shap_values(np.zeros((1, 1)))
print(time.perf_counter() - start)
"""


def _start_time(cache_dir: str) -> float:
    """Seconds from import to the first explained row in a fresh process using this numba cache."""
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    out = subprocess.run([sys.executable, "-c", _START], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


def _depths(booster: lightgbm.Booster) -> tuple[list[int], list[int], list[int]]:
    """(depth of every leaf, distinct features on every leaf's path, depth of every tree)."""
    leaf_depth, distinct, tree_depth = [], [], []

    def walk(node, depth, features):
        if "split_feature" not in node:
            leaf_depth.append(depth)
            distinct.append(len(set(features)))
            return
        for child in (node["left_child"], node["right_child"]):
            walk(child, depth + 1, [*features, node["split_feature"]])

    for tree in booster.dump_model()["tree_info"]:
        before = len(leaf_depth)
        walk(tree["tree_structure"], 0, [])
        tree_depth.append(max(leaf_depth[before:]))
    return leaf_depth, distinct, tree_depth


def _stats(values: list[int]) -> str:
    p = np.percentile(values, [50, 90, 99, 100])
    return f"median {p[0]:.0f}, p90 {p[1]:.0f}, p99 {p[2]:.0f}, max {p[3]:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--with-shap", action="store_true", help="also time shap.TreeExplainer (same C++ as native)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as cache:
        cold = _start_time(cache)
        warm = _start_time(cache)

    import numba

    numba.set_num_threads(args.threads)
    X, y = make_classification(n_samples=50_000, n_features=40, n_informative=13, random_state=0)
    model = lightgbm.LGBMClassifier(n_estimators=300, num_leaves=31, verbose=-1, random_state=0,
                                    n_jobs=args.threads).fit(X, y)
    rows = X[: args.rows]
    booster = model.booster_
    leaf_depth, distinct, tree_depth = _depths(booster)

    from explain_lib.explainers._fasttree import FastTreeShap
    from explain_lib.explainers._tree_arrays import tree_arrays

    start = time.perf_counter()
    trees, _ = tree_arrays(model)
    parsed = time.perf_counter() - start
    fast = FastTreeShap(trees)
    precompute = time.perf_counter() - start

    explainer = TreeShap(model, algorithm="fast")
    explainer.explain(rows[:10])  # the lookup tables are built once per explainer, on first use
    contenders = {
        "explain_lib TreeShap": lambda: explainer.explain(rows),
        "lightgbm pred_contrib": lambda: booster.predict(rows, pred_contrib=True, num_threads=args.threads),
    }
    if args.with_shap:
        import shap

        contenders["shap.TreeExplainer"] = lambda: shap.TreeExplainer(model).shap_values(rows, check_additivity=False)
    loads = [os.getloadavg()[0]]
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.repeats):
        for name, run in contenders.items():
            begin = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - begin)
        loads.append(os.getloadavg()[0])

    ours = explainer.explain(rows)
    native = booster.predict(rows, pred_contrib=True, num_threads=args.threads)
    difference = max(np.abs(ours.local[1] - native[:, :-1]).max(), abs(ours.expected[1] - native[0, -1]))

    print(f"{args.rows} rows, 40 features, 300 trees x 31 leaves, {args.threads} threads "
          f"(numba {numba.get_num_threads()}, LightGBM num_threads {args.threads}); median of {args.repeats} runs")
    print(f"  leaf depth: {_stats(leaf_depth)}; tree depth: {_stats(tree_depth)}")
    print(f"  distinct features per leaf path: {_stats(distinct)}; tabulated leaves {fast.tabulated_leaves} "
          f"of {len(leaf_depth)}")
    print(f"  precompute: {precompute:.2f} s (parse the dump {parsed:.2f} s, tables {precompute - parsed:.2f} s); "
          f"memory {fast.memory_bytes / 2**20:.1f} MiB")
    print(f"  numba start-up: cold (compile, empty cache) {cold:.1f} s; warm (cached) {warm:.1f} s")
    print(f"  load average during the runs: {min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} cores")
    baseline = statistics.median(times["lightgbm pred_contrib"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:24s} {median:8.2f} s   {median / baseline:5.2f}x native")
    ratios = [a / b for a, b in zip(times["explain_lib TreeShap"], times["lightgbm pred_contrib"], strict=True)]
    ratio = statistics.median(ratios)
    print(f"  max |explain_lib - pred_contrib| = {difference:.1e} ({'ok' if difference <= 1e-9 else 'TOO LARGE'} "
          "at 1e-9)")
    _break_even(model, X, args.threads)
    _shallow(X, y, rows, args.threads, args.repeats)
    met = ratio <= 0.5 and difference <= 1e-9
    print(f"target explain_lib <= 0.50x native: {'met' if met else 'missed'} (median ratio {ratio:.3f}x)")


def _shallow(X: np.ndarray, y: np.ndarray, rows: np.ndarray, threads: int, repeats: int) -> None:
    """Depth-3 trees (MimicExplainer's default surrogate shape): the numpy per-tree tables, built inside
    each timed call, against pred_contrib."""
    model = lightgbm.LGBMClassifier(n_estimators=400, max_depth=3, num_leaves=8, learning_rate=0.25, verbose=-1,
                                    random_state=0, n_jobs=threads).fit(X, y)
    booster = model.booster_
    times: dict[str, list[float]] = {"ours": [], "native": []}
    for _ in range(repeats):
        begin = time.perf_counter()
        ours = TreeShap(model, algorithm="fast").explain(rows)
        times["ours"].append(time.perf_counter() - begin)
        begin = time.perf_counter()
        native = booster.predict(rows, pred_contrib=True, num_threads=threads)
        times["native"].append(time.perf_counter() - begin)
    difference = np.abs(ours.local[1] - native[:, :-1]).max()
    fast, slow = statistics.median(times["ours"]), statistics.median(times["native"])
    print(f"  depth-3 trees (400 x 8 leaves, numpy tables built in the call): ours {fast:.2f} s, pred_contrib "
          f"{slow:.2f} s ({fast / slow:.2f}x), max difference {difference:.1e}")


def _break_even(model, X: np.ndarray, threads: int) -> None:
    """A fresh explainer (tables built inside the call) against pred_contrib at small row counts."""
    booster = model.booster_
    print("  break-even (fresh explainer, tables built in the call) vs pred_contrib:")
    for n in (100, 300, 1000, 3000):
        rows = X[-n:]
        begin = time.perf_counter()
        TreeShap(model, algorithm="fast").explain(rows)
        fast = time.perf_counter() - begin
        begin = time.perf_counter()
        booster.predict(rows, pred_contrib=True, num_threads=threads)
        native = time.perf_counter() - begin
        print(f"    {n:5d} rows x 300 trees: fast {fast:6.2f} s, native {native:6.2f} s ({fast / native:.2f}x)")


if __name__ == "__main__":
    main()
