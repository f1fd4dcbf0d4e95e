"""Turn what users pass (numpy, pandas, scipy CSR, lists) into one checked tabular form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .errors import InvalidInputError, did_you_mean

__all__ = ["Tabular", "as_labels", "as_tabular", "as_weights", "default_feature_names", "refuse_non_finite_output"]


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
        return not self.non_numeric_columns()

    def non_numeric_columns(self) -> list[str]:
        """Names of the columns that hold something other than numbers (every column of a non-numeric array)."""
        if self.is_frame:
            return [name for name, t in zip(self.features, self.values.dtypes, strict=True)
                    if not pd.api.types.is_numeric_dtype(t) or isinstance(t, pd.CategoricalDtype)]
        return [] if self.values.dtype.kind in "biuf" else list(self.features)

    def to_numpy(self) -> np.ndarray:
        """Dense values: float where every column is numeric, else object."""
        if self.is_sparse:
            return self.values.toarray()
        if self.is_frame:
            return self.values.to_numpy(dtype=np.float64 if self.is_numeric else object)
        return self.values

    def to_frame(self) -> pd.DataFrame | None:
        """The rows as a DataFrame with the feature names, for keeping in an explanation (None if sparse).

        A DataFrame keeps its index: the rows' own labels (a test split's original row numbers) go with
        the explanation, into its saved data and the reports that show rows.
        """
        if self.is_sparse:
            return None
        if self.is_frame:
            frame = self.values.copy()
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
    _refuse_infinite(values, names, name)
    return Tabular(values, names)


def _first_infinite(values: Any) -> tuple[int, int] | None:
    """(row, column) of the first +-inf in ``values`` (row-major), or None."""
    if sp.issparse(values):
        if values.dtype.kind not in "fc" or np.isfinite(values.data).all():
            return None
        coo = values.tocoo()
        infinite = np.isinf(coo.data)
        if not infinite.any():
            return None
        return min(zip(coo.row[infinite].tolist(), coo.col[infinite].tolist(), strict=True))
    if isinstance(values, pd.DataFrame):  # the float columns checked as one block (frames may be 40,000 wide)
        floats = [j for j, dtype in enumerate(values.dtypes)
                  if pd.api.types.is_float_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype)]
        if not floats:
            return None
        block = values.iloc[:, floats].to_numpy(dtype=np.float64, na_value=np.nan)
        rows, cols = np.nonzero(np.isinf(block))
        return (int(rows[0]), floats[int(cols[0])]) if rows.size else None
    if values.dtype.kind in "fc":
        rows, cols = np.nonzero(np.isinf(values))
        return (int(rows[0]), int(cols[0])) if rows.size else None
    return None


def _refuse_infinite(values: Any, names: tuple[str, ...], name: str) -> None:
    where = _first_infinite(values)
    if where is not None:
        row, column = where
        raise InvalidInputError(
            f"{name} has an infinite value in column {names[column]!r}, row {row}: a model's output and its "
            "explanation are not defined there. Replace inf / -inf (e.g. with NaN and an imputer, or clip them) "
            "or drop those rows."
        )


def refuse_non_finite_output(local: np.ndarray, expected: np.ndarray | None, features: tuple[str, ...],
                             what: str) -> None:
    """Refuse explanation values that are NaN or infinite, naming the row and feature (or the base value).

    Finite inputs can still overflow a model or an estimator (values near 1e308): the result is refused
    rather than returned silently wrong.
    """
    if expected is not None and not np.isfinite(expected).all():
        raise InvalidInputError(
            f"{what} gave a non-finite expected value {np.asarray(expected).tolist()}: the model's output "
            "overflowed or is undefined on the background rows. Check them for huge or missing values."
        )
    bad = np.argwhere(~np.isfinite(local))
    if bad.size:
        output, row, feature = (int(i) for i in bad[0])
        raise InvalidInputError(
            f"{what} gave a non-finite value ({local[output, row, feature]}) for row {row}, feature "
            f"{features[feature]!r}: the model's output overflowed or is undefined for that row. Check it for "
            "huge values (near 1e308) and scale or clip them before explaining."
        )


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


def _kind(label: Any) -> str:
    if isinstance(label, (bool, np.bool_)):
        return "boolean"
    if isinstance(label, (int, float, np.integer, np.floating)):
        return "number"
    return "text" if isinstance(label, str) else type(label).__name__


def as_labels(y: Any, n_rows: int, *, task: str, classes: tuple | None = None, name: str = "y") -> np.ndarray:
    """True labels, one per row, checked against the task: finite numbers for regression; for
    classification no missing labels and labels of the same type as the model's ``classes``."""
    if sp.issparse(y):  # a label column cut from a sparse matrix (an npz file's last column)
        y = y.toarray()
    labels = np.asarray(y.to_numpy() if isinstance(y, (pd.Series, pd.DataFrame)) else y)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels.ravel()
    if labels.ndim != 1 or len(labels) != n_rows:
        raise InvalidInputError(f"{name} has shape {labels.shape} but X has {n_rows} rows; pass one label per row.")
    missing = np.flatnonzero(pd.isna(labels))
    if missing.size:
        raise InvalidInputError(
            f"{name} has {missing.size} missing labels (first at row {missing[0]}); drop those rows from X and {name}."
        )
    if task == "regression":
        if labels.dtype.kind not in "biuf":
            try:
                labels = labels.astype(np.float64)
            except (TypeError, ValueError):
                raise InvalidInputError(
                    f"{name} must hold numbers for a regression model, got values such as "
                    f"{labels[:3].tolist()}; convert it (e.g. pd.to_numeric) or check that it is the target."
                ) from None
        infinite = np.flatnonzero(~np.isfinite(labels.astype(np.float64)))
        if infinite.size:
            raise InvalidInputError(f"{name} has an infinite value at row {infinite[0]}; labels must be finite.")
        return labels
    if classes is not None:
        known = set(classes)
        unknown = [label for label in pd.unique(labels).tolist() if label not in known]
        class_kinds = {_kind(c) for c in classes}
        if unknown and ({_kind(label) for label in unknown} - class_kinds or len(unknown) == len(pd.unique(labels))):
            raise InvalidInputError(
                f"{name} holds labels {unknown[:5]} that are not among the model's classes {list(classes)[:10]} "
                f"({', '.join(sorted(class_kinds))}); pass labels of the same kind the model was trained on."
            )
    return labels
