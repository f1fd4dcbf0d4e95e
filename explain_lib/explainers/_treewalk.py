"""Compiled pieces both tabulated TreeSHAP kernels share (values in ``_fasttree``, interactions in
``_treepairs``): the Shapley weights, the per-leaf tables, and the walk that finds, for a block of rows,
each leaf's pattern of satisfied path features.

The walk runs over a block of rows at once, tree by tree, with the rows along the innermost axis: for
every split node in preorder, one pass over the block's rows writes both children's patterns; then
every leaf reads its pattern. There are no data-dependent branches (a node's two children are both
visited: path-dependent TreeSHAP needs every leaf), and the next stage's accumulations into
``(features, rows)`` arrays write to a different row on each step, so they do not wait on each other
as they do when one row's values are summed leaf after leaf.

A pattern has bit ``j`` set when the row satisfies the leaf's ``j``-th distinct path feature (follows
every split on it along the path); a feature's first split sets its bit on the side the row takes,
a later split on it clears the bit on the side the row does not take.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from ._tree_arrays import MAX_PATH_FEATURES, MISSING_NAN, MISSING_ZERO, TreeArrays

__all__ = [
    "BlockLayout",
    "block_layout",
    "block_rows",
    "build_tables",
    "leaf_by_polynomial",
    "pair_weights",
    "shapley_weights",
]


def shapley_weights() -> np.ndarray:
    """``w[k, s] = s! (k - s - 1)! / k!`` for ``0 <= s < k``; 0 elsewhere (a leaf with ``k`` path features)."""
    size = MAX_PATH_FEATURES + 1
    weights = np.zeros((size + 1, size + 1))
    for k in range(1, size + 1):
        for s in range(k):
            weights[k, s] = 1.0 / (k * math.comb(k - 1, s))
    return weights


def pair_weights() -> np.ndarray:
    """Half the Shapley interaction weight, ``w2[k, s] = s! (k - s - 2)! / (2 (k - 1)!)`` for
    ``0 <= s <= k - 2``; 0 elsewhere. The SHAP interaction value of a pair is half the Shapley
    interaction index, so the half is folded into the tables."""
    size = MAX_PATH_FEATURES + 1
    weights = np.zeros((size + 1, size + 1))
    for k in range(2, size + 1):
        for s in range(k - 1):
            weights[k, s] = 0.5 / ((k - 1) * math.comb(k - 2, s))
    return weights


@numba.njit(cache=True, parallel=True)
def build_tables(leaf_start, path_ratio, leaf_value, table_start, weights, table):  # pragma: no cover - numba
    """``table[table_start[l] + B] = v P(B) sum_t weights[k, |B| - t] e_t(r_B)`` for every pattern ``B``
    of every tabulated leaf ``l`` (``P(B)``: product of the ratios of the features not in ``B``).

    The patterns are visited depth first, each one extending its parent (the pattern without its highest
    bit) by one factor ``(1 + r_j x)``: one polynomial per level, so a leaf's work stays in cache."""
    n_leaves = len(table_start)
    for leaf in numba.prange(n_leaves):
        offset = table_start[leaf]
        if offset < 0:
            continue
        start = leaf_start[leaf]
        k = leaf_start[leaf + 1] - start
        value = leaf_value[leaf]
        ratio = path_ratio[start:start + k]
        above = np.ones(k + 1)  # above[j]: product of the ratios of bits j.. k - 1
        for j in range(k - 1, -1, -1):
            above[j] = above[j + 1] * ratio[j]
        poly = np.zeros((k + 1, k + 1))  # poly[d]: e_t of the d ratios in the pattern at depth d
        pattern = np.zeros(k + 1, np.int64)
        following = np.zeros(k + 1, np.int64)  # the next bit to add at each depth (above the highest set)
        below = np.ones(k + 1)  # product of the ratios of the unset bits under the next bit to add
        poly[0, 0] = 1.0
        depth = 0
        while True:
            total = 0.0
            for t in range(depth + 1):
                total += weights[k, depth - t] * poly[depth, t]
            table[offset + pattern[depth]] = value * (below[depth] * above[following[depth]]) * total
            # the next pattern in preorder: a child (one more bit above the highest), else a sibling up the stack
            while depth >= 0 and following[depth] >= k:
                depth -= 1
            if depth < 0:
                break
            j = following[depth]
            r = ratio[j]
            poly[depth + 1, 0] = 1.0
            for t in range(1, depth + 2):
                poly[depth + 1, t] = poly[depth, t] + r * poly[depth, t - 1]
            pattern[depth + 1] = pattern[depth] | (np.int64(1) << j)
            following[depth + 1] = j + 1
            below[depth + 1] = below[depth]
            following[depth] = j + 1  # the sibling after this child leaves bit j unset
            below[depth] *= r
            depth += 1


