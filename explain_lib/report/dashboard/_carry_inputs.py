"""The what-if form's fields and the preprocessing the page applies to them before the model sees them.

A row in the page is a vector of *inputs*, one per explained feature: a number (NaN when missing)
for a numeric feature, the index of a category in the field's ``categories`` for a categorical one.
``carry_inputs(model, features, frame)`` describes the fields and how a row of inputs becomes the
final estimator's input:

* a plain model: numbers as they are; a categorical field's category becomes the code the model was
  trained with (LightGBM's and XGBoost's pandas categories);
* a scikit-learn Pipeline: its steps before the final estimator, when they are ColumnTransformers,
  one-hot / ordinal encoders, scalers (standard, min-max, max-abs, robust), simple imputers,
  ``"passthrough"`` and ``"drop"`` (also nested in Pipelines), as a list of layers the page applies
  with the same floating-point operations scikit-learn does (``(x - mean) / scale``, ``x * scale + min``, ...).

:class:`NotCarried` (from :mod:`._carry_trees`) names what cannot be carried.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ...models import is_column_transformer, is_pipeline, native_booster, split_pipeline, tree_family
from ._carry_trees import NotCarried

__all__ = ["CarriedInputs", "Field", "carry_inputs"]


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


@dataclass
class Field:
    """One explained feature in the form: its kind, the categories a picker offers, the range seen."""

    name: str
    kind: str  # "numeric" | "categorical"
    categories: list[str] = field(default_factory=list)
    codes: list[float] | None = None  # a plain model's value for each category (its training codes)
    low: float | None = None  # range over the explained rows
    high: float | None = None
    missing: bool = False  # the model takes a missing value here

    def payload(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "categories": self.categories if self.kind == "categorical"
                else None, "low": self.low, "high": self.high, "missing": self.missing}


@dataclass
class _Block:
    columns: list[int]  # positions in the layer's input
    ops: list[dict[str, Any]]
    out: tuple[int, int]  # the slice of the layer's output it fills


@dataclass
class CarriedInputs:
    """The fields, and the layers (None for a plain model) that map a row of inputs to the model's input."""

    fields: list[Field]
    layers: list[tuple[int, list[_Block]]] | None  # (width of the layer's output, its blocks)

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        """The rows of ``frame`` (the explained features' values) as inputs: numbers, or category indices."""
        out = np.full((len(frame), len(self.fields)), np.nan)
        for j, spec in enumerate(self.fields):
            column = frame.iloc[:, j]
            if spec.kind == "numeric":
                out[:, j] = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            else:
                position = {name: i for i, name in enumerate(spec.categories)}
                out[:, j] = [np.nan if _is_missing(v) else position.get(str(v), np.nan) for v in column.tolist()]
        return out

    def model_input(self, inputs: np.ndarray) -> np.ndarray:
        """The final estimator's input for rows of inputs, computed as the page computes it."""
        values = np.array(inputs, dtype=np.float64)
        if self.layers is None:
            for j, spec in enumerate(self.fields):
                if spec.codes is not None:
                    known = ~np.isnan(values[:, j])
                    codes = np.asarray(spec.codes, dtype=np.float64)
                    values[known, j] = codes[values[known, j].astype(np.int64)]
            return values
        for width, blocks in self.layers:
            out = np.zeros((len(values), width))
            for block in blocks:
                part = values[:, block.columns]
                for op in block.ops:
                    part = _apply(op, part)
                out[:, block.out[0]:block.out[1]] = part
            values = out
        return values

    def payload(self) -> dict[str, Any]:
        layers = None if self.layers is None else [
            {"width": width, "blocks": [{"columns": b.columns, "ops": b.ops, "out": list(b.out)} for b in blocks]}
            for width, blocks in self.layers]
        return {"fields": [f.payload() for f in self.fields],
                "codes": [f.codes for f in self.fields] if self.layers is None else None, "layers": layers}


# ------------------------------------------------------------------ the operations (model.js mirrors them)
def _apply(op: dict[str, Any], part: np.ndarray) -> np.ndarray:
    kind = op["op"]
    if kind == "impute":
        fill = np.asarray(op["fill"], dtype=np.float64)
        return np.where(np.isnan(part), fill, part)
    if kind == "scale":  # (x - sub) / div, either part optional
        out = part.copy()
        if op["sub"] is not None:
            out -= np.asarray(op["sub"])
        if op["div"] is not None:
            out /= np.asarray(op["div"])
        return out
    if kind == "minmax":  # x * mul + add, then clipped
        out = part * np.asarray(op["mul"]) + np.asarray(op["add"])
        return out if op["clip"] is None else np.clip(out, *op["clip"])
    if kind == "onehot":
        columns = []
        for j, (table, missing, width) in enumerate(zip(op["maps"], op["missing"], op["widths"], strict=True)):
            block = np.zeros((len(part), width))
            value = part[:, j]
            known = ~np.isnan(value)
            slot = np.full(len(part), -1, dtype=np.int64)
            slot[known] = np.asarray(table, dtype=np.int64)[value[known].astype(np.int64)]
            slot[~known] = missing
            hit = slot >= 0
            block[np.flatnonzero(hit), slot[hit]] = 1.0
            columns.append(block)
        return np.concatenate(columns, axis=1)
    if kind == "ordinal":
        out = np.empty_like(part)
        for j, (table, missing) in enumerate(zip(op["maps"], op["missing"], strict=True)):
            value = part[:, j]
            known = ~np.isnan(value)
            codes = np.asarray([np.nan if c is None else c for c in table], dtype=np.float64)
            out[known, j] = codes[value[known].astype(np.int64)]
            out[~known, j] = np.nan if missing is None else missing
        return out
    raise AssertionError(kind)


