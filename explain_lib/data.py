"""Turn what users pass (numpy, pandas, scipy CSR, lists) into one checked tabular form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .errors import InvalidInputError, did_you_mean

__all__ = ["Tabular", "as_tabular", "as_weights", "default_feature_names"]


def default_feature_names(n_features: int) -> tuple[str, ...]:
    """Names for unnamed columns: x0, x1, ... (scikit-learn's convention)."""
    return tuple(f"x{i}" for i in range(n_features))


@dataclass(frozen=True)
class Tabular:
    """Rows to explain, as the model takes them, with their feature names.

    ``values`` is a DataFrame when the caller passed one (so models fitted on DataFrames get the
    column names and dtypes they expect), a CSR matrix for sparse input, else a 2-D ndarray.
    """

    values: np.ndarray | sp.csr_matrix | pd.DataFrame
    features: tuple[str, ...]

    @property
    def n_rows(self) -> int:
        return self.values.shape[0]

    @property
    def n_features(self) -> int:
        return self.values.shape[1]

    @property
    def is_sparse(self) -> bool:
        return sp.issparse(self.values)

    @property
    def is_frame(self) -> bool:
        return isinstance(self.values, pd.DataFrame)

    @property
    def is_numeric(self) -> bool:
        """Every column holds numbers (no strings, no categories)."""
        if self.is_frame:
            return all(pd.api.types.is_numeric_dtype(t) and not isinstance(t, pd.CategoricalDtype)
                       for t in self.values.dtypes)
        return self.values.dtype.kind in "biuf"

    def to_numpy(self) -> np.ndarray:
        """Dense values: float where every column is numeric, else object."""
        if self.is_sparse:
            return self.values.toarray()
        if self.is_frame:
            return self.values.to_numpy(dtype=np.float64 if self.is_numeric else object)
        return self.values

    def to_frame(self) -> pd.DataFrame | None:
        """The rows as a DataFrame with the feature names, for keeping in an explanation (None if sparse)."""
        if self.is_sparse:
            return None
        if self.is_frame:
            frame = self.values.reset_index(drop=True)
            frame.columns = list(self.features)
            return frame
        return pd.DataFrame(self.values, columns=list(self.features))

    def take(self, rows: np.ndarray) -> Tabular:
        values = self.values.iloc[rows] if self.is_frame else self.values[rows]
        return Tabular(values, self.features)

    def with_values(self, values: Any) -> Tabular:
        """Same features, other rows (for synthetic rows built from these)."""
        if self.is_frame and not isinstance(values, pd.DataFrame):
            values = pd.DataFrame(values, columns=self.values.columns).astype(self.values.dtypes.to_dict())
        return Tabular(values, self.features)

    def has_missing(self) -> bool:
        if self.is_sparse:
            return bool(np.isnan(self.values.data).any()) if self.values.dtype.kind == "f" else False
        if self.is_frame:
            return bool(self.values.isna().to_numpy().any())
        if self.values.dtype.kind in "fc":
            return bool(np.isnan(self.values).any())
        if self.values.dtype == object:
            return bool(pd.isna(self.values).any())
        return False


def as_tabular(
    X: Any,
    *,
    name: str = "X",
    features: Any = None,
    expected_n_features: int | None = None,
    expected_names: tuple[str, ...] | None = None,
    column_key: Callable[[str], str] | None = None,
) -> Tabular:
    """Check ``X`` and wrap it as :class:`Tabular`.

    Raises :class:`InvalidInputError` for None, non-2-D or empty data, a column count other than
    ``expected_n_features`` or DataFrame column names other than ``expected_names`` (compared after
    ``column_key``, the way the model spells names, e.g. LightGBM's spaces-to-underscores). A DataFrame
    whose columns are the expected names in another order is reordered.
    """
    if X is None:
        raise InvalidInputError(f"{name} is None; pass a 2-D array, DataFrame or CSR matrix of rows.")
    if isinstance(X, pd.Series):
        raise InvalidInputError(
            f"{name} is a pandas Series (one column or one row); pass a DataFrame, e.g. X.to_frame().T "
            "for one row."
        )
    if sp.issparse(X):
        values: Any = sp.csr_matrix(X)
    elif isinstance(X, pd.DataFrame):
        values = X
    else:
        values = np.asarray(X)
        if values.dtype.kind not in "biufcO":
            values = values.astype(object)
    if values.ndim != 2:
        raise InvalidInputError(
            f"{name} must be 2-D (rows x features), got {values.ndim}-D with shape {values.shape}. "
            "For a single row use X.reshape(1, -1)."
        )
    n_rows, n_features = values.shape
    if n_rows == 0 or n_features == 0:
        raise InvalidInputError(f"{name} is empty (shape {values.shape}); pass at least one row and one column.")

    if isinstance(values, pd.DataFrame):
        columns = [str(c) for c in values.columns]
        if len(set(columns)) != len(columns):
            repeated = sorted({c for c in columns if columns.count(c) > 1})
            raise InvalidInputError(f"{name} has repeated column names {repeated}; make them unique.")
        keyed = columns if column_key is None else [column_key(c) for c in columns]
        if expected_names is not None and keyed != list(expected_names):
            missing = [c for c in expected_names if c not in keyed]
            unexpected = [c for c, k in zip(columns, keyed, strict=True) if k not in expected_names]
            if missing or unexpected:
                hints = "".join(did_you_mean(c, expected_names) for c in unexpected[:3])
                raise InvalidInputError(
                    f"{name}'s columns differ from those the model was fitted with: missing {missing}, "
                    f"unexpected {unexpected}.{hints} Pass the same columns the model was trained on."
                )
            position = {k: i for i, k in enumerate(keyed)}
            order = [position[c] for c in expected_names]
            values = values.iloc[:, order]
            columns = [columns[i] for i in order]
    if expected_n_features is not None and n_features != expected_n_features:
        raise InvalidInputError(
            f"{name} has {n_features} columns but the model was fitted with {expected_n_features}. "
            "Pass rows with the model's features, in the order it was trained on."
        )

    if features is not None:
        names = tuple(str(f) for f in features)
        if len(names) != n_features:
            raise InvalidInputError(
                f"features has {len(names)} names but {name} has {n_features} columns; give one name per column."
            )
    elif isinstance(values, pd.DataFrame):
        names = tuple(columns)
    elif expected_names is not None and column_key is None:
        names = tuple(expected_names)
    else:
        names = default_feature_names(n_features)
    if len(set(names)) != len(names):
        raise InvalidInputError(f"Feature names must be unique; got {list(names)}.")
    return Tabular(values, names)


def as_weights(weights: Any, n_rows: int, *, name: str = "background_weights") -> np.ndarray:
    """Non-negative weights, one per row, normalized to sum to 1 (uniform when None)."""
    if weights is None:
        return np.full(n_rows, 1.0 / n_rows)
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.shape != (n_rows,):
        raise InvalidInputError(f"{name} has {w.size} entries but the background has {n_rows} rows.")
    if not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
        raise InvalidInputError(f"{name} must be finite, non-negative and not all zero.")
    return w / w.sum()