@numba.njit(cache=True, inline="always")
def leaf_by_polynomial(acc, g, r, slot, leaf, pattern, leaf_start, path_feature, path_ratio, leaf_value, weights,
                       poly, quotient):  # pragma: no cover - numba
    """One leaf's SHAP values for one row (``acc[g, slot[feature], r]``) from the polynomial of its
    satisfied ratios: for leaves without a table (too many path features, or a zero cover ratio)."""
    start = leaf_start[leaf]
    k = leaf_start[leaf + 1] - start
    value = leaf_value[leaf]
    n = 0
    unsatisfied = 1.0
    poly[0] = 1.0
    for bit in range(k):
        ratio = path_ratio[start + bit]
        if (pattern >> bit) & 1:
            poly[n + 1] = 0.0
            for t in range(n + 1, 0, -1):
                poly[t] += ratio * poly[t - 1]
            n += 1
        else:
            unsatisfied *= ratio
    negative = 0.0
    if n < k:
        total = 0.0
        for t in range(n + 1):
            total += weights[k, n - t] * poly[t]
        negative = -value * unsatisfied * total
    for bit in range(k):
        feature = path_feature[start + bit]
        if (pattern >> bit) & 1:
            ratio = path_ratio[start + bit]
            quotient[0] = 1.0
            total = weights[k, n - 1]
            for t in range(1, n):
                quotient[t] = poly[t] - ratio * quotient[t - 1]
                total += weights[k, n - 1 - t] * quotient[t]
            acc[g, slot[feature], r] += value * (1.0 - ratio) * unsatisfied * total
        else:
            acc[g, slot[feature], r] += negative


@dataclass
class BlockLayout:
    """The trees in the order the block walk reads them.

    Split nodes ``q`` in preorder, tree after tree (tree ``t``'s are ``split_start[t]:split_start[t + 1]``):
    ``feature``, ``threshold``, ``missing``, ``default_left``, ``bit`` (``1 << position``), ``first``,
    and the tree-local indices of the node (``node``) and its children (``left``, ``right``). Leaves in
    the same order (tree ``t``'s are ``leaf_range[t]:leaf_range[t + 1]``, leaf ids as in ``TreeArrays``):
    ``leaf_node``, the leaf's tree-local node index. ``max_nodes``: the largest tree's node count.
    """

    feature: np.ndarray
    threshold: np.ndarray
    missing: np.ndarray
    default_left: np.ndarray
    bit: np.ndarray
    first: np.ndarray
    node: np.ndarray
    left: np.ndarray
    right: np.ndarray
    split_start: np.ndarray
    leaf_node: np.ndarray
    leaf_range: np.ndarray
    max_nodes: int


