"""The metrics a scorecard knows, by their Responsible AI scorecard names (entries of the shared
table in :mod:`explain_lib.metrics`), and how to compute them on a cohort's rows."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ...metrics import CLASSIFICATION, REGRESSION, Metric, lookup
from ...metrics import metric_function as _bound

__all__ = ["CLASSIFICATION", "METRICS", "REGRESSION", "label_metric", "metric_function"]

METRICS: dict[str, Metric] = {name: lookup(name) for name in (
    "accuracy_score", "precision_score", "recall_score", "f1_score", "roc_auc_score", "error_rate", "selection_rate",
    "balanced_accuracy_score", "mean_absolute_error", "mean_squared_error", "root_mean_squared_error",
    "median_absolute_error", "r2_score")}


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
    """``f(y_true, y_pred) -> float`` for metric ``name``, NaN where it is undefined on the rows.

    Binary classification scores the ``positive`` class (precision, recall, F1, selection rate); with
    more classes precision / recall / F1 are macro averages and the selection rate is the share of rows
    predicted ``positive``. ``roc_auc_score`` takes class scores as ``y_pred``: the positive class's
    column for two classes, the ``(n, K)`` matrix in ``classes`` order (one-vs-rest, macro) for more.
    """
    extra = {"zero_division": np.nan} if name in ("precision_score", "recall_score", "f1_score") else {}
    return _undefined_is_nan(_bound(name, classes=classes or None, positive=positive, **extra))
