"""The metrics a scorecard knows, by their Responsible AI scorecard names, and how to compute them."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["CLASSIFICATION", "METRICS", "REGRESSION", "MetricSpec", "label_metric", "metric_function"]

CLASSIFICATION, REGRESSION = "classification", "regression"


@dataclass(frozen=True)
class MetricSpec:
    """``needs_scores``: computed from class scores (``predict_proba``), not from predicted labels."""

    name: str
    label: str
    task: str
    needs_scores: bool = False


METRICS: dict[str, MetricSpec] = {spec.name: spec for spec in (
    MetricSpec("accuracy_score", "Accuracy", CLASSIFICATION),
    MetricSpec("precision_score", "Precision", CLASSIFICATION),
    MetricSpec("recall_score", "Recall", CLASSIFICATION),
    MetricSpec("f1_score", "F1 score", CLASSIFICATION),
    MetricSpec("roc_auc_score", "ROC AUC", CLASSIFICATION, needs_scores=True),
    MetricSpec("error_rate", "Error rate", CLASSIFICATION),
    MetricSpec("selection_rate", "Selection rate", CLASSIFICATION),
    MetricSpec("balanced_accuracy_score", "Balanced accuracy", CLASSIFICATION),
    MetricSpec("mean_absolute_error", "Mean absolute error", REGRESSION),
    MetricSpec("mean_squared_error", "Mean squared error", REGRESSION),
    MetricSpec("root_mean_squared_error", "Root mean squared error", REGRESSION),
    MetricSpec("median_absolute_error", "Median absolute error", REGRESSION),
    MetricSpec("r2_score", "R²", REGRESSION),
)}


def label_metric(name: str) -> str:
    return METRICS[name].label


def _undefined_is_nan(function: Callable[..., float]) -> Callable[..., float]:
    """NaN where a metric is undefined on the rows (one class only, too few rows) instead of an error."""
    @functools.wraps(function)
    def safe(y_true: Any, y_pred: Any) -> float:
        if len(y_true) == 0:
            return float("nan")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return float(function(y_true, y_pred))
            except ValueError:
                return float("nan")

    return safe


def metric_function(name: str, *, positive: Any = None, classes: tuple[Any, ...] = ()) -> Callable[[Any, Any], float]:
    """``f(y_true, y_pred) -> float`` for metric ``name``.

    Binary classification scores the ``positive`` class (precision, recall, F1, selection rate); with
    more classes precision / recall / F1 are macro averages and the selection rate is the share of rows
    predicted ``positive``. ``roc_auc_score`` takes class scores as ``y_pred``: the positive class's
    column for two classes, the ``(n, K)`` matrix in ``classes`` order (one-vs-rest, macro) for more.
    """
    from sklearn import metrics

    binary = len(classes) == 2
    averaged = {"pos_label": positive, "average": "binary"} if binary else {"average": "macro"}
    functions: dict[str, Callable[[Any, Any], float]] = {
        "accuracy_score": metrics.accuracy_score,
        "balanced_accuracy_score": metrics.balanced_accuracy_score,
        "error_rate": lambda t, p: 1.0 - metrics.accuracy_score(t, p),
        "selection_rate": lambda t, p: float(np.mean(np.asarray(p) == positive)),
        "mean_absolute_error": metrics.mean_absolute_error,
        "mean_squared_error": metrics.mean_squared_error,
        "root_mean_squared_error": metrics.root_mean_squared_error,
        "median_absolute_error": metrics.median_absolute_error,
        "r2_score": metrics.r2_score,
    }
    if name in ("precision_score", "recall_score", "f1_score"):
        function = functools.partial(getattr(metrics, name), zero_division=np.nan, **averaged)
    elif name == "roc_auc_score" and binary:
        def function(y_true: Any, scores: Any) -> float:
            return metrics.roc_auc_score(np.asarray(y_true) == positive, scores)
    elif name == "roc_auc_score":
        function = functools.partial(metrics.roc_auc_score, multi_class="ovr", labels=list(classes))
    else:
        function = functions[name]
    return _undefined_is_nan(function)
