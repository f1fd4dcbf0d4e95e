"""The on-disk layout of a saved explanation (schema version 1).

A saved explanation is a directory::

    explanation.json   metadata: schema_version, id, method, task, output_space, features,
                       classes, expected, global, per_class, params, versions, is_raw,
                       is_engineered, global_std, global_repeats, single_row, community_properties
                       (absent in older files: None, None, false, None), and a "local" block
                       describing local.parquet
    local.parquet      local importance values, if the explanation has them
    data.parquet       the explained rows (feature values), if the explanation kept them, with their
                       DataFrame index (the rows' own labels; a plain 0..n-1 range is stored as metadata only)

``local.parquet`` has one of two layouts, named in ``local.layout``:

* ``"dense"``: one float column per feature, named by the feature, and ``n_stored_outputs * n_rows``
  rows, output-major (all rows of output 0, then all rows of output 1, ...). For a binary
  classification whose class-0 values are exactly the negated class-1 values (SHAP in margin or
  probability space), only class 1 is stored and ``local.binary_symmetric`` is true.
* ``"coo"``: four columns ``output`` (int32), ``row`` (int32), ``feature`` (int32), ``value``; only
  the nonzero entries. Chosen when at most a quarter of the values are nonzero.

Values are float32 unless the writer asks for float64 (``local.dtype``). Scalars and vectors in the
JSON (expected, global, per_class) are always float64, so they round-trip exactly.

This module knows only plain arrays, dicts and DataFrames, and an Explanation's public fields by name
(:func:`metadata`, :func:`fields`); it never imports ``Explanation``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .errors import CorruptExplanationError, ExplainLibError, InvalidInputError, SchemaVersionError

SCHEMA_VERSION = 1
FORMAT_NAME = "explain-lib/explanation"
META_FILE = "explanation.json"
LOCAL_FILE = "local.parquet"
DATA_FILE = "data.parquet"
_COO_MAX_DENSITY = 0.25
# what a reader needs in explanation.json (later keys are optional)
REQUIRED_KEYS = ("id", "method", "task", "output_space", "features", "classes", "expected", "global", "per_class",
                 "params", "versions", "is_raw", "is_engineered")
_FIXED_FILES = {"local": LOCAL_FILE, "data": DATA_FILE}


def _corrupt(path: Path, problem: str) -> CorruptExplanationError:
    return CorruptExplanationError(
        f"{path} is damaged: {problem}. Save the explanation again (Explanation.save) or upload it again; "
        "a folder written by explain-lib is never left like this."
    )


_WRITE_ROWS = 65_536  # local values are checked and written this many rows at a time (bounded memory)


def _row_blocks(n_rows: int) -> range:
    return range(0, n_rows, _WRITE_ROWS)


def _is_binary_symmetric(local: np.ndarray) -> bool:
    return local.shape[0] == 2 and all(
        np.array_equal(local[0, start:start + _WRITE_ROWS], -local[1, start:start + _WRITE_ROWS])
        for start in _row_blocks(local.shape[1]))


def _local_tables(local: np.ndarray, features: list[str], dtype: np.dtype) -> tuple[Iterator[pa.Table], dict]:
    """The tables of local.parquet, in order (one for COO; a block of rows at a time for dense), and its info.

    Row by row block, so a memory-mapped matrix of any size is written in bounded memory.
    """
    n_outputs, n_rows, n_features = local.shape
    info: dict[str, Any] = {
        "file": LOCAL_FILE,
        "shape": [n_outputs, n_rows, n_features],
        "dtype": np.dtype(dtype).name,
        "binary_symmetric": False,
    }
    stored = local
    if _is_binary_symmetric(local):
        stored = local[1:]
        info["binary_symmetric"] = True
    nonzero = sum(int(np.count_nonzero(stored[:, start:start + _WRITE_ROWS])) for start in _row_blocks(n_rows))
    if stored.size and nonzero <= _COO_MAX_DENSITY * stored.size:
        out_idx, row_idx, feat_idx = np.nonzero(stored)
        table = pa.table(
            {
                "output": out_idx.astype(np.int32),
                "row": row_idx.astype(np.int32),
                "feature": feat_idx.astype(np.int32),
                "value": stored[out_idx, row_idx, feat_idx].astype(dtype),
            }
        )
        info["layout"] = "coo"
        return iter([table]), info
    info["layout"] = "dense"

    def dense() -> Iterator[pa.Table]:  # output-major: every row of output 0, then of output 1, ...
        for output in range(stored.shape[0]):
            for start in _row_blocks(n_rows) if n_rows else [0]:
                block = np.asarray(stored[output, start:start + _WRITE_ROWS])
                yield pa.table({name: block[:, j].astype(dtype) for j, name in enumerate(features)})

    return dense(), info


def _read_local(path: Path, info: dict, features: list[str], columns: list[str] | None) -> np.ndarray:
    n_outputs, n_rows, n_features = info["shape"]
    dtype = np.dtype(info["dtype"])
    n_stored = 1 if info.get("binary_symmetric") else n_outputs
    wanted = features if columns is None else columns
    if info["layout"] == "dense":
        table = pq.read_table(path, columns=wanted)
        if table.num_rows != n_stored * n_rows:
            raise _corrupt(path, f"it holds {table.num_rows} rows of values but explanation.json says "
                                 f"{n_stored * n_rows} ({n_stored} output(s) x {n_rows} explained rows)")
        stored = np.empty((n_stored * n_rows, len(wanted)), dtype=dtype)
        for j, name in enumerate(wanted):
            stored[:, j] = table.column(name).to_numpy()
        stored = stored.reshape(n_stored, n_rows, len(wanted))
    elif info["layout"] == "coo":
        position = {name: j for j, name in enumerate(features)}
        table = pq.read_table(path)
        output = table.column("output").to_numpy()
        row = table.column("row").to_numpy()
        feature = table.column("feature").to_numpy()
        value = table.column("value").to_numpy()
        remap = np.full(n_features, -1, dtype=np.int64)
        remap[[position[name] for name in wanted]] = np.arange(len(wanted))
        keep = remap[feature] >= 0
        stored = np.zeros((n_stored, n_rows, len(wanted)), dtype=dtype)
        stored[output[keep], row[keep], remap[feature[keep]]] = value[keep]
    else:
        raise SchemaVersionError(
            f"Unknown local-values layout {info['layout']!r} in {path.parent}; this version reads "
            "'dense' and 'coo'. Upgrade explain-lib (pip install -U explain-lib)."
        )
    if info.get("binary_symmetric"):
        stored = np.concatenate([-stored, stored], axis=0)
    return stored


def _dictionary_columns(schema: pa.Schema) -> list[str]:
    """The columns worth dictionary encoding: all but floats. Continuous float values rarely repeat, so a
    dictionary makes their pages ~1.5x larger than plain encoding (and slower to write)."""
    return [field.name for field in schema if not pa.types.is_floating(field.type)]


def write(
    directory: str | os.PathLike,
    meta: dict[str, Any],
    *,
    local: np.ndarray | None,
    data: pd.DataFrame | None,
    dtype: str = "float32",
    extra: dict[str, Any] | None = None,
) -> None:
    """Write ``meta`` (JSON-ready), ``local`` and ``data`` into ``directory`` (created if missing).

    ``extra``: further top-level JSON blocks a consumer keeps beside the explanation (the tracking
    layer's "upload" block); their keys must not be the format's own.
    """
    if str(dtype) not in ("float32", "float64") and dtype not in (np.float32, np.float64):
        raise InvalidInputError(f"dtype must be 'float32' or 'float64', got {dtype!r}.")
    meta = {"format": FORMAT_NAME, "schema_version": SCHEMA_VERSION, **meta}
    clashes = sorted(set(extra or {}) & (set(meta) | {"local", "data"}))
    if clashes:
        raise InvalidInputError(f"Extra metadata keys {clashes} are the format's own; choose other names.")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if local is not None:
        tables, info = _local_tables(local, list(meta["features"]), np.dtype(dtype))
        writer = None
        for table in tables:
            writer = writer or pq.ParquetWriter(directory / LOCAL_FILE, table.schema, compression="zstd",
                                                use_dictionary=_dictionary_columns(table.schema))
            writer.write_table(table)
        writer.close()
        meta["local"] = info
    else:
        meta["local"] = None
    if data is not None:
        frame = pa.Table.from_pandas(data, preserve_index=None)
        pq.write_table(frame, directory / DATA_FILE, compression="zstd",
                       use_dictionary=_dictionary_columns(frame.schema))
        meta["data"] = {"file": DATA_FILE}
    else:
        meta["data"] = None
    meta.update(extra or {})
    # The metadata goes last: a directory without it is an unfinished write, never a valid one.
    (directory / META_FILE).write_text(json.dumps(meta, indent=1, allow_nan=True))


def read_meta(directory: str | os.PathLike) -> dict[str, Any]:
    """Read and check the metadata of a saved explanation.

    Raises :class:`CorruptExplanationError` naming the file for text that is not a complete JSON
    object with the format's keys, and for blocks naming a data file other than the format's fixed
    names (a reader never follows a name found in the file).
    """
    path = Path(directory) / META_FILE
    if not path.is_file():
        raise InvalidInputError(
            f"No saved explanation in {directory}: {META_FILE} is missing. Pass the directory "
            "that Explanation.save() wrote."
        )
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise _corrupt(path, f"it is not JSON (truncated or overwritten?): {error}") from error
    if not isinstance(meta, dict):
        raise _corrupt(path, f"it holds a JSON {type(meta).__name__}, not the object explain-lib writes")
    if meta.get("format") != FORMAT_NAME:
        raise SchemaVersionError(
            f"{path} is not an explain-lib explanation: its 'format' is {meta.get('format')!r}, expected "
            f"{FORMAT_NAME!r}."
        )
    if not isinstance(meta.get("schema_version"), int) or isinstance(meta.get("schema_version"), bool):
        raise SchemaVersionError(
            f"{path} has 'schema_version' {meta.get('schema_version')!r} ({type(meta.get('schema_version')).__name__}"
            f"); it must be a whole number, {SCHEMA_VERSION} for this explain-lib (written as a number, not "
            "a string). Save the explanation again."
        )
    if meta["schema_version"] > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"{path} was written with schema version {meta['schema_version']}, newer than the "
            f"{SCHEMA_VERSION} this explain-lib reads. Upgrade explain-lib (pip install -U explain-lib)."
        )
    if meta["schema_version"] < 1:
        raise SchemaVersionError(f"{path} has unknown schema version {meta['schema_version']}.")
    missing = [key for key in REQUIRED_KEYS if key not in meta]
    if missing:
        raise _corrupt(path, f"keys {missing} are missing")
    features = meta["features"]
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise _corrupt(path, "'features' is not a list of names")
    if not isinstance(meta["global"], list) or len(meta["global"]) != len(features):
        raise _corrupt(path, f"'global' does not hold one number per feature ({len(features)})")
    for block, fixed in _FIXED_FILES.items():
        info = meta.get(block)
        if info is None:
            continue
        if not isinstance(info, dict) or info.get("file") != fixed:
            named = info.get("file") if isinstance(info, dict) else info
            raise _corrupt(path, f"its {block!r} block names {named!r}; the format's file is {fixed!r}, "
                                 "and no other file is read")
    local = meta.get("local")
    if local is not None:
        shape = local.get("shape")
        if (not isinstance(shape, list) or len(shape) != 3 or not all(isinstance(n, int) and n >= 0 for n in shape)
                or shape[2] != len(features)):
            raise _corrupt(path, f"the local block's shape {shape!r} does not match its {len(features)} features")
        if local.get("dtype") not in ("float32", "float64"):
            raise _corrupt(path, f"the local block's dtype {local.get('dtype')!r} is not float32 or float64")
    return meta


def read(
    directory: str | os.PathLike, *, columns: list[str] | None = None
) -> tuple[dict[str, Any], np.ndarray | None, pd.DataFrame | None]:
    """Read a saved explanation; ``columns`` restricts local values and data to those features.

    Only ``explanation.json``, ``local.parquet`` and ``data.parquet`` inside ``directory`` are read.
    """
    directory = Path(directory)
    meta = read_meta(directory)
    local = None
    if meta.get("local"):
        path = directory / LOCAL_FILE
        local = _read_part(path, lambda: _read_local(path, meta["local"], meta["features"], columns))
        n_outputs, n_rows, _ = meta["local"]["shape"]
        if local.shape[:2] != (n_outputs, n_rows):
            raise _corrupt(path, f"it holds values of shape {local.shape[:2]}, explanation.json says "
                                 f"({n_outputs}, {n_rows})")
    data = None
    if meta.get("data"):
        path = directory / DATA_FILE
        data = _read_part(path, lambda: pd.read_parquet(path, columns=columns))
        if local is not None and len(data) != local.shape[1]:
            raise _corrupt(path, f"it holds {len(data)} rows but the local values have {local.shape[1]}")
    return meta, local, data


def _read_part(path: Path, read_it: Any) -> Any:
    """``read_it()``, with a missing or unreadable file reported as a damaged explanation naming it."""
    if not path.is_file():
        raise _corrupt(path, "the file is missing though explanation.json lists it")
    try:
        return read_it()
    except ExplainLibError:
        raise
    except (OSError, ValueError, KeyError, IndexError, TypeError, pa.ArrowException) as error:
        raise _corrupt(path, f"it cannot be read as the format's parquet ({type(error).__name__}: {error})") \
            from error


# ---------------------------------------------------------------------------- an Explanation's fields
def metadata(explanation: Any) -> dict[str, Any]:
    """The JSON block of ``explanation.json`` for an Explanation (read by its public fields), without the local
    values and data, which :func:`write` stores beside it."""
    def listed(values: Any) -> Any:
        return None if values is None else values.tolist()

    return {
        "id": explanation.id,
        "method": explanation.method,
        "task": explanation.task,
        "output_space": explanation.output_space,
        "features": list(explanation.features),
        "classes": None if explanation.classes is None else list(explanation.classes),
        "expected": listed(explanation.expected),
        "global": explanation.global_.tolist(),
        "per_class": listed(explanation.per_class),
        "params": dict(explanation.params),
        "versions": dict(explanation.versions),
        "is_raw": explanation.is_raw,
        "is_engineered": explanation.is_engineered,
        "fidelity": None if explanation.fidelity is None else dict(explanation.fidelity),
        "model_uri": explanation.model_uri,
        "global_std": listed(explanation.global_std),
        "global_repeats": listed(explanation.global_repeats),
        "single_row": explanation.single_row,
        "community_properties": None if explanation.community_properties is None
        else dict(explanation.community_properties),
    }


def fields(meta: dict[str, Any], local: np.ndarray | None, data: pd.DataFrame | None,
           columns: list[str] | None) -> dict[str, Any]:
    """The keyword arguments of ``Explanation(...)`` for what :func:`read` returned; with ``columns``, the
    per-feature values of those features only (in that order)."""
    keep = slice(None) if columns is None else [meta["features"].index(c) for c in columns]

    def kept(values: Any) -> np.ndarray | None:
        """Per-feature values (on the last axis) restricted to the features read."""
        return None if values is None else np.asarray(values, dtype=np.float64)[..., keep]

    def kept_rows(values: Any) -> np.ndarray | None:
        """Per-feature rows (on the first axis) restricted to the features read."""
        return None if values is None else np.asarray(values, dtype=np.float64)[keep]

    return {
        "local": None if local is None else local.astype(np.float64),
        "expected": meta["expected"],
        "features": meta["features"] if columns is None else columns,
        "task": meta["task"],
        "output_space": meta["output_space"],
        "method": meta["method"],
        "classes": meta["classes"],
        "global_": kept(meta["global"]),
        "per_class": kept(meta["per_class"]),
        "params": meta["params"],
        "versions": meta["versions"],
        "id": meta["id"],
        "is_raw": meta["is_raw"],
        "is_engineered": meta["is_engineered"],
        "data": data,
        "fidelity": meta.get("fidelity"),
        "model_uri": meta.get("model_uri"),
        "global_std": kept_rows(meta.get("global_std")),
        "global_repeats": kept_rows(meta.get("global_repeats")),
        "single_row": bool(meta.get("single_row", False)),
        "community_properties": meta.get("community_properties") if columns is None else None,
    }
