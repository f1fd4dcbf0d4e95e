"""TreeShap (tabulated TreeSHAP) against fasttreeshap v2 and LightGBM's pred_contrib, at equal threads.

Models: LightGBM binary classifiers on make_classification(n_samples=50_000, n_features=40, n_informative=13,
random_state=0): 300 trees x 31 leaves, and 1000 trees x 63 leaves. They are trained once per LightGBM version
(``deterministic=True``) and kept in ~/.cache/explain-lib-bench/tree-models, since the larger one takes minutes
to train. The first 20k rows are explained.

Each contender runs in its own fresh worker process per round, and the contenders alternate who goes first
(round r starts with contender r mod n). Timed: the explain call only, after the imports, loading the model file
and constructing the explainer object:

* explain_lib: ``TreeShap(booster, algorithm="fast").explain(rows)``. The call reads the trees, builds the
  tables and loads numba's compiled kernels (from numba's cache; in a fresh process numba's start-up is paid
  inside the call); numba's threads = ``--threads``.
* fasttreeshap 0.1.6: ``TreeExplainer(booster, algorithm="v2", n_jobs=threads).shap_values(rows,
  check_additivity=False)``; its v2 tables are built inside the call, its constructor (reading the model)
  is not timed. It needs numpy<2, so it runs from its own environment, created on first use with
  ``pip install fasttreeshap==0.1.6 "numpy<2" "pandas<2.3" lightgbm==<ours>`` in
  ~/.cache/explain-lib-bench/fasttreeshap-0.1.6. The worker reports the algorithm it ran (its v2 falls back
  to v1 with a warning when its memory check fails).
* LightGBM: ``booster.predict(rows, pred_contrib=True, num_threads=threads)`` (the 300-tree model only,
  unless ``--native-all``).

Printed per model: the median wall time of each contender, the per-round ratios ours / fasttreeshap and their
median, the same from CPU time (all threads of the worker: less sensitive to other load on the machine), the
largest difference between our values and each peer's (must be <= 1e-9), and the load average. Then, for the
300-tree model, in this process: the trees' depth statistics, the tables' memory and build time, numba's cold
(empty cache) and warm start, where a fresh process spends its time (``--profile`` alone prints only that), the
break-even row count against pred_contrib, and depth-3 trees (400 x 8 leaves, the numpy tables).

Targets: explain_lib <= 0.5x fasttreeshap v2 on both models; <= 0.5x pred_contrib on the 300-tree model.

    python benchmarks/tree.py [--repeats 3] [--rows 20000] [--threads 2] [--models 300x31,1000x63]
                              [--native-all] [--skip-details] [--profile] [--fasttreeshap-python PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _peers import ENVS, cpu_seconds, load_line, peer_python, run_worker  # noqa: E402

TARGET = 0.5
FTS_ENV = "fasttreeshap-0.1.6"
OURS, FTS, NATIVE = "explain_lib TreeShap", "fasttreeshap v2", "lightgbm pred_contrib"


# ------------------------------------------------------------------ workers (each in a fresh process)
def _worker(args: argparse.Namespace) -> None:
    import lightgbm

    warnings.simplefilter("ignore")
    booster = lightgbm.Booster(model_file=args.model)
    rows = np.load(args.rows_file)
    info: dict = {}
    if args.worker == "ours":
        from explain_lib import TreeShap

        explainer = TreeShap(booster, algorithm="fast")
        start, cpu = time.perf_counter(), cpu_seconds()
        values = explainer.explain(rows).local[-1]
    elif args.worker == "fasttreeshap":
        import fasttreeshap

        explainer = fasttreeshap.TreeExplainer(booster, algorithm="v2", n_jobs=args.threads)
        fits, fits_shared = explainer._memory_check(rows)  # its own v2 -> v2_1 / v2_2 / v1 rule
        info["algorithm"] = "v2_1" if fits else "v2_2" if fits_shared else "v1 (v2 refused by its memory check)"
        start, cpu = time.perf_counter(), cpu_seconds()
        values = np.asarray(explainer.shap_values(rows, check_additivity=False))
        values = values[-1] if values.ndim == 3 else values
    else:
        start, cpu = time.perf_counter(), cpu_seconds()
        values = booster.predict(rows, pred_contrib=True, num_threads=args.threads)[:, :-1]
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    np.save(args.out, np.asarray(values, dtype=np.float64))
    print(json.dumps({"seconds": seconds, "cpu": cpu, **info}))


_PROFILE = """
import json, sys, time
import numpy as np, lightgbm
booster = lightgbm.Booster(model_file=sys.argv[1]); rows = np.load(sys.argv[2])
t0 = time.perf_counter()
from explain_lib.explainers._tree_arrays import tree_arrays
trees, _ = tree_arrays(booster)
t1 = time.perf_counter()
import numba
t2 = time.perf_counter()
from explain_lib.explainers import _fasttree
t3 = time.perf_counter()
_fasttree.numba_threads()
fast = _fasttree.FastTreeShap(trees, table_bytes=0)  # no tables: this times loading the compiled kernels
fast.shap_values(rows[:1])
t4 = time.perf_counter()
fast = _fasttree.FastTreeShap(trees)
t5 = time.perf_counter()
fast.shap_values(rows)
t6 = time.perf_counter()
print(json.dumps({"read the trees": t1 - t0, "import numba": t2 - t1, "import the kernels' modules": t3 - t2,
                  "load the compiled kernels (numba's first use)": t4 - t3, "build the tables": t5 - t4,
                  "explain the rows (kernel)": t6 - t5, "rows": len(rows)}))
