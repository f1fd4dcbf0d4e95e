"""LightGBM, XGBoost and scikit-learn trees read into ``TreeArrays`` (``_tree_build``) for the tabulated TreeSHAP.

``tree_arrays(model)`` returns ``(TreeArrays, None)`` or ``(None, reason)`` when the model holds
something we do not reproduce exactly (categorical splits, linear leaves, averaged boosters, DART,
vector leaves, unknown objectives, an init estimator); the caller then uses the booster's own TreeSHAP
(or shap), or refuses. Each reader only lays out the library's node tables; ``from_nodes`` follows the
paths.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from ..models import native_booster
from ._tree_build import (
    MAX_PATH_FEATURES,
    MISSING_NAN,
    MISSING_NONE,
    MISSING_ZERO,
    ZERO_THRESHOLD,
    TreeArrays,
    Unsupported,
    from_tables,
)

__all__ = ["MAX_PATH_FEATURES", "MISSING_NAN", "MISSING_NONE", "MISSING_ZERO", "ZERO_THRESHOLD", "TreeArrays",
           "dense_rows", "tree_arrays"]


# ------------------------------------------------------------------ LightGBM
_LIGHTGBM_MISSING_BITS = {0: MISSING_NONE, 1: MISSING_ZERO, 2: MISSING_NAN}  # decision_type bits 2-3


def _lightgbm_sections(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """(header fields, one dict of fields per tree) of LightGBM's text model format."""
    head, _, body = text.partition("\nTree=")
    header = {}
    for line in head.splitlines():
        key, equals, value = line.partition("=")
        header[key.strip()] = value.strip() if equals else ""
    body = body.partition("end of trees")[0]
    trees = []
    for section in ("Tree=" + body).split("Tree=")[1:]:
        fields = {}
        for line in section.splitlines():
            key, _, value = line.partition("=")
            fields[key.strip()] = value.strip()
        trees.append(fields)
    return header, trees


def _numbers(fields: dict[str, str], key: str, dtype: Any) -> np.ndarray:
    return np.array(fields.get(key, "").split(), dtype=dtype)


def _lightgbm(booster: Any) -> TreeArrays:
    # the text model holds the iterations predict() uses by default (best_iteration if set), with
    # thresholds and leaf values printed to round-trip exactly; it is ~10x faster to get than dump_model()
    header, sections = _lightgbm_sections(booster.model_to_string())
    if "average_output" in header:
        raise Unsupported("the model averages its trees (random forest mode)")
    per_iteration = int(header["num_tree_per_iteration"])
    tables = []
    for fields in sections:  # a tree's internal nodes are 0 .. n - 2, its leaves n - 1 .. (leaf l: child ~l)
        if fields.get("is_linear", "0") != "0":
            raise Unsupported("the model has linear trees (linear_tree=True)")
        leaf_value, leaf_count = _numbers(fields, "leaf_value", np.float64), _numbers(fields, "leaf_count", np.float64)
        n_split = int(fields["num_leaves"]) - 1
        if n_split == 0:  # a lone leaf
            tables.append((np.full(1, -1), np.full(1, -1), np.zeros(1, np.int64), np.zeros(1), np.zeros(1, np.int64),
                           np.zeros(1, bool), leaf_value[:1], np.ones(1)))
            continue
        decision = _numbers(fields, "decision_type", np.int64)
        if (decision & 1).any():
            raise Unsupported("the model has categorical splits")
        children = [_numbers(fields, key, np.int64) for key in ("left_child", "right_child")]
        left, right = (np.r_[np.where(c >= 0, c, n_split + ~c), np.full(n_split + 1, -1)] for c in children)
        missing = np.asarray([MISSING_NONE, MISSING_ZERO, MISSING_NAN, MISSING_NONE])[(decision >> 2) & 3]
        tables.append((left, right, np.r_[_numbers(fields, "split_feature", np.int64), np.zeros(n_split + 1, np.int64)],
                       np.r_[_numbers(fields, "threshold", np.float64), np.zeros(n_split + 1)],
                       np.r_[missing, np.zeros(n_split + 1, np.int64)],
                       np.r_[(decision & 2) > 0, np.zeros(n_split + 1, bool)],
                       np.r_[np.zeros(n_split), leaf_value], np.r_[_numbers(fields, "internal_count", np.float64),
                                                                   leaf_count]))
    groups = np.arange(len(sections)) % per_iteration
    return from_tables(tables, groups, n_groups=per_iteration, n_features=int(header["max_feature_idx"]) + 1,
                        base_margin=np.zeros(per_iteration), float32_input=False, source="lightgbm")


