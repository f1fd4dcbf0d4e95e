"""scale.py --spark: the same TreeShap job on the local engine, local[N], a standalone cluster and Spark Connect.

Job: ``explain_spark(TreeShap(LightGBM, 300 trees x 31 leaves), spark.read.parquet(rows), output)`` on
``--spark-rows`` rows x 40 features (make_classification, as the throughput figure), the Parquet file cut into
16 row groups so every target reads the same 16 partitions. Each target runs in a driver process of its own
(spark_cluster.Driver) and explains the rows ``--spark-repeats`` times in one session: the first run is
"cold" (executors start their Python workers, which import explain-lib and load numba's kernels), the
others "warm". The local engine (``explain_chunked``, one process per core) reads the same file.

Targets (``--spark`` is repeatable):

* ``auto`` (the default) starts, on this machine and from pyspark's own distribution, a standalone cluster
  (a master and one 1-core worker per core, each a JVM) and measures ``local[<cores>]``, that cluster from a
  classic driver, and a Spark Connect server (pyspark's SparkConnectServer) whose master is that cluster:
  the same cores under each.
* ``local[N]``, ``spark://host:port`` (a classic driver here) or ``sc://host:port`` (a Connect client): a
  cluster you run; its executors need explain-lib (and the machine's file system for the Parquet file and
  the output: use a path every node sees, or run it on one machine).

Where the time goes, per target: starting the session (not in rows/s), then the engine's phases as it logs
them: ``prepare`` (the first row, counting each partition's rows, probing the explainer), ``ship``
(pickling, and on Connect above 4 MiB the session file), ``explain`` (mapInPandas: Arrow batches to the
Python workers, TreeSHAP, Parquet written) and ``importances`` (the values read back, block sums to the
driver). For reference: the explainer's own CPU seconds for the rows in one process, so ``explain`` minus
that / cores is Spark's part of the explain phase.
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import time
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCHMARKS.parent / "tests"))
import spark_cluster  # noqa: E402 - the tests' launcher of real Spark from pyspark's distribution

PARTITIONS = 16


def _load() -> float:
    return os.getloadavg()[0]


def _job(spark, explainer, parquet: str, output: str, repeats: int, partition_bytes: int) -> dict:
    """In the driver: explain the Parquet rows ``repeats`` times; each run's phase seconds and the importances."""
    from explain_lib.engine import explain_spark

    started = time.time()
    spark.conf.set("spark.sql.files.maxPartitionBytes", str(partition_bytes))
    spark.conf.set("spark.sql.files.openCostInBytes", "0")
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("explain_lib.engine._spark")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    runs, explanation = [], None
    for run in range(repeats):
        clock, load = time.perf_counter(), _load()
        explanation = explain_spark(explainer, spark.read.parquet(parquet), f"{output}/run-{run}", mode="overwrite")
        runs.append({"total": time.perf_counter() - clock, "load": (load + _load()) / 2,
                     **records[-1].explain_lib_seconds})
    partitions = spark.read.parquet(parquet).rdd.getNumPartitions() if not _connect(spark) else None
    return {"started": started, "runs": runs, "global": explanation.global_, "partitions": partitions}


def _connect(spark) -> bool:
    return type(spark).__module__.startswith("pyspark.sql.connect")


