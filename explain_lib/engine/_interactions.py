"""Exact interaction values of data that does not fit in memory: chunk by chunk on every core, memory-mapped.

``interactions_chunked(explainer, data, features= | top_k=)`` runs ``explainer.interactions`` (a TreeShap) on
chunks of the rows in worker processes, as :func:`~explain_lib.engine.explain_chunked` does, and writes each
chunk's matrices straight into two memory-mapped files; the result's ``values`` and ``rest`` are read-only
``numpy.memmap`` views of them. A row's values do not depend on the chunk it was in, so the result equals the
in-memory ``explainer.interactions(X)`` bit for bit.

Job folder::

    parts/part-000012.npz    chunk 12's values and rest, float64 (removed once copied)
    values.npy               (n_outputs, n_rows, k, k) float64
    rest.npy                 (n_outputs, n_rows, k) float64
    local/                   the SHAP-value job that ranks features for ``top_k`` (explain_chunked's layout)

There is no resume: a killed job starts again.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from .._threads import cores
from .._validation import check_positive_int
from ..errors import InvalidParameterError
from ..interactions import Interactions
from . import _job, _source
from ._local import _dumps, explain_chunked, job_explainer, run_chunks, settled
from ._progress import RowProgress

__all__ = ["interactions_chunked"]


def _interaction_chunk(job: str, chunk: _source.Chunk, rows: Any, features: tuple[str, ...]) -> dict[str, int]:
    """One chunk's interaction values, written as its part."""
    try:
        result = job_explainer().interactions(rows, features=list(features))
        with _job.atomic_path(_job.part_path(Path(job), chunk.index, ".npz")) as temporary:
            with open(temporary, "wb") as handle:
                np.savez(handle, values=result.values, rest=result.rest)
        return {"rows": chunk.n_rows}
    except Exception as error:
        error.add_note(f"(while computing the interactions of chunk {chunk.index}: rows "
                       f"{chunk.start}..{chunk.stop - 1})")
        raise


class _Matrix:
    """A float64 ``.npy`` of ``shape`` (outputs, rows, ...) filled chunk by chunk, then opened read-only."""

    def __init__(self, path: Path, shape: tuple[int, ...]):
        self.path = path
        self.memmap = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=shape)

    def put(self, start: int, values: np.ndarray) -> None:
        self.memmap[:, start:start + values.shape[1]] = values

    def finish(self) -> np.memmap:
        self.memmap.flush()
        del self.memmap
        return np.load(self.path, mmap_mode="r")


def interactions_chunked(explainer: Any, data: Any, *, features: Any = None, top_k: int | None = None,
                         chunk_rows: int = 20_000, workers: int | None = None,
                         job_dir: str | os.PathLike | None = None, progress: bool | None = None) -> Interactions:
    """Exact SHAP interaction values of every row of ``data``, in chunks on ``workers`` processes.

    ::

        features = given, or the top_k of explain_chunked(explainer, data)'s global importance, or all
        each worker process unpickles the explainer once, then for each chunk it is given:
            part = explainer.interactions(chunk rows, features=features)   -> parts/part-<i>.npz
        the parent copies each part into values.npy / rest.npy (memory-mapped) as it arrives

    Parameters
    ----------
    explainer
        A :class:`~explain_lib.TreeShap` (anything with ``interactions(X, features=)``).
    data
        A DataFrame, a 2-D array, or Parquet / CSV files, as for :func:`explain_chunked`.
    features, top_k
        The features whose matrices to compute (names or positions), or the ``top_k`` of highest global
        importance over all the rows (a SHAP-value pass through :func:`explain_chunked` first); neither:
        every feature.
    chunk_rows
        Rows per chunk: a worker holds one chunk's rows and matrices (``rows x outputs x k x (k + 1)``
        float64).
    workers
        Processes: this one and ``workers - 1`` spawned ones; None uses every core.
    job_dir
        An empty or new folder for the parts and the memory-mapped result (a new temporary folder when
        None); keep it while you use the result.
    progress
        As for :func:`explain_chunked`.

    Returns
    -------
    Interactions
        ``values`` and ``rest`` are read-only ``numpy.memmap``; ``params["engine"]`` records the chunking.

    Examples
    --------
    >>> import numpy as np
    >>> from lightgbm import LGBMRegressor
    >>> from explain_lib import TreeShap
    >>> from explain_lib.engine import interactions_chunked
    >>> X = np.random.default_rng(0).normal(size=(3000, 4))
    >>> explainer = TreeShap(LGBMRegressor(n_estimators=20, verbose=-1).fit(X, X[:, 0] * X[:, 1]))
    >>> result = interactions_chunked(explainer, X, top_k=2, chunk_rows=1000, workers=1, progress=False)
    >>> result.values.shape, type(result.values).__name__
    ((1, 3000, 2, 2), 'memmap')
    >>> bool((result.values == explainer.interactions(X, features=list(result.features)).values).all())
    True
    """
    if not callable(getattr(explainer, "interactions", None)):
        raise InvalidParameterError(
            f"{type(explainer).__name__} has no interactions(); exact interaction values come from TreeShap.")
    if features is not None and top_k is not None:
        raise InvalidParameterError("Pass features= or top_k=, not both.")
    top_k = check_positive_int(top_k, "top_k")
    workers = check_positive_int(cores() if workers is None else workers, "workers", allow_none=False)
    sources, chunks = _source.plan(data, chunk_rows)
    n_rows = chunks[-1].stop if chunks else 0
    if n_rows == 0:
        raise InvalidParameterError("The data has no rows to explain.")
    job = Path(job_dir) if job_dir is not None else Path(tempfile.mkdtemp(prefix="explain-lib-interactions-"))
    if job.exists() and any(job.iterdir()):
        raise InvalidParameterError(f"{job} is not empty; give an empty or new job directory.")
    (job / _job.PARTS).mkdir(parents=True, exist_ok=True)
    first = _source.first_rows(data, sources)
    if top_k is not None and features is None:
        ranked = explain_chunked(explainer, data, chunk_rows=chunk_rows, workers=workers, job_dir=job / "local",
                                 progress=progress)
        features = list(ranked.global_importance(top_k=top_k).index)
    probe = explainer.interactions(first, features=features)  # checks the model, the rows and the features
    chosen = probe.features
    explainer = settled(explainer, n_rows)
    n_outputs, k = probe.n_outputs, len(chosen)
    values = _Matrix(job / "values.npy", (n_outputs, n_rows, k, k))
    rest = _Matrix(job / "rest.npy", (n_outputs, n_rows, k))
    bar = RowProgress(n_rows, 0, f"{type(explainer).__name__}.interactions", show=progress, interval=30.0)

    def finished(summary: dict[str, int], chunk: _source.Chunk) -> None:
        path = _job.part_path(job, chunk.index, ".npz")
        with np.load(path) as part:
            values.put(chunk.start, part["values"])
            rest.put(chunk.start, part["rest"])
        path.unlink()
        bar.update(summary["rows"])

    try:
        todo = _source.read_chunks(data, sources, chunks, skip=set())
        run_chunks(job, todo, len(chunks), min(workers, len(chunks)), _dumps(explainer), (chosen,), finished,
                   task=_interaction_chunk)
    finally:
        bar.close()
    return dataclasses.replace(
        probe, values=values.finish(), rest=rest.finish(), id=uuid.uuid4().hex,
        params={**probe.params, "top_k": top_k, "chosen": "top_k by global importance" if top_k else
                probe.params["chosen"], "engine": {"name": "local", "chunk_rows": int(chunk_rows),
                                                    "n_chunks": len(chunks)}},
    )