# ------------------------------------------------------------------ compiling scikit-learn transformers
def _category_names(values: Any) -> tuple[list[str], bool]:
    """An encoder's categories as strings, and whether one of them is a missing marker (NaN / None)."""
    names, has_missing = [], False
    for value in list(values):
        if _is_missing(value):
            has_missing = True
        else:
            names.append(str(value))
    return names, has_missing


class _Compiler:
    """Walks a Pipeline prefix; ``fields`` are updated as encoders reveal categorical columns."""

    def __init__(self, fields: list[Field]):
        self.fields = fields

    def ops(self, transformer: Any, columns: list[int], first: bool) -> list[dict[str, Any]]:
        """The operations of one transformer (or a nested Pipeline) on the given input columns."""
        if isinstance(transformer, str) and transformer == "passthrough":
            return []
        if is_pipeline(transformer):
            out: list[dict[str, Any]] = []
            for _, step in transformer.steps:
                if step is None or (isinstance(step, str) and step == "passthrough"):
                    continue
                out += self.ops(step, columns, first)
                first = first and type(step).__name__ == "SimpleImputer"  # encoders may follow an imputer
            return out
        name = type(transformer).__name__
        if not type(transformer).__module__.startswith("sklearn."):
            raise NotCarried(f"the preprocessing step {name} is not one the page carries")
        if name == "FunctionTransformer" and transformer.func is None:
            return []
        if name in ("OneHotEncoder", "OrdinalEncoder"):
            if not first:
                raise NotCarried(f"{name} after another step that is not an imputer")
            return [self._encoder(transformer, columns)]
        categorical = [c for c in columns if self.fields[c].kind == "categorical"] if first else []
        if name == "SimpleImputer":
            return [self._imputer(transformer, columns, first)]
        if categorical:
            raise NotCarried(f"{name} on the categorical column {self.fields[categorical[0]].name!r}")
        if name == "StandardScaler":
            return [{"op": "scale", "sub": _list(transformer.mean_ if transformer.with_mean else None),
                     "div": _list(transformer.scale_ if transformer.with_std else None)}]
        if name == "RobustScaler":
            return [{"op": "scale", "sub": _list(transformer.center_ if transformer.with_centering else None),
                     "div": _list(transformer.scale_ if transformer.with_scaling else None)}]
        if name == "MaxAbsScaler":
            return [{"op": "scale", "sub": None, "div": _list(transformer.scale_)}]
        if name == "MinMaxScaler":
            return [{"op": "minmax", "mul": _list(transformer.scale_), "add": _list(transformer.min_),
                     "clip": [float(v) for v in transformer.feature_range] if transformer.clip else None}]
        raise NotCarried(f"the preprocessing step {name} is not one the page carries")

    def _imputer(self, imputer: Any, columns: list[int], first: bool) -> dict[str, Any]:
        if getattr(imputer, "add_indicator", False):
            raise NotCarried("SimpleImputer(add_indicator=True)")
        if not _is_missing(imputer.missing_values):
            raise NotCarried(f"SimpleImputer(missing_values={imputer.missing_values!r}): the page's missing is NaN")
        fill = []
        for statistic, column in zip(imputer.statistics_, columns, strict=True):
            if _is_missing(statistic):
                raise NotCarried("a SimpleImputer column that was all missing in training")
            spec = self.fields[column] if first else None
            if spec is not None and spec.kind == "categorical":
                if str(statistic) not in spec.categories:
                    spec.categories.append(str(statistic))
                fill.append(float(spec.categories.index(str(statistic))))
            else:
                fill.append(float(statistic))
        return {"op": "impute", "fill": fill}

    def _encoder(self, encoder: Any, columns: list[int]) -> dict[str, Any]:
        onehot = type(encoder).__name__ == "OneHotEncoder"
        if any(c is not None for c in getattr(encoder, "infrequent_categories_", None) or []):
            raise NotCarried("an encoder that groups infrequent categories")
        unknown = encoder.handle_unknown
        tolerant = unknown in ("ignore", "infrequent_if_exist", "warn", "use_encoded_value")
        maps, missing, widths = [], [], []
        for position, (column, categories) in enumerate(zip(columns, encoder.categories_, strict=True)):
            spec = self.fields[column]
            names, has_missing = _category_names(categories)
            if spec.kind != "categorical":
                spec.kind, spec.categories = "categorical", []
            seen = list(spec.categories)
            spec.categories = names + [c for c in seen if c not in names and tolerant]
            if len(set(str(c) for c in categories if not _is_missing(c))) != len(names):
                raise NotCarried(f"categories of {spec.name!r} that read alike as text")
            order = [str(c) if not _is_missing(c) else None for c in categories]
            if onehot:
                drop = None if encoder.drop_idx_ is None else encoder.drop_idx_[position]
                slots = [None if i == drop else (i if drop is None or i < drop else i - 1) for i in range(len(order))]
                unknown_slot = -1
                maps.append([slots[order.index(name)] if name in order else unknown_slot for name in spec.categories])
                maps[-1] = [-1 if s is None else s for s in maps[-1]]
                missing_slot = slots[order.index(None)] if None in order else -1
                missing.append(-1 if missing_slot is None else missing_slot)
                widths.append(len(order) - (drop is not None))
            else:
                unknown_value = encoder.unknown_value if unknown == "use_encoded_value" else None
                maps.append([float(order.index(name)) if name in order else _code(unknown_value)
                             for name in spec.categories])
                missing.append(_code(encoder.encoded_missing_value) if None in order else _code(unknown_value))
        if onehot:
            return {"op": "onehot", "maps": maps, "missing": missing, "widths": widths}
        return {"op": "ordinal", "maps": maps, "missing": missing}


