"""Reading step inputs: local files and folders, or MLflow artifact URIs, into DataFrames."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd

from ..errors import InvalidInputError, did_you_mean

__all__ = ["SOURCE_FILE_ATTR", "SOURCE_URIS_ENV", "copied_from", "read_table", "source_uri", "split_target"]

SOURCE_URIS_ENV = "EXPLAIN_LIB_SOURCE_URIS"  # JSON {local folder: the MLflow URI it is a copy of}, set by a runner

_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq")
_MLFLOW_SCHEMES = ("runs", "models", "mlflow-artifacts", "dbfs", "s3", "gs", "wasbs", "abfss", "http", "https")


def _table_suffix(path: Path) -> str | None:
    name = path.name.lower()
    return next((suffix for suffix in _SUFFIXES if name.endswith(suffix)), None)


def _single_table(folder: Path, uri: str) -> Path:
    """The one csv / csv.gz / parquet file in ``folder`` (searched recursively)."""
    found = sorted(p for p in folder.rglob("*") if p.is_file() and _table_suffix(p) and not p.name.startswith("."))
    if len(found) != 1:
        listed = ", ".join(str(p.relative_to(folder)) for p in found[:10]) or "none"
        raise InvalidInputError(
            f"The folder {uri!r} must hold exactly one .csv, .csv.gz or .parquet file, found {len(found)} "
            f"({listed}). Point --data at the file itself."
        )
    return found[0]


SOURCE_FILE_ATTR = "source_file"  # DataFrame.attrs key: the name of the file a table was read from


def _read_file(path: Path, uri: str) -> pd.DataFrame:
    frame = _parse_file(path, uri)
    frame.attrs[SOURCE_FILE_ATTR] = path.name  # reports say where rows came from ("rows of test.parquet")
    return frame


def _parse_file(path: Path, uri: str) -> pd.DataFrame:
    suffix = _table_suffix(path)
    if suffix is None:
        raise InvalidInputError(
            f"Cannot read {uri!r}: expected a .csv, .csv.gz or .parquet file (or a folder holding one), "
            f"got a {path.suffix or 'suffix-less'} file."
        )
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(path, skipinitialspace=True)
    except (OSError, ValueError) as error:
        raise InvalidInputError(f"Could not read the table {uri!r}: {error}") from error


def _download(uri: str, destination: str) -> Path:
    import mlflow
    from mlflow.exceptions import MlflowException

    from .._progress import quiet_artifact_transfers

    try:
        with quiet_artifact_transfers():
            return Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=destination))
    except (MlflowException, OSError) as error:
        message = getattr(error, "message", str(error))
        raise InvalidInputError(
            f"Could not download {uri!r} from MLflow (tracking URI {mlflow.get_tracking_uri()!r}): {message}. "
            "Check the run id and artifact path, and that MLFLOW_TRACKING_URI names the right store."
        ) from error


def read_table(uri: str | Path | pd.DataFrame) -> pd.DataFrame:
    """Read a table given as a DataFrame, a local path or an MLflow artifact URI.

    Parameters
    ----------
    uri
        A ``.csv``, ``.csv.gz`` or ``.parquet`` file, a folder holding exactly one such file, a
        ``file://`` URI, or an MLflow artifact URI (``runs:/<run_id>/<path>``, ``mlflow-artifacts:/...``,
        cloud storage) downloaded with ``mlflow.artifacts.download_artifacts``. A DataFrame is
        returned as a copy.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    InvalidInputError
        The path does not exist, is not a readable table, or the URI cannot be downloaded.
    """
    if isinstance(uri, pd.DataFrame):
        return uri.copy()
    text = str(uri)
    scheme = urlparse(text).scheme
    if scheme in _MLFLOW_SCHEMES:
        with tempfile.TemporaryDirectory(prefix="explain-lib-data-") as tmp:
            local = _download(text, tmp)
            return _read_file(_single_table(local, text) if local.is_dir() else local, text)
    path = Path(urlparse(text).path if scheme == "file" else text).expanduser()
    if not path.exists():
        raise InvalidInputError(
            f"No such file or folder: {text!r}. Give a .csv, .csv.gz or .parquet file, a folder holding one, or an "
            "MLflow artifact URI such as runs:/<run_id>/data/test.parquet."
        )
    return _read_file(_single_table(path, text) if path.is_dir() else path, text)


def split_target(frame: pd.DataFrame, target: str, *, uri: str = "the data") -> tuple[pd.DataFrame, pd.Series]:
    """``(features, labels)``: ``frame`` without the ``target`` column, and that column.

    Raises
    ------
    InvalidInputError
        ``target`` is not a column of ``frame``, or it is the only column.
    """
    if target not in frame.columns:
        columns = [str(c) for c in frame.columns]
        raise InvalidInputError(
            f"The target column {target!r} is not in {uri}; its columns are {columns[:30]}."
            + did_you_mean(target, columns)
        )
    if frame.shape[1] < 2:
        raise InvalidInputError(f"{uri} has only the target column {target!r}; there are no features to use.")
    return frame.drop(columns=[target]), frame[target]


def _logged_model_uri(folder: Path) -> str | None:
    """The URI an MLflow model folder was logged under (from its MLmodel file), if it says."""
    import mlflow

    try:
        logged = mlflow.models.Model.load(str(folder))
    except Exception:  # noqa: BLE001 - an unreadable MLmodel: the folder names itself
        return None
    if logged.model_id:  # MLflow 3 (its artifact_path is the store path, not a runs:/ path)
        return f"models:/{logged.model_id}"
    return f"runs:/{logged.run_id}/{logged.artifact_path}" if logged.run_id and logged.artifact_path else None


def copied_from(source: str | Path) -> str | None:
    """The MLflow URI a local path is a copy of, as a pipeline runner says (``EXPLAIN_LIB_SOURCE_URIS``)."""
    text = str(source)
    if urlparse(text).scheme in _MLFLOW_SCHEMES:
        return None
    path = Path(urlparse(text).path if text.startswith("file:") else text).expanduser().resolve()
    try:
        known = json.loads(os.environ.get(SOURCE_URIS_ENV) or "{}")
    except json.JSONDecodeError:
        return None
    for folder, uri in known.items():
        base = Path(folder).resolve()
        if path == base:
            return uri
        if base in path.parents:
            return f"{uri.rstrip('/')}/{path.relative_to(base).as_posix()}"
    return None


def source_uri(source: str | Path | pd.DataFrame) -> str:
    """Where a step input came from, as a URI that outlives the step: for run history and descriptions.

    An MLflow URI as given; a local folder (or a file in it) that a pipeline runner says is a copy
    of an MLflow artifact (``EXPLAIN_LIB_SOURCE_URIS``) as that artifact's URI; an MLflow model folder
    as the URI it was logged under; any other path as an absolute path; a DataFrame as ``"DataFrame"``.
    """
    if isinstance(source, pd.DataFrame):
        return "DataFrame"
    text = str(source)
    scheme = urlparse(text).scheme
    if scheme in _MLFLOW_SCHEMES:
        return text
    copied = copied_from(text)
    if copied is not None:
        return copied
    path = Path(urlparse(text).path if scheme == "file" else text).expanduser().resolve()
    if (path / "MLmodel").is_file():
        return _logged_model_uri(path) or str(path)
    return str(path)
