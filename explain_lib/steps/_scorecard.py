"""The ``scorecard`` step: score an MLflow model on a table against a config's targets, log PDF + HTML."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ExplainLibError, InvalidInputError, InvalidParameterError
from ..explanation import Explanation
from ..models import infer_task, model_classes, task_from_labels
from ..tracking._ui import artifact_link, markdown_text
from ._data import copied_from, read_table, source_uri
from ._explain import _features, _load_model
from ._run import describe_run, progress, record_outputs, step_run
from ._train import TARGET_TAG

__all__ = ["TargetMissedError", "scorecard"]



class TargetMissedError(ExplainLibError):
    """A scorecard missed a target and ``fail_on_missed_target`` was set; the scorecard is logged."""

    def __init__(self, uri: str, missed: tuple[Any, ...]) -> None:
        self.uri = uri
        self.missed = missed
        listed = "; ".join(f"{t.label} = {t.value:.4f} (target {t.threshold})" for t in missed)
        super().__init__(f"{len(missed)} scorecard target{'s' if len(missed) != 1 else ''} missed: {listed}. "
                         f"The scorecard is at {uri}.")


def _run_of(model_uri: str) -> str | None:
    return model_uri.split("/")[1] if model_uri.startswith("runs:/") and model_uri.count("/") >= 2 else None


def _target(target: str | None, model_uri: str) -> str:
    """The label column: as given, else the one the train step recorded on the model's run."""
    if target is not None:
        return target
    run_id = _run_of(model_uri)
    if run_id is not None:
        import mlflow

        recorded = mlflow.MlflowClient().get_run(run_id).data.tags.get(TARGET_TAG)
        if recorded:
            return recorded
    raise InvalidParameterError("A scorecard compares predictions with true labels: give target (--target), the "
                                "label column of the data.")


def _current_run_id() -> str | None:
    import mlflow

    active = mlflow.active_run()
    return active.info.run_id if active is not None else os.environ.get("MLFLOW_RUN_ID") or None


def _explanation(source: str | Path | Explanation | None) -> Explanation | None:
    """The explanation for the feature importance section.

    An :class:`Explanation`; a folder written by ``Explanation.save`` (the explain step's output); a
    run (``runs:/<run_id>``: its newest explanation; ``runs:/<run_id>/explanations/<id>``: that one);
    or, when None, the newest explanation of the run the step logs into, if it has one.
    """
    from ..tracking import ExplanationClient, ExplanationNotFoundError

    if isinstance(source, Explanation):
        return source
    if source is None:
        run_id = _current_run_id()
        if run_id is None:
            return None
        try:
            return ExplanationClient.from_run_id(run_id).download_model_explanation()
        except ExplanationNotFoundError:  # the run has none: the section says so
            return None
    from ..tracking._sources import load_explanation_source

    return load_explanation_source(source)[0]


def _model_reference(model_uri: str) -> str:
    """The model URI, and for a model folder also the run it was logged from (so the summary names it)."""
    if "://" in model_uri or model_uri.startswith(("runs:/", "models:/")):
        return model_uri
    copied = copied_from(model_uri)  # a pipeline's copy of a logged model: its URI outlives the folder
    if copied is not None:
        return copied
    import mlflow

    logged = mlflow.models.Model.load(model_uri)
    if logged.model_id:  # MLflow 3: the logged model's own URI
        run = f", run {logged.run_id}" if logged.run_id else ""
        return f"models:/{logged.model_id} ({model_uri}{run})"
    if logged.run_id and logged.artifact_path:
        return f"runs:/{logged.run_id}/{logged.artifact_path} ({model_uri})"
    return model_uri


