"""What a MimicExplainer's distillation is made of: the teacher's targets, the augmented rows, and the
views of the surrogate's values in probability units. Plain functions of arrays and rows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..data import Tabular
from ..errors import InvalidParameterError, did_you_mean

__all__ = ["TRAININGS", "augmentation_copies", "check_training", "check_values_output", "logit", "r2", "rescaled",
           "shuffled_columns", "sigmoid", "softmax"]

_LOGIT_CLIP = 1e-6
_AUGMENT_TARGET_ROWS = 10_000
_VALUES_OUTPUTS = ("default", "probability", "teacher_probability")
#: how the surrogate is trained: our defaults, or interpret-community 0.32's (see ``MimicExplainer``)
TRAININGS = ("explain-lib", "interpret-community")


def check_values_output(value: Any, task: str) -> str:
    value = getattr(value, "value", value)  # interpret-community's ShapValuesOutput enum
    if value not in _VALUES_OUTPUTS:
        raise InvalidParameterError(
            f"shap_values_output must be one of {_VALUES_OUTPUTS}, got {value!r}." + did_you_mean(str(value),
                                                                                               _VALUES_OUTPUTS))
    if value == "probability" and task != "classification":
        raise InvalidParameterError(
            f"shap_values_output={value!r} applies to classifiers (values in probability units); this model "
            "does regression: leave it 'default', or 'teacher_probability' to sum to the model's own predictions."
        )
    return value


def check_training(value: Any) -> str:
    if value not in TRAININGS:
        raise InvalidParameterError(
            f"training must be one of {TRAININGS}, got {value!r}." + did_you_mean(str(value), TRAININGS))
    return value


def augmentation_copies(training: str, n_rows: int, n_features: int, max_copies: int) -> int:
    """How many shuffled copies of the ``n_rows`` training rows ``augment_data`` adds.

    Ours: enough to reach about 10,000 rows, at most ``max_copies``. interpret-community's: ``n_features //
    n_rows - 1`` (so none unless there are at least twice as many columns as rows), at most ``max_copies``.

    Examples
    --------
    >>> augmentation_copies("explain-lib", 120, 4, 10), augmentation_copies("interpret-community", 120, 4, 10)
    (10, 0)
    >>> augmentation_copies("interpret-community", 10, 45, 10)
    3
    """
    if training == "interpret-community":
        return int(max(0, min(max_copies, n_features // max(n_rows, 1) - 1)))
    return int(min(max_copies, _AUGMENT_TARGET_ROWS // max(n_rows, 1)))


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


def rescaled(local: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """``local`` (outputs, rows, features) changed so each row sums to ``wanted`` (outputs, rows).

    Each row's values are multiplied by wanted / sum when that ratio is positive (ranks and signs
    kept); otherwise (a zero sum, or a target of the other sign) the difference is added in
    proportion to each value's magnitude (equally when all are zero). Additivity holds exactly.
    """
    total = local.sum(axis=-1)
    ratio = np.divide(wanted, total, out=np.zeros_like(total), where=np.abs(total) > 1e-12)
    magnitude = np.abs(local)
    weight = magnitude.sum(axis=-1, keepdims=True)
    share = np.where(weight > 0, magnitude / np.where(weight > 0, weight, 1.0), 1.0 / local.shape[-1])
    corrected = local + (wanted - total)[..., None] * share
    return np.where((ratio > 0)[..., None], local * ratio[..., None], corrected)


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _LOGIT_CLIP, 1 - _LOGIT_CLIP)
    return np.log(p / (1 - p))


def r2(target: np.ndarray, predicted: np.ndarray) -> float:
    from sklearn.metrics import r2_score

    return float(r2_score(target, predicted))


def shuffled_columns(tab: Tabular, rng: np.random.Generator) -> Any:
    """The rows with every column permuted independently (keeps each column's distribution)."""
    n = tab.n_rows
    if tab.is_frame:
        frame = tab.values
        return pd.DataFrame({c: frame[c].iloc[rng.permutation(n)].reset_index(drop=True) for c in frame.columns})
    values = tab.to_numpy()
    return np.column_stack([values[rng.permutation(n), j] for j in range(values.shape[1])])
