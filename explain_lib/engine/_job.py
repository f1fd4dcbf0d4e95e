"""A job directory: what a chunked explanation has finished, written so a killed job can resume.

Layout::

    job.json                 the manifest: which job this is (input, explainer, chunk size fingerprints)
    parts/part-000012.npz    chunk 12's importance summary (block sums + rows of shared blocks)
    parts/part-000012.parquet chunk 12's local values: one float64 column per feature, output-major rows
    local.npy                every part assembled, (n_outputs, n_rows, n_features) float64, memory-mapped

Every part is written to a temporary name, fsync'ed and renamed, so a file either exists whole or
not at all. A chunk is finished when its ``.parquet`` exists: the summary is written before it.
``local.npy`` is rebuilt from the parts by every run (renamed into place whole, not fsync'ed).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ._errors import JobMismatchError

MANIFEST = "job.json"
PARTS = "parts"
LOCAL = "local.npy"
FORMAT = "explain-lib/engine-job"
VERSION = 1


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path to write; on success it is fsync'ed and renamed to ``path`` (and the folder synced)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield temporary
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    _sync_dir(path.parent)


def _sync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _leftover(path: Path) -> bool:
    return path.name.startswith(".") and path.name.endswith(".tmp")


def part_path(job: Path, index: int, suffix: str) -> Path:
    return job / PARTS / f"part-{index:06d}{suffix}"


def open_job(job: Path, identity: dict[str, Any], *, resume: bool) -> set[int]:
    """Create the job directory (or check that it holds this job, when resuming); the finished chunks."""
    manifest = job / MANIFEST
    if manifest.exists():
        if not resume:
            raise JobMismatchError(
                f"{job} already holds a job. Pass resume=True (--resume) to continue it, or give an empty or new "
                "job directory.")
        stored = json.loads(manifest.read_text())
        if stored.get("format") != FORMAT:
            raise JobMismatchError(f"{manifest} is not an explain-lib job manifest; give another job directory.")
        differs = [key for key in identity if stored["identity"].get(key) != identity[key]]
        if differs:
            raise JobMismatchError(
                f"{job} holds a different job: its {', '.join(differs)} differ from this run's "
                f"(stored {[stored['identity'].get(k) for k in differs]}, now {[identity[k] for k in differs]}). "
                "Resume only the same input, explainer and chunk size; start other work in a new job directory.")
    else:
        if job.exists() and any(not _leftover(p) for p in job.iterdir()):
            raise JobMismatchError(f"{job} is not empty and holds no job; give an empty or new job directory.")
        job.mkdir(parents=True, exist_ok=True)
        with atomic_path(manifest) as temporary:  # first: a folder with parts always says whose they are
            temporary.write_text(json.dumps({"format": FORMAT, "version": VERSION, "identity": identity}, indent=1))
    (job / PARTS).mkdir(exist_ok=True)
    for leftover in [*job.glob(".*.tmp"), *(job / PARTS).glob(".*.tmp")]:  # half-written by a killed run
        leftover.unlink(missing_ok=True)
    return {int(p.name[5:11]) for p in (job / PARTS).glob("part-*.parquet")}


def write_part(job: Path, index: int, local: np.ndarray, features: tuple[str, ...],
               summary: dict[str, np.ndarray]) -> None:
    """Chunk ``index``'s summary, then its values (the values file marks the chunk finished)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with atomic_path(part_path(job, index, ".npz")) as temporary:
        with open(temporary, "wb") as handle:
            np.savez(handle, **summary)
    flat = local.reshape(-1, local.shape[2])
    table = pa.table({name: flat[:, j] for j, name in enumerate(features)})
    with atomic_path(part_path(job, index, ".parquet")) as temporary:
        pq.write_table(table, temporary, compression="zstd", use_dictionary=False)


def read_summary(job: Path, index: int) -> dict[str, np.ndarray]:
    with np.load(part_path(job, index, ".npz")) as stored:
        return {key: stored[key] for key in stored.files}


def read_part(job: Path, index: int, n_outputs: int, features: tuple[str, ...]) -> np.ndarray:
    import pyarrow.parquet as pq

    table = pq.read_table(part_path(job, index, ".parquet"), columns=list(features))
    values = np.column_stack([table.column(name).to_numpy() for name in features]) if features \
        else np.zeros((table.num_rows, 0))
    return values.reshape(n_outputs, -1, len(features))


class LocalValues:
    """``local.npy`` filled part by part as chunks finish: (n_outputs, n_rows, n_features) float64.

    The parent writes each finished part into its rows while the workers explain the next chunks, so no
    serial pass over every part is left for the end; memory holds one part at a time. The file is written
    under a temporary name and renamed by :meth:`finish`; it is derived from the parts (every run rebuilds
    it), so a killed run leaves only a leftover that the next run removes.
    """

    def __init__(self, job: Path, n_rows: int, n_outputs: int, features: tuple[str, ...]):
        self.job, self.n_rows, self.n_outputs, self.features = job, n_rows, n_outputs, features
        self.path = job / LOCAL
        self.temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        self.handle = open(self.temporary, "wb")  # noqa: SIM115 - closed by finish() / discard()
        header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float64)), "fortran_order": False,
                  "shape": (n_outputs, n_rows, len(features))}
        np.lib.format.write_array_header_1_0(self.handle, header)
        self.origin = self.handle.tell()
        self.handle.truncate(self.origin + 8 * n_outputs * n_rows * len(features))

    def add(self, chunk: Any) -> None:
        """Copy chunk ``chunk``'s finished part into its rows."""
        values = read_part(self.job, chunk.index, self.n_outputs, self.features)
        for output in range(self.n_outputs):
            self.handle.seek(self.origin + 8 * len(self.features) * (output * self.n_rows + chunk.start))
            self.handle.write(np.ascontiguousarray(values[output]).tobytes())

    def finish(self) -> np.memmap:
        """Rename the filled file into place; it opens memory-mapped read-only."""
        self.handle.close()
        os.replace(self.temporary, self.path)
        return np.load(self.path, mmap_mode="r")

    def discard(self) -> None:
        self.handle.close()
        self.temporary.unlink(missing_ok=True)
