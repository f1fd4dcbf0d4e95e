"""What-if and ICE for the dashboard: the model carried into the page when it can be, the grids, the checks.

``whatif_payload(explanation, model, rows=...)`` decides, for one explanation and its model:

* **exact** what-if: the model (tree ensemble or linear model, behind the preprocessing it may have)
  and the explanation's algorithm can be run in the page — path-dependent TreeSHAP for a tree
  explanation, interventional TreeSHAP over the carried background for ``TreeShap(output="probability")``,
  the closed form for an interventional ``LinearShap``. Before anything goes into the page the copy
  is checked: on the page's rows (and on rows with every category and a missing value put in) its
  margins must equal the model's own (to 1e-12; the last bits of a BLAS product for linear models),
  its preprocessing must equal the Pipeline's, and a linear explanation's values must follow the
  closed form. ICE curves are then computed in the page, from the same copy.
* **grid** mode, for anything else (kernel, deep or surrogate explanations, models the page does not
  carry, a copy over :data:`MAX_MODEL_BYTES`): ICE curves are computed here with the model itself, and
  the page's form changes one feature at a time along them. The page says why.

The model must be the explained one: for SHAP explanations its outputs on the page's rows must equal
the explanation's (``local.sum(-1) + expected``), else :class:`~explain_lib.errors.InvalidParameterError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..._sample import sample_rows
from ...errors import InvalidParameterError
from ...features import feature_map
from ...models import is_linear_model, model_input, split_pipeline, torch_network, tree_family
from .._page import encode_array
from ._carry_inputs import CarriedInputs, carry_inputs
from ._carry_linear import CarriedLinear, carry_linear, linear_offsets, probabilities
from ._carry_trees import NotCarried, carry_trees
from ._ice import ICE_BUDGET_VALUES, check_ice_features, encode_ice, ice_features, ice_values, numeric_grid

__all__ = ["MAX_MODEL_BYTES", "whatif_payload"]

#: a model whose copy in the page would take more than this is left out (the rest of the page works)
MAX_MODEL_BYTES = 20 * 2**20
CHECK_ROWS = 200  # page rows the copy of the model is checked on
_ADDITIVE = ("shap.tree", "shap.linear", "shap.kernel")
_LINKS = ("sigmoid", "softmax", "ovr", "ovr-sigmoid", "sigmoid32", "softmax32", "identity")


# ------------------------------------------------------------------ the model's own outputs
def _model_rows(step: Any, frame: pd.DataFrame) -> Any:
    """``frame`` as ``step`` takes it: a DataFrame when it knows column names or the columns are not all numbers."""
    numeric = all(pd.api.types.is_numeric_dtype(t) and not isinstance(t, pd.CategoricalDtype) for t in frame.dtypes)
    if getattr(step, "feature_names_in_", None) is not None or not numeric:
        return frame
    return frame.to_numpy(dtype=np.float64)


def _columns(values: Any, n_outputs: int, probability: bool = False) -> np.ndarray:
    """(n_rows, n_outputs); one column of a binary model: class 1's, class 0's being 1 - p or the negated margin."""
    out = np.asarray(values, dtype=np.float64)
    if out.ndim == 1:
        out = out[:, None]
    if out.shape[1] == 1 and n_outputs == 2:
        out = np.concatenate([1.0 - out if probability else -out, out], axis=1)
    return out


def _margin(estimator: Any, X: Any) -> np.ndarray:
    """The estimator's raw scores: what trees add up to, a linear decision function, a forest's probabilities."""
    family = tree_family(estimator)
    if family == "lightgbm":
        return np.asarray(estimator.predict(X, raw_score=True), dtype=np.float64)
    if family == "xgboost":
        if hasattr(estimator, "get_booster"):
            return np.asarray(estimator.predict(X, output_margin=True), dtype=np.float64)
        import xgboost

        return np.asarray(estimator.predict(xgboost.DMatrix(X), output_margin=True), dtype=np.float64)
    if hasattr(estimator, "decision_function"):
        return np.asarray(estimator.decision_function(X), dtype=np.float64)
    if hasattr(estimator, "predict_proba") and getattr(estimator, "classes_", None) is not None:
        return np.asarray(estimator.predict_proba(X), dtype=np.float64)
    return np.asarray(estimator.predict(X), dtype=np.float64)


def output_function(model: Any, task: str, output_space: str, n_outputs: int) -> Callable[[pd.DataFrame], np.ndarray]:
    """The function the explanation's values add up to, on a frame of the explained features: (n_rows, n_outputs)."""
    prefix, estimator = split_pipeline(model)

    def outputs(frame: pd.DataFrame) -> np.ndarray:
        if output_space == "probability":
            return _columns(model.predict_proba(_model_rows(model if prefix is None else prefix, frame)), n_outputs)
        X = _model_rows(estimator, frame) if prefix is None else prefix.transform(_model_rows(prefix, frame))
        if task == "regression" and tree_family(estimator) is None:
            return _columns(estimator.predict(X), n_outputs)
        return _columns(_margin(estimator, X), n_outputs)

    return outputs


