"""What an upload writes, computed without touching MLflow: files, list entry, metrics, table.

The layout is documented in :mod:`explain_lib.tracking`; this module builds it in a local
directory, and :mod:`._client` ships the directory and the small payloads to a run.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._keys import MetricKeys, key_part
from ..errors import InvalidInputError, InvalidParameterError
from ..explanation import Explanation

ARTIFACT_ROOT = "explanations"
TAG_PREFIX = "explain_lib.explanation."
MODEL_EXPLANATION_TAG = "model_explanation"
LIST_SCHEMA_VERSION = 1
UPLOAD_SCHEMA_VERSION = 1
EVAL_SAMPLE_FILE = "eval_sample.parquet"
PLOTS_DIR = "plots"
ROW_COLUMN, PREDICTION_COLUMN, TRUE_Y_COLUMN = "__row__", "__prediction__", "__true_y__"
DEFAULT_METRIC_TOP_K = 20
MAX_COMMENT_LENGTH = 1000
LIST_KEYS = ("id", "comment", "method", "model_task", "is_raw", "is_engineered", "num_features", "num_examples",
             "upload_time")
_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_MAX_TABLE_CLASSES = 20


# ------------------------------------------------------------------------------------------ validation
def check_explanation_id(explanation_id: str) -> str:
    """The id names a directory and a tag: letters, digits, '_' and '-' only."""
    if not isinstance(explanation_id, str) or not _ID_PATTERN.match(explanation_id):
        raise InvalidParameterError(
            f"Explanation id {explanation_id!r} cannot name an MLflow artifact directory; ids are 1-128 letters, "
            "digits, '_' or '-'. Give the explanation a new one: dataclasses.replace(explanation, "
            "id=uuid.uuid4().hex)."
        )
    return explanation_id


def check_comment(comment: str | None) -> str | None:
    if comment is None:
        return None
    if not isinstance(comment, str):
        raise InvalidParameterError(f"comment must be a string or None, got {type(comment).__name__}.")
    if len(comment) > MAX_COMMENT_LENGTH:
        raise InvalidParameterError(
            f"comment has {len(comment)} characters; at most {MAX_COMMENT_LENGTH} fit in the run tag that lists "
            "explanations. Keep it a short label and put longer notes in the run description."
        )
    return comment


def _n_rows(explanation: Explanation) -> int | None:
    if explanation.local is not None:
        return explanation.n_rows
    return None if explanation.data is None else len(explanation.data)


def check_true_ys(explanation: Explanation, true_ys: Any) -> np.ndarray | None:
    if true_ys is None:
        return None
    labels = np.asarray(true_ys.to_numpy() if isinstance(true_ys, (pd.Series, pd.DataFrame)) else true_ys)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    n_rows = _n_rows(explanation)
    if n_rows is None:
        raise InvalidParameterError(
            "true_ys needs an explanation of rows, but this one is global only (no local values, no data). "
            "Upload it without true_ys."
        )
    if labels.ndim != 1 or len(labels) != n_rows:
        raise InvalidInputError(
            f"true_ys must have one label per explained row ({n_rows}), got shape {labels.shape}."
        )
    return labels


# -------------------------------------------------------------------------------------- derived values
def ranked_importances(explanation: Explanation) -> dict[str, Any]:
    """The full global and per-class rankings, highest first (what top-k uploads keep beyond the top k)."""
    top = explanation.global_importance()
    per_class = None
    if explanation.per_class is not None:
        per_class = {
            "classes": list(explanation.classes),
            "features": explanation.get_ranked_per_class_names(),
            "values": explanation.get_ranked_per_class_values(),
        }
    return {"features": list(top.index), "global": top.tolist(), "per_class": per_class}


def reduce_to_top_k(explanation: Explanation, top_k: int | None) -> Explanation:
    """The explanation restricted to its ``top_k`` global features (all when None), in feature order."""
    if top_k is None or top_k >= explanation.n_features:
        return explanation
    ranked = set(explanation.get_ranked_global_names(top_k))
    keep = [j for j, name in enumerate(explanation.features) if name in ranked]
    return dataclasses.replace(
        explanation,
        features=[explanation.features[j] for j in keep],
        local=None if explanation.local is None else explanation.local[:, :, keep],
        global_=explanation.global_[keep],
        per_class=None if explanation.per_class is None else explanation.per_class[:, keep],
        data=None if explanation.data is None else explanation.data.iloc[:, keep],
    )


def predictions(explanation: Explanation) -> np.ndarray | None:
    """The model's predictions recovered from additivity (local.sum(-1) + expected), when it holds.

    Classification: the class with the largest output (margins and probabilities rank classes the
    same way); regression: the output itself. None for global-only or metric-space explanations.
    """
    if explanation.local is None or explanation.expected is None or explanation.output_space == "metric":
        return None
    outputs = explanation.local.sum(axis=-1) + explanation.expected[:, None]
    if explanation.task == "regression":
        return outputs[0]
    return np.asarray(explanation.classes, dtype=object)[np.argmax(outputs, axis=0)]


def eval_sample(explanation: Explanation, stored: Explanation, true_ys: np.ndarray | None,
                rows: np.ndarray) -> pd.DataFrame | None:
    """Sampled rows: their position, stored features' values, the prediction and the true label."""
    predicted = predictions(explanation)
    if predicted is None and true_ys is None and stored.data is None:
        return None
    columns: dict[str, Any] = {ROW_COLUMN: rows.astype(np.int64)}
    if stored.data is not None:
        clash = {ROW_COLUMN, PREDICTION_COLUMN, TRUE_Y_COLUMN} & set(stored.features)
        if clash:
            raise InvalidInputError(
                f"Feature names {sorted(clash)} are reserved for the eval sample's own columns; rename them."
            )
        for name in stored.features:
            columns[name] = stored.data[name].iloc[rows].reset_index(drop=True)
    if predicted is not None:
        columns[PREDICTION_COLUMN] = _label_column(predicted[rows])
    if true_ys is not None:
        columns[TRUE_Y_COLUMN] = _label_column(true_ys[rows])
    return pd.DataFrame(columns)


