"""Exact SHAP interaction values: TreeShap.interactions against shap's (and optionally fasttreeshap's).

Workload: LightGBM binary classifier, 200 trees x 31 leaves, trained on make_classification(n_samples=20_000,
n_features=20, n_informative=10, random_state=0) with ``deterministic=True``; explain the first 5000 rows.

Each contender runs in its own fresh worker process per round, the contenders alternating who goes first;
timed: the call only, after the imports, loading the model file and constructing the explainer object.

* explain_lib: ``TreeShap(booster).interactions(rows)`` (every feature; builds the value and pair tables and
  loads numba's compiled kernels inside the call), on ``--threads`` numba threads, and again on 1 thread;
* shap: ``shap.TreeExplainer(booster).shap_interaction_values(rows)`` (its C++ on one thread: it has no
  threaded interaction path);
* ``--with-fasttreeshap``: fasttreeshap 0.1.6 ``TreeExplainer(booster, algorithm="v1",
  n_jobs=threads).shap_interaction_values(rows)`` (its v2 has no interactions), from its own environment
  (created on first use, see benchmarks/tree.py).

Printed: median wall and CPU time of each, the per-round ratio ours / shap and its median, the peak resident
memory of each worker, the largest difference from shap's values (must be <= 1e-9), and the load average.
Target: explain_lib <= 0.1x shap's time at equal values.

    python benchmarks/interactions.py [--repeats 3] [--rows 5000] [--threads 2] [--with-fasttreeshap]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _peers import cpu_seconds, load_line, peer_python, run_worker  # noqa: E402

TARGET = 0.1
OURS, OURS_ONE, SHAP, FTS = "explain_lib TreeShap", "explain_lib, 1 thread", "shap TreeExplainer", "fasttreeshap v1"


def _worker(args: argparse.Namespace) -> None:
    import resource

    import lightgbm

    warnings.simplefilter("ignore")
    booster = lightgbm.Booster(model_file=args.model)
    rows = np.load(args.rows_file)
    if args.worker == "ours":
        from explain_lib import TreeShap

        explainer = TreeShap(booster)
        start, cpu = time.perf_counter(), cpu_seconds()
        values = explainer.interactions(rows).values[-1]
    elif args.worker == "shap":
        import shap

        explainer = shap.TreeExplainer(booster)
        start, cpu = time.perf_counter(), cpu_seconds()
        values = explainer.shap_interaction_values(rows)
    else:
        import fasttreeshap

        explainer = fasttreeshap.TreeExplainer(booster, algorithm="v1", n_jobs=args.threads)
        start, cpu = time.perf_counter(), cpu_seconds()
        values = explainer.shap_interaction_values(rows)
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    values = np.asarray(values[-1] if isinstance(values, list) else values, dtype=np.float64)
    if values.ndim == 4:  # (rows, M, M, outputs): the positive class
        values = values[..., -1]
    if values.shape[-1] == rows.shape[1] + 1:  # a bias row and column
        values = values[:, :-1, :-1]
    np.save(args.out, values)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10  # KiB -> MiB
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mib": peak}))


def _workload(directory: Path, threads: int, n_rows: int) -> tuple[Path, Path]:
    import lightgbm
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=20_000, n_features=20, n_informative=10, random_state=0)
    model = lightgbm.LGBMClassifier(n_estimators=200, num_leaves=31, verbose=-1, random_state=0, deterministic=True,
                                    n_jobs=threads).fit(X, y)
    model_file, rows_file = directory / "model.txt", directory / "rows.npy"
    model.booster_.save_model(str(model_file))
    np.save(rows_file, X[:n_rows])
    return model_file, rows_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--with-fasttreeshap", action="store_true")
    parser.add_argument("--fasttreeshap-python", help="python of an environment with fasttreeshap 0.1.6")
    for hidden in ("--worker", "--model", "--rows-file", "--out"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args)
        return

    contenders = {OURS: (sys.executable, "ours", args.threads), OURS_ONE: (sys.executable, "ours", 1),
                  SHAP: (sys.executable, "shap", 1)}
    if args.with_fasttreeshap:
        import lightgbm

        requirements = ["fasttreeshap==0.1.6", "numpy<2", "pandas<2.3", f"lightgbm=={lightgbm.__version__}"]
        contenders[FTS] = (peer_python("fasttreeshap-0.1.6", requirements, args.fasttreeshap_python), "fts",
                           args.threads)
    names = list(contenders)
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    peak: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        model_file, rows_file = _workload(directory, args.threads, args.rows)
        before = os.getloadavg()
        for round_ in range(args.repeats):
            for name in names[round_ % len(names):] + names[: round_ % len(names)]:
                python, side, threads = contenders[name]
                env = {"NUMBA_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads)}
                result = run_worker(python, __file__, [
                    "--worker", side, "--model", str(model_file), "--rows-file", str(rows_file),
                    "--out", str(directory / f"{name}.npy"), "--threads", str(threads)], env)
                wall[name].append(result["seconds"])
                cpu[name].append(result["cpu"])
                peak[name] = max(peak.get(name, 0.0), result["peak_mib"])
        after = os.getloadavg()
        reference = np.load(directory / f"{SHAP}.npy")
        difference = {name: float(np.abs(np.load(directory / f"{name}.npy") - reference).max()) for name in names}

    print(f"{args.rows} rows x 20 features, LightGBM 200 trees x 31 leaves (binary); {args.repeats} alternated "
          "rounds, one fresh process per run, the interaction call timed")
    print(f"  {load_line(before, after)}")
    for name in names:
        runs = ", ".join(f"{v:.2f}" for v in wall[name])
        threads = contenders[name][2]
        print(f"  {name:24s} {statistics.median(wall[name]):8.2f} s wall ({runs}); {statistics.median(cpu[name]):8.2f}"
              f" s CPU; {threads} thread(s); peak RSS {peak[name]:.0f} MiB; max |it - shap| {difference[name]:.1e}")
    ratio = {}
    for name in (OURS, OURS_ONE):
        per_round = [a / b for a, b in zip(wall[name], wall[SHAP], strict=True)]
        ratio[name] = statistics.median(per_round)
        print(f"  {name} / shap: {ratio[name]:.4f}x (rounds {', '.join(f'{r:.4f}' for r in per_round)})")
    equal = difference[OURS] <= 1e-9
    print(f"target explain_lib <= {TARGET}x shap's shap_interaction_values at equal values (1e-9): "
          f"{'met' if ratio[OURS] <= TARGET and equal else 'missed'} (median ratio {ratio[OURS]:.4f}x, max "
          f"difference {difference[OURS]:.1e})")


if __name__ == "__main__":
    main()
