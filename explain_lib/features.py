"""Raw-to-engineered feature maps: which engineered columns each raw feature became.

A feature map is a (n_raw, n_engineered) matrix ``M``: ``M[r, e]`` is the share of engineered
column ``e`` that belongs to raw feature ``r``. Every column sums to 1, so mapping local values
``raw = local @ M.T`` keeps the SHAP sum (additivity survives the mapping).

Maps are read off fitted transformers (:func:`feature_map`):

* a ``ColumnTransformer`` (any remainder), or a list of ``(columns, transformer)`` tuples whose
  outputs are concatenated in order (interpret-community's ``transformations`` format);
* inside them: ``"passthrough"`` / ``"drop"``, one-to-one transformers (scalers, ``OrdinalEncoder``,
  ``SimpleImputer``, ...), per-column expanders (``OneHotEncoder`` with any ``drop``,
  ``handle_unknown`` or infrequent categories, ``KBinsDiscretizer``, ``SplineTransformer``), nested
  ``Pipeline`` steps, and any transformer fed a single column;
* a transformer that mixes several input columns into its outputs (PCA, PolynomialFeatures, ...)
  is many-to-many: refused unless ``allow_all_transformations=True``, which splits each of its
  outputs equally among its inputs (interpret-community's rule).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .errors import InvalidInputError, InvalidParameterError, did_you_mean
from .models import is_column_transformer, is_pipeline

__all__ = ["FeatureMap", "feature_map", "names_of", "raw_feature_names", "transformer_of"]

_PROBE_ROWS = 200  # rows of the sample fed through a transformer to see which inputs each output follows


def names_of(values: Any, what: str = "features") -> list[str] | None:
    """Names given as a list, tuple, numpy array or pandas Index, as a list of strings (None stays None)."""
    if values is None:
        return None
    if isinstance(values, (str, bytes)):
        raise InvalidParameterError(
            f"{what} must be a sequence of names (list, tuple, array, pandas Index), got the single string "
            f"{values!r}; wrap it in a list."
        )
    return [str(v) for v in list(values)]


class FeatureMap:
    """A checked raw x engineered map with the names of both sides.

    ``partial=True`` accepts columns whose weights do not sum to 1 (interpret-community's ``get_raw`` applies
    such maps as given, e.g. one that maps only some engineered columns); ``.partial`` then says whether any
    column does, and values mapped with it no longer add up to the model output.
    """

    def __init__(self, matrix: Any, raw_features: Sequence[str], engineered_features: Sequence[str], *,
                 partial: bool = False):
        self.raw_features = tuple(str(f) for f in raw_features)
        self.engineered_features = tuple(str(f) for f in engineered_features)
        self.matrix = _checked(matrix, len(self.raw_features), len(self.engineered_features), partial)
        self.partial = bool(partial) and not np.allclose(np.asarray(self.matrix.sum(axis=0)).reshape(-1), 1.0)

    def apply(self, values: np.ndarray) -> np.ndarray:
        """Map the last axis of ``values`` from engineered to raw features (sums of shares)."""
        values = np.asarray(values, dtype=np.float64)
        flat = values.reshape(-1, values.shape[-1])
        return np.asarray(self.matrix @ flat.T).T.reshape(values.shape[:-1] + (len(self.raw_features),))

    def __repr__(self) -> str:
        return f"FeatureMap({len(self.raw_features)} raw -> {len(self.engineered_features)} engineered)"


def _checked(matrix: Any, n_raw: int, n_engineered: int, partial: bool = False) -> sp.csr_matrix:
    mapped = sp.csr_matrix(matrix, dtype=np.float64)
    if mapped.shape != (n_raw, n_engineered):
        raise InvalidInputError(
            f"The feature map has shape {mapped.shape}; expected (n_raw, n_engineered) = ({n_raw}, {n_engineered})."
        )
    if not np.isfinite(mapped.data).all():
        raise InvalidInputError("The feature map holds NaN or infinite weights; every weight must be a number.")
    if partial:
        return mapped
    sums = np.asarray(mapped.sum(axis=0)).reshape(-1)
    bad = np.flatnonzero(~np.isclose(sums, 1.0))
    if bad.size:
        raise InvalidInputError(
            "Every engineered column of a feature map must be shared among raw features with weights summing "
            f"to 1, so SHAP values still add up; engineered columns {bad[:10].tolist()} sum to "
            f"{sums[bad[:10]].round(6).tolist()}. Normalize the map's columns."
        )
    return mapped


# ------------------------------------------------------------------ transformers
def _is(transformer: Any, word: str) -> bool:
    return isinstance(transformer, str) and transformer == word


def _one_hot_counts(encoder: Any) -> list[int]:
    """Output columns per input column of a fitted OneHotEncoder (after drop / infrequent grouping)."""
    counts = getattr(encoder, "_n_features_outs", None)
    if counts is None:  # older / newer scikit-learn without the private attribute: no infrequent support
        drop = getattr(encoder, "drop_idx_", None)
        counts = [len(c) - (drop is not None and drop[i] is not None) for i, c in enumerate(encoder.categories_)]
    return [int(c) for c in counts]


def _dense(values: Any) -> np.ndarray:
    values = values.toarray() if sp.issparse(values) else values
    values = values.to_numpy() if hasattr(values, "to_numpy") else np.asarray(values)
    return values.reshape(len(values), -1)


def _rolled(sample: Any, j: int) -> Any:
    """``sample`` with column ``j``'s values moved one row down (every other column unchanged)."""
    if hasattr(sample, "iloc"):
        changed = sample.copy()
        changed.isetitem(j, np.roll(sample.iloc[:, j].to_numpy(), 1))
        return changed
    changed = np.array(sample, copy=True)
    changed[:, j] = np.roll(changed[:, j], 1)
    return changed


