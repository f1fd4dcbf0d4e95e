"""The result of exact SHAP interaction values: :class:`Interactions`."""

from __future__ import annotations

import types
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import _importance
from ._sample import n_rows
from ._validation import output_index
from .errors import InvalidInputError, InvalidParameterError

if TYPE_CHECKING:
    from .explanation import Explanation

__all__ = ["Interactions", "check_interactions"]


def _read_only(values: Any, ndim: int, name: str) -> np.ndarray:
    """A read-only float64 view (a copy only when the dtype differs: interaction values can be large)."""
    array = np.asanyarray(values, dtype=np.float64).view()
    if array.ndim != ndim:
        raise InvalidInputError(f"Interactions.{name} must have {ndim} dimensions, got shape {array.shape}.")
    if not np.isfinite(array).all():
        position = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise InvalidInputError(f"Interactions.{name} holds a non-finite value ({array[position]}) at "
                                f"{list(position)}; find where the explained model's output overflowed.")
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class Interactions:
    """Exact SHAP interaction values (Lundberg et al. 2020) of some features of a model on some rows.

    Shapes (``n_outputs`` as in :class:`~explain_lib.Explanation`: the classes for classification, 1 for
    regression; ``k`` the chosen features):

    ``values``     (n_outputs, n_rows, k, k) symmetric; ``values[c, r, i, j]`` (``i != j``) is half the Shapley
                   interaction index of features ``i`` and ``j``, the diagonal ``values[c, r, i, i]`` the main
                   effect: feature ``i``'s SHAP value minus all its interactions
    ``rest``       (n_outputs, n_rows, k) each chosen feature's interactions with the features not chosen,
                   summed (zero when every feature is chosen)
    ``expected``   (n_outputs,) the base value of the SHAP values
    ``per_class``  (n_outputs, k, k) mean |values| over the rows; ``global_`` (k, k) their mean over outputs
                   (the rule of ``Explanation``'s importances)

    So ``values.sum(-1) + rest`` is the chosen features' SHAP values (:attr:`local`), and summed over all
    features ``local`` plus ``expected`` is the model output in ``output_space``. The arrays are held as
    read-only views, not copied.

    Examples
    --------
    >>> import numpy as np
    >>> from lightgbm import LGBMRegressor
    >>> from explain_lib import TreeShap
    >>> X = np.random.default_rng(0).normal(size=(400, 4))
    >>> model = LGBMRegressor(n_estimators=30, verbose=-1).fit(X, X[:, 0] * X[:, 1] + X[:, 2])
    >>> result = TreeShap(model).interactions(X[:100], top_k=3)
    >>> result.features
    ('x2', 'x0', 'x1')
    >>> result.strongest_partners().loc["x0", "partner"]
    'x1'
    >>> bool(np.allclose(result.local, TreeShap(model).explain(X[:100]).local[:, :, [2, 0, 1]]))
    True
    """

    values: np.ndarray
    rest: np.ndarray
    expected: np.ndarray
    features: tuple[str, ...]
    all_features: tuple[str, ...]
    task: str
    output_space: str
    method: str = "shap.tree"
    classes: tuple[Any, ...] | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    per_class: np.ndarray = field(init=False)
    global_: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "features", tuple(str(f) for f in self.features))
        set_(self, "all_features", tuple(str(f) for f in self.all_features))
        unknown = [f for f in self.features if f not in self.all_features]
        if unknown or len(set(self.features)) != len(self.features):
            raise InvalidInputError(f"Interactions.features must be distinct names among all_features; got "
                                    f"{list(self.features)}.")
        if self.task == "classification":
            if self.classes is None:
                raise InvalidInputError("Classification interactions need their classes.")
            set_(self, "classes", tuple(c.item() if isinstance(c, np.generic) else c for c in self.classes))
        else:
            set_(self, "classes", None)
        n_outputs, k = len(self.classes) if self.classes else 1, len(self.features)
        values = _read_only(self.values, 4, "values")
        if values.shape[0] != n_outputs or values.shape[2:] != (k, k):
            raise InvalidInputError(f"Interactions.values has shape {values.shape}; expected ({n_outputs}, n_rows, "
                                    f"{k}, {k}).")
        rest = _read_only(self.rest, 3, "rest")
        if rest.shape != values.shape[:3]:
            raise InvalidInputError(f"Interactions.rest has shape {rest.shape}; expected {values.shape[:3]}.")
        expected = _read_only(np.atleast_1d(self.expected), 1, "expected")
        if expected.shape != (n_outputs,):
            raise InvalidInputError(f"Interactions.expected has shape {expected.shape}; expected ({n_outputs},).")
        set_(self, "values", values)
        set_(self, "rest", rest)
        set_(self, "expected", expected)
        # the block-ordered sums of Explanation's importances: any split of the rows gives the same bits
        per_output, global_ = _importance.aggregate(values.reshape(n_outputs, values.shape[1], k * k))
        set_(self, "per_class", _read_only(per_output.reshape(n_outputs, k, k), 3, "per_class"))
        set_(self, "global_", _read_only(global_.reshape(k, k), 2, "global_"))
        set_(self, "params", types.MappingProxyType(dict(self.params)))

    # ----------------------------------------------------------------- sizes
    @property
    def n_outputs(self) -> int:
        return self.values.shape[0]

    @property
    def n_rows(self) -> int:
        return self.values.shape[1]

    @property
    def local(self) -> np.ndarray:
        """(n_outputs, n_rows, k) the chosen features' SHAP values: each matrix row plus its rest."""
        return self.values.sum(axis=-1) + self.rest

    # ------------------------------------------------------------- accessors
    def _output(self, cls: Any) -> int:
        return output_index(self.task, self.classes, cls)

    def matrix(self, cls: Any = None) -> pd.DataFrame:
        """Mean |interaction value| over the rows (k x k): of all outputs (their mean), or of class ``cls``."""
        values = self.global_ if cls is None else self.per_class[self._output(cls)]
        return pd.DataFrame(values, index=list(self.features), columns=list(self.features))

    def row(self, position: int, cls: Any = None) -> pd.DataFrame:
        """One row's interaction matrix (k x k) for one output (binary: the positive class)."""
        if not -self.n_rows <= position < self.n_rows:
            raise InvalidParameterError(f"position must lie in [0, {self.n_rows}), got {position}.")
        values = self.values[self._output(cls), position]
        return pd.DataFrame(values, index=list(self.features), columns=list(self.features))

    def strongest_partners(self, cls: Any = None) -> pd.DataFrame:
        """For each chosen feature, the other chosen feature with the largest mean |interaction| (ties: the
        first in feature order) and that mean; an empty partner when only one feature was chosen."""
        values = np.array(self.global_ if cls is None else self.per_class[self._output(cls)])
        np.fill_diagonal(values, -np.inf)
        partner = values.argmax(axis=1) if len(self.features) > 1 else np.zeros(len(self.features), np.int64)
        strength = values[np.arange(len(self.features)), partner] if len(self.features) > 1 else [np.nan]
        return pd.DataFrame({"partner": [self.features[p] if len(self.features) > 1 else None for p in partner],
                             "mean_abs_interaction": strength}, index=pd.Index(self.features, name="feature"))

    def summary(self, rows: Any = None, cls: Any = None, *, include_values: bool = False) -> dict[str, Any]:
        """What an interaction view shows, JSON-ready: the mean |interaction| heatmap and each feature's
        strongest partner, and, for the rows shown, each feature's strongest partner in that row.

        Parameters
        ----------
        rows : sequence of int, optional
            Positions of the rows shown (a dashboard's sample); None: every row.
        cls : class label, optional
            One class's values; None: the regression output, or a binary classifier's positive class for the
            rows and the mean over both classes for the heatmap. A multiclass result needs ``cls`` for rows.
        include_values : bool
            Also ``row_values``: the shown rows' whole matrices (len(rows) x k x k), what a click on a heatmap
            cell plots against the pair's feature values.

        Returns
        -------
        dict
            ``features`` (k names); ``matrix`` (k x k mean |value|, row-major list of lists); ``partner``
            (per feature, the index of its strongest partner by the matrix, -1 if k == 1); ``rows`` (the
            positions); ``row_partner`` (len(rows) x k: in each row, the index of the feature's partner with
            the largest |value|, -1 if k == 1) and ``row_value`` (that signed value, 0.0 if k == 1); with
            ``include_values``, ``row_values``.

        An interaction view draws ``matrix`` as a heatmap; a click on cell (i, j) plots ``row_values[:, i, j]``
        against feature i's values, coloured by feature j's (the diagonal: the main effect). A dependence plot
        of feature i is coloured by feature ``partner[i]``: the exact strongest interaction, in place of a
        heuristic guess.
        """
        positions = np.arange(self.n_rows) if rows is None else np.asarray(rows, dtype=np.int64).reshape(-1)
        if positions.size and (positions.min() < 0 or positions.max() >= self.n_rows):
            raise InvalidParameterError(f"rows must be positions in [0, {self.n_rows}).")
        k = len(self.features)
        matrix = self.global_ if cls is None else self.per_class[self._output(cls)]
        output = self._output(cls) if positions.size else 0  # no rows shown: no class needed
        if k > 1:
            masked = np.array(matrix)
            np.fill_diagonal(masked, -np.inf)
            partner = masked.argmax(axis=1)
            shown = np.abs(self.values[output, positions])  # (rows, k, k)
            shown[:, np.arange(k), np.arange(k)] = -np.inf
            row_partner = shown.argmax(axis=2)
            row_value = np.take_along_axis(self.values[output, positions], row_partner[..., None], axis=2)[..., 0]
        else:
            partner = np.full(k, -1)
            row_partner = np.full((len(positions), k), -1)
            row_value = np.zeros((len(positions), k))
        summary = {"features": list(self.features), "matrix": np.asarray(matrix).tolist(), "partner": partner.tolist(),
                   "rows": positions.tolist(), "row_partner": row_partner.tolist(), "row_value": row_value.tolist()}
        if include_values:
            summary["row_values"] = self.values[output, positions].tolist()
        return summary

    def __repr__(self) -> str:
        return (f"Interactions({self.method}, {self.n_rows} rows, {len(self.features)} of "
                f"{len(self.all_features)} features, {self.n_outputs} output(s))")