def _softmax(values: np.ndarray) -> np.ndarray:
    e = np.exp(values - values.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _function_of_rows(model: Any, explanation: Any, frame: pd.DataFrame, rows: np.ndarray) -> Callable | None:
    """For a model with neither ``predict`` nor ``predict_proba`` (a function of rows, a torch network): the function
    of rows — its outputs as they are, through a sigmoid or a softmax — that gives the explanation's outputs on the
    check rows; None when none does."""
    network = torch_network(model)
    if network is not None:
        import torch

        dtype = next(network.parameters()).dtype

        def call(part: pd.DataFrame) -> np.ndarray:
            with torch.no_grad():
                return network(torch.as_tensor(part.to_numpy(dtype=np.float64, copy=True), dtype=dtype)).numpy()
    elif callable(model):
        call = model
    else:
        return None
    n_outputs = explanation.local.shape[0]
    probability = explanation.output_space == "probability"
    check = np.arange(min(CHECK_ROWS, len(rows)))
    explained = (explanation.local[:, rows[check]].sum(-1) + explanation.expected[:, None]).T
    for transform in (lambda z: z, lambda z: 1 / (1 + np.exp(-z)), _softmax):
        def outputs(part: pd.DataFrame, transform: Callable = transform) -> np.ndarray:
            return _columns(transform(np.asarray(call(part), dtype=np.float64).reshape(len(part), -1)), n_outputs,
                            probability)
        try:
            own = outputs(frame.iloc[check])
        except (ValueError, TypeError, RuntimeError):
            return None
        if own.shape == explained.shape and np.allclose(own, explained, rtol=1e-5, atol=1e-6):
            return outputs
    return None


def _check_model(explanation: Any, outputs: Callable, frame: pd.DataFrame, rows: np.ndarray) -> None:
    """Refuse a model whose outputs are not what the explanation's values add up to on the page's rows."""
    if explanation.method not in _ADDITIVE or explanation.expected is None:
        return
    check = np.arange(min(CHECK_ROWS, len(rows)))
    try:
        own = outputs(frame.iloc[check])
    except (ValueError, TypeError, AttributeError, KeyError) as error:
        raise InvalidParameterError(f"model= cannot predict the explained rows ({type(error).__name__}: {error}); "
                                    "pass the model that was explained.") from error
    explained = (explanation.local[:, rows[check]].sum(-1) + explanation.expected[:, None]).T
    if own.shape != explained.shape or not np.allclose(own, explained, rtol=1e-6, atol=1e-6):
        gap = np.abs(own - explained).max() if own.shape == explained.shape else f"shape {own.shape}"
        raise InvalidParameterError(
            f"model= is not the model this explanation explains: its outputs on the explained rows differ from what "
            f"the explanation's values add up to (by {gap}). Pass the explained model (and the full explanation, not "
            "one reduced to its top-k features).")


# ------------------------------------------------------------------ the copy of the model
def _algorithm(explanation: Any) -> str:
    params = explanation.params or {}
    if explanation.method == "shap.tree":
        return "interventional" if params.get("output") == "probability" else "path"
    if explanation.method == "shap.linear" and params.get("feature_perturbation", "interventional") == "interventional":
        return "linear"
    raise NotCarried(f"{explanation.method} explanations are recomputed only by their own explainer")


def _probe(frame: pd.DataFrame, inputs: CarriedInputs) -> tuple[pd.DataFrame, list[int]]:
    """The check rows, then row 0 with each category of each categorical field; and the fields a missing value
    is tried for."""
    base = frame.iloc[:CHECK_ROWS]
    variants = []
    for spec in inputs.fields:
        if spec.kind != "categorical":
            continue
        source = frame[spec.name]
        known = {str(v): v for v in pd.unique(source.dropna())}
        for name in spec.categories:
            row = frame.iloc[[0]].copy()
            value = known.get(name, name)
            if isinstance(source.dtype, pd.CategoricalDtype):
                value = next((c for c in source.cat.categories if str(c) == name), None)
                if value is None:
                    continue
            row[spec.name] = pd.Series([value], index=row.index, dtype=source.dtype)
            variants.append(row)
    return pd.concat([base, *variants], ignore_index=True), [j for j, f in enumerate(inputs.fields) if f.missing]


def _with_missing(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Row 0 of ``frame`` with a missing value in ``column`` (NaN; None in a column of objects)."""
    row = frame.iloc[[0]].copy()
    source = frame[column]
    if isinstance(source.dtype, pd.CategoricalDtype):
        row[column] = pd.Series([np.nan], index=row.index, dtype=source.dtype)
    elif pd.api.types.is_numeric_dtype(source) or pd.api.types.is_bool_dtype(source):
        row[column] = np.nan  # an integer column becomes float, as it would with a missing value
    else:
        row[column] = pd.Series([None], index=row.index, dtype=source.dtype)
    return row


def _same(carried: np.ndarray, own: np.ndarray, linear: CarriedLinear | None, X: np.ndarray) -> np.ndarray:
    """Per row: the copy's margins equal the model's (to 1e-12; a linear model's to the size of its terms)."""
    if carried.shape != own.shape:
        return np.zeros(len(X), dtype=bool)
    both_nan = np.isnan(carried) & np.isnan(own)
    if linear is None:
        return np.all(both_nan | np.isclose(carried, own, rtol=1e-12, atol=0.0), axis=1)
    size = np.abs(X) @ np.abs(linear.coef.T) + np.abs(linear.intercept)  # the terms a BLAS product may round
    return np.all(both_nan | (np.abs(carried - own) <= 1e-12 * (1.0 + size)), axis=1)


def _reference(model: Any, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(the estimator's input, its margins) computed by the model itself."""
    prefix, estimator = split_pipeline(model)
    if prefix is None:
        X = _model_rows(estimator, frame)
        engineered = None
    else:
        engineered = prefix.transform(_model_rows(prefix, frame))
        X = engineered
    margins = _margin(estimator, X)
    dense = None if engineered is None else (engineered.toarray() if sp.issparse(engineered) else np.asarray(
        engineered, dtype=np.float64))
    return dense, margins.reshape(len(frame), -1)


def _checked_copy(model: Any, inputs: CarriedInputs, carried: Any, frame: pd.DataFrame) -> None:
    """Check the copy on the probe rows; fields whose missing value the model refuses or the copy misreads lose it."""
    probe, missing_fields = _probe(frame, inputs)
    linear = carried if isinstance(carried, CarriedLinear) else None

    def agrees(rows: pd.DataFrame) -> np.ndarray:
        X = inputs.model_input(inputs.encode(rows))
        engineered, own = _reference(model, rows)
        if engineered is not None and not np.array_equal(engineered, X, equal_nan=True):
            raise NotCarried("the page's copy of the preprocessing does not reproduce the Pipeline's")
        return _same(carried.margins(X), own, linear, X)

    if not agrees(probe).all():
        raise NotCarried("the page's copy of the model does not reproduce its predictions")
    if not missing_fields:
        return
    tried = [_with_missing(frame, inputs.fields[j].name) for j in missing_fields]
    try:  # one call for every field; if the model refuses one of them, one call per field
        taken = list(agrees(pd.concat(tried, ignore_index=True)))
    except (ValueError, TypeError):
        taken = []
        for row in tried:
            try:
                taken.append(bool(agrees(row)[0]))
            except (ValueError, TypeError):  # the model refuses a missing value there
                taken.append(False)
    for j, accepted in zip(missing_fields, taken, strict=True):
        inputs.fields[j].missing = bool(accepted)


def _choose_link(model: Any, carried: Any, inputs: CarriedInputs, frame: pd.DataFrame) -> None:
    """The link whose probabilities equal the model's ``predict_proba`` on the check rows (none: f(x) only)."""
    if not hasattr(model, "predict_proba") or getattr(model, "classes_", None) is None:
        carried.link = None
        return
    rows = frame.iloc[:CHECK_ROWS]
    prefix, _ = split_pipeline(model)
    own = np.asarray(model.predict_proba(_model_rows(model if prefix is None else prefix, rows)), dtype=np.float64)
    margins = carried.margins(inputs.model_input(inputs.encode(rows)))
    candidates = [carried.link, *_LINKS] if getattr(carried, "link", None) else list(_LINKS)
    for link in candidates:
        with np.errstate(over="ignore"):
            mine = probabilities(link, margins, carried.link_scale)
        tolerance = 3e-7 if link.endswith("32") else 1e-12  # XGBoost's float32 expf: within a unit in the last place
        if mine is not None and mine.shape == own.shape and np.allclose(mine, own, rtol=tolerance, atol=1e-15):
            carried.link = link
            return
    carried.link = None


def _interventional_background(explanation: Any, estimator: Any, background: Any) -> tuple[np.ndarray, Any]:
    """The background rows ``TreeShap(output="probability")`` used, re-drawn with its seed and checked."""
    from ...explainers import TreeShap

    if background is None:
        raise NotCarried("the explanation is interventional (output='probability') and no background was given "
                         "(background= / the upload's init_dataset)")
    params = explanation.params
    explainer = TreeShap(estimator, background, output="probability", n_background=int(params["n_background"]),
                         random_state=params.get("random_state"))
    rows = explainer.background.to_numpy().astype(np.float64)
    return rows, explainer


def _mapping(model: Any, explanation: Any, frame: pd.DataFrame, width: int) -> sp.csr_matrix:
    """The raw-to-engineered map (CSR, n_features x width): the identity for a plain model."""
    prefix, _ = split_pipeline(model)
    n = len(explanation.features)
    if prefix is None:
        return sp.identity(n, format="csr")
    if explanation.is_engineered or not explanation.is_raw:
        raise NotCarried("this explanation is over the Pipeline's engineered features; what-if edits raw values, "
                         "so open it with the raw-feature explanation")
    mapping = feature_map(prefix, list(explanation.features), sample=frame).matrix.tocsr()
    if mapping.shape != (n, width):
        raise NotCarried("the Pipeline's feature map does not match its output")
    mapping.sort_indices()
    return mapping


def _carry(explanation: Any, model: Any, frame: pd.DataFrame, rows: np.ndarray, background: Any) -> dict[str, Any]:
    algorithm = _algorithm(explanation)
    prefix, estimator = split_pipeline(model)
    features = list(explanation.features)
    expected_names = getattr(prefix if prefix is not None else estimator, "feature_names_in_", None)
    if expected_names is not None and [str(c) for c in expected_names] != features:
        raise NotCarried("the model's input columns are not the explained features in the same order")
    if tree_family(estimator) is None and not is_linear_model(estimator):
        raise NotCarried(f"the page carries tree ensembles and linear models, not {type(estimator).__name__}")
    # fields (categories, ranges) from every explained row; the page's rows are what it edits
    inputs = carry_inputs(model, features, explanation.data, allow_nan=model_input(estimator).allow_nan)
    carried = carry_trees(estimator) if tree_family(estimator) is not None else carry_linear(estimator)
    _checked_copy(model, inputs, carried, frame)
    if explanation.task == "classification":
        _choose_link(model, carried, inputs, frame)
    engineered = inputs.model_input(inputs.encode(frame))
    mapping = _mapping(model, explanation, frame, engineered.shape[1])
    explain: dict[str, Any] = {"algorithm": algorithm, "groups": _explained_groups(explanation, carried.n_groups),
                               "map": {
        "indptr": encode_array(mapping.indptr, "int32"), "indices": encode_array(mapping.indices, "int32"),
        "data": encode_array(mapping.data, "float64")}}
    if algorithm == "linear":
        if not isinstance(carried, CarriedLinear):
            raise NotCarried("a linear explanation of a model that is not linear")
        groups = _explained_groups(explanation, carried.n_groups)
        local = explanation.local[groups][:, rows]
        explain["offsets"] = encode_array(linear_offsets(carried, engineered, local, mapping), "float64")
    elif algorithm == "interventional":
        if prefix is not None or carried.n_groups != 1 or getattr(carried, "vector_leaves", False):
            raise NotCarried("interventional TreeSHAP is carried for boosted binary classifiers without preprocessing")
        background_rows, explainer = _interventional_background(explanation, estimator, background)
        check = explainer.explain(frame.iloc[:2] if isinstance(frame, pd.DataFrame) else frame[:2])
        if not np.allclose(check.local, explanation.local[:, rows[:2]], rtol=1e-5, atol=1e-6):
            raise NotCarried("the background given is not the one the explanation used (its values differ)")
        explain["background"] = encode_array(background_rows, "float64")
        explain["n_background"] = len(background_rows)
        # shap rescales each background row's margin-space values onto the probability scale (a logistic link)
        explain["transform"] = "logistic" if carried.link in ("sigmoid", "sigmoid32") else "identity"
    return {"inputs": inputs, "model": carried.payload(), "explain": explain,
            "description": carried.description}


def _explained_groups(explanation: Any, n_groups: int) -> list[int]:
    """Which explanation output each of the model's groups is (a binary margin model's one group: class 1)."""
    n_outputs = explanation.local.shape[0]
    if n_groups == n_outputs:
        return list(range(n_groups))
    if n_groups == 1 and n_outputs == 2:
        return [1]
    raise NotCarried(f"the model has {n_groups} outputs and the explanation {n_outputs}")


# ------------------------------------------------------------------ ICE
def _grids(inputs: CarriedInputs, data: pd.DataFrame, grid_size: int) -> list[dict[str, Any]]:
    grids = []
    for spec in inputs.fields:
        if spec.kind == "numeric":
            values = pd.to_numeric(data[spec.name], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            grids.append({"kind": "numeric", "grid": numeric_grid(values, grid_size).tolist(), "labels": None})
        else:
            grids.append({"kind": "categorical", "grid": list(range(len(spec.categories))),
                          "labels": list(spec.categories)})
    return grids


def _margin_link(outputs: Callable, probability: Callable, frame: pd.DataFrame) -> str | None:
    """The link that turns the model's margins into its ``predict_proba`` on the check rows (to the last bits of
    ``exp``), if one does."""
    check = frame.iloc[:CHECK_ROWS]
    margins, own = outputs(check), probability(check)
    groups = margins[:, 1:] if margins.shape[1] == 2 else margins  # a binary margin: class 1's
    for link in ("sigmoid", "softmax", "ovr"):
        with np.errstate(over="ignore"):
            mine = probabilities(link, groups)
        if mine.shape == own.shape and np.allclose(mine, own, rtol=1e-13, atol=1e-16):  # a libm's last bit apart
            return link
    return None


def _upload_ice(explanation: Any, outputs: Callable, probability: Callable | None, frame: pd.DataFrame,
                positions: list[int], grid_size: int) -> dict[str, Any]:
    """ICE computed here with the model, for ``positions``; rows sampled if the values would exceed the budget."""
    data = explanation.data
    grids = []
    for j in positions:
        name = explanation.features[j]
        column = data[name]
        if pd.api.types.is_numeric_dtype(column) and not isinstance(column.dtype, pd.CategoricalDtype):
            grid = numeric_grid(column.to_numpy(dtype=np.float64, na_value=np.nan), grid_size).tolist()
            grids.append((j, grid, None))
        else:
            values = sorted(pd.unique(column.dropna()), key=str)
            grids.append((j, values, [str(v) for v in values]))
    n_outputs = explanation.local.shape[0]
    per_row = sum(len(g) for _, g, _ in grids) * (n_outputs + (probability is not None) * n_outputs)
    rows = np.arange(len(frame))
    if per_row and len(frame) * per_row > ICE_BUDGET_VALUES:
        rows = sample_rows(len(frame), max(1, ICE_BUDGET_VALUES // per_row))
    part = frame.iloc[rows].reset_index(drop=True)
    link = None if probability is None else _margin_link(outputs, probability, part)
    features = []
    for j, grid, labels in grids:
        entry = {"feature": j, "kind": "numeric" if labels is None else "categorical",
                 "grid": grid if labels is None else list(range(len(grid))), "labels": labels}
        values = ice_values(outputs, part, explanation.features[j], grid)
        entry["values"] = encode_ice(values)
        if probability is None:
            entry["probability"] = None
        elif link is not None:  # the same numbers predict_proba gives, without a second pass over the rows
            groups = values[1:] if values.shape[0] == 2 else values
            flat = groups.reshape(len(groups), -1).T
            entry["probability"] = encode_ice(probabilities(link, flat).T.reshape(-1, *values.shape[1:]))
        else:
            entry["probability"] = encode_ice(ice_values(probability, part, explanation.features[j], grid))
        features.append(entry)
    own = outputs(part).T  # (n_outputs, n_rows): each row's own output, beside its curves
    return {"computed": "upload", "features": features, "own": encode_array(own, "float64"),
            "rows": None if len(rows) == len(frame) else encode_array(rows, "int32")}


def whatif_payload(explanation: Any, model: Any, *, rows: np.ndarray | None, background: Any = None,
                   what_if: bool = True, ice: Any = 10, grid_size: int = 20) -> dict[str, Any] | None:
    """The page's what-if and ICE data for the explanation's main view (None without a model).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestRegressor
    >>> from explain_lib import TreeShap
    >>> X = pd.DataFrame(np.random.default_rng(0).normal(size=(200, 3)), columns=["a", "b", "c"])
    >>> model = RandomForestRegressor(n_estimators=5, max_depth=4, random_state=0).fit(X, X.a - X.b)
    >>> explanation = TreeShap(model).explain(X.iloc[:20])
    >>> page = whatif_payload(explanation, model, rows=np.arange(20), ice=2)
    >>> page["mode"], page["explain"]["algorithm"], page["description"]
    ('exact', 'path', 'RandomForestRegressor, 5 trees')
    >>> [explanation.features[j] for j in page["ice"]["default"]]  # the two most important
    ['a', 'b']
    """
    if model is None:
        return None
    chosen = check_ice_features(ice)
    if explanation.local is None or rows is None or explanation.data is None:
        return {"mode": "off", "reason": "the explanation has no rows with their feature values to edit", "ice": None}
    if explanation.is_engineered and split_pipeline(model)[0] is not None:
        return {"mode": "off", "ice": None, "reason": "this explanation is over the Pipeline's engineered features, "
                "which the Pipeline does not take; what-if and ICE curves come with its raw-feature explanation"}
    features = list(explanation.features)
    frame = explanation.data.iloc[np.asarray(rows)][features].reset_index(drop=True)
    n_outputs = explanation.local.shape[0]
    if hasattr(model, "predict") or hasattr(model, "predict_proba"):
        outputs = output_function(model, explanation.task, explanation.output_space, n_outputs)
        _check_model(explanation, outputs, frame, np.asarray(rows))
    else:
        outputs = _function_of_rows(model, explanation, frame, np.asarray(rows))
        if outputs is None:
            return {"mode": "off", "ice": None, "reason": f"the page cannot call {type(model).__name__} on the "
                    "explained rows and get the explained outputs; pass a model with predict / predict_proba"}
    positions = ice_features(chosen, features, explanation.global_) if chosen else []
    reason, carried = None, None
    if what_if:
        try:
            carried = _carry(explanation, model, frame, np.asarray(rows), background)
        except NotCarried as why:
            reason = str(why)
    else:
        reason = "what-if was turned off for this page"
    if carried is not None:
        payload = {"mode": "exact", "reason": None, "description": carried["description"],
                   "fields": carried["inputs"].payload(), "inputs": encode_array(carried["inputs"].encode(frame),
                                                                                 "float64"),
                   "model": carried["model"], "explain": carried["explain"],
                   "ice": {"computed": "page", "default": positions,
                           "grids": _grids(carried["inputs"], explanation.data, grid_size)} if positions else None}
        size = len(json.dumps(payload, separators=(",", ":"), default=str))
        if size <= MAX_MODEL_BYTES:
            return payload
        reason = (f"the model is too large to carry into the page ({size / 2**20:.1f} MB, more than "
                  f"{MAX_MODEL_BYTES / 2**20:.0f} MB)")
    probability = None
    if explanation.task == "classification" and explanation.output_space != "probability" and \
            callable(getattr(model, "predict_proba", None)):
        probability = output_function(model, "classification", "probability", n_outputs)
    ice_data = _upload_ice(explanation, outputs, probability, frame, positions, grid_size) if positions else None
    if ice_data is not None:
        ice_data["default"] = positions
    return {"mode": "grid", "reason": reason, "description": type(model).__name__, "ice": ice_data}
