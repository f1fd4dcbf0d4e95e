"""The metrics explain-lib knows by name: one table shared by permutation importance, the train step
and the scorecard.

Each name maps to a :class:`Metric`: the scikit-learn function (or ours), what it scores (predicted
labels or values, class probabilities, or ranking scores), whether a greater value is better, and the
task it measures. :func:`lookup` resolves a name or alias with a did-you-mean for unknown names;
:func:`metric_function` binds one to a class set as ``f(y_true, y_pred) -> float``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import InvalidParameterError, did_you_mean

__all__ = ["ALIASES", "CLASSIFICATION", "METRICS", "REGRESSION", "Metric", "lookup", "metric_function"]

CLASSIFICATION, REGRESSION = "classification", "regression"


def _error_rate(y_true: Any, y_pred: Any) -> float:
    from sklearn.metrics import accuracy_score

    return 1.0 - accuracy_score(y_true, y_pred)


def _selection_rate(y_true: Any, y_pred: Any, *, pos_label: Any) -> float:
    return float(np.mean(np.asarray(y_pred) == pos_label))


@dataclass(frozen=True)
class Metric:
    """``function``: a ``sklearn.metrics`` name or a function of ``(y_true, y_pred)``. ``response``:
    ``"predict"`` (labels or values), ``"proba"`` (``predict_proba``) or ``"score"`` (``decision_function``
    or ``predict_proba``, as scikit-learn's ranking scorers use them). ``greater_is_better`` is None for a
    rate with no better direction (the selection rate)."""

    name: str
    function: str | Callable[..., float]
    response: str
    greater_is_better: bool | None
    task: str
    label: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def needs_scores(self) -> bool:
        """Computed from class scores, not from predicted labels."""
        return self.response != "predict"


_AVERAGES = (("", "binary", ""), ("_macro", "macro", " (macro)"), ("_micro", "micro", " (micro)"),
             ("_weighted", "weighted", " (weighted)"))
_C, _R = CLASSIFICATION, REGRESSION

METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("accuracy", "accuracy_score", "predict", True, _C, "Accuracy"),
    Metric("balanced_accuracy", "balanced_accuracy_score", "predict", True, _C, "Balanced accuracy"),
    *(Metric(f"{name}{suffix}", f"{name}_score", "predict", True, _C, f"{label}{wording}", {"average": average})
      for name, label in (("f1", "F1 score"), ("precision", "Precision"), ("recall", "Recall"))
      for suffix, average, wording in _AVERAGES),
    Metric("fbeta", "fbeta_score", "predict", True, _C, "F-beta score", {"average": "binary"}),
    Metric("roc_auc", "roc_auc_score", "score", True, _C, "ROC AUC", {"multi_class": "ovr"}),
    *(Metric(f"roc_auc_{scheme}{suffix}", "roc_auc_score", "proba", True, _C, f"ROC AUC ({scheme}{wording})",
             {"multi_class": scheme, "average": average})
      for scheme in ("ovr", "ovo") for suffix, average, wording in (("", "macro", ""), ("_weighted", "weighted",
                                                                                          ", weighted"))),
    Metric("average_precision", "average_precision_score", "score", True, _C, "Average precision"),
    Metric("log_loss", "log_loss", "proba", False, _C, "Log loss"),
    Metric("brier_score_loss", "brier_score_loss", "proba", False, _C, "Brier score"),
    Metric("error_rate", _error_rate, "predict", False, _C, "Error rate"),
    Metric("selection_rate", _selection_rate, "predict", None, _C, "Selection rate"),
    Metric("r2", "r2_score", "predict", True, _R, "R²"),
    Metric("explained_variance", "explained_variance_score", "predict", True, _R, "Explained variance"),
    *(Metric(name, name, "predict", False, _R, name.replace("_", " ").capitalize()) for name in (
        "max_error", "mean_absolute_error", "mean_squared_error", "root_mean_squared_error", "mean_squared_log_error",
        "root_mean_squared_log_error", "median_absolute_error", "mean_absolute_percentage_error",
        "mean_poisson_deviance", "mean_gamma_deviance")),
)}
# the sklearn function names (interpret-community's and the Responsible AI scorecard's spelling) and
# scikit-learn's negated scorer names
ALIASES: dict[str, str] = {
    **{f"{name}_score": name for name in ("accuracy", "balanced_accuracy", "f1", "precision", "recall", "fbeta",
                                          "roc_auc", "average_precision", "r2", "explained_variance")},
    **{f"neg_{name}": name for name, metric in METRICS.items() if metric.greater_is_better is False},
    "neg_brier_score": "brier_score_loss",
}


def lookup(name: str, *, task: str | None = None) -> Metric:
    """The metric called ``name`` (or an alias of it), checked against ``task`` when given."""
    metric = METRICS.get(ALIASES.get(name, name))
    if metric is None:
        raise InvalidParameterError(f"Unknown metric {name!r}.{did_you_mean(name, [*METRICS, *ALIASES])} "
                                    f"Valid names: {', '.join(METRICS)}, and their neg_ / _score spellings.")
    if task is not None and metric.task != task:
        raise InvalidParameterError(f"metric {name!r} scores {metric.task}, but the model does {task}.")
    return metric


def _positive_column(y_true: Any, y_pred: Any, *, function: Callable[..., float], classes: list[Any],
                     positive: Any, kwargs: dict[str, Any]) -> float:
    """A ranking metric of two classes: the positive class's column of a score matrix, against
    whether each row is of the positive class."""
    y_pred = np.asarray(y_pred)
    if y_pred.ndim == 2:
        y_pred = y_pred[:, classes.index(positive) if y_pred.shape[1] == len(classes) else -1]
    return float(function(np.asarray(y_true) == positive, y_pred, **kwargs))


def _plain(y_true: Any, y_pred: Any, *, function: Callable[..., float], kwargs: dict[str, Any]) -> float:
    return float(function(y_true, y_pred, **kwargs))


def metric_function(name: str, *, classes: Any = None, positive: Any = None,
                    **metric_args: Any) -> Callable[[Any, Any], float]:
    """``f(y_true, y_pred) -> float`` for metric ``name`` (or an alias), bound to the model's ``classes``.

    With two classes, precision / recall / F1 / F-beta / average precision / selection rate score the
    ``positive`` class (the second class unless given) and ROC AUC / average precision take its column
    of a score matrix (or a 1-D score of it); with more classes the ``average="binary"`` metrics are
    macro averages, and ROC AUC / log loss / Brier score are given the class list. ``metric_args`` are
    passed on to the function (e.g. ``zero_division``, ``beta``).
    """
    import sklearn.metrics

    metric = lookup(name)
    classes = None if classes is None else list(classes)
    binary = classes is not None and len(classes) == 2
    if positive is None and binary:
        positive = classes[1]
    kwargs = dict(metric.kwargs)
    if kwargs.get("average") == "binary":
        kwargs.update({"pos_label": positive} if binary else {"average": "macro"})
    if metric.name == "selection_rate":
        kwargs["pos_label"] = positive
    if classes is not None and (metric.name in ("log_loss", "brier_score_loss")
                                or metric.name.startswith("roc_auc") and not binary):
        kwargs["labels"] = classes
    function = metric.function if callable(metric.function) else getattr(sklearn.metrics, metric.function)
    kwargs.update(metric_args)
    if binary and metric.function in ("roc_auc_score", "average_precision_score"):
        return functools.partial(_positive_column, function=function, classes=classes, positive=positive,
                                 kwargs=kwargs)
    return functools.partial(_plain, function=function, kwargs=kwargs)
