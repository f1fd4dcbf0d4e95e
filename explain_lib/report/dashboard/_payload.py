"""The dashboard's data: one explanation (or a raw and an engineered one) as compact, page-ready JSON.

Big arrays are base64 (see :mod:`explain_lib.report._page`); strings (feature, class and category
names, comments, row labels) are plain JSON strings that the page only ever puts in the DOM as text.

Per explanation view::

    {"kind": "raw" | "engineered" | "model", "id", "method", "task", "output_space", "output_name",
     "features": [...], "classes": [...] | None, "expected": [...],
     "global": [...], "per_class": [[...]] | None,       # over every explained row, as in the explanation
     "n_rows_total": N, "rows": int32 positions of the sampled rows,
     "row_labels": {"kind": "int", "values": int32} | {"kind": "text", "values": [...]} | None,
     "index_name": the explained DataFrame's index name | None,
     "rows_text": "2,000 of 8,141 rows of test.parquet (a seeded sample, stratified by prediction)",
     "probability": "sigmoid" | None,                   # a binary classifier's log-odds: P = 1 / (1 + e^-f(x))
     "local": float32 (n_stored_outputs, n_rows, n_features), "binary_mirrored": bool,
     "columns": [{"kind": "numeric", "format": "int" | "float" | "float32" | "bool", "values": int32 / float64
                  / float32, "scale": k (the values are int32 counts of 10**-k, -2**31 missing),
                  "text": [...] (integers beyond 2**53)}
                 | {"kind": "categorical", "categories", "codes": uint8 (255 missing) or int32 (-1 missing)}],
     "predicted": column | None, "true": column | None,
     "cohorts": [{"name", "description", "mask": uint8, "filters": [{"column", "method", "arg"}]}],
     "interactions": exact interaction values of the shown rows (:mod:`._interactions`) | None,
     "targets": [{"name", "label", "metric", "operator", "value", "text"}], "positive_class": str | None}

Feature values travel exactly as stored (integers as int32, floats as float64 or float32): the page
writes each as the shortest text that reads back as the same number (Python's ``repr``), never rounded.
A binary explanation's class 0 values are the negation of class 1's; when they are (to 1e-9) only
class 1 is stored and ``binary_mirrored`` tells the page to negate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..._sample import row_labels
from ...errors import InvalidParameterError
from ...explanation import Explanation
from .._page import encode_array
from ..scorecard._config import PREDICTED_Y as PREDICTED_NAME
from ..scorecard._config import TRUE_Y as TRUE_NAME

__all__ = ["cohort_masks", "output_name", "row_frame", "rows_text", "targets_payload", "view_payload"]

_INT32 = np.iinfo(np.int32)
_EXACT_INT = 2 ** 53  # integers a JS number holds exactly


def output_name(explanation: Explanation, cls: Any = None) -> str:
    """What the explanation's output is, in words: "log-odds of >50K", "probability of 2", "prediction"."""
    if explanation.task == "regression":
        return "the model's prediction" if explanation.output_space == "raw" else f"{explanation.output_space}"
    if cls is None:
        cls = explanation.classes[-1] if len(explanation.classes) == 2 else "each class"
    if explanation.output_space == "probability":
        return f"probability of {cls}"
    if explanation.output_space == "margin":
        return f"log-odds of {cls}" if len(explanation.classes) == 2 else f"raw score (margin) of {cls}"
    return f"{explanation.output_space} of {cls}"


def _finite_list(values: np.ndarray | None) -> list | None:
    """A JSON-ready list; NaN / infinities become None (JSON has none)."""
    if values is None:
        return None
    return [[None if not math.isfinite(v) else v for v in row] if isinstance(row, list)
            else (None if not math.isfinite(row) else row) for row in np.asarray(values, dtype=float).tolist()]