"""


# ------------------------------------------------------------------ driver
def _model_file(n_trees: int, n_leaves: int, threads: int) -> tuple[Path, np.ndarray]:
    """The cached model of this shape (trained on first use) and the 50k rows it was trained on."""
    import lightgbm
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=50_000, n_features=40, n_informative=13, random_state=0)
    path = ENVS / "tree-models" / f"lightgbm-{lightgbm.__version__}-{n_trees}x{n_leaves}.txt"
    if not path.exists():
        print(f"training the {n_trees} x {n_leaves}-leaf model (once; kept in {path})", flush=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        model = lightgbm.LGBMClassifier(n_estimators=n_trees, num_leaves=n_leaves, verbose=-1, random_state=0,
                                        deterministic=True, n_jobs=threads).fit(X, y)
        model.booster_.save_model(str(path) + ".part")
        os.replace(str(path) + ".part", path)
    return path, X


def _compare(name: str, model: Path, rows_file: Path, pythons: dict[str, str], args: argparse.Namespace,
             tmp: Path) -> dict[str, float]:
    """Alternated fresh-process rounds of every contender on one model; prints and returns the ratios."""
    sides = {OURS: "ours", FTS: "fasttreeshap", NATIVE: "native"}
    contenders = [c for c in (OURS, FTS, NATIVE) if c in pythons]
    wall: dict[str, list[float]] = {c: [] for c in contenders}
    cpu: dict[str, list[float]] = {c: [] for c in contenders}
    info: dict[str, dict] = {}
    env = {"NUMBA_NUM_THREADS": str(args.threads), "OMP_NUM_THREADS": str(args.threads)}
    before = os.getloadavg()
    for round_ in range(args.repeats):
        order = contenders[round_ % len(contenders):] + contenders[: round_ % len(contenders)]
        for contender in order:
            out = tmp / f"{sides[contender]}.npy"
            result = run_worker(pythons[contender], __file__, [
                "--worker", sides[contender], "--model", str(model), "--rows-file", str(rows_file), "--out", str(out),
                "--threads", str(args.threads)], env)
            wall[contender].append(result.pop("seconds"))
            cpu[contender].append(result.pop("cpu"))
            info[contender] = result
    after = os.getloadavg()
    ours = np.load(tmp / "ours.npy")
    print(f"{name}: {args.rows} rows x 40 features, {args.threads} threads each; {args.repeats} alternated rounds, "
          f"one fresh process per run, the explain call timed")
    print(f"  {load_line(before, after)}")
    for contender in contenders:
        runs = ", ".join(f"{v:.2f}" for v in wall[contender])
        extra = f"  [{info[contender]['algorithm']}]" if info[contender].get("algorithm") else ""
        line = (f"  {contender:24s} {statistics.median(wall[contender]):7.2f} s wall ({runs}); "
                f"{statistics.median(cpu[contender]):7.2f} s CPU{extra}")
        if contender != OURS:
            difference = float(np.abs(ours - np.load(tmp / f"{sides[contender]}.npy")).max())
            line += f"; max |ours - it| {difference:.1e} ({'ok' if difference <= 1e-9 else 'TOO LARGE'})"
        print(line)
    ratios = {}
    for peer in contenders[1:]:
        per_round = [a / b for a, b in zip(wall[OURS], wall[peer], strict=True)]
        per_round_cpu = [a / b for a, b in zip(cpu[OURS], cpu[peer], strict=True)]
        ratios[peer] = statistics.median(per_round)
        print(f"  ours / {peer}: wall {statistics.median(per_round):.3f}x (rounds "
              f"{', '.join(f'{r:.3f}' for r in per_round)}); CPU {statistics.median(per_round_cpu):.3f}x")
    return ratios


def _profile(model: Path, rows_file: Path, threads: int) -> None:
    """Where a fresh process's explain call spends its time (our side), phase by phase."""
    env = {**os.environ, "NUMBA_NUM_THREADS": str(threads)}
    out = subprocess.run([sys.executable, "-c", _PROFILE, str(model), str(rows_file)], env=env, check=True,
                         capture_output=True, text=True)
    phases = json.loads(out.stdout.strip().splitlines()[-1])
    rows = phases.pop("rows")
    print("  where a fresh process spends explain(): " + "; ".join(f"{k} {v:.2f} s" for k, v in phases.items())
          + f" ({phases['explain the rows (kernel)'] / rows * 1e6:.0f} us per row on {threads} threads)")


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


def _depths(booster) -> tuple[list[int], list[int], list[int]]:
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


