"""The chunked engine at scale: LightGBM binary (300 trees) explained from a Parquet file, saved and uploaded.

Setup: make_classification(n_features=40, n_informative=13, random_state=0) rows written to a Parquet
file (row groups of 65,536); an LGBMClassifier (300 trees, 31 leaves, random_state=0) trained on the
first 50,000 rows on one thread.

Figures, each printed next to its peer measured in the same run and the machine load (1-minute
load average, os.getloadavg) when it was taken:

* throughput: ``explain_chunked(TreeShap(model), parquet, workers=W)`` (W processes, the job's own and
  W - 1 spawned, x cores/W native threads; the time includes reading the file, writing the parts and
  local.npy) vs LightGBM's native
  ``booster.predict(X, pred_contrib=True, num_threads=<cores>)`` on the same rows already in memory.
  Interleaved, median of the per-pair ratios. Target >= 0.9x.
* memory: peak RSS of the job's process tree (job + workers, sampled every 0.1 s by psutil) for
  explain + save + upload to a local ``mlflow server``, and of the job process alone. Target <= 2 GB.
  Run together with throughput, one job gives both figures (its explain time is a throughput sample).
* scaling: a KernelShap job (exact, 8 features, logistic regression, 20 background rows) on
  ``--kernel-rows`` rows in chunks of ``--kernel-chunk-rows``: 2 workers vs 1 (in-process), the
  same chunking, one BLAS thread per process in every run; interleaved, median of the per-pair
  ratios. For reference, the explainer's pure compute time (the same chunks explained in one
  process, no engine). Target >= 1.8x at 100k rows. With 2 workers the job's process explains
  while its one spawned worker starts (~1.5 s: a fresh interpreter importing explain-lib, pandas and
  the model's library); that start-up is the fixed cost, so small jobs scale less.

* spark: the TreeShap job on Spark - ``local[N]``, a standalone cluster and Spark Connect - next to the
  local engine on the same cores, rows/s and where the time goes (see ``_spark_figure.py``).

    python benchmarks/scale.py                       # the issue's sizes: 1M x 40, 300 trees; kernel 100k rows
    python benchmarks/scale.py --quick               # 20k rows, kernel 20k rows: a few minutes
    python benchmarks/scale.py --only scaling        # one figure (repeat --only for several)
    python benchmarks/scale.py --spark               # only the Spark figure: local[N], a standalone cluster and
                                                     # Spark Connect started here (~15 min at 100k rows)
    python benchmarks/scale.py --spark spark://host:7077 --spark sc://host:15002   # clusters you run

On a quiet 2-core machine LightGBM's TreeSHAP explains ~1,000 rows/s with this model, so the full
run takes ~45 min: throughput ~35 min (1M rows natively, then by the engine), memory adds ~2 min of
saving and uploading (~20 min alone), scaling ~6 min. ``--only throughput --rows 200000`` gives the
throughput ratio in ~7 min. The expected run time is estimated from a short calibration (CPU time)
and printed before the long parts.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from _local_server import start_server, stop_server

FIGURES = ("throughput", "memory", "scaling")
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def _sample(process: subprocess.Popen) -> dict[str, float]:
    """Sample the process tree until it exits: peak RSS of the tree and of the job process (GB), and the
    CPU seconds of the job's workers (their last sample; a worker's final 0.1 s may be missed)."""
    import psutil

    root, peaks, worker_cpu = psutil.Process(process.pid), {"tree": 0, "job": 0}, {}
    while process.poll() is None:
        try:
            workers = root.children(recursive=True)
            peaks["tree"] = max(peaks["tree"], sum(p.memory_info().rss for p in [root, *workers] if p.is_running()))
            peaks["job"] = max(peaks["job"], root.memory_info().rss)
            for worker in workers:
                times = worker.cpu_times()
                worker_cpu[worker.pid] = times.user + times.system
        except psutil.Error:
            pass
        time.sleep(0.1)
    return {**{key: value / 2**30 for key, value in peaks.items()}, "worker_cpu": max(worker_cpu.values(), default=0)}


def _cpu_time() -> float:
    return time.process_time()


# ------------------------------------------------------------------ measured jobs (child processes)
def _child_tree(args: argparse.Namespace) -> None:
    """Explain the Parquet file in chunks; with --upload also save the explanation and upload it."""
    from explain_lib import TreeShap
    from explain_lib.engine import explain_chunked

    with open(args.model, "rb") as handle:
        model = pickle.load(handle)
    times = {}
    start, cpu = time.perf_counter(), _cpu_time()
    explanation = explain_chunked(TreeShap(model), args.parquet, chunk_rows=args.chunk_rows, workers=args.workers,
                                  job_dir=Path(args.work, f"job-{os.getpid()}"), progress=False)
    times["explain"], times["cpu"] = time.perf_counter() - start, _cpu_time() - cpu
    if args.server:
        import mlflow

        from explain_lib import ExplanationClient

        start = time.perf_counter()
        explanation.save(Path(args.work, f"saved-{os.getpid()}"))
        times["save"] = time.perf_counter() - start
        start = time.perf_counter()
        mlflow.set_tracking_uri(args.server)
        with mlflow.start_run() as run:
            ExplanationClient.from_run_id(run.info.run_id).upload_model_explanation(explanation)
        times["upload"] = time.perf_counter() - start
    print(json.dumps(times))


def _child_kernel(args: argparse.Namespace) -> None:
    """The kernel job on --workers processes, or (workers 0) the same chunks explained in this process."""
    from explain_lib import KernelShap
    from explain_lib.engine import explain_chunked

    with open(args.model, "rb") as handle:
        model, rows = pickle.load(handle)
    explainer = KernelShap(model, rows[:20], progress=False)
    start, cpu = time.perf_counter(), _cpu_time()
    if args.workers == 0:
        for first in range(0, len(rows), args.chunk_rows):
            explainer.explain(rows[first:first + args.chunk_rows])
    else:
        explain_chunked(explainer, rows, chunk_rows=args.chunk_rows, workers=args.workers,
                        job_dir=Path(args.work, f"kernel-{os.getpid()}"), progress=False)
    print(json.dumps({"explain": time.perf_counter() - start, "cpu": _cpu_time() - cpu}))


def _run_child(kind: str, args: argparse.Namespace, *, env: dict | None = None, **extra: object) -> tuple[dict, dict]:
    argv = [sys.executable, __file__, "--child", kind, "--work", args.work]
    for key, value in extra.items():
        if value is not None:
            argv += [f"--{key.replace('_', '-')}", str(value)]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, env={**os.environ, **(env or {})})
    peaks: dict[str, float] = {}
    sampler = threading.Thread(target=lambda: peaks.update(_sample(process)))
    sampler.start()
    out, _ = process.communicate()
    sampler.join()
    if process.returncode:
        raise RuntimeError(f"the {kind} job failed")
    return json.loads(out.decode().strip().splitlines()[-1]), peaks


# ------------------------------------------------------------------------------------------ figures
def _tree_setup(args: argparse.Namespace, work: Path) -> tuple[object, np.ndarray]:
    import lightgbm
    import pandas as pd
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=args.rows, n_features=40, n_informative=13, random_state=0)
    pd.DataFrame(X, columns=[f"f{j}" for j in range(40)]).to_parquet(work / "rows.parquet", row_group_size=65_536)
    train = min(50_000, args.rows)
    model = lightgbm.LGBMClassifier(n_estimators=args.trees, num_leaves=31, verbose=-1, random_state=0, n_jobs=1)
    model.fit(pd.DataFrame(X[:train], columns=[f"f{j}" for j in range(40)]), y[:train])
    (work / "model.pkl").write_bytes(pickle.dumps(model))
    return model.booster_, X


def _native(booster: object, X: np.ndarray, cores: int) -> tuple[float, float]:
    """Wall and CPU seconds of LightGBM's own contributions on every core."""
    start, cpu = time.perf_counter(), _cpu_time()
    booster.predict(X, pred_contrib=True, num_threads=cores)
    return time.perf_counter() - start, _cpu_time() - cpu


