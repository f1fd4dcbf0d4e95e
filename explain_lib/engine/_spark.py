"""The Spark engine: the same explainers over a Spark DataFrame, via ``mapInPandas``.

It runs on a classic session (``local[N]``, standalone, YARN, Kubernetes) and on Spark Connect
(``SparkSession.builder.remote(...)``, Databricks serverless and shared clusters), which has no
``sparkContext``: the pickled explainer travels inside the function ``mapInPandas`` runs (a classic
session broadcasts a large function by itself); on Connect one larger than :data:`INLINE_BYTES` is
added to the session as a file (``addArtifacts``) that each executor reads once.

Nothing here touches the driver's file system: the local values go to ``output_uri`` through Spark's
writer (any URI the cluster can write: ``s3a://``, ``abfss://``, ``dbfs:/``, ``file:/``), and only the
importance block sums (a few KB) come back to the driver.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import _importance
from .._threads import thread_budget
from ..errors import InvalidInputError, InvalidParameterError
from ..explainers._base import ROW_PARAMS, row_params
from ..explanation import Explanation
from ._errors import ExecutorEnvironmentError
from ._local import _dumps, _threads_here, settled

ROW = "_row"
OUTPUT = "_output"
INLINE_BYTES = 4 * 2**20  # on Connect, a larger pickled explainer is shipped as a session file
_ARTIFACT_PREFIX = "explain-lib-explainer-"
_EXPLAINERS: dict[str, Any] = {}  # per Python worker: the last job's explainer by payload digest, unpickled once
_SAVE_MODES = {"error": "error", "errorifexists": "error", "default": "error", "overwrite": "overwrite"}
_MISSING_MODULE = re.compile(r"No module named '([^']+)'")
_log = logging.getLogger(__name__)


def _import_spark() -> Any:
    try:
        import pyspark.sql
    except ImportError as error:
        raise ImportError('The Spark engine needs pyspark: pip install "explain-lib[spark]"') from error
    return pyspark.sql


def active_session() -> Any:
    """The Spark session to run on: the active one (a notebook's or a job's, classic or Connect), else
    ``SparkSession.builder.getOrCreate()``, which connects to ``SPARK_REMOTE`` (Spark Connect) when it is set."""
    sql = _import_spark()
    return sql.SparkSession.getActiveSession() or sql.SparkSession.builder.getOrCreate()


def _is_connect(session: Any) -> bool:
    """A Spark Connect session (pyspark's own client, or a vendor's build of it)."""
    return type(session).__module__.startswith("pyspark.sql.connect")


def _is_spark_frame(frame: Any, sql: Any) -> bool:
    # pyspark 3.5's Connect DataFrame does not derive from pyspark.sql.DataFrame (4.0's does)
    return isinstance(frame, sql.DataFrame) or type(frame).__module__.startswith("pyspark.sql.connect")


def _ship(session: Any, payload: bytes) -> tuple[str, str, bytes | None]:
    """How the executors get the pickled explainer: ``(digest, file name or "", payload or None)``.

    Inline (the payload rides in the function) on a classic session, whose pyspark broadcasts a large
    function itself, and on Connect up to :data:`INLINE_BYTES`. A larger payload on Connect would be copied
    into every task and its plan message; it goes to the session once, as a file named by its digest.
    """
    digest = hashlib.sha256(payload).hexdigest()
    if len(payload) <= INLINE_BYTES or not _is_connect(session):
        return digest, "", payload
    name = f"{_ARTIFACT_PREFIX}{digest[:32]}.pkl"
    folder = tempfile.mkdtemp(prefix="explain-lib-ship-")
    try:
        path = os.path.join(folder, name)
        with open(path, "wb") as handle:
            handle.write(payload)
        session.addArtifacts(path, file=True)  # the same name and bytes again (a rerun) are accepted
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return digest, name, None


def _explainer(shipped: tuple[str, str, bytes | None]) -> Any:
    import pickle

    digest, name, payload = shipped
    if digest not in _EXPLAINERS:
        if payload is None:
            from pyspark import SparkFiles

            with open(SparkFiles.get(name), "rb") as handle:
                payload = handle.read()
        explainer = pickle.loads(payload)
        if hasattr(explainer, "progress"):
            explainer.progress = False
        _EXPLAINERS.clear()  # a long-lived worker keeps one job's explainer, not every job's
        _EXPLAINERS[digest] = explainer
    return _EXPLAINERS[digest]


def _explain_batches(shipped: tuple[str, str, bytes | None], columns: list[str], features: list[str],
                     n_outputs: int) -> Any:
    import pandas as pd

    def explain(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        # Spark runs a task per core and sets OMP_NUM_THREADS to its cores (spark.task.cpus); numba would
        # start a thread per core of the machine in every task, so it gets the same limit
        threads = thread_budget()
        if "numba" not in sys.modules:  # it sizes its pool when it loads
            os.environ.setdefault("NUMBA_NUM_THREADS", str(threads))
        explainer = _explainer(shipped)
        with _threads_here(threads):
            for batch in batches:
                if not len(batch):
                    continue
                local = explainer.explain(batch[columns].reset_index(drop=True)).local
                rows = batch[ROW].to_numpy(dtype=np.int64)
                out = pd.DataFrame(local.reshape(-1, local.shape[2]), columns=features)
                out.insert(0, OUTPUT, np.repeat(np.arange(n_outputs, dtype=np.int32), len(rows)))
                out.insert(0, ROW, np.tile(rows, n_outputs))
                yield out

    return explain


def _block_sums(n_outputs: int, features: list[str], n_rows: int) -> Any:
    """One block's sums, and whether it holds exactly its rows once per output (else ``sums`` is empty)."""
    import pandas as pd

    def block(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.sort_values([OUTPUT, ROW])
        index = int(frame[ROW].iloc[0]) // _importance.BLOCK_ROWS
        first = index * _importance.BLOCK_ROWS
        rows = np.arange(first, min(n_rows, first + _importance.BLOCK_ROWS), dtype=np.int64)
        whole = (len(frame) == n_outputs * len(rows)
                 and np.array_equal(frame[ROW].to_numpy(dtype=np.int64), np.tile(rows, n_outputs))
                 and np.array_equal(frame[OUTPUT].to_numpy(), np.repeat(np.arange(n_outputs), len(rows))))
        sums = []
        if whole:
            local = frame[features].to_numpy(dtype=np.float64).reshape(n_outputs, -1, len(features))
            sums = _importance.block_abs_sum(local).reshape(-1).tolist()
        return pd.DataFrame({"block": [index], "whole": [whole], "sums": [sums]})

    return block


def _numbered(frame: Any, sql: Any) -> tuple[Any, int]:
    """The frame with ``_row``: 0, 1, 2, ... in the frame's order; and its row count.

    ``monotonically_increasing_id`` is (partition << 33) + position in the partition; one small
    aggregate counts the rows of each partition, and their running sum turns ids into row numbers.
    The input must read the same rows in the same order twice (files do; an unordered shuffle may not).
    """
    functions = sql.functions
    tagged = frame.withColumn("_id", functions.monotonically_increasing_id())
    counts = sorted((row["_partition"], row["count"]) for row in
                    tagged.groupBy(functions.shiftright("_id", 33).alias("_partition")).count().collect())
    offsets, total = [], 0
    for partition, count in counts:
        offsets.append((partition, total))
        total += count
    if not offsets:
        return tagged.withColumn(ROW, functions.col("_id")).drop("_id"), 0
    table = frame.sparkSession.createDataFrame(offsets, "_partition long, _offset long")
    numbered = (tagged.withColumn("_partition", functions.shiftright("_id", 33))
                .join(functions.broadcast(table), "_partition")
                .withColumn(ROW, functions.col("_offset") + functions.col("_id").bitwiseAND((1 << 33) - 1))
                .drop("_id", "_partition", "_offset"))
    return numbered, total


@contextlib.contextmanager
def _executor_errors() -> Iterator[None]:
    """A module the executors' Python cannot import becomes an error that says where it must be installed."""
    try:
        yield
    except Exception as error:
        missing = _MISSING_MODULE.search(str(error)) if type(error).__module__.startswith("pyspark") else None
        if missing is None:
            raise
        raise ExecutorEnvironmentError(
            f"The Spark executors' Python could not import {missing.group(1)!r}, which the explainer needs. Every "
            "executor must run a Python that holds explain-lib and the model's packages: on Databricks install "
            "explain-lib as a cluster library or with %pip install in the notebook (serverless: the notebook's "
            "environment); on another cluster install it into the executors' Python and point PYSPARK_PYTHON "
            "(spark.pyspark.python) at that interpreter.") from error


def explain_spark(explainer: Any, frame: Any, output_uri: str, *, output_format: str = "parquet",
                  mode: str = "error") -> Explanation:
    """Explain every row of a Spark DataFrame; local values to ``output_uri``, importances to the driver.

    ::

        rows numbered 0, 1, ... in the DataFrame's order (partition sizes, then running offsets)
        explainer settled for that many rows (TreeSHAP's algorithm chosen as the local engine would)
        explainer pickled once, shipped inside the function (on Connect, above INLINE_BYTES, as a
        session file); each Python worker unpickles it once
        mapInPandas: batch -> explainer.explain(batch).local -> rows (_row, _output, one column per feature)
        written with frame.write.format(output_format).save(output_uri)
        read back, grouped by block of rows -> block sums (explain_lib._importance) -> driver;
        a block that misses or repeats a row number (an input read differently twice) is an error

    The global and per-class importances are bit-identical to the local engine's on the same rows.
    Works on classic sessions and on Spark Connect (no ``sparkContext`` is used). The frame is read
    twice (rows counted per partition, then explained), and a lost executor's tasks are rerun by Spark
    from the input: it must give the same rows in the same order each time (files, tables and
    ``createDataFrame`` do; a shuffle keeps the rows of each partition but not their order across
    executors, so ``_row`` is only as stable as the input's order). The executors' Python must hold
    explain-lib and the model's packages. Phase times are logged (``explain_lib.engine._spark``, INFO).

    Parameters
    ----------
    explainer
        Any explainer with local values; probed on the first row, then shipped to the executors.
    frame
        A ``pyspark.sql.DataFrame`` (classic or Spark Connect) of the model's input columns.
    output_uri
        Where the local values go: one row per (row, output) with columns ``_row``, ``_output`` and one
        float64 column per feature. Parquet by default (Delta can adopt it in place with
        ``CONVERT TO DELTA``); ``output_format="delta"`` writes Delta where it is installed.
    mode
        ``"error"`` (default; ``"errorifexists"`` too): an existing output is an error; ``"overwrite"``
        replaces it. Spark's ``append`` and ``ignore`` are refused: the importances are read back from
        the output, which must hold this job's rows only.

    Returns
    -------
    Explanation
        Global (and per-class) importances and the expected values; ``local`` is None and
        ``params["engine"]["local_values_uri"]`` says where the local values are.

    Raises
    ------
    ExecutorEnvironmentError
        The executors' Python lacks a module the explainer needs (explain-lib itself, the model's package).
    """
    sql = _import_spark()
    if not _is_spark_frame(frame, sql):
        raise InvalidParameterError(f"engine='spark' explains a pyspark DataFrame, got {type(frame).__name__}.")
    if ROW in frame.columns or OUTPUT in frame.columns:
        raise InvalidParameterError(f"Columns {ROW!r} and {OUTPUT!r} are the engine's own; rename them in the input.")
    save_mode = _SAVE_MODES.get(str(mode).lower())
    if save_mode is None:
        raise InvalidParameterError(f"mode={mode!r} is not one the Spark engine takes: give 'error' (an existing "
                                    "output is an error) or 'overwrite'. The importances are read back from the "
                                    "output, so appending to or keeping an old one would mix in other rows.")
    columns = list(frame.columns)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    first = frame.limit(1).toPandas()
    if not len(first):
        raise InvalidParameterError("The Spark DataFrame has no rows to explain.")
    indexed, n_rows = _numbered(frame, sql)
    explainer = settled(explainer, n_rows)  # every partition runs the algorithm the local engine would
    probe = explainer.explain(first)
    if probe.local is None:
        raise InvalidParameterError(f"{type(explainer).__name__} gives global importances only; the Spark engine "
                                    "explains rows. Use a method with local values (tree, linear, kernel, mimic).")
    features, n_outputs = list(probe.features), probe.local.shape[0]
    spark = frame.sparkSession
    seconds["prepare"], started = time.perf_counter() - started, time.perf_counter()
    payload = _dumps(explainer)
    shipped = _ship(spark, payload)
    seconds["ship"], started = time.perf_counter() - started, time.perf_counter()
    functions = sql.functions
    schema = sql.types.StructType(
        [sql.types.StructField(ROW, sql.types.LongType(), False),
         sql.types.StructField(OUTPUT, sql.types.IntegerType(), False)]
        + [sql.types.StructField(name, sql.types.DoubleType(), True) for name in features])
    with _executor_errors():
        local = indexed.mapInPandas(_explain_batches(shipped, columns, features, n_outputs), schema)
        local.write.format(output_format).mode(save_mode).save(output_uri)
        seconds["explain"], started = time.perf_counter() - started, time.perf_counter()
        stored = spark.read.format(output_format).load(output_uri)
        blocks = stored.groupBy(functions.expr(f"{ROW} div {_importance.BLOCK_ROWS}").alias("_block"))
        sums = blocks.applyInPandas(_block_sums(n_outputs, features, n_rows),
                                    "block long, whole boolean, sums array<double>").collect()
    seconds["importances"] = time.perf_counter() - started
    _log.info("explain_spark: %d rows, explainer %.1f MB %s; seconds: %s", n_rows, len(payload) / 2**20,
              "as a session file" if shipped[1] else "inside the function",
              ", ".join(f"{key} {value:.2f}" for key, value in seconds.items()),
              extra={"explain_lib_seconds": seconds})
    by_block = {row["block"]: np.asarray(row["sums"], dtype=np.float64).reshape(n_outputs, len(features))
                for row in sums if row["whole"]}
    if sorted(by_block) != list(range(-(-n_rows // _importance.BLOCK_ROWS))):
        raise InvalidInputError(
            f"The DataFrame did not give the same rows in the same order each time it was read: {n_rows} rows were "
            f"counted, but the local values written to {output_uri} miss or repeat row numbers. Its input must be "
            "deterministic (files, tables, createDataFrame); after a shuffle (repartition, join, distinct) or a "
            "random filter, write it to files or checkpoint it first.")
    per_output, global_ = _importance.importances_from_block_sums(
        (by_block[b] for b in sorted(by_block)), n_rows, (n_outputs, len(features)))
    return Explanation(
        local=None, expected=probe.expected, features=features, task=probe.task, output_space=probe.output_space,
        method=probe.method, classes=probe.classes, global_=global_,
        per_class=per_output if probe.task == "classification" else None, id=uuid.uuid4().hex,
        params={**{key: value for key, value in probe.params.items() if key not in ROW_PARAMS},
                "engine": {"name": "spark", "local_values_uri": str(output_uri), "format": output_format,
                           "n_rows": int(n_rows),
                           # the partitions' error estimates are not brought back: the probe's would be
                           # one row's, so none is given
                           **({"row_params_dropped": sorted(row_params(probe.params))}
                              if row_params(probe.params) else {})}},
        fidelity=probe.fidelity, is_raw=probe.is_raw, is_engineered=probe.is_engineered, model_uri=probe.model_uri,
        initialization_examples=probe.initialization_examples,
    )