def _numeric(series: pd.Series) -> dict[str, Any]:
    """A numeric column as stored: integers as int32 (float64 with NaN when missing), floats as float64 or float32."""
    if pd.api.types.is_bool_dtype(series):
        return {"kind": "numeric", "format": "bool", "values": encode_array(series.to_numpy(dtype=np.float64,
                                                                                             na_value=np.nan),
                                                                          "float64")}
    if pd.api.types.is_integer_dtype(series):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        known = series.dropna()
        column: dict[str, Any] = {"kind": "numeric", "format": "int"}
        if not series.isna().any() and (known.empty or (known.min() >= _INT32.min and known.max() <= _INT32.max)):
            column["values"] = encode_array(series.to_numpy(dtype=np.int64), "int32")
            return column
        column["values"] = encode_array(values, "float64")
        if not known.empty and known.abs().max() > _EXACT_INT:  # beyond a JS number's exact integers: as text too
            column["text"] = [None if pd.isna(v) else str(int(v)) for v in series.tolist()]
        return column
    if series.dtype == np.float32:
        return {"kind": "numeric", "format": "float32", "values": encode_array(series.to_numpy(), "float32")}
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    scaled = _decimals(values)
    if scaled is not None:  # short decimals (40.5, 0.1, 3.14): int32 counts of 10**-k, 4 bytes instead of 8
        counts, digits = scaled
        return {"kind": "numeric", "format": "float", "scale": digits, "values": encode_array(counts, "int32")}
    return {"kind": "numeric", "format": "float", "values": encode_array(values, "float64")}


_MISSING_COUNT = np.iinfo(np.int32).min  # a scaled column's missing value


def _decimals(values: np.ndarray, most: int = 6) -> tuple[np.ndarray, int] | None:
    """``(counts, k)`` with ``counts / 10**k == values`` exactly (as IEEE division gives it, in Python and in the
    page), when some k <= ``most`` fits every value in int32; None otherwise (the values go as float64)."""
    known = ~np.isnan(values)
    finite = values[known]
    if not np.isfinite(finite).all():
        return None
    for digits in range(most + 1):
        scale = 10.0 ** digits
        with np.errstate(over="ignore", invalid="ignore"):
            counts = np.round(finite * scale)
        if finite.size and np.abs(counts).max() >= 2 ** 31 - 1:
            return None
        if np.array_equal(counts / scale, finite):
            out = np.full(len(values), _MISSING_COUNT, dtype=np.int64)
            out[known] = counts.astype(np.int64)
            return out, digits
    return None


def _column(values: pd.Series | np.ndarray, categories: Sequence[Any] | None = None) -> dict[str, Any]:
    """Numeric (bool included) values as stored, NaN for missing; anything else as codes into names."""
    series = pd.Series(values).reset_index(drop=True)
    numeric = (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)) \
        and not isinstance(series.dtype, pd.CategoricalDtype)
    if numeric and categories is None:
        return _numeric(series)
    names: list[str] = [str(c) for c in categories] if categories is not None else []
    position = {name: i for i, name in enumerate(names)}
    codes = np.full(len(series), -1, dtype=np.int32)
    missing = series.isna().to_numpy()
    for i, value in enumerate(series.tolist()):
        if missing[i]:
            continue
        key = str(value)
        if key not in position:
            position[key] = len(names)
            names.append(key)
        codes[i] = position[key]
    if categories is None:  # categories in sorted order reads better in legends and filters
        order = sorted(range(len(names)), key=lambda i: _sort_key(names[i]))
        remap = np.empty(len(names) + 1, dtype=np.int32)
        remap[np.asarray(order, dtype=np.int64)] = np.arange(len(names), dtype=np.int32)
        remap[-1] = -1
        codes = remap[codes]
        names = [names[i] for i in order]
    if len(names) < 255:  # one byte a row; 255 marks a missing value
        codes = np.where(codes < 0, 255, codes)
        return {"kind": "categorical", "categories": names, "codes": encode_array(codes, "uint8")}
    return {"kind": "categorical", "categories": names, "codes": encode_array(codes, "int32")}


