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
import scipy.sparse as sp

from .errors import InvalidInputError, InvalidParameterError, did_you_mean

__all__ = ["FeatureMap", "feature_map", "raw_feature_names", "transformer_of"]


class FeatureMap:
    """A checked raw x engineered map with the names of both sides."""

    def __init__(self, matrix: Any, raw_features: Sequence[str], engineered_features: Sequence[str]):
        self.raw_features = tuple(str(f) for f in raw_features)
        self.engineered_features = tuple(str(f) for f in engineered_features)
        self.matrix = _checked(matrix, len(self.raw_features), len(self.engineered_features))

    def apply(self, values: np.ndarray) -> np.ndarray:
        """Map the last axis of ``values`` from engineered to raw features (sums of shares)."""
        values = np.asarray(values, dtype=np.float64)
        flat = values.reshape(-1, values.shape[-1])
        return np.asarray(self.matrix @ flat.T).T.reshape(values.shape[:-1] + (len(self.raw_features),))

    def __repr__(self) -> str:
        return f"FeatureMap({len(self.raw_features)} raw -> {len(self.engineered_features)} engineered)"


def _checked(matrix: Any, n_raw: int, n_engineered: int) -> sp.csr_matrix:
    mapped = sp.csr_matrix(matrix, dtype=np.float64)
    if mapped.shape != (n_raw, n_engineered):
        raise InvalidInputError(
            f"The feature map has shape {mapped.shape}; expected (n_raw, n_engineered) = ({n_raw}, {n_engineered})."
        )
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


def _n_outputs(transformer: Any, n_inputs: int) -> int:
    if _is(transformer, "passthrough"):
        return n_inputs
    if _is(transformer, "drop"):
        return 0
    if hasattr(transformer, "get_feature_names_out"):
        return len(transformer.get_feature_names_out())
    raise InvalidParameterError(
        f"Cannot tell how many columns {type(transformer).__name__} outputs: it has no get_feature_names_out(). "
        "Pass an explicit feature map instead."
    )


def _block(transformer: Any, n_inputs: int, allow_all: bool) -> np.ndarray:
    """(n_inputs, n_outputs) map of one fitted transformer fed ``n_inputs`` columns."""
    from sklearn.base import OneToOneFeatureMixin

    n_out = _n_outputs(transformer, n_inputs)
    if _is(transformer, "passthrough"):
        return np.eye(n_inputs)
    if n_out == 0:
        return np.zeros((n_inputs, 0))
    if n_inputs == 1:
        return np.ones((1, n_out))
    name = type(transformer).__name__
    if name == "Pipeline":
        block, width = np.eye(n_inputs), n_inputs
        for _, step in transformer.steps:
            if step is None or _is(step, "passthrough"):
                continue
            step_block = _block(step, width, allow_all)
            block, width = block @ step_block, step_block.shape[1]
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
        if not getattr(transformer, "keep_empty_features", False):
            kept = np.flatnonzero(~np.isnan(np.asarray(transformer.statistics_, dtype=float)))
        sources = list(kept)
        if transformer.add_indicator:
            sources += list(transformer.indicator_.features_)
        block = np.zeros((n_inputs, n_out))
        block[sources, np.arange(n_out)] = 1.0
        return block
    elif (isinstance(transformer, OneToOneFeatureMixin) or name in ("FunctionTransformer",)) and n_out == n_inputs:
        return np.eye(n_inputs)
    if counts is not None and sum(counts) == n_out:
        return np.repeat(np.eye(n_inputs), counts, axis=1)
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


def feature_map(
    transformations: Any,
    raw_features: Sequence[str] | None = None,
    *,
    allow_all_transformations: bool = False,
) -> FeatureMap:
    """The raw -> engineered map of fitted ``transformations``.

    Parameters
    ----------
    transformations : a fitted ColumnTransformer, a list of (columns, fitted transformer) tuples, or
        a (n_raw, n_engineered) matrix (dense or sparse) / list of matrices chained in order.
    raw_features : names of the raw columns; read off the ColumnTransformer when it was fitted on a
        DataFrame.
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
        return FeatureMap(matrix, raw, [f"e{i}" for i in range(matrix.shape[1])])

    if type(transformations).__name__ == "Pipeline":  # a ColumnTransformer (or any step) then further steps
        steps = [step for _, step in transformations.steps if step is not None and not _is(step, "passthrough")]
        first = steps[0]
        if type(first).__name__ == "ColumnTransformer":
            mapping = feature_map(first, raw_features, allow_all_transformations=allow_all_transformations)
            matrix, raw = mapping.matrix.toarray(), mapping.raw_features
        else:
            if raw_features is None:
                names_in = getattr(first, "feature_names_in_", None)
                raw_features = names_in if names_in is not None else [f"x{i}" for i in range(first.n_features_in_)]
            raw = tuple(str(f) for f in raw_features)
            matrix = _block(first, len(raw), allow_all_transformations)
        for step in steps[1:]:
            matrix = matrix @ _block(step, matrix.shape[1], allow_all_transformations)
        return FeatureMap(matrix, raw, _engineered_names(transformations, matrix.shape[1]))

    if type(transformations).__name__ == "ColumnTransformer":
        if raw_features is None:
            names_in = getattr(transformations, "feature_names_in_", None)
            if names_in is None:
                names_in = [f"x{i}" for i in range(transformations.n_features_in_)]
            raw_features = names_in
        raw = tuple(str(f) for f in raw_features)
        blocks = []
        for name, transformer, columns in transformations.transformers_:
            positions = _column_positions(columns, raw)
            width = transformations.output_indices_[name].stop - transformations.output_indices_[name].start
            if width == 0:
                continue
            block = np.zeros((len(raw), width))
            block[positions] = _block(transformer, len(positions), allow_all_transformations)
            blocks.append(block)
        engineered = [str(n) for n in transformations.get_feature_names_out()]
        return FeatureMap(np.hstack(blocks), raw, engineered)

    if isinstance(transformations, list) and all(isinstance(t, tuple) and len(t) == 2 for t in transformations):
        if raw_features is None:
            raise InvalidParameterError(
                "A list of (columns, transformer) tuples needs raw_features= (the raw column names)."
            )
        raw = tuple(str(f) for f in raw_features)
        blocks, engineered = [], []
        for columns, transformer in transformations:
            positions = _column_positions(columns, raw)
            sub = _block(transformer, len(positions), allow_all_transformations)
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

    def transform(self, X: Any) -> Any:
        import pandas as pd

        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
        parts = []
        for columns, transformer in self.transformations:
            selected = frame[columns] if not isinstance(columns, (str, int)) else frame[[columns]]
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