def _predict(model: Any, features: pd.DataFrame, task: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Predicted labels or values, and class probabilities when the model gives them."""
    if not hasattr(model, "predict"):  # a pyfunc's predict function
        return np.asarray(model(features)), None
    predicted = np.asarray(model.predict(features))
    scores = None
    if task == "classification" and callable(getattr(model, "predict_proba", None)):
        scores = np.asarray(model.predict_proba(features), dtype=float)
    return predicted, scores


def _checked_config(config: Any, frame: pd.DataFrame, model: Any, labels: pd.Series) -> tuple[Any, str]:
    """The checked config and the task: the model's, else the config's ModelType, else the labels'
    (:func:`~explain_lib.models.task_from_labels`)."""
    from ..report.scorecard import load_config

    task = infer_task(model) if hasattr(model, "predict") else None
    checked = load_config(config, data=frame, task=task)
    if task is None:
        task = checked.model_type or task_from_labels(labels)
        checked = load_config(config, data=frame, task=task)
    return checked, task


def _description(card: Any, run: Any) -> list[str]:
    """The scorecard step's section of its run's description: the verdict first (cohort values below target
    included), the report's links, then target by target."""
    from ..report.scorecard._wording import verdict_facts, verdict_markdown

    summary = card.summary
    links = ", ".join(f"[{name}]({artifact_link(run.info.experiment_id, run.info.run_id, f'scorecard/{name}')})"
                      for name in ("scorecard.html", "scorecard.pdf"))
    lines = [f"**Verdict**: {verdict_markdown(verdict_facts(card))}.", "",
             f"Report: {links}. Scorecard of {markdown_text(summary.model_uri)} on {markdown_text(summary.data_uri)} "
             f"({summary.n_rows} rows)."]
    if card.targets:
        lines += ["", "| target | value | threshold | met |", "| --- | --- | --- | --- |"]
        lines += [f"| {markdown_text(t.label)} | {t.value:.4g} | {markdown_text(t.threshold.text)} | "
                  f"{'yes' if t.met else '**no**'} |" for t in card.targets]
    return lines


def scorecard(
    model_uri: str | Path,
    data: str | Path | pd.DataFrame,
    config: str | Path | Mapping[str, Any],
    *,
    target: str | None = None,
    explanation: str | Path | Explanation | None = None,
    scorecard_output: str | Path | None = None,
    fail_on_missed_target: bool = False,
) -> str:
    """Score an MLflow model on a table against a config's targets; log the scorecard to the active run.

    ::

        config = load_config(config, data=table, task=model's task)     # every problem at once, nothing logged
        y_pred, proba = model.predict(X), model.predict_proba(X)
        card = compute_scorecard(config, table, y, y_pred, scores=proba, explanation=...)
        log_scorecard(card)    # scorecard/scorecard.pdf + .html + config.yaml, scorecard.* metrics, tag last
        if fail_on_missed_target and not card.passed: raise TargetMissedError

    Parameters
    ----------
    model_uri
        ``runs:/<run_id>/model``, ``models:/<name>/<version>``, or a local MLflow model folder.
    data
        The rows to score, with their labels (typically the test split of :func:`train`); see :func:`read_table`.
    config
        The scorecard config: a YAML / JSON file (keys of the Responsible AI scorecard) or a mapping;
        see :mod:`explain_lib.report.scorecard`.
    target
        The label column of ``data``; default: the one :func:`train` recorded on the model's run.
    explanation
        For the feature importance section: a saved explanation folder (the explain step's output),
        ``runs:/<run_id>`` (its newest explanation), ``runs:/<run_id>/explanations/<id>``, or an
        :class:`~explain_lib.Explanation`. Default: the newest explanation of the run logged into.
    scorecard_output
        A folder to also write ``scorecard.pdf`` and ``scorecard.html`` to.
    fail_on_missed_target
        Raise :class:`TargetMissedError` (the CLI exits 3) after logging when a target is missed.

    Returns
    -------
    str
        The URI of the scorecard's artifact folder, ``runs:/<run_id>/scorecard``.

    Raises
    ------
    ScorecardConfigError
        Listing every problem of the config; raised before anything is logged, like the
        InvalidInputError / InvalidParameterError of unreadable data, model or explanation.
    TargetMissedError
        With ``fail_on_missed_target``, when a target is missed (after everything is logged).
    """
    from ..report.scorecard import compute_scorecard, log_scorecard

    source = source_uri(data)
    frame = read_table(data)
    model, columns = _load_model(str(model_uri))
    label_column = _target(target, str(model_uri))
    features, labels = _features(frame, label_column, model, columns, source)
    if len(features) == 0:
        raise InvalidInputError(f"{source} has no rows to score.")
    checked, task = _checked_config(config, frame, model, labels)
    found = _explanation(explanation)
    if checked.top_n is not None and found is None:
        raise InvalidParameterError(
            "The config asks for FeatureImportance, but there is no explanation to take it from: give explanation "
            "(--explanation: the explain step's output folder or runs:/<run_id>), or run the explain step into "
            "this run first.")
    with progress(f"scoring {len(features)} rows"):
        predicted, scores = _predict(model, features, task)
        card = compute_scorecard(checked, frame, np.asarray(labels), predicted, task=task, scores=scores,
                                 classes=model_classes(model) if task == "classification" else None,
                                 explanation=found, model_uri=_model_reference(str(model_uri)), data_uri=source)

    with step_run() as run:
        run_id = run.info.run_id
        card = dataclasses.replace(card, summary=dataclasses.replace(card.summary, run_uri=f"runs:/{run_id}"))
        with progress("writing and logging the scorecard"):
            uri = log_scorecard(card, run_id=run_id, config=checked.source, output=scorecard_output)
        if scorecard_output is not None:
            record_outputs(run_id, {scorecard_output: uri})
        describe_run(run_id, "scorecard", _description(card, run))
    if fail_on_missed_target and not card.passed:
        raise TargetMissedError(uri, card.missed)
    return uri
