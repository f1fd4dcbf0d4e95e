"""The one result type every explainer returns: :class:`Explanation`."""

from __future__ import annotations

import dataclasses
import functools
import importlib.metadata
import os
import sys
import types
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from . import _format, _importance, _renderers
from ._community import CommunityAccessors, Names, _rank
from ._community import check_top_k as _check_top_k
from ._interpret_data import RowsField
from ._validation import output_index
from .errors import (
    CorruptExplanationError,
    ExplainLibError,
    InvalidInputError,
    InvalidParameterError,
    SchemaVersionError,
    ValuesNotAvailableError,
)

__all__ = ["Explanation"]

Task = Literal["classification", "regression"]
OutputSpace = Literal["margin", "probability", "raw", "metric"]
_TASKS = ("classification", "regression")
_OUTPUT_SPACES = ("margin", "probability", "raw", "metric")
_VERSIONED_PACKAGES = ("explain-lib", "numpy", "pandas", "scikit-learn", "scipy", "shap", "lightgbm", "xgboost")
_IMPORT_NAMES = {"explain-lib": "explain_lib", "scikit-learn": "sklearn"}


@functools.cache
def _installed_version(package: str) -> str | None:
    """The installed version of ``package`` (None if absent), looked up once per process: the lookup
    reads package metadata from disk (several ms each) and every Explanation records these."""
    names = (package, "xgboost-cpu") if package == "xgboost" else (package,)
    for name in names:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return None


def _library_versions() -> dict[str, str]:
    """Versions of the packages that can shape an explanation and are loaded in this process."""
    versions = {}
    for package in _VERSIONED_PACKAGES:
        if _IMPORT_NAMES.get(package, package) not in sys.modules and package != "explain-lib":
            continue
        version = _installed_version(package)
        if version is not None:
            versions[package] = version
    return versions


def _plain(value: Any) -> Any:
    """numpy scalars and containers to plain Python, so metadata is JSON-ready and compares exactly."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _frozen_array(values: Any, ndim: int, name: str) -> np.ndarray:
    if isinstance(values, np.memmap) and values.dtype == np.float64 and not values.flags.writeable:
        array = values  # local values on disk (explain_lib.engine): read-only already, never copied into memory
    else:
        array = np.array(values, dtype=np.float64, copy=True)  # our own copy: the caller may reuse theirs
    if array.ndim != ndim:
        raise InvalidInputError(f"Explanation.{name} must have {ndim} dimensions, got shape {array.shape}.")
    if not np.isfinite(array).all():  # the door: NaN / inf would be logged as 1.8e308 or break rankings
        position = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise InvalidInputError(
            f"Explanation.{name} holds a non-finite value ({array[position]}) at {list(position)}; importances "
            "must be finite numbers. Find where the explained model's output overflowed or is missing."
        )
    array.flags.writeable = False
    return array


def aggregate(local: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-output and global importance from local values.

    ``per_output[k] = mean over rows of |local[k]|``; ``global = mean over outputs of per_output``
    (the rule interpret-community uses, so global rankings agree with it). Rows are summed in fixed
    blocks (:mod:`explain_lib._importance`), so chunked and distributed runs give the same bits.
    """
    return _importance.aggregate(local)


