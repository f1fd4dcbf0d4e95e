"""Scored batches' importances appended to an MLflow run, so explanation drift can be followed over time.

Each call of :meth:`ScoringExplainer.log_batch_importances` (one scored batch) adds, to the run:

Metrics, at ``step`` = the number of batches the run had before (0, 1, 2, ...) and the time of
logging (MLflow's metric history is then the time series)::

    explanation/scored_batches/rows                   rows in the batch
    explanation/scored_batches/importance/<feature>   the batch's global importance of every feature
                                                      (mean |local| per class, averaged over classes;
                                                      names reduced to MLflow's key alphabet as uploads do)

One artifact per batch (the full numbers, for drift computations)::

    scoring/batches/<step, 6 digits>_<batch_id>.json
        {"schema_version": 1, "batch_id", "step", "logged_at" (ISO 8601 UTC), "n_rows", "method",
         "task", "output_space", "is_raw", "features", "classes", "expected",
         "global" (n_features), "per_class" (n_outputs x n_features or null),
         "mean_local" (n_outputs x n_features: signed mean of the local values)}

A reader lists ``scoring/batches/`` and orders by ``step`` (then ``logged_at``: two scorers
logging at the same moment may share a step); :func:`read_batches` does, and ``explain-lib drift
--batches RUN_ID`` plots the result.
"""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from ..errors import CorruptExplanationError, InvalidInputError, InvalidParameterError, SchemaVersionError
from ..explanation import Explanation

BATCH_DIR = "scoring/batches"
GROUP = "scored_batches"
ROWS_METRIC = f"explanation/{GROUP}/rows"
SCHEMA_VERSION = 1


def batch_summary(explanation: Explanation, *, batch_id: str, step: int, logged_at: str) -> dict[str, Any]:
    """The JSON-ready record of one batch (see the module docstring)."""
    local = explanation.require_local("log_batch_importances()")
    return {
        "schema_version": SCHEMA_VERSION,
        "batch_id": batch_id,
        "step": step,
        "logged_at": logged_at,
        "n_rows": int(local.shape[1]),
        "method": explanation.method,
        "task": explanation.task,
        "output_space": explanation.output_space,
        "is_raw": explanation.is_raw,
        "features": list(explanation.features),
        "classes": None if explanation.classes is None else list(explanation.classes),
        "expected": None if explanation.expected is None else explanation.expected.tolist(),
        "global": explanation.global_.tolist(),
        "per_class": None if explanation.per_class is None else explanation.per_class.tolist(),
        "mean_local": local.mean(axis=1).tolist(),
    }


def log_batch(explanation: Explanation, run_id: str, *, batch_id: str | None = None,
              tracking_uri: str | None = None) -> dict[str, Any]:
    """Append one batch's importances to the run; returns ``{"step", "artifact", "metrics"}``."""
    import mlflow
    from mlflow.entities import Metric

    from . import _artifacts as art
    from ._client import ExplanationClient

    batch_id = batch_id or uuid.uuid4().hex
    art.check_explanation_id(batch_id)  # it names a file: the same alphabet as explanation ids
    if not isinstance(run_id, str):
        raise InvalidParameterError(f"run_id must be a string, got {type(run_id).__name__}.")
    tracking_uri = tracking_uri or mlflow.get_tracking_uri()
    ExplanationClient.from_run_id(run_id, tracking_uri=tracking_uri)  # the run exists, the server answers
    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    step = len(client.get_metric_history(run_id, ROWS_METRIC))
    summary = batch_summary(explanation, batch_id=batch_id, step=step, logged_at=art.utc_now())
    artifact = f"{BATCH_DIR}/{step:06d}_{batch_id}.json"
    client.log_text(run_id, json.dumps(summary), artifact)
    timestamp = int(time.time() * 1000)
    values = {ROWS_METRIC: float(summary["n_rows"]),
              **art.metric_entries(explanation, explanation.n_features, prefix=f"explanation/{GROUP}/importance")}
    metrics = [Metric(key, value, timestamp, step) for key, value in values.items()]
    client.log_batch(run_id, metrics=metrics)  # MLflow splits it into batches the store takes
    return {"step": step, "artifact": artifact, "metrics": values}


def read_batches(run_id: str, *, tracking_uri: str | None = None) -> list[dict[str, Any]]:
    """Every batch record the run holds (the JSON files above), ordered by step, then logged_at."""
    import mlflow

    from ._client import ExplanationClient

    tracking_uri = tracking_uri or mlflow.get_tracking_uri()
    ExplanationClient.from_run_id(run_id, tracking_uri=tracking_uri)  # the run exists, the server answers
    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    if not client.list_artifacts(run_id, BATCH_DIR):
        raise InvalidInputError(f"Run {run_id!r} holds no scored batches ({BATCH_DIR}/ is empty); log some with "
                                "ScoringExplainer.log_batch_importances(run_id, X_batch) first.")
    records = []
    with tempfile.TemporaryDirectory(prefix="explain-lib-batches-") as tmp:
        folder = Path(client.download_artifacts(run_id, BATCH_DIR, tmp))
        for path in sorted(folder.glob("*.json")):
            name = f"{BATCH_DIR}/{path.name} of run {run_id!r}"
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                version = int(record["schema_version"])
                if version > SCHEMA_VERSION:
                    raise SchemaVersionError(f"{name} has schema version {version}; this explain-lib reads up to "
                                             f"{SCHEMA_VERSION}. Upgrade explain-lib.")
                record["step"] = int(record["step"])
                if len(record["features"]) != len(record["global"]):
                    raise ValueError("features and global differ in length")
            except (ValueError, KeyError, TypeError) as error:
                raise CorruptExplanationError(f"{name} is not a batch record ({error!r}); it was not written by "
                                              "log_batch_importances.") from error
            records.append(record)
    return sorted(records, key=lambda record: (record["step"], str(record.get("logged_at") or ""),
                                               str(record.get("batch_id") or "")))
