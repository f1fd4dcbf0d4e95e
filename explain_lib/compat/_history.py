"""azureml-interpret's ExplanationClient and interpret-community's MLflow functions, on MLflow run history.

``ExplanationClient`` is :class:`explain_lib.tracking.ExplanationClient` with azureml-interpret's call
forms: ``from_run(run)`` of an MLflow run or of anything with an ``id`` (an Azure ML Run),
``from_run_id(workspace, experiment_name, run_id)``, and ``upload_model_explanation`` /
``download_model_explanation`` with its positional order and keywords (``model_id=``,
``upload_datasets=``). ``log_explanation(name, explanation)`` / ``get_explanation(run_id, name)`` are
``interpret_community.mlflow``'s.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import mlflow
from mlflow.exceptions import MlflowException

from ..errors import InvalidParameterError
from ..explanation import Explanation
from ..tracking import ExplanationClient as _Client
from ..tracking import ExplanationNotFoundError, RunNotFoundError
from ._saved import METADATA_FILE, load_explanation, save_explanation

__all__ = ["ExplanationClient", "get_explanation", "log_explanation", "model_uri_of"]

_IC_FOLDER = "data/explanation"  # where interpret_community.mlflow keeps the saved folder in a logged model


def model_uri_of(model_id: str) -> str:
    """An MLflow model URI for an Azure ML / MLflow model id: ``name:3`` -> ``models:/name/3``."""
    model_id = str(model_id)
    if "://" in model_id or model_id.startswith(("models:/", "runs:/")):
        return model_id
    name, sep, version = model_id.rpartition(":")
    return f"models:/{name}/{version}" if sep and name and version.isdigit() else f"models:/{model_id}"


class ExplanationClient(_Client):
    """:class:`explain_lib.tracking.ExplanationClient` with azureml-interpret's call forms."""

    @classmethod
    def from_run(cls, run: Any, *, tracking_uri: str | None = None) -> ExplanationClient:
        """The client of an MLflow run (``mlflow.start_run()``'s too) or of a run object with an ``id``."""
        if hasattr(run, "info"):
            return cls(run.info.run_id, tracking_uri=tracking_uri)
        if isinstance(getattr(run, "id", None), str):
            return cls(run.id, tracking_uri=tracking_uri)
        raise InvalidParameterError(f"from_run() takes an MLflow run (or a run with an id), got {type(run).__name__}.")

    @classmethod
    def from_run_id(cls, *args: Any, tracking_uri: str | None = None, **kwargs: Any) -> ExplanationClient:
        """``from_run_id(run_id)``, or azureml's ``from_run_id(workspace, experiment_name, run_id)``.

        In the three-argument form the run must belong to the experiment named; a workspace with
        ``get_mlflow_tracking_uri()`` (an Azure ML Workspace) names the tracking store, any other
        value (None) leaves it to MLflow.
        """
        names = ("workspace", "experiment_name", "run_id")
        given = dict(zip(names[3 - len(args):] if len(args) < 3 else names, args, strict=False))
        given.update(kwargs)
        if "run_id" not in given or set(given) - set(names):
            raise InvalidParameterError(
                "from_run_id takes run_id, or (workspace, experiment_name, run_id) as azureml-interpret does; "
                f"got {sorted(given)}."
            )
        workspace = given.get("workspace")
        if tracking_uri is None and callable(getattr(workspace, "get_mlflow_tracking_uri", None)):
            tracking_uri = workspace.get_mlflow_tracking_uri()
        client = cls(given["run_id"], tracking_uri=tracking_uri)
        experiment_name = given.get("experiment_name")
        if experiment_name is not None:
            run = client._get_run()
            actual = client._client.get_experiment(run.info.experiment_id).name
            if actual != experiment_name:
                raise RunNotFoundError(
                    f"Run {given['run_id']!r} belongs to experiment {actual!r}, not {experiment_name!r}; "
                    "pass the experiment the run was logged to."
                )
        return client

    def upload_model_explanation(self, explanation: Explanation, max_num_blocks: Any = None, block_size: Any = None,
                                 top_k: int | None = None, comment: str | None = None, init_dataset_id: Any = None,
                                 eval_dataset_id: Any = None, ys_pred_dataset_id: Any = None,
                                 ys_pred_proba_dataset_id: Any = None, upload_datasets: bool = False,
                                 model_id: str | None = None, true_ys: Any = None, visualization_points: int = 5000,
                                 **options: Any) -> str:
        """azureml-interpret's upload: ``model_id`` becomes the model URI (``name:3`` -> ``models:/name/3``),
        ``upload_datasets=True`` logs the explained rows as the eval dataset. ``max_num_blocks`` /
        ``block_size`` (Azure's storage chunking) do not apply: values are stored as one parquet file.
        Azure ML dataset ids cannot be resolved here: pass ``init_dataset=`` / ``eval_dataset=``."""
        for name, value in (("init_dataset_id", init_dataset_id), ("eval_dataset_id", eval_dataset_id),
                            ("ys_pred_dataset_id", ys_pred_dataset_id),
                            ("ys_pred_proba_dataset_id", ys_pred_proba_dataset_id)):
            if value is not None:
                raise InvalidParameterError(
                    f"{name} names an Azure ML dataset, which MLflow cannot resolve. Pass the data itself "
                    "(a DataFrame, array or mlflow.data Dataset) as init_dataset= or eval_dataset= for lineage."
                )
        if model_id is not None:
            options["model_uri"] = model_uri_of(model_id)
        if upload_datasets and explanation.data is not None and "eval_dataset" not in options:
            options["eval_dataset"] = explanation.data
        return super().upload_model_explanation(explanation, comment=comment, top_k=top_k, true_ys=true_ys,
                                                visualization_points=visualization_points, **options)

    def download_model_explanation(self, explanation_id: str | None = None, top_k: int | None = None,
                                   comment: str | None = None, raw: bool | None = None,
                                   engineered: bool | None = None) -> Explanation:
        """azureml-interpret's positional order: (explanation_id, top_k, comment, raw, engineered)."""
        return super().download_model_explanation(explanation_id, comment=comment, raw=raw, engineered=engineered,
                                                  top_k=top_k)


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not name or name.startswith("/") or ".." in Path(name).parts:
        raise InvalidParameterError(
            f"The explanation name becomes an artifact folder: a relative path without '..', got {name!r}."
        )
    return name