def _setup(work: Path, rows: int, trees: int) -> tuple[object, Path, int]:
    """The model (trained on up to 50k rows, one thread) and the rows as Parquet in PARTITIONS row groups."""
    import lightgbm
    import pandas as pd
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=rows, n_features=40, n_informative=13, random_state=0)
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(40)])
    path = work / "spark-rows.parquet"
    frame.to_parquet(path, row_group_size=-(-rows // PARTITIONS))
    train = min(50_000, rows)
    model = lightgbm.LGBMClassifier(n_estimators=trees, num_leaves=31, verbose=-1, random_state=0, n_jobs=1)
    model.fit(frame[:train], y[:train])
    return model, path, -(-path.stat().st_size // PARTITIONS)


def _compute_seconds(explainer, path: Path) -> float:
    """CPU seconds of the explainer alone on the rows, in this process on one thread, chunk by chunk."""
    import numba
    import pyarrow.parquet as pq
    from threadpoolctl import threadpool_limits

    before, clock = numba.get_num_threads(), time.process_time()
    numba.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            for batch in pq.ParquetFile(path).iter_batches(batch_size=10_000):
                explainer.explain(batch.to_pandas())
    finally:
        numba.set_num_threads(before)
    return time.process_time() - clock


def _local_engine(explainer, path: Path, work: Path, cores: int, repeats: int) -> dict:
    from explain_lib.engine import explain_chunked

    runs, explanation = [], None
    for run in range(repeats):
        clock, load = time.perf_counter(), _load()
        explanation = explain_chunked(explainer, str(path), chunk_rows=5_000, workers=cores,
                                      job_dir=work / f"local-{run}", progress=False)
        runs.append({"total": time.perf_counter() - clock, "load": (load + _load()) / 2})
    return {"runs": runs, "global": explanation.global_, "session": 0.0}


def _on_spark(session: dict, explainer, path: Path, work: Path, repeats: int, partition_bytes: int) -> dict:
    name = f"driver-{len(list(work.glob('driver-*')))}"
    launched = time.time()
    driver = spark_cluster.Driver(work / name, session, _job, explainer, str(path), (work / name / "out").as_uri(),
                                  repeats, partition_bytes,
                                  env={"PYTHONPATH": spark_cluster.python_path(spark_cluster.TESTS, BENCHMARKS)})
    result = driver.result(timeout=6 * 3600)
    result["session"] = result["started"] - launched
    return result


def _row(label: str, result: dict, rows: int, reference) -> str:
    import numpy as np

    cold, warm = result["runs"][0], result["runs"][1:] or result["runs"][:1]
    total = statistics.median(run["total"] for run in warm)
    phases = "  ".join(f"{key} {statistics.median(run[key] for run in warm):6.1f}"
                       for key in ("prepare", "ship", "explain", "importances") if key in warm[0])
    same = "same importances" if np.array_equal(result["global"], reference) else "IMPORTANCES DIFFER"
    load = statistics.mean(run["load"] for run in warm)
    return (f"  {label:<42} {rows / total:8,.0f} rows/s warm ({total:6.1f} s), cold {rows / cold['total']:7,.0f}  "
            f"session {result['session']:5.1f} s  {phases}  {same}  [load {load:.1f}]")


def spark_figure(targets: list[str], rows: int, trees: int, repeats: int, work: Path, cores: int) -> None:
    """Measure the job on every target and print one line per target, the local engine first."""
    from explain_lib import TreeShap

    model, path, partition_bytes = _setup(work, rows, trees)
    explainer = TreeShap(model)
    compute = _compute_seconds(explainer, path)
    print(f"spark       TreeShap, LightGBM {trees} trees x 31 leaves, {rows:,} rows x 40 features from Parquet "
          f"({PARTITIONS} row groups), {repeats} runs per target (the first cold); {cores} cores  [load {_load():.1f}]")
    print(f"            the explainer alone: {compute:.1f} CPU s in one process ({rows / compute:,.0f} rows/s per core;"
          f" {compute / cores:.1f} s spread over {cores} cores); phases in seconds, medians of the warm runs",
          flush=True)
    local = _local_engine(explainer, path, work, cores, repeats)
    print(_row(f"local engine ({cores} workers)", local, rows, local["global"]), flush=True)

    def measure(label: str, session: dict) -> None:
        result = _on_spark(session, explainer, path, work, repeats, partition_bytes)
        print(_row(label, result, rows, local["global"]), flush=True)

    common = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
              "spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1",
              "spark.pyspark.python": sys.executable, "spark.executorEnv.PYTHONPATH": spark_cluster.python_path()}
    for target in targets:
        if target == "auto":
            _auto(measure, common, work, cores)
        else:
            measure(target, {"remote": target} if target.startswith("sc://") else {**common, "spark.master": target})


def _auto(measure, common: dict, work: Path, cores: int) -> None:
    """local[cores]; a standalone cluster of ``cores`` 1-core workers; a Connect server whose master is that cluster."""
    measure(f"local[{cores}]", {**common, "spark.master": f"local[{cores}]"})
    clock = time.perf_counter()
    cluster = spark_cluster.StandaloneCluster(work / "cluster", workers=cores, cores=1)
    try:
        print(f"  (standalone cluster: master + {cores} workers x 1 core; up in {time.perf_counter() - clock:.0f} s)")
        measure(f"standalone, {cores} workers x 1 core", cluster.session_config())
        clock = time.perf_counter()
        server = spark_cluster.ConnectServer(work / "connect", master=cluster.url, config={"spark.executor.cores": "1"})
        try:
            print(f"  (Spark Connect server, master the cluster; up in {time.perf_counter() - clock:.0f} s)")
            measure("Spark Connect -> the standalone cluster", {"remote": server.url})
        finally:
            server.stop()
    finally:
        cluster.stop()
