"""The local engine: explain rows chunk by chunk on every core, resumably, with memory bounded by the chunk size."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

import numpy as np

from .. import _importance
from .._threads import cores
from .._validation import check_positive_int
from ..errors import InvalidParameterError
from ..explainers._base import combine_row_params, row_params
from ..explanation import Explanation
from . import _job, _source
from ._progress import RowProgress

# native thread pools a worker's libraries size from the environment when they load (OpenMP: LightGBM,
# XGBoost; BLAS: numpy, scipy; numba's parallel loops)
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
_EXPLAINER: Any = None  # this process's copy of the job's explainer, unpickled once by _start_worker


def settled(explainer: Any, n_rows: int | None) -> Any:
    """``explainer`` settled once for a job of ``n_rows`` rows (:meth:`Explainer.settled_for_rows`), so its parts
    all run alike; an object that only has ``explain(X)`` (and makes no choice by row count) is used as it is."""
    settle = getattr(explainer, "settled_for_rows", None)
    return explainer if settle is None else settle(n_rows)


def _dumps(explainer: Any) -> bytes:
    try:
        import cloudpickle
    except ImportError:  # pragma: no cover - mlflow depends on cloudpickle
        import pickle as cloudpickle
    return cloudpickle.dumps(explainer)


def _start_worker(payload: bytes, threads: int | None) -> None:
    """Pool initializer: runs once per worker process, so the explainer is unpickled once per worker."""
    import pickle

    global _EXPLAINER
    if threads is not None:  # before the model's native library loads, so its thread pool takes the limit
        for name in _THREAD_VARIABLES:
            os.environ[name] = str(threads)
    _EXPLAINER = pickle.loads(payload)
    if hasattr(_EXPLAINER, "progress"):  # one bar for the job, none per chunk
        _EXPLAINER.progress = False


def _explain_chunk(job: str, chunk: _source.Chunk, rows: Any, n_rows: int, n_outputs: int,
                   features: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Explain one chunk, write its part (summary, then values) and return its importance summary."""
    try:
        explanation = _EXPLAINER.explain(rows)
        local = explanation.local
        if local is None or local.shape != (n_outputs, chunk.n_rows, len(features)) \
                or explanation.features != features:
            raise InvalidParameterError(
                f"The explainer gave local values of shape {None if local is None else local.shape} over "
                f"{len(explanation.features)} features for a chunk of {chunk.n_rows} rows; expected "
                f"({n_outputs}, {chunk.n_rows}, {len(features)}) over the first chunk's features.")
        summary = _importance.chunk_summary(chunk.start, local, n_rows)
        summary["row_params"] = np.array(json.dumps(row_params(explanation.params)))  # e.g. an error estimate
        _job.write_part(Path(job), chunk.index, local, features, summary)
        return summary
    except Exception as error:
        error.add_note(f"(while explaining chunk {chunk.index}: rows {chunk.start}..{chunk.stop - 1})")
        raise


def _explainer_digest(explainer: Any, payload: bytes) -> str:
    """A digest of the explainer's content that does not depend on how its objects were loaded.

    Pickle bytes also record which objects are shared (a string both the model and the explainer point
    to is written once, then referenced): a model unpickled from a file gives other bytes than the one
    trained in this process, with equal content. Pickled without the memo ("fast" mode) every object is
    written out by value, so equal content gives equal bytes; a self-referencing explainer cannot be
    written that way and is identified by its plain pickle.
    """
    import io

    try:
        import cloudpickle

        buffer = io.BytesIO()
        pickler = cloudpickle.Pickler(buffer, protocol=5)
        pickler.fast = True
        pickler.dump(explainer)
        content = buffer.getvalue()
    except (ImportError, ValueError, RecursionError):
        content = payload
    return hashlib.sha256(content).hexdigest()


def _identity(sources: list[_source.Source], explainer: str, chunk_rows: int, n_rows: int) -> dict[str, Any]:
    inputs = json.dumps([[s.name, s.kind, s.n_rows, s.fingerprint] for s in sources]).encode()
    return {"input": hashlib.sha256(inputs).hexdigest(), "explainer": explainer,
            "chunk_rows": int(chunk_rows), "n_rows": int(n_rows)}