def _code(value: Any) -> float | None:
    """An encoder's output code as JSON: None stands for NaN."""
    return None if value is None or _is_missing(value) else float(value)


def _list(values: Any) -> list[float] | None:
    return None if values is None else [float(v) for v in np.asarray(values, dtype=np.float64)]


def _layers(prefix: Any, compiler: _Compiler, n_inputs: int) -> list[tuple[int, list[_Block]]]:
    steps = [step for _, step in prefix.steps] if is_pipeline(prefix) else [prefix]
    layers, width, first = [], n_inputs, True
    for step in steps:
        if step is None or (isinstance(step, str) and step == "passthrough"):
            continue
        if is_column_transformer(step):
            blocks = []
            for name, transformer, _ in step.transformers_:
                columns = [int(c) for c in step._transformer_to_input_indices.get(name, [])]
                span = step.output_indices_.get(name, slice(0, 0))
                if (isinstance(transformer, str) and transformer == "drop") or span.stop == span.start:
                    continue
                blocks.append(_Block(columns, compiler.ops(transformer, columns, first), (span.start, span.stop)))
            width = int(max((b.out[1] for b in blocks), default=0))
        else:
            columns = list(range(width))
            blocks = [_Block(columns, compiler.ops(step, columns, first), (0, width))]
        layers.append((width, blocks))
        first = False
    return layers


# ------------------------------------------------------------------ fields of a plain model
def _plain_fields(model: Any, features: list[str], frame: pd.DataFrame) -> list[Field]:
    """A plain model's fields: pandas categorical columns become pickers with the model's own categories."""
    fields = []
    category_columns = [name for name in frame.columns if isinstance(frame[name].dtype, pd.CategoricalDtype)]
    trained = None
    if tree_family(model) == "lightgbm":
        trained = getattr(native_booster(model), "pandas_categorical", None)
    for name in features:
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            index = category_columns.index(name)
            categories = trained[index] if trained and index < len(trained) else list(column.cat.categories)
            names = [str(c) for c in categories]
            fields.append(Field(name, "categorical", names, codes=[float(i) for i in range(len(names))]))
        elif not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)):
            raise NotCarried(f"the column {name!r} holds text, which the model cannot take without an encoder")
        else:
            fields.append(Field(name, "numeric"))
    return fields


def _ranges(fields: list[Field], frame: pd.DataFrame) -> None:
    for spec in fields:
        if spec.kind != "numeric":
            continue
        values = pd.to_numeric(frame[spec.name], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        finite = values[np.isfinite(values)]
        if finite.size:
            spec.low, spec.high = _finite(finite.min()), _finite(finite.max())
        spec.missing = spec.missing or bool(np.isnan(values).any())


def carry_inputs(model: Any, features: list[str], frame: pd.DataFrame, *, allow_nan: bool) -> CarriedInputs:
    """The form's fields for the explained ``features`` (the columns of ``frame``) and the preprocessing of
    ``model`` before its final estimator. ``missing`` marks the fields a missing value may be tried for
    (``allow_nan``: a plain model takes them); the caller tries them on the model."""
    prefix, estimator = split_pipeline(model)
    frame = frame[features]
    if prefix is None:
        fields = _plain_fields(estimator, features, frame)
        for spec in fields:
            spec.missing = allow_nan
        _ranges(fields, frame)
        return CarriedInputs(fields, None)
    fields = [Field(name, "numeric" if pd.api.types.is_numeric_dtype(frame[name]) or
                    pd.api.types.is_bool_dtype(frame[name]) else "categorical") for name in features]
    for spec in fields:
        if spec.kind == "categorical":
            names, _ = _category_names(pd.unique(frame[spec.name]))
            spec.categories = sorted(set(names))
    layers = _layers(prefix, _Compiler(fields), len(features))
    _ranges(fields, frame)
    for spec in fields:  # a candidate: whether the Pipeline takes a missing value is tried on a row before writing
        spec.missing = True
    return CarriedInputs(fields, layers)