def _sort_key(text: str) -> tuple[int, float, str]:
    try:
        return (0, float(text), text)
    except ValueError:
        return (1, 0.0, text)


def cohort_masks(cohorts: Sequence[Any], frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Predefined cohorts (:class:`~explain_lib.report.scorecard.CohortSpec`) evaluated with their own masks."""
    out = []
    for cohort in cohorts:
        mask = np.ones(len(frame), dtype=bool)
        for cohort_filter in cohort.filters:
            if cohort_filter.column not in frame.columns:
                known = [str(c) for c in frame.columns]
                raise InvalidParameterError(
                    f"Cohort {cohort.name!r} filters on {cohort_filter.column!r}, which the explanation's rows do not "
                    f"have; they have {known[:30]}. Use a feature of the explanation, {TRUE_NAME!r} or "
                    f"{PREDICTED_NAME!r}."
                )
            mask &= cohort_filter.mask(frame[cohort_filter.column].reset_index(drop=True))
        out.append({"name": cohort.name, "description": cohort.describe(), "mask": encode_array(mask, "uint8"),
                    "filters": [{"column": f.column, "method": f.method, "arg": list(f.arg)} for f in cohort.filters]})
    return out


def row_frame(explanation: Explanation, rows: np.ndarray | None, predicted: Any, true_y: Any) -> pd.DataFrame:
    """The sampled rows' feature values with ``Predicted Y`` / ``True Y`` columns: what cohorts filter."""
    frame = pd.DataFrame(index=range(0 if rows is None else len(rows)))
    if explanation.data is not None and rows is not None:
        frame = explanation.data.iloc[rows].reset_index(drop=True)
    for name, values in ((PREDICTED_NAME, predicted), (TRUE_NAME, true_y)):
        if values is not None:
            frame[name] = np.asarray(values)
    return frame


def rows_text(explanation: Explanation, shown: int) -> str:
    """Which rows the page shows, in words: of how many, from where, and how they were chosen.

    Examples
    --------
    >>> from explain_lib import Explanation
    >>> e = Explanation(local=np.zeros((1, 2000, 1)), expected=[0.0], features=["a"], task="regression",
    ...                 output_space="raw", method="demo", params={"sampling": {
    ...                     "policy": "stratified_by_prediction", "n_rows_total": 8141, "source": "test.parquet"}})
    >>> rows_text(e, 2000)
    '2,000 of 8,141 rows of test.parquet (a seeded sample, stratified by prediction)'
    >>> rows_text(e, 500)
    '500 of 8,141 rows of test.parquet (a seeded sample of the 2,000 explained, which were stratified by prediction)'
    """
    explained = explanation.n_rows or 0
    sampling = dict(explanation.params.get("sampling") or {})
    total = int(sampling.get("n_rows_total") or explained)
    data = dict(explanation.params.get("data") or {})  # where the explain step read the rows
    name = sampling.get("source") or data.get("file")
    source = f" of {name}" if name else ""
    stratified = sampling.get("policy") == "stratified_by_prediction"
    if shown >= total:
        return f"all {total:,} rows{source}"
    if explained >= total:
        return f"{shown:,} of {total:,} rows{source} (a seeded sample)"
    how = ", stratified by prediction" if stratified else ""
    if shown >= explained:
        return f"{shown:,} of {total:,} rows{source} (a seeded sample{how})"
    return (f"{shown:,} of {total:,} rows{source} (a seeded sample of the {explained:,} explained"
            + (", which were stratified by prediction)" if stratified else ")"))


def targets_payload(config: Any) -> tuple[list[dict[str, Any]], str | None]:
    """A scorecard config's metric targets (``Metrics: {accuracy_score: {threshold: ">=0.85"}}``) for the page's
    per-cohort metrics, and the positive class the metrics are about."""
    if config is None:
        return [], None
    from ...metrics import lookup

    targets = []
    for target in config.metrics:
        metric = lookup(target.name)
        entry = {"name": target.name, "label": metric.label, "metric": metric.name, "operator": None,
                 "value": None, "text": None}
        if target.threshold is not None:
            entry.update(operator=target.threshold.operator, value=float(target.threshold.value),
                         text=target.threshold.text)
        targets.append(entry)
    return targets, config.positive_class


def view_payload(explanation: Explanation, *, rows: np.ndarray | None, predicted: Any = None,
                 true_y: Any = None, cohorts: Sequence[dict[str, Any]] = (),
                 labels: Sequence[Any] | None = None) -> dict[str, Any]:
    """The page's data for one explanation, on the sampled ``rows`` (positions into its rows).

    ``predicted`` and ``true_y`` hold one value per sampled row (None when unknown); ``cohorts`` are
    the predefined cohorts' masks on those rows (:func:`cohort_masks`); ``labels`` the rows' labels
    (default: the explained DataFrame's index).
    """
    kind = "raw" if explanation.is_raw else "engineered" if explanation.is_engineered else "model"
    binary_margin = explanation.task == "classification" and len(explanation.classes) == 2 \
        and explanation.output_space == "margin"
    view: dict[str, Any] = {
        "kind": kind, "id": explanation.id, "method": explanation.method, "task": explanation.task,
        "output_space": explanation.output_space,
        "output_name": output_name(explanation),
        "class_output_names": None if explanation.classes is None else
        [output_name(explanation, c) for c in explanation.classes],
        "features": list(explanation.features),
        "classes": None if explanation.classes is None else [str(c) for c in explanation.classes],
        "expected": _finite_list(explanation.expected),
        "global": _finite_list(explanation.global_),
        "per_class": _finite_list(explanation.per_class),
        "n_rows_total": explanation.n_rows, "rows": None, "row_labels": None, "index_name": None, "rows_text": None,
        "probability": "sigmoid" if binary_margin else None, "local": None, "binary_mirrored": False,
        "columns": None, "predicted": None, "true": None, "cohorts": [], "interactions": None,
    }
    if explanation.local is None or rows is None:
        return view
    rows = np.asarray(rows, dtype=np.int64)
    local = explanation.local[:, rows]
    mirrored = local.shape[0] == 2 and bool(np.allclose(local[0], -local[1], rtol=0, atol=1e-9))
    view.update(rows=encode_array(rows, "int32"), local=encode_array(local[1:] if mirrored else local),
                binary_mirrored=mirrored, rows_text=rows_text(explanation, len(rows)))
    names = labels if labels is not None else row_labels(explanation, rows)
    if names is not None:
        names = pd.Series(np.asarray(names, dtype=object) if not pd.api.types.is_integer_dtype(pd.Series(names))
                          else np.asarray(names, dtype=np.int64))
        if pd.api.types.is_integer_dtype(names) and (names.empty or (names.min() >= _INT32.min
                                                                     and names.max() <= _INT32.max)):
            view["row_labels"] = {"kind": "int", "values": encode_array(names.to_numpy(), "int32")}
        else:
            view["row_labels"] = {"kind": "text", "values": [str(name) for name in names]}
        if explanation.data is not None and explanation.data.index.name is not None:
            view["index_name"] = str(explanation.data.index.name)
    if explanation.data is not None:
        data = explanation.data.iloc[rows].reset_index(drop=True)
        view["columns"] = [_column(data[name]) for name in explanation.features]
    classes = None if explanation.classes is None else list(explanation.classes)
    for key, name, values in (("predicted", PREDICTED_NAME, predicted), ("true", TRUE_NAME, true_y)):
        if values is None:
            continue
        values = pd.Series(np.asarray(values, dtype=object) if classes else np.asarray(values, dtype=np.float64))
        if len(values) != len(rows):
            raise InvalidParameterError(f"{name} needs one value per sampled row ({len(rows)}), got {len(values)}.")
        view[key] = _column(values, classes)
    view["cohorts"] = list(cohorts)
    return view
