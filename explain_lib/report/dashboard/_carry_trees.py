"""Tree ensembles as flat arrays the dashboard page can walk: every split rule of the library kept.

``carry_trees(model)`` reads a fitted LightGBM, XGBoost or scikit-learn tree model into
:class:`CarriedTrees` (or raises :class:`NotCarried` saying why it cannot), and
``CarriedTrees.margins(X)`` evaluates the arrays in numpy exactly as the page's script does, so the
upload can check the copy against the model's own predictions before it goes into the page.

How each library decides at a node (``family``), which the page reproduces to the last bit:

``lightgbm``  float64 ``x <= threshold``; a missing type per node: NaN counts as 0 unless the node's
              missing type is NaN; "zero" nodes send ``|x| <= 1e-35`` and "nan" nodes send NaN the
              default way. Categorical nodes: NaN, negatives and values past int32 go right, else
              ``int(x)`` in the node's bitset goes left. Trees of a class add up in float64 (divided
              by the iterations for random-forest mode).
``xgboost``   float32 ``x < condition``; NaN goes the default way; categorical nodes send the
              categories in the node's set right. Trees add up in float32 from the float32 base margin.
``sklearn``   decision trees, forests, extra trees and gradient boosting: ``float32(x) <= threshold``,
              NaN the way ``missing_go_to_left`` says. Forests average their trees (classifiers their
              normalised leaf probabilities); gradient boosting adds ``learning_rate * value``.
``hist``      histogram gradient boosting (numeric features): float64 ``x <= num_threshold``, NaN the way
              ``missing_go_to_left`` says; the trees add up in float64 from the baseline.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...explainers._tree_arrays import ZERO_THRESHOLD, _lightgbm_sections, _numbers
from ...models import native_booster, tree_family
from .._page import encode_array

__all__ = ["CarriedTrees", "NotCarried", "carry_trees"]

#: node flags (``CarriedTrees.flags``)
DEFAULT_LEFT, MISSING_ZERO, MISSING_NAN, CATEGORICAL = 1, 2, 4, 8


class NotCarried(Exception):
    """The model holds something the page does not reproduce exactly; the message says what."""


@dataclass
class CarriedTrees:
    """A tree ensemble as flat arrays over all nodes (node ids are global, each tree's nodes contiguous).

    Nodes: ``feature`` (-1 at a leaf), ``threshold`` (a categorical node: the index of its bitset),
    ``left``, ``right``, ``flags`` (default-left, missing rules, categorical), ``cover`` (the
    training rows, or hessian, behind the node: path-dependent TreeSHAP's weights) and ``value``
    (leaf outputs, ``n_values`` per node: 1, or one per class for scikit-learn classifier trees).
    Trees: ``root`` and ``group`` (the output each tree adds to; all of them for vector leaves).
    ``bitsets`` holds each categorical node's words at ``bitset_start[i]:bitset_start[i + 1]``.
    The margin of output ``g`` is ``base[g]`` plus its trees' leaf values, divided by ``divisor``.
    """

    family: str
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    flags: np.ndarray
    cover: np.ndarray
    value: np.ndarray
    root: np.ndarray
    group: np.ndarray
    n_groups: int
    n_features: int
    base: np.ndarray
    divisor: float
    link: str  # "identity" (margins are the probabilities or the prediction), "sigmoid", "softmax", "ovr"
    link_scale: float = 1.0  # LightGBM's sigmoid parameter
    bitsets: np.ndarray | None = None
    bitset_start: np.ndarray | None = None
    description: str = ""

    @property
    def n_trees(self) -> int:
        return len(self.root)

    @property
    def vector_leaves(self) -> bool:
        return self.value.shape[1] > 1

    @property
    def max_depth(self) -> int:
        depth = np.zeros(len(self.feature), dtype=np.int64)
        for node in range(len(self.feature)):  # children always come after their parent
            if self.feature[node] >= 0:
                depth[self.left[node]] = depth[self.right[node]] = depth[node] + 1
        return int(depth.max(initial=0))

    # ---------------------------------------------------------------- numpy evaluation (the page's rules)
    def _in_bitset(self, words: np.ndarray, start: np.ndarray, stop: np.ndarray, position: np.ndarray) -> np.ndarray:
        word = start + position // 32
        inside = (position >= 0) & (word < stop)
        bits = np.where(inside, words[np.where(inside, word, 0)], 0).astype(np.int64) & 0xFFFFFFFF
        return inside & (((bits >> (position % 32)) & 1) == 1)

    def _go_left(self, node: np.ndarray, x: np.ndarray) -> np.ndarray:
        flags, threshold = self.flags[node], self.threshold[node]
        default = (flags & DEFAULT_LEFT) > 0
        nan = np.isnan(x)
        categorical = (flags & CATEGORICAL) > 0
        if self.family == "lightgbm":
            numeric_x = np.where(nan & ((flags & MISSING_NAN) == 0), 0.0, x)
            missing = (((flags & MISSING_ZERO) > 0) & (np.abs(numeric_x) <= ZERO_THRESHOLD)) | \
                      (((flags & MISSING_NAN) > 0) & np.isnan(numeric_x))
            with np.errstate(invalid="ignore"):
                numeric = np.where(missing, default, numeric_x <= threshold)
            if not categorical.any():
                return numeric
            valid = ~nan & (x > -1) & (x < 2.0 ** 31)
            position = np.where(valid, np.trunc(np.where(valid, x, 0)), -1).astype(np.int64)
            index = threshold.astype(np.int64)
            member = self._in_bitset(self.bitsets, self.bitset_start[np.where(categorical, index, 0)],
                                     self.bitset_start[np.where(categorical, index, 0) + 1], position)
            return np.where(categorical, valid & member, numeric)
        if self.family == "xgboost":
            with np.errstate(invalid="ignore"):
                numeric = x.astype(np.float32) < threshold.astype(np.float32)
            if categorical.any():
                valid = ~nan & (x >= 0)
                position = np.where(valid, np.trunc(np.where(valid, x, 0)), -1).astype(np.int64)
                index = np.where(categorical, threshold.astype(np.int64), 0)
                member = self._in_bitset(self.bitsets, self.bitset_start[index], self.bitset_start[index + 1], position)
                numeric = np.where(categorical, ~member, numeric)
            return np.where(nan, default, numeric)
        if self.family == "sklearn":
            with np.errstate(invalid="ignore"):
                return np.where(nan, default, x.astype(np.float32).astype(np.float64) <= threshold)
        with np.errstate(invalid="ignore"):  # hist: float64 values against num_threshold
            return np.where(nan, default, x <= threshold)

    def leaves(self, tree: int, X: np.ndarray) -> np.ndarray:
        """The leaf each row of ``X`` reaches in tree ``tree`` (global node ids)."""
        node = np.full(len(X), self.root[tree], dtype=np.int64)
        rows = np.arange(len(X))
        while True:
            inner = self.feature[node] >= 0
            if not inner.any():
                return node
            at = node[inner]
            go_left = self._go_left(at, X[rows[inner], self.feature[at]])
            node[inner] = np.where(go_left, self.left[at], self.right[at])

    def margins(self, X: np.ndarray) -> np.ndarray:
        """(n_rows, n_groups): base plus the trees' leaf values, added in tree order (float32 for XGBoost)."""
        X = np.asarray(X, dtype=np.float64)
        dtype = np.float32 if self.family == "xgboost" else np.float64
        out = np.tile(self.base.astype(dtype), (len(X), 1))
        for tree in range(self.n_trees):
            leaf = self.leaves(tree, X)
            if self.vector_leaves:
                out += self.value[leaf].astype(dtype)
            else:
                out[:, self.group[tree]] += self.value[leaf, 0].astype(dtype)
        if self.divisor != 1.0:
            out /= dtype(self.divisor)
        return out.astype(np.float64)

    # ---------------------------------------------------------------- the page's copy
    def payload(self) -> dict[str, Any]:
        """The arrays as base64 for the page (see model.js)."""
        out = {
            "kind": "trees", "family": self.family, "description": self.description,
            "n_groups": self.n_groups, "n_values": int(self.value.shape[1]), "n_features": self.n_features,
            "base": [float(b) for b in self.base], "divisor": float(self.divisor), "link": self.link,
            "link_scale": float(self.link_scale), "max_depth": self.max_depth,
            "feature": encode_array(self.feature, "int32"), "threshold": encode_array(self.threshold, "float64"),
            "left": encode_array(self.left, "int32"), "right": encode_array(self.right, "int32"),
            "flags": encode_array(self.flags, "uint8"), "cover": encode_array(self.cover, "float64"),
            "value": encode_array(self.value.reshape(-1), "float64"),
            "root": encode_array(self.root, "int32"), "group": encode_array(self.group, "int32"),
        }
        for name in ("bitsets", "bitset_start"):
            array = getattr(self, name)
            if array is not None and name == "bitsets":
                array = array.astype(np.uint32).view(np.int32)  # 32-bit words; the page reads them with >>>
            out[name] = None if array is None else encode_array(array, "int32")
        return out


class _Builder:
    """Collects trees node by node into the flat arrays."""

    def __init__(self, n_values: int = 1) -> None:
        self.columns: dict[str, list] = {k: [] for k in ("feature", "threshold", "left", "right", "flags", "cover")}
        self.values: list = []
        self.root: list[int] = []
        self.group: list[int] = []
        self.bitsets: list[int] = []
        self.bitset_start = [0]
        self.n_values = n_values

    def add_bitset(self, words: Any) -> int:
        self.bitsets.extend(int(w) & 0xFFFFFFFF for w in words)
        self.bitset_start.append(len(self.bitsets))
        return len(self.bitset_start) - 2

    def add_tree(self, group: int, feature, threshold, left, right, flags, cover, value) -> None:
        """One tree given as per-node sequences with local child ids (-1 for none)."""
        offset = len(self.columns["feature"])
        self.root.append(offset)
        self.group.append(group)
        feature = np.asarray(feature, dtype=np.int64)
        inner = feature >= 0
        self.columns["feature"].extend(np.where(inner, feature, -1).tolist())
        self.columns["threshold"].extend(np.asarray(threshold, dtype=np.float64).tolist())
        self.columns["left"].extend(np.where(inner, np.asarray(left) + offset, -1).tolist())
        self.columns["right"].extend(np.where(inner, np.asarray(right) + offset, -1).tolist())
        self.columns["flags"].extend(np.asarray(flags, dtype=np.int64).tolist())
        self.columns["cover"].extend(np.asarray(cover, dtype=np.float64).tolist())
        self.values.append(np.asarray(value, dtype=np.float64).reshape(len(feature), self.n_values))

    def build(self, family: str, n_groups: int, n_features: int, base: Any, divisor: float, link: str,
              description: str, link_scale: float = 1.0) -> CarriedTrees:
        c = self.columns
        has_bitsets = len(self.bitset_start) > 1
        return CarriedTrees(
            family=family, feature=np.asarray(c["feature"], np.int32), threshold=np.asarray(c["threshold"]),
            left=np.asarray(c["left"], np.int32), right=np.asarray(c["right"], np.int32),
            flags=np.asarray(c["flags"], np.uint8), cover=np.asarray(c["cover"]), value=np.concatenate(self.values),
            root=np.asarray(self.root, np.int32), group=np.asarray(self.group, np.int32), n_groups=n_groups,
            n_features=n_features, base=np.asarray(base, np.float64).reshape(n_groups), divisor=float(divisor),
            link=link, link_scale=link_scale,
            bitsets=np.asarray(self.bitsets, np.int64) if has_bitsets else None,
            bitset_start=np.asarray(self.bitset_start, np.int32) if has_bitsets else None, description=description)


# ------------------------------------------------------------------ LightGBM
_LIGHTGBM_MISSING = {0: 0, 1: MISSING_ZERO, 2: MISSING_NAN}


def _lightgbm_link(objective: str, n_groups: int) -> tuple[str, float]:
    name, *options = objective.split()
    if name in ("binary", "cross_entropy", "xentropy"):
        scale = next((float(o.split(":")[1]) for o in options if o.startswith("sigmoid:")), 1.0)
        return "sigmoid", scale
    if name in ("multiclass", "softmax"):
        return "softmax", 1.0
    if name in ("multiclassova", "multiclass_ova", "ova", "ovr"):
        scale = next((float(o.split(":")[1]) for o in options if o.startswith("sigmoid:")), 1.0)
        return "ovr-sigmoid", scale
    return "identity", 1.0


def _lightgbm(model: Any) -> CarriedTrees:
    booster = native_booster(model)
    header, sections = _lightgbm_sections(booster.model_to_string())
    if "average_output" in header:
        raise NotCarried("the model averages its trees (random forest mode)")
    per_iteration = int(header["num_tree_per_iteration"])
    builder = _Builder()
    for index, fields in enumerate(sections):
        if fields.get("is_linear", "0") != "0":
            raise NotCarried("the model has linear trees (linear_tree=True)")
        leaf_value = _numbers(fields, "leaf_value", np.float64)
        leaf_count = _numbers(fields, "leaf_count", np.float64)
        n_leaves = int(fields["num_leaves"])
        if n_leaves == 1:
            builder.add_tree(index % per_iteration, [-1], [0.0], [-1], [-1], [0], [leaf_count[0] if len(leaf_count)
                                                                                  else 1.0], leaf_value[:1])
            continue
        n_inner = n_leaves - 1
        decision = _numbers(fields, "decision_type", np.int64)
        threshold = _numbers(fields, "threshold", np.float64)
        flags = (decision >> 1 & 1) * DEFAULT_LEFT + np.array([_LIGHTGBM_MISSING[int(b)] for b in (decision >> 2) & 3])
        categorical = (decision & 1) == 1
        if categorical.any():
            boundaries = _numbers(fields, "cat_boundaries", np.int64)
            words = _numbers(fields, "cat_threshold", np.int64)
            first = len(builder.bitset_start) - 1
            for k in range(len(boundaries) - 1):
                builder.add_bitset(words[boundaries[k]:boundaries[k + 1]])
            threshold = np.where(categorical, threshold + first, threshold)
            flags = flags + categorical * CATEGORICAL

        # leaf l is child ~l: the leaves go after the inner nodes
        left, right = (np.where(c >= 0, c, n_inner + ~c) for c in (_numbers(fields, "left_child", np.int64),
                                                                     _numbers(fields, "right_child", np.int64)))
        feature = np.concatenate([_numbers(fields, "split_feature", np.int64), np.full(n_leaves, -1)])
        builder.add_tree(index % per_iteration, feature, np.concatenate([threshold, np.zeros(n_leaves)]),
                         np.concatenate([left, np.full(n_leaves, -1)]), np.concatenate([right, np.full(n_leaves, -1)]),
                         np.concatenate([flags, np.zeros(n_leaves, np.int64)]),
                         np.concatenate([_numbers(fields, "internal_count", np.float64), leaf_count]),
                         np.concatenate([np.zeros(n_inner), leaf_value]))
    link, scale = _lightgbm_link(header.get("objective", "regression"), per_iteration)
    return builder.build("lightgbm", per_iteration, int(header["max_feature_idx"]) + 1, np.zeros(per_iteration),
                         1.0, link, f"LightGBM, {len(sections)} trees", link_scale=scale)


# ------------------------------------------------------------------- XGBoost
_XGB_LINKS = {"binary:logistic": "sigmoid32", "reg:logistic": "sigmoid32", "multi:softprob": "softmax32",
              "multi:softmax": "softmax32"}
_XGB_IDENTITY = {"reg:squarederror", "reg:pseudohubererror", "reg:absoluteerror", "reg:quantileerror",
                 "binary:logitraw", "reg:linear"}


def _xgboost_base(learner: dict, n_groups: int) -> np.ndarray:
    """The base margin per output, computed in float32 as XGBoost does (``-log(1/p - 1)`` for logistic)."""
    f32 = np.float32
    scores = [f32(float(v)) for v in learner["learner_model_param"]["base_score"].strip("[]").split(",") if v.strip()]
    scores = scores * n_groups if len(scores) == 1 else scores
    if len(scores) != n_groups:
        raise NotCarried(f"the model has {len(scores)} base scores for {n_groups} outputs")
    objective = learner["objective"]["name"]
    if objective in ("binary:logistic", "reg:logistic"):
        return np.asarray([-np.log(f32(1) / s - f32(1)) for s in scores], dtype=np.float32).astype(np.float64)
    if objective in _XGB_IDENTITY or objective in ("multi:softprob", "multi:softmax"):
        return np.asarray(scores, dtype=np.float32).astype(np.float64)
    raise NotCarried(f"the objective {objective!r} is not one the page reproduces")


def _xgboost(model: Any) -> CarriedTrees:
    booster = native_booster(model)
    if not math.isnan(float(getattr(model, "missing", np.nan) or np.nan)):
        raise NotCarried(f"the model treats {model.missing!r} as missing; the page follows NaN only")
    learner = json.loads(booster.save_raw("json"))["learner"]
    gbm = learner["gradient_booster"]
    if gbm["name"] != "gbtree":
        raise NotCarried(f"the booster is {gbm['name']!r}, not 'gbtree'")
    params = learner["learner_model_param"]
    n_groups = max(int(params.get("num_class", "0")), int(params.get("num_target", "1")), 1)
    trees, info = gbm["model"]["trees"], gbm["model"]["tree_info"]
    if hasattr(model, "_get_iteration_range"):  # the sklearn wrapper predicts with best_iteration when set
        first, last = model._get_iteration_range(None)
        if last:
            per_round = len(trees) // max(booster.num_boosted_rounds(), 1)
            trees, info = trees[first * per_round:last * per_round], info[first * per_round:last * per_round]
    builder = _Builder()
    for tree, group in zip(trees, info, strict=True):
        if int(tree["tree_param"].get("size_leaf_vector", "1")) > 1:
            raise NotCarried("the model has vector leaves")
        left = np.asarray(tree["left_children"], np.int64)
        n = len(left)
        conditions = np.asarray(tree["split_conditions"], np.float32).astype(np.float64)
        feature = np.where(left >= 0, np.asarray(tree["split_indices"], np.int64), -1)
        flags = np.asarray(tree["default_left"], np.int64) * DEFAULT_LEFT
        threshold = np.where(left >= 0, conditions, 0.0)
        split_type = np.asarray(tree.get("split_type") or [0] * n, np.int64)
        if split_type.any():
            nodes, segments, sizes = tree["categories_nodes"], tree["categories_segments"], tree["categories_sizes"]
            for node, segment, size in zip(nodes, segments, sizes, strict=True):
                categories = np.asarray(tree["categories"][segment:segment + size], np.int64)
                words = np.zeros(int(categories.max(initial=-1)) // 32 + 1, np.int64)
                for category in categories:
                    words[category // 32] |= 1 << (category % 32)
                threshold[node] = builder.add_bitset(words)
                flags[node] += CATEGORICAL
        value = np.where(left >= 0, 0.0, conditions)  # a leaf's value sits in split_conditions
        cover = np.asarray(tree["sum_hessian"], np.float32).astype(np.float64)
        builder.add_tree(int(group), feature, threshold, np.where(left >= 0, left, -1),
                         np.where(left >= 0, tree["right_children"], -1), flags, cover, value)
    objective = learner["objective"]["name"]
    link = _XGB_LINKS.get(objective, "identity")
    return builder.build("xgboost", n_groups, int(params["num_feature"]), _xgboost_base(learner, n_groups), 1.0, link,
                         f"XGBoost, {len(trees)} trees")


# ------------------------------------------------------------------ scikit-learn
def _sklearn_tree(builder: _Builder, tree: Any, group: int, scale: float | None, classes: int | None) -> None:
    """One fitted ``tree_``: classifier trees carry normalised class probabilities, others value * scale."""
    inner = tree.children_left >= 0
    if classes:
        value = tree.value[:, 0, :classes].astype(np.float64)
        normalizer = value.sum(axis=1, keepdims=True)
        normalizer[normalizer == 0.0] = 1.0
        value = value / normalizer
    else:
        value = tree.value[:, 0, 0].astype(np.float64)
        if scale is not None:
            value = scale * value
    missing_left = getattr(tree, "missing_go_to_left", np.zeros(tree.node_count, bool))
    builder.add_tree(group, np.where(inner, tree.feature, -1), np.where(inner, tree.threshold, 0.0),
                     tree.children_left, tree.children_right, np.asarray(missing_left, np.int64) * DEFAULT_LEFT,
                     tree.weighted_n_node_samples, np.where(inner[:, None], 0.0, value.reshape(len(inner), -1)))


def _sklearn(model: Any) -> CarriedTrees:
    from sklearn import ensemble, tree

    name = type(model).__name__
    if getattr(model, "n_outputs_", 1) > 1:
        raise NotCarried("multi-output models are not carried")
    n_features = int(model.n_features_in_)
    if isinstance(model, (ensemble.HistGradientBoostingClassifier, ensemble.HistGradientBoostingRegressor)):
        return _hist(model, n_features)
    if isinstance(model, (ensemble.GradientBoostingClassifier, ensemble.GradientBoostingRegressor)):
        k = model.estimators_.shape[1]
        with warnings.catch_warnings():  # a model fitted on a DataFrame warns about the unnamed probe row
            warnings.simplefilter("ignore", UserWarning)
            init = model._raw_predict_init(np.zeros((1, n_features)))[0]  # constant: a prior, or zero
        builder = _Builder()
        for stage in model.estimators_:
            for group, estimator in enumerate(stage):
                _sklearn_tree(builder, estimator.tree_, group, float(model.learning_rate), None)
        classifier = isinstance(model, ensemble.GradientBoostingClassifier)
        link = ("sigmoid" if k == 1 else "softmax") if classifier else "identity"
        return builder.build("sklearn", k, n_features, init, 1.0, link, f"{name}, {model.estimators_.size} trees")
    classifier = isinstance(model, (tree.DecisionTreeClassifier, ensemble.RandomForestClassifier,
                                    ensemble.ExtraTreesClassifier))
    estimators = [model] if isinstance(model, (tree.DecisionTreeClassifier, tree.DecisionTreeRegressor)) \
        else list(model.estimators_)
    n_classes = len(model.classes_) if classifier else None
    builder = _Builder(n_values=n_classes or 1)
    for estimator in estimators:
        _sklearn_tree(builder, estimator.tree_, 0, None, n_classes)
    groups = n_classes or 1
    return builder.build("sklearn", groups, n_features, np.zeros(groups), float(len(estimators)) if len(estimators) > 1
                         else 1.0, "identity", f"{name}, {len(estimators)} tree{'s' if len(estimators) > 1 else ''}")


def _hist(model: Any, n_features: int) -> CarriedTrees:
    from sklearn.ensemble import HistGradientBoostingClassifier

    if getattr(model, "_preprocessor", None) is not None:  # categorical features: re-coded and moved first
        raise NotCarried("the page does not carry histogram gradient boosting with categorical features")
    builder = _Builder()
    for iteration in model._predictors:
        for group, predictor in enumerate(iteration):
            nodes = predictor.nodes
            leaf = nodes["is_leaf"].astype(bool)
            flags = nodes["missing_go_to_left"].astype(np.int64) * DEFAULT_LEFT
            index = {name: nodes[name].astype(np.int64) for name in ("feature_idx", "left", "right")}  # uint32
            builder.add_tree(group, np.where(leaf, -1, index["feature_idx"]),
                             np.where(leaf, 0.0, nodes["num_threshold"]),
                             np.where(leaf, -1, index["left"]), np.where(leaf, -1, index["right"]), flags,
                             nodes["count"], np.where(leaf, nodes["value"], 0.0))
    k = model.n_trees_per_iteration_
    classifier = isinstance(model, HistGradientBoostingClassifier)
    link = ("sigmoid" if k == 1 else "softmax") if classifier else "identity"
    base = np.asarray(model._baseline_prediction, np.float64).reshape(-1)
    return builder.build("hist", k, n_features, base, 1.0, link,
                         f"{type(model).__name__}, {len(model._predictors) * k} trees")


def carry_trees(model: Any) -> CarriedTrees:
    """The model's trees as :class:`CarriedTrees`; :class:`NotCarried` says why a model cannot be carried.

    Examples
    --------
    >>> import numpy as np
    >>> from lightgbm import LGBMClassifier
    >>> X = np.random.default_rng(0).normal(size=(300, 3))
    >>> X[::7, 0] = np.nan
    >>> model = LGBMClassifier(n_estimators=20, verbose=-1).fit(X, X[:, 1] > 0)
    >>> trees = carry_trees(model)
    >>> trees.description, trees.link
    ('LightGBM, 20 trees', 'sigmoid')
    >>> bool((trees.margins(X)[:, 0] == model.predict(X, raw_score=True)).all())  # to the last bit
    True
    """
    family = tree_family(model)
    if family == "lightgbm":
        return _lightgbm(model)
    if family == "xgboost":
        return _xgboost(model)
    if family == "sklearn":
        return _sklearn(model)
    raise NotCarried(f"{type(model).__name__} is not a tree model")
