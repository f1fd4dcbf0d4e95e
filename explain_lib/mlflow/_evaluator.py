"""``mlflow.models.evaluate(..., evaluators=[..., "explain_lib"])``: our explanation of the evaluated model.

Registered under the ``mlflow.model_evaluator`` entry point as ``explain_lib``. It is opt-in:
MLflow asks every registered evaluator's ``can_evaluate`` when a call names no evaluators, and ours
says yes then only when ``evaluator_config`` carries one of its options (e.g.
``evaluator_config={"explain_lib": {"max_rows": 500}}``); a call that names it
(``evaluators=["default", "explain_lib"]``) runs it.

What it does: explains a seeded sample of the evaluation rows (stratified by the model's
prediction) with :class:`~explain_lib.TabularExplainer` — the model MLflow loaded, unwrapped to its
native flavor (scikit-learn, LightGBM, XGBoost) when possible, else its pyfunc ``predict`` with
Kernel SHAP — against a background sample of the same rows, and uploads it through the
:class:`~explain_lib.ExplanationClient` to the evaluation run (files, plots, metrics, table, tag;
see :mod:`explain_lib.tracking`). Its metrics are the upload's top importances.

It never aborts an evaluation: any failure is logged as a warning, written to the run tag
``explain_lib.evaluator.error``, and the other evaluators' results stand.

Options (``evaluator_config["explain_lib"]``): ``max_rows`` (500) rows explained, ``background_rows``
(100), ``comment`` ("mlflow.evaluate"), ``top_k`` (None: all features kept), ``plots`` (True),
``random_state`` (0).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from mlflow.models.evaluation.base import EvaluationResult, ModelEvaluator

__all__ = ["ExplainLibEvaluator"]

_logger = logging.getLogger(__name__)

NAME = "explain_lib"
ERROR_TAG = "explain_lib.evaluator.error"
DEFAULTS: dict[str, Any] = {"max_rows": 500, "background_rows": 100, "comment": "mlflow.evaluate", "top_k": None,
                            "plots": True, "random_state": 0}
_MODEL_TYPES = {"classifier": "classification", "regressor": "regression"}
# The MLflow function that asks every registered evaluator when a call names none.
_DISCOVERY = ("mlflow.models.evaluation.base", "resolve_evaluators_and_configs")


def _discovering() -> bool:
    """True when MLflow is polling all registered evaluators (the call named none), not running ours by name."""
    frame = sys._getframe(2)  # _discovering <- can_evaluate <- MLflow's caller
    return (frame.f_globals.get("__name__"), frame.f_code.co_name) == _DISCOVERY


def _options(evaluator_config: Any) -> dict[str, Any]:
    """Our options over the defaults. Other keys are ignored with a warning: with no evaluators named,
    MLflow hands every evaluator the same flat config, so it holds the built-in evaluators' keys too."""
    from ..errors import did_you_mean

    given = dict(evaluator_config or {})
    unknown = [key for key in given if key not in DEFAULTS]
    if unknown:
        _logger.warning("explain_lib evaluator ignores options %s (it takes %s).%s", unknown, sorted(DEFAULTS),
                        "".join(did_you_mean(str(key), DEFAULTS) for key in unknown))
    return {**DEFAULTS, **{key: value for key, value in given.items() if key in DEFAULTS}}


def _raw_model(model: Any) -> Any:
    """The native model behind a PyFuncModel (scikit-learn, LightGBM, XGBoost), or None."""
    from mlflow.models.evaluation.default_evaluator import _extract_raw_model

    try:
        _, raw = _extract_raw_model(model)
    except Exception:  # an unknown flavor: explained through its pyfunc predict instead
        return None
    return raw


def _explain_and_upload(model: Any, model_type: str, dataset: Any, run_id: str, options: dict[str, Any]) -> dict:
    import dataclasses

    import numpy as np
    import pandas as pd

    from ..explainers import KernelShap, TabularExplainer
    from ..tracking import ExplanationClient
    from ..tracking import _artifacts as art

    if model is None:
        raise ValueError("the explain_lib evaluator explains a model; this evaluation has only static predictions")
    features = dataset.features_data
    if not isinstance(features, pd.DataFrame):
        features = pd.DataFrame(np.asarray(features), columns=dataset.feature_names)
    labels = dataset.labels_data
    task = _MODEL_TYPES[model_type]
    rng = np.random.default_rng(options["random_state"])
    n_background = min(len(features), options["background_rows"])
    background = features.iloc[np.sort(rng.choice(len(features), n_background, replace=False))]
    raw = _raw_model(model)
    if raw is not None:
        explainer = TabularExplainer(raw, background, model_task=task, random_state=options["random_state"])
    else:
        explainer = KernelShap(lambda rows: np.asarray(model.predict(rows)), background, model_task="regression",
                               random_state=options["random_state"])
    rows, true_ys, sampling = explainer.stratified_sample(features, labels, options["max_rows"],
                                                         options["random_state"])
    explanation = explainer.explain(rows)
    explanation = dataclasses.replace(explanation, params={**explanation.params, "sampling": sampling})
    model_uri = f"models:/{model.model_id}" if getattr(model, "model_id", None) else None
    client = ExplanationClient.from_run_id(run_id)
    client.upload_model_explanation(explanation, comment=options["comment"], top_k=options["top_k"],
                                    true_ys=true_ys, model_uri=model_uri, plots=options["plots"])
    return art.metric_entries(explanation, options["top_k"])


class ExplainLibEvaluator(ModelEvaluator):
    """MLflow model evaluator that logs explain-lib's explanation of the evaluated model (opt-in)."""

    name = NAME

    @classmethod
    def can_evaluate(cls, *, model_type, evaluator_config, **kwargs) -> bool:
        if model_type not in _MODEL_TYPES:
            return False
        asked_by_option = isinstance(evaluator_config, dict) and any(key in DEFAULTS for key in evaluator_config)
        return asked_by_option or not _discovering()

    def evaluate(self, *, model_type, dataset, run_id, evaluator_config, model=None, **kwargs) -> EvaluationResult:
        try:
            metrics = _explain_and_upload(model, model_type, dataset, run_id, _options(evaluator_config))
        except Exception as error:  # the contract: an explanation failure never aborts the evaluation
            message = f"{type(error).__name__}: {error}"
            _logger.warning("explain_lib evaluator could not explain the model; the evaluation goes on. %s", message)
            _record_failure(run_id, message)
            metrics = {}
        return EvaluationResult(metrics=metrics, artifacts={}, run_id=run_id)


def _record_failure(run_id: str, message: str) -> None:
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        mlflow.MlflowClient().set_tag(run_id, ERROR_TAG, message[:5000])
    except MlflowException as error:
        _logger.warning("explain_lib evaluator could not tag run %s with its failure: %s", run_id, error)
