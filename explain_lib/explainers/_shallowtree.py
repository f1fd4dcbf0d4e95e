"""Path-dependent TreeSHAP for ensembles of trees at most 3 levels deep, in numpy, with one lookup
table per tree.

A tree of depth <= 3 has at most 7 splits. Path-dependent TreeSHAP depends on a row only through
which way the row goes at each split, so a tree's values are a function of a 7-bit pattern
(bit ``s`` = the row goes left at the split in slot ``s``, slots numbered breadth first as in a
heap). We tabulate, once per model, the tree's values for all 128 patterns over its (at most 7)
distinct features; a row then costs 7 comparisons and one table row per tree, in vectorised numpy.
There is nothing to compile, so a short job does not pay numba's start-up (about a second in a
fresh process), and shallow surrogates (MimicExplainer's LightGBM default) are explained at once.

The table entries follow the same per-leaf formula as the compiled path (``_fasttree``): for a
leaf with value ``v``, distinct path features ``U`` (``k = |U|``), cover ratios ``r`` and satisfied
set ``A`` (the features whose every split on the path the row follows),

    phi_i = v * (1[i in A] - r_i) * sum_{S subset of A \\ {i}} |S|! (k - |S| - 1)! / k! * prod_{j in U \\ S, j != i} r_j

summed over the tree's leaves for each pattern. ``k <= 3``, so the sum has at most 4 terms.
"""

from __future__ import annotations

import itertools
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .._threads import thread_budget
from ._tree_arrays import MISSING_NAN, MISSING_NONE, MISSING_ZERO, ZERO_THRESHOLD, TreeArrays

__all__ = ["MAX_DEPTH", "ShallowTreeShap"]

MAX_DEPTH = 3
_SLOTS = 2**MAX_DEPTH - 1  # splits of a full tree of depth 3, in heap order
_PATTERNS = 2**_SLOTS
_SLOT_BITS = (1 << np.arange(_SLOTS)).astype(np.uint8)
_ROW_BLOCK = 128  # rows per numpy pass: a block's (rows, trees, slots) arrays stay in cache