def _dependence(transformer: Any, sample: Any) -> np.ndarray:
    """(n_inputs, n_outputs) booleans: output ``e`` changed when input ``j`` alone changed, on ``sample``."""
    base = _dense(transformer.transform(sample))
    n_inputs = sample.shape[1]
    depends = np.zeros((n_inputs, base.shape[1]), dtype=bool)
    for j in range(n_inputs):
        out = _dense(transformer.transform(_rolled(sample, j)))
        differs = out != base
        if out.dtype.kind in "fc" and base.dtype.kind in "fc":
            differs &= ~(np.isnan(out) & np.isnan(base))
        depends[j] = differs.any(axis=0)
    return depends


def _probed_block(transformer: Any, sample: Any, allow_all: bool) -> np.ndarray:
    """The map of a transformer read off its outputs on ``sample``: which input(s) each output follows.

    One input per output (one-to-one, or one column expanded into several): that input's. Every
    input into one output (many-to-one): split equally, the only way to credit it. An output that
    follows no input is constant on the sample (its SHAP value is 0): split equally. Several outputs
    that each mix several inputs (PCA, polynomial features): refused unless ``allow_all``, which
    splits each output equally among the inputs it follows.
    """
    depends = _dependence(transformer, sample)
    n_inputs, n_out = depends.shape
    followed = depends.sum(axis=0)
    if n_out == 1 or np.all(followed <= 1):
        block = depends.astype(np.float64)
        block[:, followed == 0] = 1.0
        return block / block.sum(axis=0, keepdims=True)
    if not allow_all:
        mixed = np.flatnonzero(followed > 1)
        raise InvalidParameterError(
            f"{type(transformer).__name__} mixes several input columns into each of its outputs (many-to-many: outputs "
            f"{mixed[:10].tolist()} each follow {int(followed.max())} of its {n_inputs} inputs), so its outputs "
            "cannot be credited to single raw features. Apply it to one column at a time, pass an explicit "
            "feature map, or allow_all_transformations=True to split each output equally among the inputs it follows."
        )
    block = depends.astype(np.float64)
    block[:, followed == 0] = 1.0
    return block / block.sum(axis=0, keepdims=True)


def _n_outputs(transformer: Any, n_inputs: int, sample: Any, width: int | None) -> int:
    if _is(transformer, "passthrough"):
        return n_inputs
    if _is(transformer, "drop"):
        return 0
    if width is not None:
        return width
    if hasattr(transformer, "get_feature_names_out"):
        try:
            return len(transformer.get_feature_names_out())
        except (AttributeError, ValueError, TypeError):  # a step without names: count its outputs instead
            pass
    if sample is not None:
        return _dense(transformer.transform(sample)).shape[1]
    raise InvalidParameterError(
        f"Cannot tell how many columns {type(transformer).__name__} outputs: it has no get_feature_names_out() "
        "and no sample rows were given to feed through it. Pass the raw initialization examples (the explainers "
        "do), or an explicit feature map."
    )