def _label_column(values: np.ndarray) -> pd.Series:
    """Labels with their natural dtype (int, float, bool, str); mixed types are stored as text."""
    column = pd.Series(values.tolist() if values.dtype == object else values)
    if column.dtype == object and not all(isinstance(value, str) for value in column):
        column = column.map(str)
    return column


def list_entry(explanation: Explanation, *, comment: str | None, upload_time: str) -> dict[str, Any]:
    """What the run tag (the commit marker) says about one upload: enough to list without downloads."""
    return {
        "schema_version": LIST_SCHEMA_VERSION,
        "id": explanation.id,
        "comment": comment,
        "method": explanation.method,
        "model_task": explanation.task,
        "is_raw": bool(explanation.is_raw),
        "is_engineered": bool(explanation.is_engineered),
        "num_features": explanation.n_features,
        "num_examples": _n_rows(explanation),
        "upload_time": upload_time,
    }


def utc_now() -> str:
    """ISO 8601 UTC with microseconds: sorts the same as a string and as a time."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="microseconds")


def label(explanation: Explanation, comment: str | None) -> str:
    """The readable group name of an upload's metrics and table: its comment, else raw / engineered / model."""
    if comment:
        text = key_part(comment).strip(" ._")[:60]
        if text:
            return text
    return "raw" if explanation.is_raw else "engineered" if explanation.is_engineered else "model"


def metric_entries(explanation: Explanation, group: str, top_k: int | None) -> dict[str, float]:
    """``explanation/<group>/importance/<feature>`` -> global importance, for the top features.

    Feature names are reduced to MLflow's key alphabet (letters, digits, ``_ - . space``) by
    :class:`explain_lib._keys.MetricKeys`; names that collide after that get ``_2``, ``_3``, ... so
    every feature keeps its own key.
    """
    keys = MetricKeys(sep="/")
    top = explanation.global_importance(top_k=top_k or DEFAULT_METRIC_TOP_K)
    return {keys.key("explanation", group, "importance", feature): float(value) for feature, value in top.items()}


def importance_table(explanation: Explanation, comment: str | None) -> pd.DataFrame:
    """Global (and, up to 20 classes, per-class) importance per feature, ranked, for ``log_table``."""
    top = explanation.global_importance()
    table = pd.DataFrame({
        "explanation_id": explanation.id,
        "comment": comment or "",
        "rank": np.arange(1, len(top) + 1),
        "feature": list(top.index),
        "importance": top.to_numpy(),
    })
    if explanation.per_class is not None and len(explanation.classes) <= _MAX_TABLE_CLASSES:
        position = [explanation.features.index(name) for name in top.index]
        for k, cls in enumerate(explanation.classes):
            table[f"class {cls}"] = explanation.per_class[k, position]
    return table


# ------------------------------------------------------------------------------------- the directory
def write_upload(
    directory: Path,
    explanation: Explanation,
    *,
    comment: str | None,
    top_k: int | None,
    true_ys: np.ndarray | None,
    datasets: Sequence[Mapping[str, Any]],
    visualization_points: int,
    plots: bool,
    upload_time: str,
    run_id: str,
    dashboard: bool = False,
    others: Sequence[Explanation] = (),
    cohorts: Any = None,
) -> None:
    """Write every file of one upload into ``directory``; explanation.json goes last.

    ``dashboard`` adds dashboard.html, drawn from the same eval sample (rows, predictions, labels),
    with ``others`` (e.g. the run's explanation of the other feature kind) and predefined ``cohorts``.
    """
    from ..report.plots import sample_rows, save_plots

    stored = reduce_to_top_k(explanation, top_k)
    n_rows = _n_rows(explanation)
    rows = sample_rows(n_rows, visualization_points) if n_rows is not None else None
    sample = None if rows is None else eval_sample(explanation, stored, true_ys, rows)
    if sample is not None:
        sample.to_parquet(directory / EVAL_SAMPLE_FILE, compression="zstd", index=False)
    written_plots = []
    if plots:
        written_plots = [f"{PLOTS_DIR}/{name}" for name in
                         save_plots(explanation, directory / PLOTS_DIR, max_rows=visualization_points)]
    if dashboard:
        from ..report.dashboard import DASHBOARD_FILE, write_dashboard

        write_dashboard(directory / DASHBOARD_FILE, explanation, true_ys=true_ys, sample=sample, others=others,
                        cohorts=cohorts, visualization_points=visualization_points, comment=comment,
                        title=f"Explanation of run {run_id}")
    upload = {
        "schema_version": UPLOAD_SCHEMA_VERSION,
        "run_id": run_id,
        "comment": comment,
        "top_k": top_k,
        "upload_time": upload_time,
        "num_features": explanation.n_features,
        "num_examples": n_rows,
        "ranked": ranked_importances(explanation),
        "datasets": [dict(d) for d in datasets],
        "eval_sample": None if sample is None else {
            "file": EVAL_SAMPLE_FILE, "rows": len(sample), "columns": [str(c) for c in sample.columns],
        },
        "plots": written_plots,
        "dashboard": "dashboard.html" if dashboard else None,
    }
    stored.save(directory, dtype="float32", extra={"upload": upload})  # explanation.json goes last
