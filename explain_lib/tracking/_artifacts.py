"""What an upload writes, computed without touching MLflow: files, list entry, metrics, table.

The layout is documented in :mod:`explain_lib.tracking`; this module builds it in a local
directory, and :mod:`._client` ships the directory and the small payloads to a run.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import _renderers
from .._keys import MetricKeys, key_part
from .._sample import eval_sample, n_rows, sample_rows
from ..errors import InvalidParameterError
from ..explanation import Explanation
from ..interactions import Interactions

ARTIFACT_ROOT = "explanations"
TAG_PREFIX = "explain_lib.explanation."
MODEL_EXPLANATION_TAG = "model_explanation"
LIST_SCHEMA_VERSION = 1
UPLOAD_SCHEMA_VERSION = 1
EVAL_SAMPLE_FILE = "eval_sample.parquet"
PLOTS_DIR = "plots"
DASHBOARD_FILE = "dashboard.html"
INTERACTIONS_FILE = "interactions.json"
INTERACTIONS_SCHEMA_VERSION = 1
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
        "num_examples": n_rows(explanation),
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


def metric_prefix(explanation: Explanation) -> str:
    """``importance`` (raw features, or the model's own inputs) or ``engineered_importance``."""
    return "engineered_importance" if explanation.is_engineered else "importance"


def metric_entries(explanation: Explanation, top_k: int | None, *, prefix: str | None = None) -> dict[str, float]:
    """``importance/<feature>`` (``engineered_importance/<feature>``) -> global importance, for the top features.

    Short, with the feature last: MLflow's Charts view titles each chart with its whole metric key and
    cuts it at the end (about 26 characters at three charts a row), and groups charts by the part
    before the last ``/``. Every upload of a run logs the same keys, so the run's latest values are its
    newest upload's (each metric is stamped with its upload's time) and the same key lines up across
    runs. Feature names are reduced to MLflow's key alphabet (letters, digits, ``_ - . space``) by
    :class:`explain_lib._keys.MetricKeys`; names that collide after that get ``_2``, ``_3``, ... so
    every feature keeps its own key.

    Examples
    --------
    >>> import numpy as np
    >>> from explain_lib import Explanation
    >>> e = Explanation(local=None, expected=None, features=["age", "hours/week"], task="regression",
    ...                 output_space="raw", method="demo", global_=np.array([0.5, 0.25]))
    >>> metric_entries(e, None)
    {'importance/age': 0.5, 'importance/hours_week': 0.25}
    """
    keys = MetricKeys(sep="/")
    top = explanation.global_importance(top_k=top_k or DEFAULT_METRIC_TOP_K)
    head = (prefix or metric_prefix(explanation)).split("/")
    return {keys.key(*head, feature): float(value) for feature, value in top.items()}


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


def interaction_table(interactions: Interactions, explanation_id: str, comment: str | None) -> pd.DataFrame:
    """One row per pair of chosen features (and per feature with itself: its main effect), strongest mean
    |interaction value| first, with per-class columns up to 20 classes, for ``log_table``."""
    features = interactions.features
    first, second = np.triu_indices(len(features))
    order = np.argsort(-interactions.global_[first, second], kind="stable")
    first, second = first[order], second[order]
    table = pd.DataFrame({
        "explanation_id": explanation_id,
        "comment": comment or "",
        "rank": np.arange(1, len(first) + 1),
        "feature": [features[i] for i in first],
        "partner": [features[j] for j in second],
        "mean_abs_interaction": interactions.global_[first, second],
    })
    if interactions.classes is not None and len(interactions.classes) <= _MAX_TABLE_CLASSES:
        for k, cls in enumerate(interactions.classes):
            table[f"class {cls}"] = interactions.per_class[k, first, second]
    return table


def interaction_payload(interactions: Interactions, rows: np.ndarray | None, plot: str | None) -> dict[str, Any]:
    """``interactions.json``: the mean |interaction| matrices, each feature's strongest partner, and for the
    eval sample's rows (``rows``: their positions) each feature's strongest partner in that row, per output
    (:meth:`Interactions.summary`)."""
    outputs = [None] if interactions.task == "regression" else list(interactions.classes)
    if interactions.task == "classification" and len(outputs) == 2:
        outputs = outputs[1:]  # class 0 mirrors class 1
    shown = None if rows is None else [int(r) for r in rows]
    per_output = []
    for cls in outputs:
        summary = interactions.summary(rows=shown if shown is not None else [], cls=cls)
        per_output.append({"class": cls, "matrix": summary["matrix"], "partner": summary["partner"],
                           "row_partner": summary["row_partner"], "row_value": summary["row_value"]})
    return {
        "schema_version": INTERACTIONS_SCHEMA_VERSION,
        "method": interactions.method,
        "params": dict(interactions.params),
        "output_space": interactions.output_space,
        "features": list(interactions.features),
        "n_rows": interactions.n_rows,
        "matrix": interactions.global_.tolist(),
        "partner": interactions.summary(rows=[])["partner"],
        "rows": shown,
        "per_output": per_output,
        "plot": plot,
    }


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
    interactions: Interactions | None = None,
    run_name: str | None = None,
    model: Any = None,
    what_if: bool = True,
    ice_features: Any = 10,
    grid_size: int = 20,
    background: Any = None,
) -> None:
    """Write every file of one upload into ``directory``; explanation.json goes last.

    ``dashboard`` adds dashboard.html, drawn from the same eval sample (rows, predictions, labels),
    with ``others`` (e.g. the run's explanation of the other feature kind) and predefined ``cohorts``.
    ``interactions`` (checked by :func:`~explain_lib.interactions.check_interactions`) adds interactions.json,
    with ``plots`` plots/interactions.png, and with ``dashboard`` the page's Interactions view. ``model`` (with
    ``what_if``, ``ice_features``, ``grid_size`` and ``background``) adds its what-if form and ICE curves.
    """
    stored = reduce_to_top_k(explanation, top_k)
    rows_total = n_rows(explanation)
    rows = sample_rows(rows_total, visualization_points) if rows_total is not None else None
    sample = None if rows is None else eval_sample(explanation, stored, true_ys, rows)
    if sample is not None:
        sample.to_parquet(directory / EVAL_SAMPLE_FILE, compression="zstd", index=False)
    written_plots = []
    if plots:
        save_plots = _renderers.renderer("plots")
        written_plots = [f"{PLOTS_DIR}/{name}" for name in
                         save_plots(explanation, directory / PLOTS_DIR, max_rows=visualization_points)]
    if dashboard:
        write_dashboard = _renderers.renderer("dashboard")
        write_dashboard(directory / DASHBOARD_FILE, explanation, true_ys=true_ys, sample=sample, others=others,
                        cohorts=cohorts, visualization_points=visualization_points, comment=comment,
                        title=f"Explanation of run {run_name or run_id}" + (f" ({run_id})" if run_name else ""),
                        model=model, what_if=what_if, ice_features=ice_features, grid_size=grid_size,
                        background=background, interactions=interactions)
    interaction_block = None
    if interactions is not None:
        plot = None
        if plots:
            save_heatmap = _renderers.renderer("interactions")
            plot = f"{PLOTS_DIR}/{save_heatmap(interactions, directory / PLOTS_DIR)[0]}"
            written_plots.append(plot)
        payload = interaction_payload(interactions, rows, plot)
        (directory / INTERACTIONS_FILE).write_text(json.dumps(payload), encoding="utf-8")
        interaction_block = {"file": INTERACTIONS_FILE, "features": list(interactions.features), "plot": plot}
    upload = {
        "schema_version": UPLOAD_SCHEMA_VERSION,
        "run_id": run_id,
        "comment": comment,
        "top_k": top_k,
        "upload_time": upload_time,
        "num_features": explanation.n_features,
        "num_examples": rows_total,
        "ranked": ranked_importances(explanation),
        "datasets": [dict(d) for d in datasets],
        "eval_sample": None if sample is None else {
            "file": EVAL_SAMPLE_FILE, "rows": len(sample), "columns": [str(c) for c in sample.columns],
        },
        "plots": written_plots,
        "dashboard": DASHBOARD_FILE if dashboard else None,
        "interactions": interaction_block,
    }
    stored.save(directory, dtype="float32", extra={"upload": upload})  # explanation.json goes last