def _block(transformer: Any, n_inputs: int, allow_all: bool, sample: Any = None, width: int | None = None
           ) -> np.ndarray:
    """(n_inputs, n_outputs) map of one fitted transformer fed ``n_inputs`` columns (``sample``: some of them)."""
    from sklearn.base import OneToOneFeatureMixin

    n_out = _n_outputs(transformer, n_inputs, sample, width)
    if _is(transformer, "passthrough"):
        return np.eye(n_inputs)
    if n_out == 0:
        return np.zeros((n_inputs, 0))
    if n_inputs == 1:
        return np.ones((1, n_out))
    name = type(transformer).__name__
    if name == "Pipeline":
        block, width_now, rows = np.eye(n_inputs), n_inputs, sample
        steps = [step for _, step in transformer.steps if step is not None and not _is(step, "passthrough")]
        for position, step in enumerate(steps):
            step_block = _block(step, width_now, allow_all, rows)
            block, width_now = block @ step_block, step_block.shape[1]
            if rows is not None and position + 1 < len(steps):  # only the next step is fed the rows
                rows = step.transform(rows)
        return block
    counts = None
    if name == "OneHotEncoder":
        counts = _one_hot_counts(transformer)
    elif name == "KBinsDiscretizer" and transformer.encode != "ordinal":
        counts = [int(c) for c in transformer.n_bins_]
    elif name == "SplineTransformer" and n_out % n_inputs == 0:
        counts = [n_out // n_inputs] * n_inputs
    elif name == "SimpleImputer":
        kept = np.arange(n_inputs)
        if not getattr(transformer, "keep_empty_features", False):  # statistics may be strings (fill values)
            kept = np.flatnonzero(~pd.isna(np.asarray(transformer.statistics_, dtype=object)))
        sources = list(kept)
        if transformer.add_indicator:
            sources += list(transformer.indicator_.features_)
        block = np.zeros((n_inputs, n_out))
        block[sources, np.arange(n_out)] = 1.0
        return block
    elif isinstance(transformer, OneToOneFeatureMixin) and n_out == n_inputs:
        return np.eye(n_inputs)
    if counts is not None and sum(counts) == n_out:
        return np.repeat(np.eye(n_inputs), counts, axis=1)
    if sample is not None:
        return _probed_block(transformer, sample, allow_all)
    if name == "FunctionTransformer" and n_out == n_inputs:  # no rows to check it on: taken as elementwise
        return np.eye(n_inputs)
    if n_out == 1:  # many-to-one: one group, credited equally
        return np.full((n_inputs, 1), 1.0 / n_inputs)
    if not allow_all:
        raise InvalidParameterError(
            f"{name} turns {n_inputs} input columns into {n_out} outputs that may each mix several inputs "
            "(many-to-many), so its outputs cannot be credited to single raw features. Apply it to one column "
            "at a time, pass an explicit feature map, or allow_all_transformations=True to split each output "
            "equally among its inputs."
        )
    return np.full((n_inputs, n_out), 1.0 / n_inputs)


def _column_positions(columns: Any, raw_features: tuple[str, ...]) -> list[int]:
    """Raw column positions of a ColumnTransformer / tuple column spec (names, ints, slice, mask)."""
    if isinstance(columns, (str, int, np.integer)):
        columns = [columns]
    if isinstance(columns, slice):
        return list(range(len(raw_features)))[columns]
    columns = list(columns)
    if columns and all(isinstance(c, (bool, np.bool_)) for c in columns):
        return list(np.flatnonzero(columns))
    positions = []
    for column in columns:
        if isinstance(column, (int, np.integer)):
            positions.append(int(column))
        elif str(column) in raw_features:
            positions.append(raw_features.index(str(column)))
        else:
            raise InvalidInputError(
                f"Transformation column {column!r} is not a raw feature." + did_you_mean(str(column), raw_features)
            )
    return positions


def _engineered_names(transformer: Any, n_out: int) -> list[str]:
    if hasattr(transformer, "get_feature_names_out"):
        try:
            return [str(n) for n in transformer.get_feature_names_out()]
        except (AttributeError, ValueError):  # a step without names: fall back to positions
            pass
    return [f"e{i}" for i in range(n_out)]


def _first_rows(sample: Any) -> Any:
    """At most _PROBE_ROWS rows of ``sample`` in its own form (None stays None)."""
    if sample is None:
        return None
    rows = sample.iloc[:_PROBE_ROWS] if hasattr(sample, "iloc") else sample[:_PROBE_ROWS]
    return rows.toarray() if sp.issparse(rows) else rows


def _fed_columns(rows: Any, positions: list[int]) -> Any:
    """The columns a ColumnTransformer / tuple spec feeds one transformer, in the form it was fitted on."""
    if rows is None:
        return None
    if hasattr(rows, "iloc"):
        return rows.iloc[:, positions]
    return np.asarray(rows)[:, positions]


def _ct_engineered_names(transformer: Any, widths: dict[str, int]) -> list[str]:
    try:
        return [str(n) for n in transformer.get_feature_names_out()]
    except (AttributeError, ValueError, TypeError):  # a step without names: number its outputs
        names = []
        for name, step, _ in transformer.transformers_:
            if widths.get(name):
                names += [f"{name}__{n}" for n in _engineered_names(step, widths[name])]
        return names


def feature_map(
    transformations: Any,
    raw_features: Sequence[str] | None = None,
    *,
    sample: Any = None,
    allow_all_transformations: bool = False,
    partial: bool = False,
) -> FeatureMap:
    """The raw -> engineered map of fitted ``transformations``.

    Parameters
    ----------
    transformations : a fitted ColumnTransformer, a list of (columns, fitted transformer) tuples, or
        a (n_raw, n_engineered) matrix (dense or sparse) / list of matrices chained in order.
    raw_features : names of the raw columns; read off the ColumnTransformer when it was fitted on a
        DataFrame.
    partial : matrices only: accept columns whose weights do not sum to 1 (see :class:`FeatureMap`).
    sample : raw rows (the explainer's initialization examples). A transformer that is neither
        known by type nor fed a single column is mapped by feeding these rows through it, changing
        one input column at a time and watching which outputs follow (see :func:`_probed_block`).
    """
    if sp.issparse(transformations) or isinstance(transformations, np.ndarray):
        transformations = [transformations]
    if isinstance(transformations, list) and transformations and all(
        sp.issparse(m) or isinstance(m, np.ndarray) for m in transformations
    ):
        matrix = sp.csr_matrix(transformations[0], dtype=np.float64)
        for step in transformations[1:]:
            matrix = matrix @ sp.csr_matrix(step, dtype=np.float64)
        raw = list(raw_features) if raw_features is not None else [f"x{i}" for i in range(matrix.shape[0])]
        return FeatureMap(matrix, raw, [f"e{i}" for i in range(matrix.shape[1])], partial=partial)
    allow_all = allow_all_transformations

    if is_pipeline(transformations):  # a ColumnTransformer (or any step) then further steps
        steps = [step for _, step in transformations.steps if step is not None and not _is(step, "passthrough")]
        first = steps[0]
        if is_column_transformer(first):
            mapping = feature_map(first, raw_features, sample=sample, allow_all_transformations=allow_all)
            matrix, raw = mapping.matrix.toarray(), mapping.raw_features
        else:
            if raw_features is None:
                names_in = getattr(first, "feature_names_in_", None)
                raw_features = names_in if names_in is not None else [f"x{i}" for i in range(first.n_features_in_)]
            raw = tuple(str(f) for f in raw_features)
            matrix = _block(first, len(raw), allow_all, _first_rows(sample))
        rows = None if sample is None or len(steps) == 1 else first.transform(_first_rows(sample))
        for position, step in enumerate(steps[1:], start=2):
            matrix = matrix @ _block(step, matrix.shape[1], allow_all, rows)
            if rows is not None and position < len(steps):  # only the next step is fed the rows
                rows = step.transform(rows)
        return FeatureMap(matrix, raw, _engineered_names(transformations, matrix.shape[1]))

    if is_column_transformer(transformations):
        if raw_features is None:
            names_in = getattr(transformations, "feature_names_in_", None)
            if names_in is None:
                names_in = [f"x{i}" for i in range(transformations.n_features_in_)]
            raw_features = names_in
        raw = tuple(str(f) for f in raw_features)
        rows = _first_rows(sample)
        blocks, widths = [], {}
        for name, transformer, columns in transformations.transformers_:
            positions = _column_positions(columns, raw)
            indices = transformations.output_indices_[name]
            widths[name] = indices.stop - indices.start
            if widths[name] == 0:
                continue
            fed = _fed_columns(rows, positions)
            block = np.zeros((len(raw), widths[name]))
            block[positions] = _block(transformer, len(positions), allow_all, fed, widths[name])
            blocks.append(block)
        return FeatureMap(np.hstack(blocks), raw, _ct_engineered_names(transformations, widths))

    if isinstance(transformations, list) and all(isinstance(t, tuple) and len(t) == 2 for t in transformations):
        if raw_features is None:
            if sample is None or hasattr(sample, "columns"):
                raise InvalidParameterError(
                    "A list of (columns, transformer) tuples needs raw_features= (the raw column names)."
                )
            raw_features = [f"x{i}" for i in range(sample.shape[1])]  # unnamed rows: named by position
        raw = tuple(str(f) for f in raw_features)
        rows = _first_rows(sample)
        blocks, engineered = [], []
        for columns, transformer in transformations:
            positions = _column_positions(columns, raw)
            fed = None if rows is None else _TupleTransformer.selected(rows, columns)
            sub = _block(transformer, len(positions), allow_all, fed)
            block = np.zeros((len(raw), sub.shape[1]))
            block[positions] = sub
            blocks.append(block)
            if _is(transformer, "passthrough"):
                engineered += [raw[p] for p in positions]
            else:
                engineered += _engineered_names(transformer, sub.shape[1])
        if len(set(engineered)) != len(engineered):  # unnamed steps repeat x0, x1, ...: number the blocks
            engineered = [f"{i}__{name}" for i, name in enumerate(engineered)]
        return FeatureMap(np.hstack(blocks), raw, engineered)

    raise InvalidParameterError(
        f"transformations must be a fitted ColumnTransformer, a list of (columns, transformer) tuples or a "
        f"feature map matrix; got {type(transformations).__name__}."
    )


class _TupleTransformer:
    """Applies interpret-community style [(columns, transformer), ...] and concatenates the outputs."""

    def __init__(self, transformations: list[tuple[Any, Any]]):
        self.transformations = transformations

    @staticmethod
    def selected(X: Any, columns: Any) -> pd.DataFrame:
        """The columns one transformer of the list is fed (a DataFrame, as it was fitted)."""
        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
        return frame[columns] if not isinstance(columns, (str, int)) else frame[[columns]]

    def transform(self, X: Any) -> Any:
        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
        parts = []
        for columns, transformer in self.transformations:
            selected = self.selected(frame, columns)
            parts.append(selected.to_numpy() if _is(transformer, "passthrough") else transformer.transform(selected))
        if any(sp.issparse(p) for p in parts):
            return sp.hstack([sp.csr_matrix(p) for p in parts]).tocsr()
        return np.hstack([np.asarray(p, dtype=np.float64).reshape(len(frame), -1) for p in parts])


def transformer_of(transformations: Any) -> Any | None:
    """Something whose ``.transform`` turns raw rows into engineered ones, or None for an explicit map
    (whose rows are already engineered)."""
    if hasattr(transformations, "transform"):
        return transformations
    if isinstance(transformations, list) and transformations and all(
        isinstance(t, tuple) and len(t) == 2 for t in transformations
    ):
        return _TupleTransformer(transformations)
    return None


def raw_feature_names(features: Sequence[str] | None, examples: Any) -> list[str] | None:
    """The raw columns' names: ``features`` when given, else the examples' DataFrame columns."""
    if features is not None:
        return list(features)
    columns = getattr(examples, "columns", None)
    return None if columns is None else list(columns)

