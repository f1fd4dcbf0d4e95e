"""interpret's ``data(key=None)`` on an explanation's rows, for code written against interpret-community.

interpret-community's explanations have a method ``data(key=None)`` that returns the dictionaries interpret's
dashboard reads; ours have a field ``data``, the explained rows. Both live under one name: ``Explanation.data``
is the rows, a :class:`pandas.DataFrame` (or None), and calling it, ``explanation.data(key)``, gives
interpret-community's dictionary. Frames derived from it (``.iloc``, ``.copy()`` ...) are plain DataFrames.

What ``explanation.data(key)`` returns, as interpret-community 0.32 builds it:

* ``key=None``: ``{"mli": []}``, plus ``"names"`` (the features) and ``"scores"`` (the global importances)
  unless the explanation came from ``explain_local``;
* ``key=-1``: ``{"overall": {"names", "scores"} or None, "specific": [one dictionary per row] or None,
  "mli": [the local entry, the global entry]}``; the local entry holds ``local_importance_values``, the rows'
  ``perf`` and the ``expected_values`` as ``intercept``;
* ``key=i``: row ``i``'s dictionary: ``"type": "univariate"``, ``"names"``, ``"scores"`` (as in
  interpret-community, ``local_importance_values`` of all rows), ``"intercept"``, ``"values"`` (row ``i`` of the
  explained rows, or None) and ``"perf"`` (the model's prediction of row ``i`` as ``actual`` and ``predicted``,
  or None).

Unlike interpret-community, every row gets its own dictionary (there, the entries of ``"specific"`` are one
dictionary, the last row's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .errors import InvalidParameterError

if TYPE_CHECKING:
    from .explanation import Explanation

__all__ = ["ExplainedRows", "RowsField", "interpret_data"]


class ExplainedRows(pd.DataFrame):
    """An explanation's rows: a DataFrame that can also be called as interpret-community's ``data(key=None)``."""

    _metadata = ["_explanation"]

    @property
    def _constructor(self) -> type[pd.DataFrame]:
        return pd.DataFrame  # what pandas derives from the rows is a plain frame

    def __call__(self, key: int | None = None) -> dict[str, Any]:
        return interpret_data(self._explanation, key)


class RowsField:
    """The descriptor behind ``Explanation.data``: stores the frame as given, reads it as :class:`ExplainedRows`
    that knows its explanation (a view, built per read, so copies and pickles of the explanation hold the plain
    frame)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = "_" + name

    def __get__(self, explanation: Any, owner: type | None = None) -> pd.DataFrame | None:
        if explanation is None:
            return None  # the dataclass field's default
        frame = explanation.__dict__.get(self._slot)
        if frame is None:
            return None
        rows = ExplainedRows(frame)
        rows._explanation = explanation
        return rows

    def __set__(self, explanation: Any, frame: pd.DataFrame | None) -> None:
        explanation.__dict__[self._slot] = frame


def _perf(predicted: list | None, i: int) -> dict[str, Any] | None:
    """interpret-community's ``perf`` of row ``i``: it has the predictions only, so actual = predicted."""
    if predicted is None:
        return None
    value = predicted[i]
    same = isinstance(value, (str, bool, np.bool_))
    return {"actual": value, "predicted": value, "residual": 1 if same else value - value,
            "actual_score": value, "predicted_score": value}


def _row(common: dict[str, Any], i: int, predicted: list | None, rows: pd.DataFrame | None) -> dict[str, Any]:
    """Row ``i``'s dictionary: what every row shares (``common``), its ``perf`` and its ``values``."""
    return {**common, "perf": _perf(predicted, i), "values": None if rows is None else rows.iloc[i].to_numpy()}


def interpret_data(explanation: Explanation, key: int | None = None) -> dict[str, Any]:
    """interpret-community's ``explanation.data(key)`` (see the module's docstring)."""
    is_global = explanation.params.get("scope") != "local"
    n_rows = None if explanation.local is None else explanation.local.shape[1]
    if key is not None and (isinstance(key, bool) or not isinstance(key, (int, np.integer)) or key < -1
                            or (key >= 0 and (n_rows is None or key >= n_rows))):
        raise InvalidParameterError(
            f"data(key={key!r}): key is None (the global data), -1 (all of it) or a row position from 0 to "
            + ("the number of rows minus 1" if n_rows is None else str(n_rows - 1))
            + ("; this explanation has no local values, so no rows" if n_rows is None else "") + "."
        )
    overall = {"names": list(explanation.features), "scores": explanation.global_importance_values}
    if key is None:
        return {"mli": [], **(overall if is_global else {})}
    scores = None if n_rows is None else explanation.local_importance_values
    predicted = None if n_rows is None else explanation.eval_y_predicted
    intercept = None if explanation.expected is None else explanation.expected_values
    common = {"type": "univariate", "names": overall["names"], "scores": scores,
              **({} if intercept is None else {"intercept": intercept})}
    rows = explanation.data
    if key >= 0:
        return _row(common, int(key), predicted, rows)
    mli: list[dict[str, Any]] = []
    specific = None
    if n_rows is not None:
        specific = [_row(common, i, predicted, rows) for i in range(n_rows)]
        mli.append({"explanation_type": "local_feature_importance",
                    "value": {"scores": scores, "perf": [row["perf"] for row in specific],
                              "intercept": intercept if intercept is not None else (None if is_global else [])}})
    if is_global:
        entry: dict[str, Any] = {"explanation_type": "global_feature_importance",
                                 "value": {"scores": overall["scores"], "feature_list": overall["names"]}}
        if explanation.per_class is None:
            entry["explanation_class_dimension"] = "single"
        mli.append(entry)
    return {"overall": overall if is_global else None, "specific": specific, "mli": mli}