def block_layout(trees: TreeArrays) -> BlockLayout:
    """The split nodes and leaves of ``trees`` as the walk reads them (node ids are already preorder)."""
    n_nodes = len(trees.feature)
    root = trees.root.astype(np.int64)
    tree_of_node = np.repeat(np.arange(trees.n_trees), np.diff(np.r_[root, n_nodes]))
    local = np.arange(n_nodes) - root[tree_of_node]
    split = np.flatnonzero(trees.feature >= 0)
    leaf_nodes = np.flatnonzero(trees.feature < 0)
    if not np.array_equal(trees.leaf[leaf_nodes], np.arange(len(leaf_nodes))):
        raise ValueError("leaf ids must follow the node order")  # _Builder numbers them so
    boundaries = np.arange(trees.n_trees + 1)
    return BlockLayout(
        feature=trees.feature[split].astype(np.int64), threshold=trees.threshold[split],
        missing=trees.missing[split], default_left=trees.default_left[split],
        bit=np.left_shift(np.int64(1), trees.position[split].astype(np.int64)), first=trees.first[split],
        node=local[split], left=local[trees.left[split]], right=local[trees.right[split]],
        split_start=np.searchsorted(tree_of_node[split], boundaries).astype(np.int64),
        leaf_node=local[leaf_nodes], leaf_range=np.searchsorted(tree_of_node[leaf_nodes], boundaries).astype(np.int64),
        max_nodes=int(np.diff(np.r_[root, n_nodes]).max()),
    )


def block_rows(n_rows: int, threads: int, row_bytes: int) -> int:
    """Rows per block: as many as a block's scratch (``row_bytes`` per row) allows within ~2 MiB, at most
    1024, while there are blocks enough for every thread. A tree's tables are read once per block, so
    larger blocks read them fewer times (measured on 300 trees x 31 leaves, one thread: 69 / 59 / 53
    us per row at 128 / 256 / 1024 rows; 1000 trees x 63 leaves: 830 / 637 / 486)."""
    rows = max(8, min(1024, (2 * 2**20) // max(row_bytes, 1)))
    per_thread = -(-n_rows // max(threads, 1))
    return max(1, min(rows, per_thread))


@numba.njit(cache=True, inline="always")
def transpose_block(X, low, high, xt):  # pragma: no cover - numba
    """Rows ``low:high`` of ``X`` into ``xt`` as (features, rows)."""
    for r in range(high - low):
        for f in range(X.shape[1]):
            xt[f, r] = X[low + r, f]


@numba.njit(cache=True, inline="always")
def goes_left(x, rule, limit, go_default, zero):  # pragma: no cover - numba
    """LightGBM's decision at a numeric split: NaN counts as 0 unless the node's missing type is NaN; a
    "missing" value (|x| <= ``zero`` under MISSING_ZERO, NaN under MISSING_NAN) goes the default way."""
    nan = np.isnan(x)
    if nan and rule != MISSING_NAN:
        x = 0.0
    if (rule == MISSING_ZERO and -zero <= x <= zero) or (rule == MISSING_NAN and nan):
        return go_default
    return x <= limit


@numba.njit(cache=True, inline="always")
def walk_block(xt, m, q_start, q_stop, feature, threshold, missing, default_left, bit, first, node, left, right,
               zero, pattern):  # pragma: no cover - numba
    """Every node's pattern for the block's ``m`` rows (``pattern[node, row]``), one tree: split nodes
    ``q_start:q_stop`` in preorder, root at local index 0."""
    for r in range(m):
        pattern[0, r] = 0
    for q in range(q_start, q_stop):
        f = feature[q]
        rule = missing[q]
        limit = threshold[q]
        go_default = default_left[q]
        b = bit[q]
        here, lo, hi = node[q], left[q], right[q]
        if first[q]:
            for r in range(m):
                go_left = goes_left(xt[f, r], rule, limit, go_default, zero)
                p = pattern[here, r]
                on_left = b if go_left else 0
                pattern[lo, r] = p | on_left
                pattern[hi, r] = p | (b ^ on_left)
        else:
            for r in range(m):
                go_left = goes_left(xt[f, r], rule, limit, go_default, zero)
                p = pattern[here, r]
                on_left = b if go_left else 0
                pattern[lo, r] = p & ~(b ^ on_left)
                pattern[hi, r] = p & ~on_left
