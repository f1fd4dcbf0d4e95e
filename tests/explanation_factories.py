"""Explanations built from hand-made arrays whose answers are known (shared by the Explanation tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from explain_lib import Explanation

FEATURES = ("f0", "f1", "f2", "f3", "f4")


def local_values(n_outputs: int, n_rows: int, n_features: int, seed: int = 0) -> np.ndarray:
    """Continuous random values: no ties, so every ranking is unique."""
    return np.random.default_rng(seed).normal(size=(n_outputs, n_rows, n_features))


def regression(n_rows: int = 6, seed: int = 0, **kwargs) -> Explanation:
    local = local_values(1, n_rows, len(FEATURES), seed)
    return Explanation(local=local, expected=np.array([1.5]), features=FEATURES, task="regression",
                       output_space="raw", method="test.method", **kwargs)


def binary(n_rows: int = 6, seed: int = 0, classes=(0, 1), **kwargs) -> Explanation:
    positive = local_values(1, n_rows, len(FEATURES), seed)[0]
    return Explanation(local=np.stack([-positive, positive]), expected=np.array([0.3, -0.3]),
                       features=FEATURES, task="classification", output_space="margin", method="test.method",
                       classes=classes, **kwargs)


def multiclass(n_rows: int = 6, seed: int = 0, classes=("a", "b", "c"), **kwargs) -> Explanation:
    local = local_values(len(classes), n_rows, len(FEATURES), seed)
    expected = np.linspace(0.1, 0.5, len(classes))
    return Explanation(local=local, expected=expected, features=FEATURES, task="classification",
                       output_space="probability", method="test.method", classes=classes, **kwargs)


def hand_per_class(local: np.ndarray) -> np.ndarray:
    """per_class[k][j] = mean over rows of |local[k, row, j]|, with explicit loops."""
    n_outputs, n_rows, n_features = local.shape
    out = np.zeros((n_outputs, n_features))
    for k in range(n_outputs):
        for j in range(n_features):
            out[k, j] = sum(abs(local[k, i, j]) for i in range(n_rows)) / n_rows
    return out


def frame_with_categories(n_rows: int, features=FEATURES) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    columns = {}
    for j, name in enumerate(features):
        if j == 0:
            columns[name] = pd.Categorical(rng.choice(["red", "green", "blue"], size=n_rows),
                                           categories=["blue", "green", "red"])
        else:
            columns[name] = rng.normal(size=n_rows)
    return pd.DataFrame(columns)