def log_explanation(name: str, explanation: Explanation) -> str:
    """Log ``explanation`` under artifact folder ``name`` of the active MLflow run (started if none).

    The folder holds :meth:`Explanation.save`'s files and, under ``data/explanation``, interpret-community's
    saved format, so both :func:`get_explanation` and interpret-community's ``get_explanation`` read it.
    Returns the folder's artifact URI.
    """
    _check_name(name)
    if not isinstance(explanation, Explanation):
        raise InvalidParameterError(f"Expected an explain_lib Explanation, got {type(explanation).__name__}.")
    run = mlflow.active_run() or mlflow.start_run()
    with tempfile.TemporaryDirectory(prefix="explain-lib-log-") as tmp:
        folder = Path(tmp, "explanation")
        explanation.save(folder, dtype="float64")
        save_explanation(explanation, folder / _IC_FOLDER)
        mlflow.MlflowClient().log_artifacts(run.info.run_id, str(folder), name)
    return f"{run.info.artifact_uri.rstrip('/')}/{name}"


def get_explanation(run_id: str, name: str) -> Explanation:
    """Download the explanation logged as ``name`` to run ``run_id`` (by :func:`log_explanation` or by
    interpret-community's ``log_explanation``)."""
    _check_name(name)
    with tempfile.TemporaryDirectory(prefix="explain-lib-get-") as tmp:
        try:
            local = Path(mlflow.MlflowClient().download_artifacts(run_id, name, tmp))
        except MlflowException as error:
            raise ExplanationNotFoundError(
                f"Could not download explanation {name!r} of run {run_id!r}: {error.message}"
            ) from error
        if (local / "explanation.json").is_file():
            return Explanation.load(local)
        if (local / _IC_FOLDER / METADATA_FILE).is_file():
            return load_explanation(local / _IC_FOLDER)
        raise ExplanationNotFoundError(
            f"Run {run_id!r} has no explanation logged as {name!r} (no explanation.json or "
            f"{_IC_FOLDER}/{METADATA_FILE} under it); found {sorted(os.listdir(local))[:10]}."
        )
