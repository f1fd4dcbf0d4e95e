"""A tree ensemble as flat arrays, each leaf's root path summarised for TreeSHAP: the array format and the
one (vectorised) function that builds it from plain node tables, whatever library grew the trees.

A node decides with ``x <= threshold`` after its missing-value rule; for every leaf we keep the distinct
features on its root path (in order of first use), the product of the cover ratios of each feature's
splits on the path (``r``) and the leaf value. That is all path-dependent TreeSHAP needs (Lundberg et
al. 2020; Yang 2021, "Fast TreeSHAP").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["MAX_PATH_FEATURES", "MISSING_NAN", "MISSING_NONE", "MISSING_ZERO", "TreeArrays", "Unsupported",
           "ZERO_THRESHOLD", "from_nodes", "from_tables"]

#: missing-value rules of a split (LightGBM's MissingType; XGBoost and histogram gradient boosting
#: splits are "nan")
MISSING_NONE, MISSING_ZERO, MISSING_NAN = 0, 1, 2
#: LightGBM's kZeroThreshold (|x| <= it counts as zero under MISSING_ZERO): a double initialised from
#: the float literal 1e-35f
ZERO_THRESHOLD = float(np.float32(1e-35))
MAX_PATH_FEATURES = 63  # a leaf's satisfied-features pattern is a 64-bit mask


class Unsupported(Exception):
    """The model holds something the tabulated TreeSHAP does not reproduce exactly."""


@dataclass
class TreeArrays:
    """A tree ensemble as flat arrays over all nodes and leaves (node ids are global, in preorder tree
    after tree; leaf ids follow the node order).

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
    base_margin: np.ndarray  # (n_groups,) added to the expected value (XGBoost's base score, an init)
    float32_input: bool  # XGBoost and scikit-learn's trees compare float32 values
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


def _levels(roots: np.ndarray, left: np.ndarray, right: np.ndarray) -> list[np.ndarray]:
    """The nodes at each depth, all trees at once."""
    levels, frontier = [], roots
    while len(frontier):
        levels.append(frontier)
        inner = frontier[left[frontier] >= 0]
        frontier = np.concatenate([left[inner], right[inner]])
    return levels