def _idle_estimate(times: dict, peaks: dict) -> float:
    """Wall seconds the job would take on an idle machine: its busiest process's CPU time (the job's own
    process and its workers explain side by side; CPU time hardly depends on the load)."""
    return max(times["cpu"], peaks.get("worker_cpu", 0))


def _tree_figures(args: argparse.Namespace, work: Path, booster: object, X: np.ndarray, cores: int) -> None:
    throughput, memory = "throughput" in args.only, "memory" in args.only
    server = uri = None
    if memory:
        server, uri = start_server(work)
    natives, engines, ratios, idle_ratios, peaks, loads = [], [], [], [], None, []
    try:
        for repeat in range(args.tree_repeats if throughput else 1):
            native, native_cpu = _native(booster, X, cores) if throughput else (None, None)
            upload = memory and repeat == 0  # the first job of the run also saves and uploads
            times, tree_peaks = _run_child("tree", args, model=work / "model.pkl", parquet=work / "rows.parquet",
                                           chunk_rows=args.chunk_rows, workers=args.workers,
                                           server=uri if upload else None)
            loads.append(os.getloadavg()[0])
            if upload:
                peaks, saved = tree_peaks, times
            if throughput:
                natives.append(native)
                engines.append(times["explain"])
                ratios.append(native / times["explain"])
                idle_ratios.append(native_cpu / cores / _idle_estimate(times, tree_peaks))
    finally:
        if server is not None:
            stop_server(server)
    if throughput:
        native, engine, ratio = statistics.median(natives), statistics.median(engines), statistics.median(ratios)
        print(f"throughput  engine {args.rows / engine:,.0f} rows/s ({engine:.1f} s; Parquet in, parts + local.npy "
              f"out; {args.workers} workers x {max(1, cores // args.workers)} threads)  vs  native pred_contrib "
              f"{args.rows / native:,.0f} rows/s ({native:.1f} s; in memory, {cores} threads)")
        print(f"            ratio {ratio:.2f}x, median of {len(ratios)} (each {', '.join(f'{r:.2f}' for r in ratios)})"
              f"  target >= 0.9x: {'met' if ratio >= 0.9 else 'MISSED'}   [{_load()}; "
              f"loads {', '.join(f'{value:.1f}' for value in loads)}]")
        print(f"            from CPU time (load-independent), an idle machine would give about "
              f"{statistics.median(idle_ratios):.2f}x (native CPU / {cores} vs the engine's busiest process)")
    if memory:
        print(f"memory      peak RSS job + workers {peaks['tree']:.2f} GB, job {peaks['job']:.2f} GB  vs  target 2 GB: "
              f"{'met' if peaks['tree'] <= 2 else 'MISSED'} (explain {saved['explain']:.0f} s, save "
              f"{saved['save']:.0f} s, upload {saved['upload']:.0f} s; the rows alone are "
              f"{args.rows * 40 * 8 / 2**30:.2f} GB)  [{_load()}]")


