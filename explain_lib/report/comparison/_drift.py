"""Importance over time: every explanation of an experiment's runs (or every scored batch a scoring
explainer logged to a run) lined up, top features plotted.

::

    runs      = the experiment's runs with the model_explanation tag, oldest first
    table     = one row per committed explanation (run, upload time, id), one column per feature:
                its global importance from explanation.json (features an explanation lacks: NaN)
    batches   = or, with batches=RUN_ID: one row per scored batch of that run (batch id, step, time,
                rows), one column per feature: the batch's global importance from its
                scoring/batches/*.json record (explain_lib.tracking._batches), ordered by step
    top       = the top_k features by mean importance over the rows
    logged    = drift/importance_over_runs.png, drift/importance_over_runs.json (mlflow.log_table's
                format; ..._over_batches.* for batches) and metrics drift.<feature>.importance at step
                i (the i-th row), which the UI's charts draw as a line per feature
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ..._keys import MetricKeys
from ..._validation import check_positive_int
from ...errors import InvalidInputError, InvalidParameterError

__all__ = ["DRIFT_ARTIFACT_DIR", "drift", "importance_over_batches", "importance_over_runs"]

DRIFT_ARTIFACT_DIR = "drift"
_EXPLANATION_TAG = "explain_lib.explanation."
_INFO_COLUMNS = ["run_id", "run_name", "explanation_id", "comment", "upload_time"]
_BATCH_COLUMNS = ["run_id", "batch_id", "step", "logged_at", "n_rows"]


def importance_over_runs(experiment: str, *, comment: str | None = None, tracking_uri: str | None = None
                         ) -> pd.DataFrame:
    """One row per explanation uploaded to the experiment's runs (oldest first): run and explanation
    columns, then each feature's global importance."""
    import mlflow

    from ...tracking._http import display_uri

    client = mlflow.MlflowClient(tracking_uri)
    found = client.get_experiment_by_name(experiment)
    if found is None:
        raise InvalidInputError(f"No experiment named {experiment!r} in the MLflow store "
                                f"{display_uri(client.tracking_uri)}.")
    runs = client.search_runs([found.experiment_id], "tags.model_explanation = 'True'", max_results=5000)
    rows = []
    with tempfile.TemporaryDirectory(prefix="explain-lib-drift-") as tmp:
        for run in runs:
            for key, value in run.data.tags.items():
                if not key.startswith(_EXPLANATION_TAG):
                    continue
                entry = json.loads(value)
                if comment is not None and entry.get("comment") != comment:
                    continue
                path = client.download_artifacts(run.info.run_id, f"explanations/{entry['id']}/explanation.json",
                                                 str(Path(tmp, entry["id"])))
                ranked = (json.loads(Path(path).read_text(encoding="utf-8")).get("upload") or {}).get("ranked") or {}
                rows.append({"run_id": run.info.run_id, "run_name": run.info.run_name, "explanation_id": entry["id"],
                             "comment": entry.get("comment"), "upload_time": entry.get("upload_time") or "",
                             **dict(zip(ranked.get("features", []), ranked.get("global", []), strict=False))})
    if not rows:
        filtered = f" with comment {comment!r}" if comment is not None else ""
        raise InvalidInputError(f"Experiment {experiment!r} has no uploaded explanations{filtered}; upload some "
                                "(ExplanationClient.upload_model_explanation, or the explain step) first.")
    table = pd.DataFrame(rows).sort_values("upload_time", kind="stable").reset_index(drop=True)
    features = [column for column in table.columns if column not in _INFO_COLUMNS]
    return table[_INFO_COLUMNS + features]


def importance_over_batches(run_id: str, *, tracking_uri: str | None = None) -> pd.DataFrame:
    """One row per scored batch that ``ScoringExplainer.log_batch_importances`` logged to the run (by
    step): batch columns, then each feature's global importance in that batch."""
    from ...tracking._batches import read_batches

    records = read_batches(run_id, tracking_uri=tracking_uri)
    rows = [{"run_id": run_id, "batch_id": record.get("batch_id"), "step": record["step"],
             "logged_at": record.get("logged_at") or "", "n_rows": record.get("n_rows"),
             **dict(zip(record["features"], record["global"], strict=True))} for record in records]
    table = pd.DataFrame(rows)
    features = [column for column in table.columns if column not in _BATCH_COLUMNS]
    return table[_BATCH_COLUMNS + features]


