"""What the engine explains: rows of a DataFrame, an array, or Parquet / CSV files, cut into chunks.

A plan lists the sources (one per file, or the in-memory table) with their row counts, and the
chunks: ``chunk_rows`` consecutive rows of one source (a chunk never spans two files, so a bad file
is named exactly). Chunks are numbered in row order; chunk ``i`` covers global rows
``[start, stop)``. Reading happens in the parent, one chunk at a time: Parquet by row groups
(only the row groups a chunk overlaps), CSV as a stream (pyarrow), in-memory data by slicing.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_positive_int
from ..errors import InvalidInputError
from ._errors import SchemaDriftError

_PARQUET = (".parquet", ".pq")
_CSV = (".csv", ".csv.gz")


@dataclass(frozen=True)
class Source:
    name: str  # the file path, or "<DataFrame>" / "<array>"
    kind: str  # "parquet", "csv", "frame", "array"
    n_rows: int
    fingerprint: str


@dataclass(frozen=True)
class Chunk:
    index: int
    source: int
    start: int  # global row
    stop: int
    source_start: int  # row within its source

    @property
    def n_rows(self) -> int:
        return self.stop - self.start


def _kind(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(_PARQUET):
        return "parquet"
    if name.endswith(_CSV):
        return "csv"
    return None


def _files(path: Path) -> list[Path]:
    if path.is_file():
        if _kind(path) is None:
            raise InvalidInputError(f"Cannot explain {str(path)!r}: expected a .parquet, .csv or .csv.gz file or a "
                                    "folder of them.")
        return [path]
    if not path.is_dir():
        raise InvalidInputError(f"{str(path)!r} does not exist; give a DataFrame, an array, or a Parquet / CSV file "
                                "or folder.")
    found = sorted(p for p in path.rglob("*") if p.is_file() and _kind(p) and not p.name.startswith((".", "_")))
    if not found:
        raise InvalidInputError(f"The folder {str(path)!r} holds no .parquet, .csv or .csv.gz file.")
    return found


def _open_csv(path: Path) -> Any:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    return pacsv.open_csv(pa.input_stream(str(path), compression="detect"),
                          parse_options=pacsv.ParseOptions(), convert_options=pacsv.ConvertOptions())


def _file_rows(path: Path, kind: str) -> int:
    import pyarrow.parquet as pq

    try:
        if kind == "parquet":
            return pq.ParquetFile(path).metadata.num_rows
        return sum(batch.num_rows for batch in _open_csv(path))
    except (OSError, ValueError) as error:  # pyarrow's errors derive from these
        raise InvalidInputError(f"Could not read {str(path)!r}: {error}") from error


def _digest_frame(frame: pd.DataFrame) -> str:
    digest = hashlib.sha256(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _digest_array(array: np.ndarray) -> str:
    digest = hashlib.sha256(f"{array.dtype}{array.shape}".encode())
    for start in range(0, len(array), 65536):
        digest.update(np.ascontiguousarray(array[start:start + 65536]).tobytes())
    return digest.hexdigest()


def plan(data: Any, chunk_rows: int) -> tuple[list[Source], list[Chunk]]:
    """The sources of ``data`` and its chunks of at most ``chunk_rows`` rows."""
    chunk_rows = check_positive_int(chunk_rows, "chunk_rows", allow_none=False)
    if isinstance(data, pd.DataFrame):
        sources = [Source("<DataFrame>", "frame", len(data), _digest_frame(data))]
    elif isinstance(data, np.ndarray):
        if data.ndim != 2:
            raise InvalidInputError(f"An array to explain must be 2-D (rows x features), got shape {data.shape}.")
        sources = [Source("<array>", "array", len(data), _digest_array(data))]
    elif isinstance(data, (str, os.PathLike)):
        sources = []
        for path in _files(Path(data)):
            kind, stat = _kind(path), path.stat()
            sources.append(Source(str(path), kind, _file_rows(path, kind),
                                  f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"))
    else:
        raise InvalidInputError(f"The engine explains a DataFrame, a 2-D array or a Parquet / CSV path, got "
                                f"{type(data).__name__}.")
    chunks, offset = [], 0
    for position, source in enumerate(sources):
        for local_start in range(0, source.n_rows, chunk_rows):
            n = min(chunk_rows, source.n_rows - local_start)
            chunks.append(Chunk(len(chunks), position, offset + local_start, offset + local_start + n, local_start))
        offset += source.n_rows
    return sources, chunks


class _ParquetReader:
    """Rows [start, stop) of Parquet files, reading only the row groups they lie in.

    The last row group read is kept: consecutive chunks that share a row group read it once.
    """

    def __init__(self) -> None:
        self.kept: tuple[str, int, Any] | None = None

    def _group(self, handle: Any, path: str, group: int) -> Any:
        if self.kept is None or self.kept[:2] != (path, group):
            self.kept = (path, group, handle.read_row_group(group))
        return self.kept[2]

    def rows(self, path: str, start: int, stop: int) -> pd.DataFrame:
        import pyarrow as pa
        import pyarrow.parquet as pq

        handle = pq.ParquetFile(path)
        pieces, row = [], 0
        for group in range(handle.metadata.num_row_groups):
            n = handle.metadata.row_group(group).num_rows
            if row < stop and row + n > start:
                table = self._group(handle, path, group)
                pieces.append(table.slice(max(start - row, 0), min(stop, row + n) - max(start, row)))
            row += n
        return pa.concat_tables(pieces).to_pandas()


def _parquet_rows(path: str, start: int, stop: int) -> pd.DataFrame:
    return _ParquetReader().rows(path, start, stop)


def _csv_chunks(path: str, chunks: list[Chunk]) -> Iterator[tuple[Chunk, pd.DataFrame]]:
    """The chunks of one CSV file in order, streaming (the buffer holds about one chunk)."""
    import pyarrow as pa

    reader, buffered, buffer_start = _open_csv(Path(path)), [], 0
    for chunk in chunks:
        end = chunk.source_start + chunk.n_rows
        while buffer_start + sum(b.num_rows for b in buffered) < end:
            try:
                buffered.append(reader.read_next_batch())
            except (OSError, ValueError) as error:  # pyarrow's parse errors derive from these
                raise InvalidInputError(f"Could not read {path!r} near row {buffer_start}: {error}") from error
        table = pa.Table.from_batches(buffered)
        yield chunk, table.slice(chunk.source_start - buffer_start, chunk.n_rows).to_pandas()
        rest = table.slice(end - buffer_start)
        buffered, buffer_start = rest.to_batches(), end


def read_chunks(data: Any, sources: list[Source], chunks: list[Chunk],
                skip: set[int]) -> Iterator[tuple[Chunk, Any]]:
    """(chunk, rows) for every chunk not in ``skip``, in order; every chunk's columns checked against the first's."""
    columns: list[str] | None = None
    parquet = _ParquetReader()
    for position, source in enumerate(sources):
        mine = [c for c in chunks if c.source == position]
        if source.kind == "csv":
            stream: Iterator = _csv_chunks(source.name, mine) if any(c.index not in skip for c in mine) else iter(())
        else:
            stream = ((c, None) for c in mine)
        for chunk, rows in stream:
            if chunk.index in skip:
                continue
            if source.kind == "frame":
                rows = data.iloc[chunk.source_start:chunk.source_start + chunk.n_rows].reset_index(drop=True)
            elif source.kind == "array":
                rows = data[chunk.source_start:chunk.source_start + chunk.n_rows]
            elif source.kind == "parquet":
                rows = parquet.rows(source.name, chunk.source_start, chunk.source_start + chunk.n_rows)
            if isinstance(rows, pd.DataFrame):
                names = [str(c) for c in rows.columns]
                if columns is None:
                    columns = names
                elif names != columns:
                    raise SchemaDriftError(_drift_message(source.name, columns, names))
            yield chunk, rows


def first_rows(data: Any, sources: list[Source], n: int = 1) -> Any:
    """The first ``n`` rows of the data (to probe the explainer with): from the first source that has rows."""
    source = next(s for s in sources if s.n_rows)
    if source.kind == "frame":
        return data.iloc[:n].reset_index(drop=True)
    if source.kind == "array":
        return data[:n]
    if source.kind == "parquet":
        return _parquet_rows(source.name, 0, min(n, source.n_rows))
    return next(_csv_chunks(source.name, [Chunk(0, 0, 0, min(n, source.n_rows), 0)]))[1]


def _drift_message(name: str, expected: list[str], found: list[str]) -> str:
    missing = [c for c in expected if c not in found]
    extra = [c for c in found if c not in expected]
    if missing:
        what = f"lacks column {missing[0]!r}" + (f" (and has {extra[0]!r} instead)" if extra else "")
    elif extra:
        what = f"has the extra column {extra[0]!r}"
    else:
        what = f"has the columns in another order ({found[:5]} ... instead of {expected[:5]} ...)"
    return (f"{name} {what}: its columns differ from the first chunk's {expected[:10]}. Every file of the input "
            "must have the same columns; fix or remove that file, then run the job again (the parts "
            "finished so far stay in the job directory).")