def _heap_layout(trees: TreeArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(split node per (tree, slot) or -1, and per leaf: tree, path slots, path directions, path bits).

    Walks all trees level by level; a leaf's path is padded to 3 steps with slot 0 and a direction
    that always counts as followed (-1)."""
    n_trees = trees.n_trees
    split_node = np.full((n_trees, _SLOTS), -1, np.int64)
    node, tree, slot = trees.root.astype(np.int64), np.arange(n_trees), np.zeros(n_trees, np.int64)
    steps = np.zeros((n_trees, 0, 3), np.int64)  # (slot, went left, bit) per step so far
    leaves = []
    for _ in range(MAX_DEPTH + 1):
        is_leaf = trees.feature[node] < 0
        leaves.append((node[is_leaf], tree[is_leaf], steps[is_leaf]))
        node, tree, slot, steps = node[~is_leaf], tree[~is_leaf], slot[~is_leaf], steps[~is_leaf]
        if not len(node):
            break
        split_node[tree, slot] = node
        bit = trees.position[node].astype(np.int64)
        left = np.stack([slot, np.ones_like(slot), bit], axis=1)[:, None, :]
        right = np.stack([slot, np.zeros_like(slot), bit], axis=1)[:, None, :]
        steps = np.concatenate([np.concatenate([steps, left], axis=1), np.concatenate([steps, right], axis=1)])
        node = np.concatenate([trees.left[node], trees.right[node]]).astype(np.int64)
        tree, slot = np.concatenate([tree, tree]), np.concatenate([2 * slot + 1, 2 * slot + 2])
    else:
        raise ValueError(f"trees deeper than {MAX_DEPTH} levels need the compiled path")
    leaf_node = np.concatenate([n for n, _, _ in leaves])
    leaf_tree = np.concatenate([t for _, t, _ in leaves])
    padded = np.zeros((len(leaf_node), MAX_DEPTH, 3), np.int64)
    padded[:, :, 1] = -1
    row = 0
    for n, _, s in leaves:
        padded[row : row + len(n), : s.shape[1]] = s
        row += len(n)
    return split_node, trees.leaf[leaf_node].astype(np.int64), leaf_tree, padded[..., 0], padded[..., 1:]


def _leaf_values(trees: TreeArrays, leaves: np.ndarray) -> np.ndarray:
    """contribution[l, A, i]: the value of leaf ``leaves[l]`` for its path feature ``i`` when the
    satisfied set is the bit pattern ``A`` (8 patterns x 3 features, zero beyond the leaf's k)."""
    start = trees.leaf_start[leaves]
    k = trees.leaf_start[leaves + 1] - start
    ratio = np.ones((len(leaves), MAX_DEPTH))
    for j in range(MAX_DEPTH):
        has = j < k
        ratio[has, j] = trees.path_ratio[start[has] + j]
    out = np.zeros((len(leaves), 2**MAX_DEPTH, MAX_DEPTH))
    value = trees.leaf_value[leaves]
    for size in range(1, MAX_DEPTH + 1):
        group = k == size
        r, v = ratio[group], value[group]
        for pattern, i in itertools.product(range(2**size), range(size)):
            others = [j for j in range(size) if j != i]
            total = np.zeros(len(r))
            for n in range(len(others) + 1):
                for chosen in itertools.combinations(others, n):
                    if all((pattern >> j) & 1 for j in chosen):  # S must lie in A
                        rest = np.prod(r[:, [j for j in others if j not in chosen]], axis=1)
                        total = total + rest / (size * math.comb(size - 1, n))
            out[group, pattern, i] = v * (((pattern >> i) & 1) - r[:, i]) * total
    return out


class ShallowTreeShap:
    """Path-dependent TreeSHAP of an ensemble whose trees are at most 3 levels deep, tabulated per
    tree (see the module docstring). Same interface as the compiled ``FastTreeShap``; a pickle
    carries only the trees and the tables are rebuilt."""

    def __init__(self, trees: TreeArrays):
        if trees.max_depth > MAX_DEPTH:
            raise ValueError(f"ShallowTreeShap takes trees of depth <= {MAX_DEPTH}, got {trees.max_depth}")
        self.trees = trees
        self._build()

    def _build(self) -> None:
        trees = self.trees
        split_node, leaves, leaf_tree, path_slot, path_step = _heap_layout(trees)
        present = split_node >= 0
        safe = np.where(present, split_node, 0)
        self._feature = np.where(present, trees.feature[safe], 0).astype(np.int64)
        self._threshold = np.where(present, trees.threshold[safe], np.inf)
        self._missing = np.where(present, trees.missing[safe], MISSING_NONE)
        self._default_left = np.where(present, trees.default_left[safe], True)
        self._simple = bool((self._missing == MISSING_NONE).all())

        # each tree's distinct features, in increasing order: column c of the tree's table is feature
        # ``columns[tree, c]``; a leaf's path feature j sits in column ``rank`` of its tree
        features = np.where(present, self._feature, np.iinfo(np.int64).max)
        ordered = np.sort(features, axis=1)
        new = np.r_["1", np.ones((len(ordered), 1), bool), ordered[:, 1:] != ordered[:, :-1]] \
            & (ordered != np.iinfo(np.int64).max)
        width = max(1, int(new.sum(axis=1).max()))
        columns = np.full((len(ordered), width), -1, np.int64)
        counts = new.sum(axis=1)
        columns[np.repeat(np.arange(len(ordered)), counts), np.concatenate([np.arange(c) for c in counts])] = \
            ordered[new]
        start = trees.leaf_start[leaves]
        k = trees.leaf_start[leaves + 1] - start
        rank = np.zeros((len(leaves), MAX_DEPTH), np.int64)
        for j in range(MAX_DEPTH):
            has = j < k
            feature = trees.path_feature[start[has] + j]
            rank[has, j] = ((ordered[leaf_tree[has]] < feature[:, None]) & new[leaf_tree[has]]).sum(axis=1)

        # the satisfied set of every leaf under every pattern: a step not followed clears its bit
        patterns = np.arange(_PATTERNS)
        satisfied = np.broadcast_to((1 << k)[:, None] - 1, (len(leaves), _PATTERNS)).copy()
        for step in range(MAX_DEPTH):
            went_left, bit = path_step[:, step, 0], path_step[:, step, 1]
            goes_left = (patterns[None, :] >> path_slot[:, step, None]) & 1
            missed = (went_left[:, None] >= 0) & (goes_left != went_left[:, None])
            satisfied &= ~np.where(missed, 1 << bit[:, None], 0)
        contribution = _leaf_values(trees, leaves)  # (leaves, 8, 3)
        values = contribution[np.arange(len(leaves))[:, None], satisfied]  # (leaves, patterns, 3)
        # summed into the tree's table (a leaf's unused feature slots hold 0 and add nothing to column 0)
        cell = (leaf_tree * (_PATTERNS * width))[:, None, None] + (patterns * width)[None, :, None] + rank[:, None, :]
        table = np.bincount(cell.ravel(), weights=values.ravel(), minlength=trees.n_trees * _PATTERNS * width)
        self._table = table.reshape(trees.n_trees * _PATTERNS, width)
        self._offset = np.arange(trees.n_trees, dtype=np.int64) * _PATTERNS
        self._column = np.where(columns >= 0, trees.group[:, None].astype(np.int64) * trees.n_features + columns, 0)
        self._expected = trees.expected_values()

    @property
    def memory_bytes(self) -> int:
        """Bytes held by the tables, the split arrays and the flat trees."""
        arrays = [self._table, self._feature, self._threshold, self._missing, self._default_left, self._column]
        arrays += [v for v in vars(self.trees).values() if isinstance(v, np.ndarray)]
        return int(sum(a.nbytes for a in arrays))

    def _block(self, X: np.ndarray) -> np.ndarray:
        """Values of a block of rows, (rows, n_groups * n_features); a row's arithmetic is its own."""
        n_rows = len(X)
        x = X[:, self._feature]  # (rows, trees, slots)
        nan = np.isnan(x)
        if self._simple and not nan.any():
            left = x <= self._threshold
        else:
            x = np.where(nan & (self._missing != MISSING_NAN), 0.0, x)
            default = ((self._missing == MISSING_ZERO) & (np.abs(x) <= ZERO_THRESHOLD)) \
                | ((self._missing == MISSING_NAN) & nan)
            left = np.where(default, self._default_left, x <= self._threshold)
        pattern = left.view(np.uint8) @ _SLOT_BITS  # bit s: the row goes left at slot s
        values = np.take(self._table, pattern + self._offset, axis=0)  # (rows, trees, width)
        width = self.trees.n_groups * self.trees.n_features
        cells = (np.arange(n_rows)[:, None] * width + self._column.reshape(1, -1)).ravel()
        return np.bincount(cells, weights=values.ravel(), minlength=n_rows * width).reshape(n_rows, width)

    def shap_values(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(local ``(n_groups, n_rows, n_features)``, expected ``(n_groups,)``) for dense ``X``."""
        trees = self.trees
        dtype = np.float32 if trees.float32_input else np.float64
        X = np.ascontiguousarray(np.asarray(X).astype(dtype, copy=False), dtype=np.float64)
        out = np.empty((X.shape[0], trees.n_groups * trees.n_features))

        def fill(low: int) -> None:
            out[low : low + _ROW_BLOCK] = self._block(X[low : low + _ROW_BLOCK])

        lows = range(0, len(X), _ROW_BLOCK)
        threads = min(thread_budget(), len(lows))
        if threads > 1:  # numpy releases the GIL in the array work; each block's rows are its own
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(fill, lows))
        else:
            for low in lows:
                fill(low)
        local = out.reshape(len(X), trees.n_groups, trees.n_features).transpose(1, 0, 2)
        return local, self._expected.copy()

    def __getstate__(self) -> dict:
        return {"trees": self.trees}

    def __setstate__(self, state: dict) -> None:
        self.trees = state["trees"]
        self._build()