def _preorder(tree_start: np.ndarray, levels: list[np.ndarray], left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Each node's preorder index (tree after tree)."""
    n_nodes = len(left)
    size = np.ones(n_nodes, np.int64)
    for nodes in reversed(levels):
        inner = nodes[left[nodes] >= 0]
        size[inner] += size[left[inner]] + size[right[inner]]
    roots = tree_start[:-1]
    if not np.array_equal(size[roots], np.diff(tree_start)):
        raise ValueError("every node of a tree must be reachable from its root")
    order = np.empty(n_nodes, np.int64)
    order[roots] = roots
    for nodes in levels:
        inner = nodes[left[nodes] >= 0]
        order[left[inner]] = order[inner] + 1
        order[right[inner]] = order[inner] + 1 + size[left[inner]]
    return order


def from_nodes(tree_start: np.ndarray, left: np.ndarray, right: np.ndarray, feature: np.ndarray,
               threshold: np.ndarray, missing: np.ndarray, default_left: np.ndarray, value: np.ndarray,
               cover: np.ndarray, group: np.ndarray, *, n_groups: int, n_features: int, base_margin: np.ndarray,
               float32_input: bool, source: str) -> TreeArrays:
    """``TreeArrays`` from node tables of all trees: tree ``t`` holds nodes ``tree_start[t]:tree_start[t + 1]``
    (its root first); ``left`` / ``right`` are node ids (-1 at a leaf); ``value`` is read at leaves, ``cover``
    everywhere (a child's share of its parent's cover is the split's ratio).

    The paths are followed level by level for all trees at once: each node carries its path's distinct
    features and their ratio products (ratios multiplied in path order); a split on a feature already on
    the path multiplies that feature's ratio, a new one appends it."""
    left, right = np.asarray(left, np.int64), np.asarray(right, np.int64)
    cover = np.asarray(cover, np.float64)
    tree_start = np.asarray(tree_start, np.int64)
    n_nodes = len(left)
    levels = _levels(tree_start[:-1], left, right)
    order = _preorder(tree_start, levels, left, right)
    position = np.zeros(n_nodes, np.int8)
    first = np.zeros(n_nodes, np.bool_)
    leaf_nodes, leaf_weights, leaf_counts, leaf_features, leaf_ratios = [], [], [], [], []
    state_feature = np.zeros((len(levels[0]), 0), np.int64)  # the path's distinct features, per node of the level
    state_ratio = np.zeros((len(levels[0]), 0))
    count = np.zeros(len(levels[0]), np.int64)
    weight = np.ones(len(levels[0]))
    for nodes in levels:
        is_leaf = left[nodes] < 0
        if is_leaf.any():
            has = np.arange(state_feature.shape[1]) < count[is_leaf, None]
            leaf_nodes.append(nodes[is_leaf])
            leaf_weights.append(weight[is_leaf])
            leaf_counts.append(count[is_leaf])
            leaf_features.append(state_feature[is_leaf][has])
            leaf_ratios.append(state_ratio[is_leaf][has])
        inner = ~is_leaf
        split = nodes[inner]
        if not len(split):
            break
        features, ratios, counts = state_feature[inner], state_ratio[inner], count[inner]
        match = features == feature[split, None]
        seen = match.any(axis=1)
        if (~seen & (counts >= MAX_PATH_FEATURES)).any():
            raise Unsupported(f"a leaf path splits on more than {MAX_PATH_FEATURES} distinct features")
        where = np.where(seen, match.argmax(axis=1), counts) if match.shape[1] else counts
        position[split], first[split] = where, ~seen
        features = np.pad(features, ((0, 0), (0, 1)), constant_values=-1)
        features[np.arange(len(split)), where] = feature[split]
        parent_cover = cover[split]
        children, child_ratios, child_weights = [], [], []
        for child in (left[split], right[split]):
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(parent_cover > 0, cover[child] / parent_cover, 0.0)
            grown = np.pad(ratios, ((0, 0), (0, 1)), constant_values=1.0)
            rows = np.arange(len(split))
            grown[rows, where] = np.where(seen, grown[rows, where] * ratio, ratio)
            children.append(child)
            child_ratios.append(grown)
            child_weights.append(weight[inner] * ratio)
        state_feature = np.concatenate([features, features])
        state_ratio = np.concatenate(child_ratios)
        count = np.concatenate([counts + ~seen, counts + ~seen])
        weight = np.concatenate(child_weights)
        # the next level lists left children, then right ones, as _levels does
    leaf_nodes = np.concatenate(leaf_nodes)
    by_order = np.argsort(order[leaf_nodes], kind="stable")
    counts = np.concatenate(leaf_counts)
    segment_start = np.concatenate([[0], np.cumsum(counts)])[:-1]
    gather = np.repeat(segment_start[by_order], counts[by_order]) + _ranks(counts[by_order])
    node_of = np.argsort(order, kind="stable")  # preorder index -> input node id
    is_leaf_sorted = left[node_of] < 0
    leaf_id = np.full(n_nodes, -1, np.int32)
    leaf_id[is_leaf_sorted] = np.arange(int(is_leaf_sorted.sum()), dtype=np.int32)
    sorted_leaves = leaf_nodes[by_order]
    return TreeArrays(
        feature=np.where(is_leaf_sorted, -1, feature[node_of]).astype(np.int32),
        threshold=np.where(is_leaf_sorted, 0.0, threshold[node_of]).astype(np.float64),
        missing=np.where(is_leaf_sorted, 0, missing[node_of]).astype(np.int8),
        default_left=np.where(is_leaf_sorted, False, default_left[node_of]).astype(np.bool_),
        left=np.where(is_leaf_sorted, -1, order[np.maximum(left[node_of], 0)]).astype(np.int32),
        right=np.where(is_leaf_sorted, -1, order[np.maximum(right[node_of], 0)]).astype(np.int32),
        position=position[node_of], first=first[node_of], leaf=leaf_id,
        leaf_value=np.asarray(value, np.float64)[sorted_leaves], leaf_weight=np.concatenate(leaf_weights)[by_order],
        leaf_start=np.concatenate([[0], np.cumsum(counts[by_order])]).astype(np.int64),
        path_feature=np.concatenate(leaf_features)[gather].astype(np.int32),
        path_ratio=np.concatenate(leaf_ratios)[gather], root=tree_start[:-1].astype(np.int32),
        group=np.asarray(group, np.int32), n_groups=int(n_groups), n_features=int(n_features),
        base_margin=np.asarray(base_margin, np.float64), float32_input=bool(float32_input),
        max_depth=len(levels) - 1, source=source,
    )


def from_tables(tables: list[tuple], group: Any, **ensemble: Any) -> TreeArrays:
    """``from_nodes`` over per-tree tables ``(left, right, feature, threshold, missing, default_left, value,
    cover)`` with tree-local child ids (-1 at a leaf), root first; ``ensemble``: ``from_nodes``' keywords."""
    sizes = np.array([len(table[0]) for table in tables], np.int64)
    tree_start = np.concatenate([[0], np.cumsum(sizes)])
    offset = np.repeat(tree_start[:-1], sizes)
    left, right = (np.concatenate([table[i] for table in tables]) for i in (0, 1))
    left, right = np.where(left >= 0, left + offset, -1), np.where(right >= 0, right + offset, -1)
    columns = [np.concatenate([table[i] for table in tables]) for i in range(2, 8)]
    return from_nodes(tree_start, left, right, *columns, np.asarray(group), **ensemble)


def _ranks(counts: np.ndarray) -> np.ndarray:
    """0, 1, ..., c - 1 for each count c, concatenated."""
    total = int(counts.sum())
    starts = np.concatenate([[0], np.cumsum(counts)])[:-1]
    return np.arange(total) - np.repeat(starts, counts)