# ------------------------------------------------------------------- XGBoost
_IDENTITY = {"reg:squarederror", "reg:squaredlogerror", "reg:pseudohubererror", "reg:absoluteerror",
             "reg:quantileerror", "binary:hinge", "binary:logitraw", "multi:softmax", "multi:softprob",
             "reg:linear"}
_LOG = {"count:poisson", "reg:gamma", "reg:tweedie", "survival:cox"}
_LOGIT = {"binary:logistic", "reg:logistic"}


def _base_margin(learner: dict, n_groups: int) -> np.ndarray:
    """XGBoost's base score per output in margin space (it stores it in the objective's output space)."""
    text = learner["learner_model_param"]["base_score"].strip("[]")
    scores = [float(np.float32(float(v))) for v in text.split(",") if v.strip()]
    if len(scores) == 1:
        scores = scores * n_groups
    if len(scores) != n_groups:
        raise Unsupported(f"the model has {len(scores)} base scores for {n_groups} outputs")
    objective = learner["objective"]["name"]
    if objective in _IDENTITY:
        return np.asarray(scores)
    if objective in _LOG:
        return np.log(scores)
    if objective in _LOGIT:
        return np.asarray([-math.log(1.0 / score - 1.0) for score in scores])
    raise Unsupported(f"the objective {objective!r} has a base score we do not map to margins")


def _xgboost(booster: Any) -> TreeArrays:
    learner = json.loads(booster.save_raw("json"))["learner"]
    gbm = learner["gradient_booster"]
    if gbm["name"] != "gbtree":
        raise Unsupported(f"the booster is {gbm['name']!r}, not 'gbtree'")
    model = gbm["model"]
    params = learner["learner_model_param"]
    n_groups = max(int(params.get("num_class", "0")), int(params.get("num_target", "1")), 1)
    tables = []
    for tree in model["trees"]:
        if int(tree["tree_param"].get("size_leaf_vector", "1")) > 1:
            raise Unsupported("the model has vector leaves")
        if any(tree["split_type"]):
            raise Unsupported("the model has categorical splits")
        left, right = np.asarray(tree["left_children"], np.int64), np.asarray(tree["right_children"], np.int64)
        conditions = np.asarray(tree["split_conditions"], np.float32)
        # x < t in float32 is x <= the float32 just below t: one comparison rule for both boosters
        below = np.nextafter(conditions, np.float32(-np.inf)).astype(np.float64)
        tables.append((left, right, np.asarray(tree["split_indices"], np.int64), below,
                       np.full(len(left), MISSING_NAN), np.asarray(tree["default_left"], bool),
                       conditions.astype(np.float64), np.asarray(tree["sum_hessian"], np.float32).astype(np.float64)))
    base = _base_margin(learner, n_groups)
    return from_tables(tables, np.asarray(model["tree_info"], np.int64), n_groups=n_groups,
                        n_features=int(params["num_feature"]), base_margin=base, float32_input=True, source="xgboost")


def tree_arrays(model: Any) -> tuple[TreeArrays | None, str | None]:
    """The model's trees as ``TreeArrays``, or ``(None, reason)`` when the tabulated TreeSHAP cannot
    reproduce them."""
    from ..models import tree_family

    family = tree_family(model)
    try:
        if family == "lightgbm":
            return _lightgbm(native_booster(model)), None
        if family == "xgboost":
            return _xgboost(native_booster(model)), None
        if family == "sklearn":
            from ._sklearn_trees import sklearn_tree_arrays

            return sklearn_tree_arrays(model), None
    except Unsupported as reason:
        return None, str(reason)
    return None, f"{type(model).__name__} is not a tree model we read"


def dense_rows(tab: Any, family: str) -> np.ndarray:
    """The rows of a ``Tabular`` as a dense array, read as the model's library reads them: a sparse matrix's
    absent entries are 0 for LightGBM and scikit-learn, missing for XGBoost (as its predict reads CSR)."""
    if not tab.is_sparse:
        return tab.to_numpy()
    coo = tab.values.tocoo()
    values = np.full(tab.values.shape, np.nan if family == "xgboost" else 0.0)
    values[coo.row, coo.col] = coo.data
    return values
