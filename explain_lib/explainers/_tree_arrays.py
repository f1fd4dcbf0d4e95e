"""LightGBM and XGBoost tree dumps as flat arrays, with each leaf's path summarised for TreeSHAP.

A node decides with ``x <= threshold`` after the booster's own missing-value rule; for every leaf
we keep the distinct features on its root path (in order of first use), the product of the cover
ratios of each feature's splits on the path (``r``) and the leaf value. That is all path-dependent
TreeSHAP needs (Lundberg et al. 2020; Yang 2021, "Fast TreeSHAP").

``tree_arrays(model)`` returns ``(TreeArrays, None)`` or ``(None, reason)`` when the model holds
something we do not reproduce exactly (categorical splits, linear leaves, averaged forests, DART,
vector leaves, unknown objectives); the caller then uses the booster's own TreeSHAP.
"""

from __future__ import annotations

import gc
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..models import native_booster

#: missing-value rules of a split (LightGBM's MissingType; XGBoost splits are "nan")
MISSING_NONE, MISSING_ZERO, MISSING_NAN = 0, 1, 2
#: LightGBM's kZeroThreshold (|x| <= it counts as zero under MISSING_ZERO): a double initialised from
#: the float literal 1e-35f
ZERO_THRESHOLD = float(np.float32(1e-35))
MAX_PATH_FEATURES = 63  # a leaf's satisfied-features pattern is a 64-bit mask


class _Unsupported(Exception):
    """The model holds something the fast path does not reproduce exactly."""


@dataclass
class TreeArrays:
    """A tree ensemble as flat arrays over all nodes and leaves (node ids are global).

    Nodes: ``feature`` (-1 at a leaf), ``threshold``, ``missing``, ``default_left``, ``left``,
    ``right``, ``position`` (bit of the node's feature in its leaves' path pattern), ``first``
    (the feature's first split on the path), ``leaf`` (leaf id at a leaf, else -1).
    Leaves: ``leaf_value``, ``leaf_weight`` (cover fraction of the root), ``leaf_start`` (offset of
    the leaf's path features in ``path_feature`` / ``path_ratio``; ``leaf_start[l + 1] - leaf_start[l]``
    of them). Trees: ``root``, ``group`` (output column), ``max_depth``.
    """

    feature: np.ndarray
    threshold: np.ndarray
    missing: np.ndarray
    default_left: np.ndarray
    left: np.ndarray
    right: np.ndarray
    position: np.ndarray
    first: np.ndarray
    leaf: np.ndarray
    leaf_value: np.ndarray
    leaf_weight: np.ndarray
    leaf_start: np.ndarray
    path_feature: np.ndarray
    path_ratio: np.ndarray
    root: np.ndarray
    group: np.ndarray
    n_groups: int
    n_features: int
    base_margin: np.ndarray  # (n_groups,) added to the expected value (XGBoost's base score)
    float32_input: bool  # XGBoost compares float32 values
    max_depth: int
    source: str

    @property
    def n_trees(self) -> int:
        return len(self.root)

    @property
    def path_lengths(self) -> np.ndarray:
        """Number of distinct features on each leaf's path."""
        return np.diff(self.leaf_start)

    def expected_values(self) -> np.ndarray:
        """(n_groups,) the cover-weighted mean output: the base margin plus each tree's mean leaf value,
        added in tree order as the boosters add them."""
        expected = self.base_margin.copy()
        tree_of_leaf = np.searchsorted(self.root, np.flatnonzero(self.feature < 0), side="right") - 1
        per_tree = np.zeros(self.n_trees)
        np.add.at(per_tree, tree_of_leaf, self.leaf_value * self.leaf_weight)
        for tree in range(self.n_trees):
            expected[self.group[tree]] += per_tree[tree]
        return expected


