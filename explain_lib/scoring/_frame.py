"""One table per scored batch: predictions next to local importances (what the served model returns).

Columns, in order:

``prediction``                 the model's prediction (label or value)
``explained_class``            classification with ``classes="predicted"``: the class each row's
                               importances are about (its predicted class)
``expected_value``             the base value of the explained output, so that
                               ``expected_value + sum(importance_*)`` is the model's output in the
                               explanation's output space (additivity)
``importance_<feature>``       one column per (raw) feature

With ``classes="all"`` or a list of class labels, every explained class ``c`` gets its own
``expected_value_<c>`` and ``importance_<c>_<feature>`` columns instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidInputError, InvalidParameterError, did_you_mean
from ..explanation import Explanation

__all__ = ["scoring_frame", "check_classes"]

PREDICTION = "prediction"
EXPLAINED_CLASS = "explained_class"
EXPECTED = "expected_value"
IMPORTANCE = "importance_"


def check_classes(classes: Any, task: str, known: Sequence[Any] | None) -> Any:
    """``"predicted"`` (classification default), ``"all"``, or a list of known class labels."""
    if task == "regression":
        if classes not in (None, "predicted"):
            raise InvalidParameterError("classes= applies to classifiers only; leave it None for a regressor.")
        return None
    if classes is None or classes in ("predicted", "all"):
        return classes or "predicted"
    labels = [classes] if isinstance(classes, (str, int, np.integer)) else list(classes)
    unknown = [c for c in labels if c not in tuple(known)]
    if unknown or not labels:
        hint = did_you_mean(str(unknown[0]), map(str, known)) if unknown else ""
        raise InvalidParameterError(
            f"classes must be 'predicted', 'all' or class labels of the model {list(known)}; got {classes!r}.{hint}"
        )
    return labels


def _unique(columns: list[str]) -> list[str]:
    seen = {c for c in columns if columns.count(c) > 1}
    if seen:
        raise InvalidInputError(
            f"The output columns {sorted(seen)} would repeat (feature or class names collide with the column "
            "naming scheme); rename those features."
        )
    return columns


def _class_positions(explanation: Explanation, predictions: np.ndarray) -> np.ndarray:
    """The output index of each row's predicted class label."""
    index = {label: k for k, label in enumerate(explanation.classes)}
    positions = np.empty(len(predictions), dtype=np.int64)
    for row, label in enumerate(predictions.tolist()):
        if label not in index:
            raise InvalidInputError(
                f"The model predicted {label!r}, which is not one of the explanation's classes "
                f"{list(explanation.classes)}; pass the model the explainer explains."
            )
        positions[row] = index[label]
    return positions


def scoring_frame(explanation: Explanation, predictions: Any, *, classes: Any = None) -> pd.DataFrame:
    """Predictions and local importances of the explained rows as one DataFrame (see the module docstring)."""
    local = explanation.require_local("scoring_frame()")
    predictions = np.asarray(predictions).reshape(-1)
    if predictions.shape[0] != local.shape[1]:
        raise InvalidInputError(
            f"{predictions.shape[0]} predictions for {local.shape[1]} explained rows; pass one prediction per row."
        )
    features = list(explanation.features)
    columns: list[tuple[str, Any]] = [(PREDICTION, predictions)]
    chosen = check_classes(classes, explanation.task, explanation.classes)
    if chosen is None or chosen == "predicted":
        if chosen is None:
            k = np.zeros(local.shape[1], dtype=np.int64)
        else:
            k = _class_positions(explanation, predictions)
            labels = np.asarray(explanation.classes, dtype=object if any(
                isinstance(c, str) for c in explanation.classes) else None)
            columns.append((EXPLAINED_CLASS, labels[k]))
        rows = np.arange(local.shape[1])
        columns.append((EXPECTED, explanation.expected[k]))
        values = local[k, rows]  # (n_rows, n_features): each row's own output
        columns += [(f"{IMPORTANCE}{f}", values[:, j]) for j, f in enumerate(features)]
    else:
        labels = list(explanation.classes) if chosen == "all" else chosen
        for label in labels:
            k = explanation.output_index(label)
            columns.append((f"{EXPECTED}_{label}", np.full(local.shape[1], explanation.expected[k])))
            columns += [(f"{IMPORTANCE}{label}_{f}", local[k, :, j]) for j, f in enumerate(features)]
    _unique([name for name, _ in columns])
    return pd.DataFrame(dict(columns))