def _plot(table: pd.DataFrame, top: list[str], labels: list[str], what: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(9, 4.5), dpi=110)
    positions = np.arange(len(table))
    for feature in top:
        axis.plot(positions, table[feature].to_numpy(dtype=float), marker="o", label=str(feature))
    axis.set_xticks(positions, labels, fontsize=7, rotation=30, ha="right")
    axis.set_ylabel("global importance")
    axis.set_title(f"Importance of the top {len(top)} features over {len(table)} {what}")
    axis.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def drift(experiment: str | None = None, *, batches: str | None = None, top_k: int = 5, comment: str | None = None,
          tracking_uri: str | None = None, run_id: str | None = None) -> tuple[pd.DataFrame, str]:
    """Line up the experiment's explanations, or the scored batches of run ``batches``, and log each top
    feature's importance over them.

    Give exactly one of ``experiment`` and ``batches`` (the id of the run that
    ``ScoringExplainer.log_batch_importances`` logged to). Logs into ``run_id``, else the active run,
    else a new run named ``importance-drift`` in the experiment (of the batches' run; created here;
    it holds no explanation, so a later drift leaves it out). Returns the table (see
    :func:`importance_over_runs`, :func:`importance_over_batches`) and the URI of the logged folder
    ``drift``.
    """
    import mlflow
    from mlflow.entities import Metric

    top_k = check_positive_int(top_k, "top_k", allow_none=False)
    if (experiment is None) == (batches is None):
        raise InvalidParameterError("Give exactly one of experiment= (line up its runs' explanations) and batches= "
                                    "(the id of the run a scoring explainer logged its batches to).")
    if batches is not None and comment is not None:
        raise InvalidParameterError("comment= selects explanations of an experiment; scored batches have no comment. "
                                    "Drop it, or pass experiment= instead of batches=.")
    client = mlflow.MlflowClient(tracking_uri)
    if batches is None:
        table = importance_over_runs(experiment, comment=comment, tracking_uri=tracking_uri)
        info, name, what = _INFO_COLUMNS, "importance_over_runs", "explanations"
        labels = [f"{run_name or run[:8]}\n{explanation[:6]}" for run_name, run, explanation in
                  zip(table["run_name"], table["run_id"], table["explanation_id"], strict=True)]
    else:
        table = importance_over_batches(batches, tracking_uri=tracking_uri)
        info, name, what = _BATCH_COLUMNS, "importance_over_batches", "scored batches"
        labels = [f"{step}\n{str(batch)[:8]}" for step, batch in zip(table["step"], table["batch_id"], strict=True)]
    features = [column for column in table.columns if column not in info]
    top = list(table[features].mean(axis=0, skipna=True).sort_values(ascending=False, kind="stable").index[:top_k])
    created = False
    if run_id is None:
        active = mlflow.active_run()
        if active is not None:
            run_id = active.info.run_id
        else:
            experiment_id = (client.get_experiment_by_name(experiment).experiment_id if batches is None
                             else client.get_run(batches).info.experiment_id)
            run_id = client.create_run(experiment_id, run_name="importance-drift").info.run_id
            created = True
    with tempfile.TemporaryDirectory(prefix="explain-lib-drift-") as tmp:
        _plot(table, top, labels, what, Path(tmp, f"{name}.png"))
        table[info + top].to_json(Path(tmp, f"{name}.json"), orient="split", index=False)
        client.log_artifacts(run_id, tmp, DRIFT_ARTIFACT_DIR)
    now = int(time.time() * 1000)
    keys = MetricKeys()  # valid, distinct keys however the features are named
    metrics = [Metric(keys.key("drift", feature, "importance"), float(value), now, step)
               for feature in top for step, value in enumerate(table[feature]) if not pd.isna(value)]
    client.log_batch(run_id, metrics=metrics)  # MLflow splits it into batches the store takes
    if created:
        client.set_terminated(run_id)
    return table, f"runs:/{run_id}/{DRIFT_ARTIFACT_DIR}"