class _Builder:
    """Collects nodes tree by tree, following each root path to summarise its leaves."""

    def __init__(self) -> None:
        self.nodes: list[tuple] = []  # feature, threshold, missing, default_left, left, right, position, first, leaf
        self.leaf_value: list[float] = []
        self.leaf_weight: list[float] = []
        self.leaf_start = [0]
        self.path_feature: list[int] = []
        self.path_ratio: list[float] = []
        self.root: list[int] = []
        self.group: list[int] = []
        self.max_depth = 0

    def add_tree(self, group: int, root: Any, children, split, leaf_value, cover) -> None:
        """Walk one tree; ``children(n) -> (left, right)``, ``split(n) -> (feature, threshold, missing,
        default_left)`` or None at a leaf, ``leaf_value(n)``, ``cover(n)``."""
        self.root.append(len(self.nodes))
        self.group.append(group)
        self._walk(root, children, split, leaf_value, cover, [], [], 1.0, 0)

    def _walk(self, node, children, split, leaf_value, cover, features, ratios, weight, depth) -> int:
        index = len(self.nodes)
        self.max_depth = max(self.max_depth, depth)
        info = split(node)
        if info is None:
            self.nodes.append((-1, 0.0, 0, False, -1, -1, 0, False, len(self.leaf_value)))
            self.leaf_value.append(float(leaf_value(node)))
            self.leaf_weight.append(weight)
            self.path_feature.extend(features)
            self.path_ratio.extend(ratios)
            self.leaf_start.append(len(self.path_feature))
            return index
        feature, threshold, missing, default_left = info
        first = feature not in features
        if first and len(features) >= MAX_PATH_FEATURES:
            raise _Unsupported(f"a leaf path splits on more than {MAX_PATH_FEATURES} distinct features")
        position = len(features) if first else features.index(feature)
        self.nodes.append([feature, threshold, missing, default_left, -1, -1, position, first, -1])
        total = float(cover(node))
        ids = []
        for child in children(node):
            ratio = float(cover(child)) / total if total > 0 else 0.0
            if first:
                sub_features, sub_ratios = [*features, feature], [*ratios, ratio]
            else:
                sub_features, sub_ratios = features, list(ratios)
                sub_ratios[position] *= ratio
            ids.append(self._walk(child, children, split, leaf_value, cover, sub_features, sub_ratios,
                                  weight * ratio, depth + 1))
        self.nodes[index][4], self.nodes[index][5] = ids
        self.nodes[index] = tuple(self.nodes[index])
        return index

    def build(self, n_groups: int, n_features: int, base_margin: np.ndarray, float32_input: bool,
              source: str) -> TreeArrays:
        columns = list(zip(*self.nodes, strict=True))
        return TreeArrays(
            feature=np.asarray(columns[0], np.int32), threshold=np.asarray(columns[1], np.float64),
            missing=np.asarray(columns[2], np.int8), default_left=np.asarray(columns[3], np.bool_),
            left=np.asarray(columns[4], np.int32), right=np.asarray(columns[5], np.int32),
            position=np.asarray(columns[6], np.int8), first=np.asarray(columns[7], np.bool_),
            leaf=np.asarray(columns[8], np.int32),
            leaf_value=np.asarray(self.leaf_value, np.float64), leaf_weight=np.asarray(self.leaf_weight, np.float64),
            leaf_start=np.asarray(self.leaf_start, np.int64), path_feature=np.asarray(self.path_feature, np.int32),
            path_ratio=np.asarray(self.path_ratio, np.float64), root=np.asarray(self.root, np.int32),
            group=np.asarray(self.group, np.int32), n_groups=n_groups, n_features=n_features,
            base_margin=np.asarray(base_margin, np.float64), float32_input=float32_input,
            max_depth=self.max_depth, source=source,
        )


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
        raise _Unsupported("the model averages its trees (random forest mode)")
    per_iteration = int(header["num_tree_per_iteration"])
    builder = _Builder()
    for index, fields in enumerate(sections):
        if fields.get("is_linear", "0") != "0":
            raise _Unsupported("the model has linear trees (linear_tree=True)")
        leaf_value, leaf_count = _numbers(fields, "leaf_value", np.float64), _numbers(fields, "leaf_count", np.float64)
        if int(fields["num_leaves"]) == 1:  # a lone leaf: node -1
            builder.add_tree(index % per_iteration, -1, None, lambda n: None, lambda n, v=leaf_value[0]: v, None)
            continue
        decision = _numbers(fields, "decision_type", np.int64)
        if (decision & 1).any():
            raise _Unsupported("the model has categorical splits")
        feature, threshold = _numbers(fields, "split_feature", np.int64), _numbers(fields, "threshold", np.float64)
        left, right = _numbers(fields, "left_child", np.int64), _numbers(fields, "right_child", np.int64)
        internal_count = _numbers(fields, "internal_count", np.float64)
        missing = [_LIGHTGBM_MISSING_BITS[int(bits)] for bits in (decision >> 2) & 3]

        # internal nodes are 0, 1, ...; leaf l is node ~l (negative)
        def split(n, feature=feature, threshold=threshold, missing=missing, decision=decision):
            if n < 0:
                return None
            return int(feature[n]), float(threshold[n]), missing[n], bool(decision[n] & 2)

        builder.add_tree(index % per_iteration, 0, lambda n, left=left, right=right: (int(left[n]), int(right[n])),
                         split, lambda n, leaf_value=leaf_value: leaf_value[~n],
                         lambda n, internal=internal_count, leaf=leaf_count: internal[n] if n >= 0 else leaf[~n])
    return builder.build(per_iteration, int(header["max_feature_idx"]) + 1, np.zeros(per_iteration), False,
                         "lightgbm")


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
        raise _Unsupported(f"the model has {len(scores)} base scores for {n_groups} outputs")
    objective = learner["objective"]["name"]
    if objective in _IDENTITY:
        return np.asarray(scores)
    if objective in _LOG:
        return np.log(scores)
    if objective in _LOGIT:
        return np.asarray([-math.log(1.0 / score - 1.0) for score in scores])
    raise _Unsupported(f"the objective {objective!r} has a base score we do not map to margins")