def _details(model_path: Path, X: np.ndarray, rows: np.ndarray, threads: int, repeats: int) -> None:
    """The 300-tree model's structure, tables, start-up, break-even and depth-3 trees, in this process."""
    import lightgbm
    import numba

    from explain_lib import TreeShap
    from explain_lib.explainers._fasttree import FastTreeShap
    from explain_lib.explainers._tree_arrays import tree_arrays

    with tempfile.TemporaryDirectory() as cache:
        cold = _start_time(cache)
        warm = _start_time(cache)
    numba.set_num_threads(threads)
    booster = lightgbm.Booster(model_file=str(model_path))
    leaf_depth, distinct, tree_depth = _depths(booster)
    FastTreeShap(tree_arrays(booster)[0], table_bytes=0)  # numba's start-up, so what follows is the work alone
    start = time.perf_counter()
    trees, _ = tree_arrays(booster)
    parsed = time.perf_counter() - start
    fast = FastTreeShap(trees)
    precompute = time.perf_counter() - start
    print(f"  leaf depth: {_stats(leaf_depth)}; tree depth: {_stats(tree_depth)}")
    print(f"  distinct features per leaf path: {_stats(distinct)}; tabulated leaves {fast.tabulated_leaves} "
          f"of {len(leaf_depth)}")
    print(f"  precompute (numba loaded already): {precompute:.2f} s (read the trees {parsed:.2f} s, tables "
          f"{precompute - parsed:.2f} s); memory {fast.memory_bytes / 2**20:.1f} MiB")
    print(f"  numba start-up: cold (compile, empty cache) {cold:.1f} s; warm (cached) {warm:.1f} s")
    print("  break-even (fresh explainer, tables built in the call) vs pred_contrib:")
    for n in (100, 300, 1000, 3000):
        part = X[-n:]
        begin = time.perf_counter()
        TreeShap(booster, algorithm="fast").explain(part)
        ours = time.perf_counter() - begin
        begin = time.perf_counter()
        booster.predict(part, pred_contrib=True, num_threads=threads)
        native = time.perf_counter() - begin
        print(f"    {n:5d} rows x 300 trees: fast {ours:6.2f} s, native {native:6.2f} s ({ours / native:.2f}x)")
    _shallow(X, rows, threads, repeats)


def _shallow(X: np.ndarray, rows: np.ndarray, threads: int, repeats: int) -> None:
    """Depth-3 trees (MimicExplainer's default surrogate shape): the numpy per-tree tables, built inside
    each timed call, against pred_contrib."""
    import lightgbm
    from sklearn.datasets import make_classification

    from explain_lib import TreeShap

    _, y = make_classification(n_samples=50_000, n_features=40, n_informative=13, random_state=0)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--models", default="300x31,1000x63", help="trees x leaves, comma-separated")
    parser.add_argument("--native-all", action="store_true", help="time pred_contrib on every model")
    parser.add_argument("--skip-details", action="store_true", help="only the fresh-process comparison")
    parser.add_argument("--profile", action="store_true", help="only where a fresh process spends its time")
    parser.add_argument("--fasttreeshap-python", help="python of an environment with fasttreeshap 0.1.6")
    for hidden in ("--worker", "--model", "--rows-file", "--out"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args)
        return
    import lightgbm

    shapes = [tuple(int(v) for v in shape.split("x")) for shape in args.models.split(",")]
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        rows_file = tmp / "rows.npy"
        if args.profile:
            model, X = _model_file(*shapes[0], args.threads)
            np.save(rows_file, X[: args.rows])
            print(f"{shapes[0][0]} trees x {shapes[0][1]} leaves, {args.rows} rows, {args.threads} threads")
            _profile(model, rows_file, args.threads)
            return
        requirements = ["fasttreeshap==0.1.6", "numpy<2", "pandas<2.3", f"lightgbm=={lightgbm.__version__}"]
        fts = peer_python(FTS_ENV, requirements, args.fasttreeshap_python)
        met = []
        for n_trees, n_leaves in shapes:
            model, X = _model_file(n_trees, n_leaves, args.threads)
            np.save(rows_file, X[: args.rows])
            pythons = {OURS: sys.executable, FTS: fts}
            if args.native_all or (n_trees, n_leaves) == (300, 31):
                pythons[NATIVE] = sys.executable
            name = f"{n_trees} trees x {n_leaves} leaves"
            ratios = _compare(name, model, rows_file, pythons, args, tmp)
            met.append((f"{name}: explain_lib <= {TARGET}x fasttreeshap v2", ratios[FTS]))
            if NATIVE in ratios and (n_trees, n_leaves) == (300, 31):
                met.append((f"{name}: explain_lib <= {TARGET}x pred_contrib", ratios[NATIVE]))
            if (n_trees, n_leaves) == (300, 31) and not args.skip_details:
                _profile(model, rows_file, args.threads)
                _details(model, X, X[: args.rows], args.threads, args.repeats)
        for target, ratio in met:
            print(f"target {target}: {'met' if ratio <= TARGET else 'missed'} (median ratio {ratio:.3f}x)")


if __name__ == "__main__":
    main()