def check_interactions(explanation: Explanation, interactions: Any) -> Interactions | None:
    """``interactions`` when it describes the explanation's model and rows: an :class:`Interactions` of the
    same task, classes and row count (when the explanation has local values), over features it has."""
    if interactions is None:
        return None
    if not isinstance(interactions, Interactions):
        raise InvalidParameterError(
            f"interactions must be an explain_lib Interactions (TreeShap(model).interactions(X)), got "
            f"{type(interactions).__name__}.")
    unknown = [f for f in interactions.features if f not in explanation.features]
    if unknown:
        raise InvalidParameterError(
            f"The interactions are over features the explanation does not have: {unknown[:10]}. Compute them "
            "from the rows and feature kind (raw / engineered) of this explanation.")
    if interactions.task != explanation.task or interactions.classes != explanation.classes:
        raise InvalidParameterError(
            f"The interactions are of a {interactions.task} model with classes {interactions.classes}, the "
            f"explanation of a {explanation.task} model with classes {explanation.classes}: not the same model.")
    rows = n_rows(explanation)
    if rows is not None and interactions.n_rows != rows:
        raise InvalidParameterError(
            f"The interactions explain {interactions.n_rows} rows, the explanation {rows}: compute both from the "
            "same rows (interactions(X) with the X of explain(X)).")
    return interactions