def _run(job: Path, todo: Any, n_todo: int, workers: int, payload: bytes, task_args: tuple, finished: Any) -> None:
    """Explain every chunk ``todo`` yields, calling ``finished(summary, chunk)`` in this process as each one ends.

    ``workers`` processes explain: this one and ``workers - 1`` spawned ones. This process explains a
    chunk whenever the spawned workers have two chunks each in hand, so it works from the first second
    while they start (a fresh interpreter importing explain-lib and the model's library: ~1-2 s) and
    the machine runs one interpreter fewer. On an error, the chunks under way finish (their parts stay),
    then it is raised.
    """
    global _EXPLAINER
    _start_worker(payload, None)  # a copy, as a worker would have: the caller's explainer stays untouched
    try:
        if workers == 1:
            for chunk, rows in todo:
                finished(_explain_chunk(str(job), chunk, rows, *task_args), chunk)
            return
        threads = max(1, cores() // workers)  # W processes x threads = the cores: no oversubscription
        with _thread_limit(threads), _threads_here(threads):  # the workers spawn at the first submit
            _run_pool(job, todo, n_todo, workers - 1, threads, payload, task_args, finished)
    finally:
        _EXPLAINER = None


def _run_pool(job: Path, todo: Any, n_todo: int, spawned: int, threads: int, payload: bytes, task_args: tuple,
              finished: Any) -> None:
    """Chunks to the spawned workers while they hold fewer than two each, else explained here. Near the end
    the workers get one each, so no worker is left with a queue while this process has nothing to do."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # fork would copy the parent's native thread pools
    pool = ProcessPoolExecutor(spawned, mp_context=context, initializer=_start_worker, initargs=(payload, threads))
    pending: dict[Future, _source.Chunk] = {}
    try:
        for handed, (chunk, rows) in enumerate(todo):  # reading the next chunk overlaps the workers' explaining
            _collect(pending, finished, block=False)
            if len(pending) < (2 * spawned if n_todo - handed > 2 * (spawned + 1) else spawned):
                pending[pool.submit(_explain_chunk, str(job), chunk, rows, *task_args)] = chunk
            else:  # the workers have enough in hand: explain this one here
                finished(_explain_chunk(str(job), chunk, rows, *task_args), chunk)
        while pending:
            _collect(pending, finished, block=True)
    except BaseException:
        for future in pending:
            future.cancel()
        wait(pending)  # chunks under way finish and keep their parts
        pool.shutdown(wait=True)
        raise
    pool.shutdown(wait=False)  # every result is in: the workers exit while this process finishes the job


@contextlib.contextmanager
def _threads_here(threads: int) -> Iterator[None]:
    """This process's native thread pools (BLAS, OpenMP, numba) limited to ``threads`` while it explains
    next to its workers; they are loaded already, so the environment variables do not reach them."""
    from threadpoolctl import threadpool_limits

    numba = sys.modules.get("numba")
    numba_threads = numba.get_num_threads() if numba is not None else None
    if numba is not None:
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        with threadpool_limits(limits=threads):
            yield
    finally:
        if numba is not None:
            numba.set_num_threads(numba_threads)


@contextlib.contextmanager
def _thread_limit(threads: int) -> Iterator[None]:
    """Thread-count variables for the workers this block spawns (numpy's BLAS reads them when it loads,
    before the pool initializer runs); the parent's own values come back afterwards."""
    saved = {name: os.environ.get(name) for name in _THREAD_VARIABLES}
    os.environ.update({name: str(threads) for name in _THREAD_VARIABLES})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _collect(pending: dict[Future, Any], finished: Any, *, block: bool) -> None:
    """Hand every finished chunk to ``finished``; with ``block``, wait for at least one first."""
    done, _ = wait(pending, timeout=None if block else 0, return_when=FIRST_COMPLETED)
    for future in sorted(done, key=lambda f: pending[f].index):
        chunk = pending.pop(future)
        finished(future.result(), chunk)


def explain_chunked(explainer: Any, data: Any, *, chunk_rows: int = 50_000, workers: int | None = None,
                    job_dir: str | os.PathLike | None = None, resume: bool = False, progress: bool | None = None,
                    progress_interval: float = 30.0) -> Explanation:
    """Explain every row of ``data`` in chunks, on ``workers`` processes, resumably.

    ::

        chunks = rows of data cut into runs of chunk_rows (never across two files)
        each worker process unpickles the explainer once, then for each chunk it is given:
            local = explainer.explain(chunk rows).local
            write parts/part-<i>.npz (importance summary) and parts/part-<i>.parquet (values)
        the parent merges the summaries as they arrive (global / per-class importances, bit-identical
        to Explanation(local=all rows)) and copies each part into local.npy, memory-mapped at the end

    Parameters
    ----------
    explainer
        Any explainer with local values (tree, linear, kernel, mimic, TabularExplainer); it is probed on
        the first row, then pickled once for the job.
    data
        A DataFrame, a 2-D array, or a Parquet / CSV (.csv.gz) file or a folder of them (read in row
        groups / streamed with pyarrow; every file must have the same columns).
    chunk_rows
        Rows per chunk: memory holds about ``2 * workers`` chunks (plus one Parquet row group).
    workers
        Processes that explain: this one and ``workers - 1`` spawned ones, each with cores / workers native
        threads; None uses every core. 1 explains in this process only.
    job_dir
        Where parts, the manifest and the assembled ``local.npy`` go; a new temporary folder when None.
        The returned explanation's local values are memory-mapped from it: keep it while you use them.
    resume
        Continue the job in ``job_dir``: only chunks without a finished part are explained. The job must
        be the same (input, explainer and chunk size), else :class:`JobMismatchError`.
    progress
        True: a bar; False: silent; None: a bar on a terminal, else a status line every
        ``progress_interval`` seconds.

    Returns
    -------
    Explanation
        ``local`` is a read-only ``numpy.memmap``; ``data`` is None (the rows stay where they were).

    Raises
    ------
    SchemaDriftError
        A file's columns differ from the first chunk's; chunks under way finish, their parts are kept.
    JobMismatchError
        ``job_dir`` holds another job, or holds one and ``resume`` is False.
    """
    if workers is None:
        workers = cores()
    workers = check_positive_int(workers, "workers", allow_none=False)
    sources, chunks = _source.plan(data, chunk_rows)
    n_rows = chunks[-1].stop if chunks else 0
    if n_rows == 0:
        raise InvalidParameterError("The data has no rows to explain.")
    explainer = settled(explainer, n_rows)  # every chunk runs the same TreeSHAP algorithm
    probe = explainer.explain(_source.first_rows(data, sources))
    if probe.local is None:
        raise InvalidParameterError(
            f"{type(explainer).__name__} gives global importances only ({probe.method}); the engine explains rows "
            "chunk by chunk. Use a method with local values (tree, linear, kernel, mimic).")
    payload = _dumps(explainer)
    if resume and job_dir is None:
        raise InvalidParameterError("resume=True needs the job_dir of the job to continue.")
    job = Path(job_dir) if job_dir is not None else Path(tempfile.mkdtemp(prefix="explain-lib-job-"))
    identity = _identity(sources, _explainer_digest(explainer, payload), chunk_rows, n_rows)
    done = _job.open_job(job, identity, resume=resume)
    n_outputs, features = probe.local.shape[0], probe.features
    accumulator = _importance.BlockAccumulator(n_rows, n_outputs, len(features))
    values = _job.LocalValues(job, n_rows, n_outputs, features)
    bar = None
    parts: list[tuple[int, dict[str, Any]]] = []  # each chunk's row-dependent params

    def add(summary: dict[str, np.ndarray], chunk: _source.Chunk) -> None:
        accumulator.add_summary(summary)
        parts.append((chunk.n_rows, json.loads(str(summary["row_params"]))))
        values.add(chunk)

    try:
        for index in sorted(done):
            add(_job.read_summary(job, index), chunks[index])
        bar = RowProgress(n_rows, sum(chunks[i].n_rows for i in done), type(explainer).__name__, show=progress,
                          interval=progress_interval)

        def finished(summary: dict[str, np.ndarray], chunk: _source.Chunk) -> None:
            add(summary, chunk)  # while the workers explain the next chunks
            bar.update(chunk.n_rows)

        todo = _source.read_chunks(data, sources, chunks, skip=done)
        n_todo = len(chunks) - len(done)
        _run(job, todo, n_todo, min(workers, n_todo) or 1, payload, (n_rows, n_outputs, features), finished)
    except BaseException:
        values.discard()
        raise
    finally:
        if bar is not None:
            bar.close()
    local = values.finish()
    per_output, global_ = accumulator.result()
    return dataclasses.replace(
        probe, local=local, global_=global_, per_class=per_output if probe.task == "classification" else None,
        data=None, id=uuid.uuid4().hex,
        params={**probe.params, **combine_row_params(parts),
                "engine": {"name": "local", "chunk_rows": int(chunk_rows), "n_chunks": len(chunks)}},
    )
