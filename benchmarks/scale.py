"""The chunked engine at scale: LightGBM binary (300 trees) explained from a Parquet file, saved and uploaded.

Setup: make_classification(n_features=40, n_informative=13, random_state=0) rows written to a Parquet
file (row groups of 65,536); an LGBMClassifier (300 trees, 31 leaves) trained on the first 50,000.

Figures, each next to its peer measured in the same run:

* throughput: ``explain_chunked(TreeShap(model), parquet, workers=W)`` rows/s (reading the file, writing
  the parts, assembling local.npy) vs LightGBM's native ``predict(pred_contrib=True)`` on the same rows
  in memory (all cores). Target >= 0.9x.
* memory: peak RSS of the job's process tree (job + its workers, sampled every 0.1 s by psutil) for
  explain + save + upload to a local ``mlflow server``; the job's own peak RSS, and its anonymous
  (non file-backed) part. Target <= 2 GB. The rows alone take rows x 40 x 8 bytes.
* scaling: a KernelShap job (exact, 8 features, logistic regression) on ``--kernel-rows`` rows, on 2
  workers vs 1, one BLAS thread per process in both runs. Target >= 1.8x.

    python benchmarks/scale.py [--rows 1000000] [--kernel-rows 100000] [--chunk-rows 50000] [--trees 300]

The full size takes a long time on 2 cores (LightGBM's TreeSHAP does ~1,000 rows/s per core for this
model): pass smaller --rows / --kernel-rows on a busy machine and say so when quoting the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from _local_server import start_server, stop_server


def _peak_rss(process: subprocess.Popen) -> dict[str, float]:
    """Sample the process tree's RSS until it exits: peaks of the tree, the job, and the job's anonymous memory."""
    import psutil

    root, peaks = psutil.Process(process.pid), {"tree": 0, "job": 0, "job_anon": 0}
    while process.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            total = sum(p.memory_info().rss for p in tree if p.is_running())
            full = root.memory_full_info()
            peaks["tree"] = max(peaks["tree"], total)
            peaks["job"] = max(peaks["job"], full.rss)
            peaks["job_anon"] = max(peaks["job_anon"], full.rss - full.shared)
        except psutil.Error:
            pass
        time.sleep(0.1)
    return {key: value / 2**30 for key, value in peaks.items()}


def _child_tree(args: argparse.Namespace) -> None:
    """The measured job: explain the Parquet file in chunks, save the explanation, upload it."""
    import mlflow

    from explain_lib import ExplanationClient, TreeShap
    from explain_lib.engine import explain_chunked

    with open(args.model, "rb") as handle:
        model = pickle.load(handle)
    times = {}
    start = time.perf_counter()
    explanation = explain_chunked(TreeShap(model), args.parquet, chunk_rows=args.chunk_rows, workers=args.workers,
                                  job_dir=Path(args.work, "job"), progress=False)
    times["explain"] = time.perf_counter() - start
    start = time.perf_counter()
    explanation.save(Path(args.work, "saved"))
    times["save"] = time.perf_counter() - start
    start = time.perf_counter()
    mlflow.set_tracking_uri(args.server)
    with mlflow.start_run() as run:
        ExplanationClient.from_run_id(run.info.run_id).upload_model_explanation(explanation)
    times["upload"] = time.perf_counter() - start
    print(json.dumps(times))


def _child_kernel(args: argparse.Namespace) -> None:
    from explain_lib import KernelShap
    from explain_lib.engine import explain_chunked

    with open(args.model, "rb") as handle:
        model, rows = pickle.load(handle)
    explainer = KernelShap(model, rows[:20], progress=False)
    start = time.perf_counter()
    explain_chunked(explainer, rows, chunk_rows=max(1, len(rows) // 16), workers=args.workers,
                    job_dir=Path(args.work, f"kernel-{args.workers}"), progress=False)
    print(json.dumps({"explain": time.perf_counter() - start}))


def _run_child(kind: str, args: argparse.Namespace, **extra: str) -> tuple[dict, dict]:
    argv = [sys.executable, __file__, "--child", kind, "--work", args.work, "--chunk-rows", str(args.chunk_rows)]
    for key, value in extra.items():
        argv += [f"--{key}", str(value)]
    env = dict(os.environ)
    if kind == "kernel":  # one BLAS thread per worker in both runs, so the 1-worker run uses one core
        env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, env=env)
    peaks: dict[str, float] = {}
    sampler = threading.Thread(target=lambda: peaks.update(_peak_rss(process)))
    sampler.start()
    out, _ = process.communicate()
    sampler.join()
    if process.returncode:
        raise RuntimeError(f"the {kind} job failed")
    return json.loads(out.decode().strip().splitlines()[-1]), peaks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--kernel-rows", type=int, default=100_000)
    parser.add_argument("--chunk-rows", type=int, default=50_000)
    parser.add_argument("--trees", type=int, default=300, help="fewer trees make a full-size memory check quick")
    parser.add_argument("--skip-kernel", action="store_true")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--child", choices=("tree", "kernel"))
    parser.add_argument("--work")
    parser.add_argument("--model")
    parser.add_argument("--parquet")
    parser.add_argument("--server")
    args = parser.parse_args()
    if args.child == "tree":
        return _child_tree(args)
    if args.child == "kernel":
        return _child_kernel(args)

    import lightgbm
    import pandas as pd
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    work = Path(tempfile.mkdtemp(prefix="explain-lib-scale-"))
    args.work = str(work)
    print(f"rows {args.rows:,} x 40, LightGBM {args.trees} trees; kernel rows {args.kernel_rows:,}; "
          f"chunk_rows {args.chunk_rows:,}; workers {args.workers}; {os.cpu_count()} cores; work in {work}")
    X, y = make_classification(n_samples=args.rows, n_features=40, n_informative=13, random_state=0)
    columns = [f"f{j}" for j in range(40)]
    frame = pd.DataFrame(X, columns=columns)
    frame.to_parquet(work / "rows.parquet", row_group_size=65_536)
    train = min(50_000, args.rows)
    model = lightgbm.LGBMClassifier(n_estimators=args.trees, num_leaves=31, verbose=-1, random_state=0)
    model.fit(frame.iloc[:train], y[:train])
    (work / "model.pkl").write_bytes(pickle.dumps(model))

    start = time.perf_counter()
    model.booster_.predict(frame, pred_contrib=True)
    native = time.perf_counter() - start
    del X, frame

    server, uri = start_server(work)
    try:
        times, peaks = _run_child("tree", args, model=work / "model.pkl", parquet=work / "rows.parquet", server=uri,
                                  workers=args.workers)
    finally:
        stop_server(server)
    print(f"throughput  engine {args.rows / times['explain']:,.0f} rows/s ({times['explain']:.1f} s)  vs  "
          f"native pred_contrib {args.rows / native:,.0f} rows/s ({native:.1f} s)  ratio "
          f"{native / times['explain']:.2f}x (target >= 0.9x)")
    print(f"save {times['save']:.1f} s, upload {times['upload']:.1f} s")
    print(f"peak RSS    job + workers {peaks['tree']:.2f} GB, job {peaks['job']:.2f} GB (anonymous "
          f"{peaks['job_anon']:.2f} GB)  vs  target 2 GB; the rows alone are {args.rows * 40 * 8 / 2**30:.2f} GB")

    if args.skip_kernel:
        return
    Xk, yk = make_classification(n_samples=args.kernel_rows, n_features=8, n_informative=5, random_state=1)
    (work / "kernel.pkl").write_bytes(pickle.dumps((LogisticRegression().fit(Xk, yk), Xk)))
    one, _ = _run_child("kernel", args, model=work / "kernel.pkl", workers=1)
    two, _ = _run_child("kernel", args, model=work / "kernel.pkl", workers=2)
    print(f"kernel      2 workers {two['explain']:.1f} s  vs  1 worker {one['explain']:.1f} s  speed-up "
          f"{one['explain'] / two['explain']:.2f}x (target >= 1.8x)")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
