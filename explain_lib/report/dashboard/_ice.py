"""ICE curves and partial dependence: the grid of each feature, and the curves computed with the model itself.

For a feature ``j`` and a grid ``g_1 .. g_G``, the ICE curve of row ``i`` is the model's output on row
``i`` with ``x_j`` set to each ``g_k``; partial dependence (PDP) is their mean over rows (Goldstein et
al. 2015; Friedman 2001). Grids: quantiles of a numeric feature over the explained rows (``grid_size``
of them, duplicates dropped), every category of a categorical one.

When the page carries the model it computes the curves itself (``ice.js``); otherwise
:func:`ice_values` computes them here, once per feature, with the model's own ``predict_proba``,
``decision_function`` or ``predict`` on all the modified rows at once, and the page reads them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..._validation import check_positive_int
from ...errors import InvalidParameterError, did_you_mean
from .._page import encode_array

__all__ = ["ICE_BUDGET_VALUES", "check_ice_features", "ice_features", "ice_values", "numeric_grid"]

#: at most this many float64 values of precomputed ICE go into a page (about 8 MB of base64)
ICE_BUDGET_VALUES = 750_000


def check_ice_features(value: Any) -> int | list[str]:
    """``ice_features`` as a count of top features (0: no ICE view) or a list of feature names.

    Examples
    --------
    >>> check_ice_features(10), check_ice_features(("age", "hours"))
    (10, ['age', 'hours'])
    """
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if value < 0:
            raise InvalidParameterError(f"ice_features must be a count >= 0 or a list of feature names, got {value}.")
        return int(value)
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise InvalidParameterError(
            f"ice_features must be a count of top features or a list of feature names, got {value!r}; "
            "wrap one name in a list.")
    return [str(name) for name in value]


def ice_features(chosen: int | list[str], features: Sequence[str], importance: np.ndarray) -> list[int]:
    """Positions of the features that get ICE curves: the ``chosen`` most important, or those named."""
    if isinstance(chosen, int):
        order = np.argsort(-np.asarray(importance, dtype=np.float64), kind="stable")
        return [int(j) for j in order[:chosen]]
    positions = []
    for name in chosen:
        if name not in features:
            raise InvalidParameterError(f"ice_features names {name!r}, which the explanation does not have."
                                        + did_you_mean(name, list(features)))
        positions.append(list(features).index(name))
    return positions


def numeric_grid(values: np.ndarray, grid_size: int) -> np.ndarray:
    """Up to ``grid_size`` quantiles (0 to 1) of the finite values, without duplicates, ascending; the distinct
    values themselves when there are at most ``grid_size`` of them.

    Examples
    --------
    >>> numeric_grid(np.append(np.arange(10.0), np.nan), 5).tolist()  # quantiles 0, 0.25, ..., 1
    [0.0, 2.25, 4.5, 6.75, 9.0]
    >>> numeric_grid(np.array([0.0, 1.0, 1.0, 1.0]), 20).tolist()  # a binary feature: its two values
    [0.0, 1.0]
    """
    grid_size = check_positive_int(grid_size, "grid_size", allow_none=False)
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return np.zeros(0)
    distinct = np.unique(finite)
    if distinct.size <= grid_size:
        return distinct
    return np.unique(np.quantile(finite, np.linspace(0.0, 1.0, grid_size)))


def ice_values(predict: Callable[[pd.DataFrame], np.ndarray], frame: pd.DataFrame, column: str,
               grid: Sequence[Any]) -> np.ndarray:
    """(n_outputs, n_rows, n_grid): ``predict`` on every row of ``frame`` with ``column`` set to each grid value.

    ``predict`` maps a frame to (n_rows, n_outputs); the modified rows go to it in one call.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": [1.0, 2.0], "b": [10.0, 20.0]})
    >>> ice_values(lambda f: (f.a * f.b).to_numpy()[:, None], frame, "a", [0.0, 1.0, 3.0]).tolist()
    [[[0.0, 10.0, 30.0], [0.0, 20.0, 60.0]]]
    """
    n_rows, n_grid = len(frame), len(grid)
    stacked = pd.concat([frame] * n_grid, ignore_index=True)
    values = np.repeat(np.arange(n_grid), n_rows)
    source = frame[column]
    chosen = [grid[k] for k in values]
    if isinstance(source.dtype, pd.CategoricalDtype):
        stacked[column] = pd.Categorical(chosen, categories=source.cat.categories)
    elif pd.api.types.is_numeric_dtype(source) or pd.api.types.is_bool_dtype(source):
        stacked[column] = np.asarray(chosen, dtype=np.float64)  # a quantile of integers need not be one
    else:
        stacked[column] = pd.Series(chosen, dtype=object)
    out = np.asarray(predict(stacked), dtype=np.float64)
    return out.reshape(n_grid, n_rows, -1).transpose(2, 1, 0)


def encode_ice(values: np.ndarray) -> dict[str, Any]:
    """ICE values for the page: float64, (n_outputs, n_rows, n_grid)."""
    return encode_array(values, "float64")