def _kernel_setup(args: argparse.Namespace, work: Path) -> None:
    """The kernel job's model and rows, and its first 1,000 rows alone (to calibrate the run-time estimate)."""
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    X, y = make_classification(n_samples=args.kernel_rows, n_features=8, n_informative=5, random_state=1)
    model = LogisticRegression().fit(X, y)
    (work / "kernel.pkl").write_bytes(pickle.dumps((model, X)))
    (work / "kernel-calibration.pkl").write_bytes(pickle.dumps((model, X[:1000])))


def _kernel_figure(args: argparse.Namespace, work: Path) -> None:
    runs: dict[int, list[float]] = {0: [], 1: [], 2: []}
    idle: dict[int, list[float]] = {1: [], 2: []}
    loads = []
    for _ in range(args.repeats):
        for workers in (1, 2, 0):
            times, peaks = _run_child("kernel", args, env=ONE_THREAD, model=work / "kernel.pkl",
                                      chunk_rows=args.kernel_chunk_rows, workers=workers)
            runs[workers].append(times["explain"])
            if workers:
                idle[workers].append(_idle_estimate(times, peaks))
        loads.append(os.getloadavg()[0])
    ratios = [one / two for one, two in zip(runs[1], runs[2], strict=True)]
    idle_ratios = [one / two for one, two in zip(idle[1], idle[2], strict=True)]
    one, two, compute, ratio = (statistics.median(runs[1]), statistics.median(runs[2]), statistics.median(runs[0]),
                                statistics.median(ratios))
    print(f"scaling     kernel job on {args.kernel_rows:,} rows, chunks of {args.kernel_chunk_rows:,}: 2 workers "
          f"{two:.1f} s  vs  1 worker {one:.1f} s  speed-up {ratio:.2f}x, median of {len(ratios)} "
          f"(each {', '.join(f'{r:.2f}' for r in ratios)})  target >= 1.8x: {'met' if ratio >= 1.8 else 'MISSED'}")
    print(f"            reference: the explainer alone on the same chunks in one process {compute:.1f} s "
          f"(2 workers' overhead over half of it: {two - compute / 2:.1f} s)  [{_load()}; "
          f"loads {', '.join(f'{value:.1f}' for value in loads)}]")
    print(f"            from CPU time (load-independent), an idle machine would give about "
          f"{statistics.median(idle_ratios):.2f}x (1 worker {statistics.median(idle[1]):.1f} s CPU; 2 workers' "
          f"busiest process {statistics.median(idle[2]):.1f} s CPU)")