def _xgboost(booster: Any) -> TreeArrays:
    learner = json.loads(booster.save_raw("json"))["learner"]
    gbm = learner["gradient_booster"]
    if gbm["name"] != "gbtree":
        raise _Unsupported(f"the booster is {gbm['name']!r}, not 'gbtree'")
    model = gbm["model"]
    params = learner["learner_model_param"]
    n_groups = max(int(params.get("num_class", "0")), int(params.get("num_target", "1")), 1)
    builder = _Builder()
    for tree, group in zip(model["trees"], model["tree_info"], strict=True):
        if int(tree["tree_param"].get("size_leaf_vector", "1")) > 1:
            raise _Unsupported("the model has vector leaves")
        if any(tree["split_type"]):
            raise _Unsupported("the model has categorical splits")
        left, right = tree["left_children"], tree["right_children"]
        conditions = np.asarray(tree["split_conditions"], np.float32)
        # x < t in float32 is x <= the float32 just below t: one comparison rule for both boosters
        below = np.nextafter(conditions, np.float32(-np.inf)).astype(np.float64)
        features, default_left, hessian = tree["split_indices"], tree["default_left"], tree["sum_hessian"]

        def split(n, left=left, below=below, features=features, default_left=default_left):
            if left[n] == -1:
                return None
            return int(features[n]), float(below[n]), MISSING_NAN, bool(default_left[n])

        builder.add_tree(int(group), 0, lambda n, left=left, right=right: (left[n], right[n]), split,
                         lambda n, conditions=conditions: float(conditions[n]),
                         lambda n, hessian=hessian: float(np.float32(hessian[n])))
    base = _base_margin(learner, n_groups)
    return builder.build(n_groups, int(params["num_feature"]), base, True, "xgboost")


def tree_arrays(model: Any) -> tuple[TreeArrays | None, str | None]:
    """The model's trees as ``TreeArrays``, or ``(None, reason)`` when they need the booster's own TreeSHAP."""
    from ..models import tree_family

    family = tree_family(model)
    booster = native_booster(model)
    # The walk allocates a few small lists per node and nothing cyclic: a full garbage collection
    # triggered by them (all of pandas', sklearn's objects scanned) took longer than the walk itself.
    collecting = gc.isenabled()
    gc.disable()
    try:
        if family == "lightgbm":
            return _lightgbm(booster), None
        if family == "xgboost":
            return _xgboost(booster), None
    except _Unsupported as reason:
        return None, str(reason)
    finally:
        if collecting:
            gc.enable()
    return None, f"{family} models are explained by shap"