@dataclass(frozen=True, eq=False)
class Explanation(CommunityAccessors):
    """Feature importances of one model on one set of rows.

    Shapes (``n_outputs`` is the number of classes for classification, 1 for regression):

    ``local``      (n_outputs, n_rows, n_features) or None (global-only methods)
    ``expected``   (n_outputs,) the base value: local.sum(-1) + expected == model output
                   in ``output_space`` for SHAP methods (the additivity contract)
    ``global_``    (n_features,)  mean over outputs of ``per_class``
    ``per_class``  (n_outputs, n_features) mean |local| per output; None for regression

    ``output_space`` says what the model output is: ``"margin"`` (log-odds / raw scores),
    ``"probability"``, ``"raw"`` (a regressor's prediction) or ``"metric"`` (a drop in a score,
    for permutation importance). A binary classifier has two outputs, class 0's values being the
    negation of class 1's.

    ``is_raw`` / ``is_engineered`` follow interpret-community: True when the explanation is known to
    be over raw (before transformations) or engineered (after) features; both False when the
    features are simply the model's inputs.

    ``global_std`` (n_features,) and ``global_repeats`` (n_features, n_repeats): the spread of
    ``global_`` over repeated estimates and the estimates themselves (permutation importance).
    ``data``: the explained rows (a DataFrame with one column per feature), or None when the explanation kept
    none; calling it, ``explanation.data(key)``, gives interpret-community's ``data(key)`` dictionaries
    (:mod:`explain_lib._interpret_data`).
    ``single_row``: the explanation of one 1-D row; interpret-community's accessors drop the row
    axis for it. interpret-community's accessor names come from :class:`CommunityAccessors`.
    ``community_properties``: what an explanation read from interpret-community's saved folder held and
    has no field for here (``eval_y_predicted``, ``eval_y_predicted_proba``, ``init_data``, its metadata),
    as ``{name: [tag, value]}``; written back as they were. Explanations derived from it (``cohort``,
    ``to_raw``) drop them.
    ``initialization_examples``: the rows the explainer was built from (one copy the explainer made, shared by
    its explanations, never compared), held by the explanations of ``explain_lib.compat``'s MimicExplainer as
    interpret-community's ``init_data``; written to interpret-community's folder, left out of our saved format.

    Examples
    --------
    >>> import numpy as np
    >>> from explain_lib import Explanation
    >>> local = np.array([[[1.0, -0.5], [0.25, 0.125]]])  # one output, two rows, two features
    >>> e = Explanation(local=local, expected=[3.0], features=["age", "income"], task="regression",
    ...                 output_space="raw", method="demo")
    >>> e.global_importance().to_dict()  # mean |local value| per feature, highest first
    {'age': 0.625, 'income': 0.3125}
    >>> (e.local.sum(axis=-1) + e.expected[:, None]).tolist()  # additivity: the model's output per row
    [[3.5, 3.375]]
    >>> e.cohort([False, True]).global_importance().to_dict()
    {'age': 0.25, 'income': 0.125}
    """

    local: np.ndarray | None
    expected: np.ndarray | None
    features: tuple[str, ...]
    task: Task
    output_space: OutputSpace
    method: str
    classes: tuple[Any, ...] | None = None
    global_: np.ndarray | None = None
    per_class: np.ndarray | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    versions: Mapping[str, str] = field(default_factory=_library_versions)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    is_raw: bool = False
    is_engineered: bool = False
    data: pd.DataFrame | None = RowsField()  # type: ignore[assignment]  # the rows; callable as interpret's data()
    fidelity: Mapping[str, float] | None = None
    model_uri: str | None = None
    global_std: np.ndarray | None = None
    global_repeats: np.ndarray | None = None
    single_row: bool = False
    community_properties: Mapping[str, Any] | None = None
    initialization_examples: pd.DataFrame | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "features", Names(str(f) for f in self.features))
        if len(set(self.features)) != len(self.features):
            duplicated = sorted({f for f in self.features if self.features.count(f) > 1})
            raise InvalidInputError(f"Feature names must be unique; repeated: {duplicated}.")
        if self.task not in _TASKS:
            raise InvalidParameterError(f"task must be one of {_TASKS}, got {self.task!r}.")
        if self.output_space not in _OUTPUT_SPACES:
            raise InvalidParameterError(
                f"output_space must be one of {_OUTPUT_SPACES}, got {self.output_space!r}."
            )
        if self.task == "classification":
            if self.classes is None:
                raise InvalidInputError("A classification explanation needs its classes.")
            set_(self, "classes", Names(_plain(c) for c in self.classes))
        else:
            set_(self, "classes", None)
        n_outputs, n_features = self.n_outputs, len(self.features)

        if self.local is not None:
            local = _frozen_array(self.local, 3, "local")
            if local.shape[0] != n_outputs or local.shape[2] != n_features:
                raise InvalidInputError(
                    f"Explanation.local has shape {local.shape}; expected ({n_outputs}, n_rows, "
                    f"{n_features}) for {n_outputs} output(s) and {n_features} features."
                )
            set_(self, "local", local)
            wants_per_class = self.per_class is None and self.task == "classification"
            if self.global_ is None or wants_per_class:  # loaded explanations carry both already
                per_output, global_ = aggregate(local)
                if self.global_ is None:
                    set_(self, "global_", global_)
                if wants_per_class:
                    set_(self, "per_class", per_output)
        if self.global_ is None:
            raise InvalidInputError("An explanation needs local values or global importances.")
        set_(self, "global_", _frozen_array(self.global_, 1, "global_"))
        if self.global_.shape != (n_features,):
            raise InvalidInputError(
                f"Explanation.global_ has shape {self.global_.shape}; expected ({n_features},)."
            )
        if self.per_class is not None:
            set_(self, "per_class", _frozen_array(self.per_class, 2, "per_class"))
            if self.per_class.shape != (n_outputs, n_features):
                raise InvalidInputError(
                    f"Explanation.per_class has shape {self.per_class.shape}; expected "
                    f"({n_outputs}, {n_features})."
                )
        for name, ndim in (("global_std", 1), ("global_repeats", 2)):
            if getattr(self, name) is not None:
                set_(self, name, _frozen_array(getattr(self, name), ndim, name))
                if getattr(self, name).shape[0] != n_features:
                    raise InvalidInputError(
                        f"Explanation.{name} has shape {getattr(self, name).shape}; expected {n_features} rows, "
                        "one per feature."
                    )
        if self.single_row and (self.local is None or self.local.shape[1] != 1):
            raise InvalidInputError("single_row=True needs local values of exactly one row.")
        if self.expected is not None:
            set_(self, "expected", _frozen_array(np.atleast_1d(self.expected), 1, "expected"))
            if self.expected.shape != (n_outputs,):
                raise InvalidInputError(
                    f"Explanation.expected has shape {self.expected.shape}; expected ({n_outputs},)."
                )
        if self.data is not None:
            if list(map(str, self.data.columns)) != list(self.features):
                raise InvalidInputError("Explanation.data must have one column per feature, in feature order.")
            set_(self, "data", self.data.copy())  # like the arrays: the caller's frame may change later
        set_(self, "params", types.MappingProxyType(_plain(dict(self.params))))
        set_(self, "versions", types.MappingProxyType(dict(self.versions)))
        if self.fidelity is not None:
            set_(self, "fidelity", types.MappingProxyType(_plain(dict(self.fidelity))))
        if self.community_properties is not None:
            set_(self, "community_properties", types.MappingProxyType(_plain(dict(self.community_properties))))

    # ------------------------------------------------------ pickling, copies
    def __getstate__(self) -> dict[str, Any]:
        """Plain dicts for the read-only mappings (a ``mappingproxy`` cannot be pickled), so explanations
        travel to worker processes, into joblib caches and through ``copy.deepcopy``."""
        return {name: dict(value) if isinstance(value, types.MappingProxyType) else value
                for name, value in self.__dict__.items()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            if isinstance(value, dict):
                value = types.MappingProxyType(value)
            elif isinstance(value, np.ndarray):
                value.flags.writeable = False  # unpickled arrays are fresh copies, writeable: frozen again
            self.__dict__[name] = value  # frozen: set as __init__ does, past __setattr__

    # ----------------------------------------------------------------- sizes
    @property
    def n_outputs(self) -> int:
        return len(self.classes) if self.task == "classification" else 1

    @property
    def n_features(self) -> int:
        return len(self.features)

    @property
    def n_rows(self) -> int | None:
        return None if self.local is None else self.local.shape[1]

    # ------------------------------------------------------------- accessors
    def output_index(self, cls: Any = None) -> int:
        """The position of class label ``cls`` on the outputs axis (of ``local``, ``expected``, ``per_class``).

        None means the only output of a regression or the positive class (the second) of a binary
        classifier; a multiclass explanation needs a class. Unknown classes raise
        :class:`~explain_lib.errors.InvalidParameterError` naming the classes.

        Examples
        --------
        >>> import numpy as np
        >>> e = Explanation(local=np.zeros((3, 1, 2)), expected=np.zeros(3), features=["a", "b"],
        ...                 task="classification", output_space="probability", method="demo", classes=["x", "y", "z"])
        >>> e.output_index("z")
        2
        """
        return output_index(self.task, self.classes, cls)

    def require_local(self, what: str) -> np.ndarray:
        """The local values, or a :class:`~explain_lib.errors.ValuesNotAvailableError` (an InvalidParameterError)
        saying that ``what`` (e.g. ``"cohort()"``) needs them when this explanation is global only."""
        if self.local is None:
            raise ValuesNotAvailableError(
                f"{what} needs local values, but this {self.method} explanation is global only. "
                "Use a method that explains rows (tree, linear, kernel, mimic)."
            )
        return self.local

    def global_importance(self, top_k: int | None = None, cls: Any = None) -> pd.Series:
        """Importance per feature, highest first; ``cls`` picks one class's (mean |local|) values."""
        if cls is None:
            values = self.global_
        else:
            if self.per_class is None:
                raise InvalidParameterError(
                    "Per-class importances exist only for classification explanations with local values."
                )
            values = self.per_class[self.output_index(cls)]
        order = _rank(values)[: _check_top_k(top_k)]
        return pd.Series(values[order], index=[self.features[i] for i in order], name="importance")

    def local_frame(self, cls: Any = None) -> pd.DataFrame:
        """Local values as a DataFrame (rows x features) for one output.

        Regression: the only output. Binary: the positive class unless ``cls`` says otherwise.
        Multiclass: ``cls`` picks a class, or ``cls="all"`` gives every class stacked under a
        (class, row) MultiIndex.
        """
        local = self.require_local("local_frame()")
        if cls == "all" and "all" not in (self.classes or ()):
            if self.task == "regression":
                raise InvalidParameterError("cls='all' applies to classification explanations only.")
            index = pd.MultiIndex.from_product([list(self.classes), range(local.shape[1])], names=["class", "row"])
            return pd.DataFrame(local.reshape(-1, self.n_features), index=index, columns=list(self.features))
        frame = pd.DataFrame(local[self.output_index(cls)], columns=list(self.features))
        frame.index.name = "row"
        return frame

    def cohort(self, mask: Sequence[bool] | np.ndarray | pd.Series) -> Explanation:
        """The explanation of a subset of rows (boolean mask or row positions), importances recomputed."""
        local = self.require_local("cohort()")
        selector = np.asarray(mask)
        if selector.dtype == bool:
            if selector.shape != (local.shape[1],):
                raise InvalidInputError(
                    f"A boolean cohort mask needs one entry per row ({local.shape[1]}), got shape {selector.shape}."
                )
            positions = np.flatnonzero(selector)
        elif selector.size == 0 or np.issubdtype(selector.dtype, np.integer):
            positions = selector.astype(np.int64).reshape(-1)
            if positions.size and (positions.min() < -local.shape[1] or positions.max() >= local.shape[1]):
                raise InvalidInputError(f"Cohort row positions must lie in [0, {local.shape[1]}).")
        else:
            raise InvalidInputError(f"A cohort is a boolean mask or integer positions, got dtype {selector.dtype}.")
        data = None if self.data is None else self.data.iloc[positions]  # the rows keep their labels
        return dataclasses.replace(
            self,
            local=local[:, positions],
            global_=None,
            per_class=None,
            id=uuid.uuid4().hex,
            params={**self.params, "cohort_of": self.id, "cohort_rows": int(positions.size)},
            data=data,
            single_row=self.single_row and positions.size == 1,
            community_properties=None,
        )

    def to_raw(self, feature_map: Any, *, raw_features: Sequence[str] | None = None,
               raw_data: pd.DataFrame | None = None, allow_all_transformations: bool = False) -> Explanation:
        """The same explanation over raw features: each raw value is the sum of its engineered columns'.

        ``feature_map`` is a :class:`~explain_lib.features.FeatureMap`, a fitted ColumnTransformer, a
        list of (columns, transformer) tuples, or a (n_raw, n_engineered) matrix (dense or sparse)
        whose columns sum to 1. SHAP values add, so additivity survives: the raw local values of a
        row still sum to the model output minus the expected value. ``raw_data`` (the raw rows)
        is kept as the explanation's data (see :func:`~explain_lib._raw.raw_fields`).
        """
        from ._raw import raw_fields
        from .features import FeatureMap
        from .features import feature_map as read_map

        mapping = feature_map if isinstance(feature_map, FeatureMap) else read_map(
            feature_map, raw_features, allow_all_transformations=allow_all_transformations)
        return dataclasses.replace(self, **raw_fields(self, mapping, raw_data))

    # ---------------------------------------------------------------- shap interop
    def to_shap(self, cls: Any = None) -> Any:
        """This explanation as a ``shap.Explanation``, so shap's plots (waterfall, force, heatmap,
        decision, beeswarm) draw it.

        One output: ``cls`` picks it (None: the regression output or a binary positive class);
        ``values`` (n_rows, n_features), ``base_values`` (n_rows,). ``cls="all"``: every class,
        ``values`` (n_rows, n_features, n_classes), ``base_values`` (n_rows, n_classes),
        ``output_names`` the classes. ``data`` holds the explained rows when the explanation kept them.
        """
        from ._shap_interop import to_shap

        return to_shap(self, cls)

    @classmethod
    def from_shap(cls, shap_explanation: Any, *, output_space: OutputSpace | None = None, classes: Any = None,
                  task: Task | None = None, method: str = "shap", params: Mapping[str, Any] | None = None,
                  model_uri: str | None = None) -> Explanation:
        """An Explanation of a ``shap.Explanation`` (so a shap user's results go into our run history).

        ``values`` (n_rows, n_features) is one output; (n_rows, n_features, n_outputs) one per class.
        A binary classifier's single output is its positive class (``classes`` has two labels): the
        other class gets the negated values. Base values must be the same for every row (one
        expected value per output). ``output_space`` is required for classifiers ("margin" or
        "probability"); regressions default to "raw".
        """
        from ._shap_interop import from_shap

        return cls(**from_shap(shap_explanation, output_space=output_space, classes=classes, task=task,
                               method=method, params=params, model_uri=model_uri))

    # ------------------------------------------------------------ persistence
    def save(self, directory: str | os.PathLike, *, dtype: str = "float32",
             extra: Mapping[str, Any] | None = None) -> None:
        """Write the explanation to ``directory`` (see :mod:`explain_lib._format` for the layout).

        Metadata and global / per-class importances round-trip exactly; local values are stored as
        ``dtype`` (float32 unless asked for float64). ``extra`` adds JSON-ready top-level blocks to
        explanation.json for other readers (``load`` ignores them).
        """
        _format.write(directory, _format.metadata(self), local=self.local, data=self.data, dtype=dtype,
                      extra=None if extra is None else dict(extra))

    @classmethod
    def load(cls, directory: str | os.PathLike, *, top_k: int | None = None) -> Explanation:
        """Read an explanation written by :meth:`save`; ``top_k`` reads only the top-k global features."""
        top_k = _check_top_k(top_k)
        meta = _format.read_meta(directory)
        try:
            columns = None
            if top_k is not None:
                order = _rank(np.asarray(meta["global"], dtype=np.float64))[:top_k]
                columns = [meta["features"][i] for i in order]
            meta, local, data = _format.read(directory, columns=columns)
            return cls(**_format.fields(meta, local, data, columns))
        except (ExplainLibError, TypeError, ValueError, KeyError, IndexError) as error:
            if isinstance(error, (CorruptExplanationError, SchemaVersionError)):
                raise
            path = os.path.join(os.fspath(directory), _format.META_FILE)
            raise CorruptExplanationError(
                f"{path} is damaged: its contents do not form an explanation ({error}). Save or upload the "
                "explanation again."
            ) from error

    def to_html(self, path: str | os.PathLike, *, visualization_points: int = 5000, true_ys: Any = None,
                cohorts: Any = None, others: Sequence[Explanation] = (), title: str | None = None,
                comment: str | None = None, model: Any = None, background: Any = None, what_if: bool = True,
                ice_features: int | Sequence[str] = 10, grid_size: int = 20, interactions: Any = None) -> str:
        """Write the interactive dashboard (one self-contained HTML file, no network) to ``path``.

        At most ``visualization_points`` rows (a seeded sample) go into the page; ``true_ys`` (one
        label per row) adds true-label, error and metric views; ``cohorts`` is a scorecard config
        (its ``Cohorts``) or a list of CohortSpecs; ``others`` adds e.g. the raw / engineered
        counterpart for the page's toggle. ``model`` (the explained model) adds a what-if form and
        ICE / partial dependence curves: tree ensembles and linear models are carried into the page
        and re-explained there exactly (``what_if=False``: ICE only); ``background`` is the
        background an interventional TreeSHAP explanation used; ``ice_features`` (a count of top
        features, or names) and ``grid_size`` shape the curves. ``interactions`` (exact interaction values of
        these rows, ``TreeShap(model).interactions(X)``) adds the Interactions view. Returns the path written. See
        :mod:`explain_lib.report.dashboard` (found through :mod:`explain_lib._renderers`).
        """
        write_dashboard = _renderers.renderer("dashboard")
        return str(write_dashboard(path, self, visualization_points=visualization_points, true_ys=true_ys,
                                   cohorts=cohorts, others=others, title=title, comment=comment, model=model,
                                   background=background, what_if=what_if, ice_features=ice_features,
                                   grid_size=grid_size, interactions=interactions))

    def _repr_html_(self) -> str:
        """The dashboard, inline in Jupyter, VS Code or Databricks notebooks (at most 1,000 rows; see
        :mod:`explain_lib._notebook` and :func:`explain_lib.show`)."""
        from ._notebook import dashboard_frame

        return dashboard_frame(self)

    def __repr__(self) -> str:
        rows = "global only" if self.local is None else f"{self.n_rows} rows"
        return (
            f"Explanation(method={self.method!r}, task={self.task!r}, output_space={self.output_space!r}, "
            f"{self.n_features} features, {rows}, id={self.id!r})"
        )