def _estimate(args: argparse.Namespace, booster: object | None, X: np.ndarray | None, work: Path,
              cores: int) -> float:
    """Seconds the measured parts will take on a quiet machine, from the CPU time of short calibrations."""
    total = 0.0
    if booster is not None:
        sample = X[:min(len(X), 2000)]
        native = _native(booster, sample, cores)[1] / cores * args.rows / len(sample)  # the engine: about as long
        total += args.tree_repeats * 2 * native if "throughput" in args.only else native
        if "memory" in args.only:
            total += 60 * args.rows / 1e6 + 20  # save + upload: about a minute per million rows; the server
    if "scaling" in args.only:
        times, _ = _run_child("kernel", args, env=ONE_THREAD, model=work / "kernel-calibration.pkl", chunk_rows=500,
                              workers=0)
        compute = times["cpu"] * args.kernel_rows / 1000
        total += args.repeats * (2 * compute + compute / 2 + 3 + 3 * 2)  # 1 worker, in-process, 2 workers; starts
    return total


def _spark(args: argparse.Namespace) -> None:
    from _spark_figure import spark_figure

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    work = Path(tempfile.mkdtemp(prefix="explain-lib-scale-spark-"))
    rows = args.spark_rows or (20_000 if args.quick else 100_000)
    started = time.perf_counter()
    print(f"start: {_load()} (5 / 15 min: {os.getloadavg()[1]:.2f} / {os.getloadavg()[2]:.2f}); the figures assume "
          f"a quiet machine (load < 0.5); work in {work}", flush=True)
    spark_figure(args.spark, rows, args.trees, args.spark_repeats, work, cores)
    print(f"end: {_load()}; took {_clock(time.perf_counter() - started)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=FIGURES, help="measure this figure (repeatable); "
                        "default: all three")
    parser.add_argument("--quick", action="store_true", help="small sizes (20k rows, kernel 20k rows, 1 repeat "
                        "of throughput): minutes, not the targets' sizes")
    parser.add_argument("--rows", type=int, help="rows explained by TreeShap (default 1,000,000; quick 20,000)")
    parser.add_argument("--trees", type=int, default=300)
    parser.add_argument("--chunk-rows", type=int, help="TreeShap job's chunks (default rows / 100, 500..10,000: "
                        "a short tail when the last chunks finish)")
    parser.add_argument("--kernel-rows", type=int, help="default 100,000; quick 20,000")
    parser.add_argument("--kernel-chunk-rows", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, help="interleaved repeats of every figure (default: throughput 1, "
                        "quick 3; scaling 3)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--spark", action="append", nargs="?", const="auto", metavar="URL",
                        help="the Spark figure on local[N] / spark://... / sc://... (repeatable), or 'auto' (the "
                        "default value): local[N], a standalone cluster and Spark Connect started here")
    parser.add_argument("--spark-rows", type=int, help="rows of the Spark figure (default 100,000; quick 20,000)")
    parser.add_argument("--spark-repeats", type=int, default=2, help="runs per Spark target, the first cold")
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

    if args.spark:
        return _spark(args)
    args.only = tuple(args.only or FIGURES)
    args.rows = args.rows or (20_000 if args.quick else 1_000_000)
    args.kernel_rows = args.kernel_rows or (20_000 if args.quick else 100_000)
    args.chunk_rows = args.chunk_rows or min(10_000, max(500, args.rows // 100))
    args.tree_repeats = args.repeats or (3 if args.quick else 1)
    args.repeats = args.repeats or 3
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    work = Path(tempfile.mkdtemp(prefix="explain-lib-scale-"))
    args.work = str(work)
    started = time.perf_counter()
    print(f"{', '.join(args.only)}: rows {args.rows:,} x 40, LightGBM {args.trees} trees, chunks of "
          f"{args.chunk_rows:,}; kernel rows {args.kernel_rows:,}; workers {args.workers}; {cores} cores; "
          f"work in {work}")
    print(f"start: {_load()} (5 / 15 min: {os.getloadavg()[1]:.2f} / {os.getloadavg()[2]:.2f}); the figures "
          "assume a quiet machine (load < 0.5)", flush=True)

    booster = X = None
    if "throughput" in args.only or "memory" in args.only:
        booster, X = _tree_setup(args, work)
    if "scaling" in args.only:
        _kernel_setup(args, work)
    print(f"expected run time from here on a quiet machine: {_clock(_estimate(args, booster, X, work, cores))} "
          f"(setup took {_clock(time.perf_counter() - started)})", flush=True)
    if booster is not None:
        _tree_figures(args, work, booster, X, cores)
        del X
    if "scaling" in args.only:
        _kernel_figure(args, work)
    print(f"end: {_load()}; took {_clock(time.perf_counter() - started)}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
