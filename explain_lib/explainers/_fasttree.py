"""Path-dependent TreeSHAP with per-leaf lookup tables, compiled with numba and parallel over row blocks.

For a leaf with value ``v`` whose root path splits on the distinct features ``U`` (``k = |U|``),
``r_j`` the product of the cover ratios of the path's splits on ``j``, and ``A`` the features whose
every split on the path the row follows ("satisfied"), path-dependent TreeSHAP gives

    phi_i = v * (1[i in A] - r_i) * P(A) * T(A \\ {i}),   P(A) = prod_{j not in A} r_j  (i's own factor aside)
    T(B)  = sum_{S subset of B} |S|! (k - |S| - 1)! / k! * prod_{j in B \\ S} r_j
          = sum_t w(|B| - t, k) e_t(r_B)            (e_t: elementary symmetric polynomials)

which only depends on the bit pattern ``A`` (Yang 2021, "Fast TreeSHAP", algorithm v2). So once per
model we tabulate ``R(B) = v P(B) T(B)`` for every pattern ``B`` of every leaf (``2^k`` numbers;
``O(2^k k)`` to build), and a row then costs, per leaf, ``k`` lookups:

    phi_i = g_i * R(A \\ {i}),   g_i = (1 - r_i) / r_i if i in A, else -1

instead of TreeSHAP's ``O(D^2)`` per leaf. Leaves with too many distinct features for the table
budget (or a zero cover ratio) are evaluated per row from the same formula: ``e_t(r_A)`` by
polynomial products and ``e_t(r_{A \\ i})`` by synthetic division, ``O(k^2)`` per leaf.

Rows go in blocks (``_treewalk``): per tree, one pass over the block finds every leaf's pattern, then
each (leaf, path feature) adds its value to the block's ``(features, rows)`` accumulator. Exact
interaction values come from the same tables' pair counterpart (``_treepairs``).
"""

from __future__ import annotations

import os
import threading

import numba
import numpy as np

from ._tree_arrays import MAX_PATH_FEATURES, ZERO_THRESHOLD, TreeArrays
from ._treewalk import (
    block_layout,
    block_rows,
    build_tables,
    leaf_by_polynomial,
    pair_weights,
    shapley_weights,
    transpose_block,
    walk_block,
)

__all__ = ["FastTreeShap", "numba_threads"]

_DEFAULT_TABLE_BYTES = 512 * 2**20
_MAX_TABLE_FEATURES = 16
#: one parallel kernel at a time: numba's fallback threading layer (workqueue) is not thread-safe,
#: and each call already keeps every thread busy
KERNEL_LOCK = threading.Lock()
_WEIGHTS = shapley_weights()
_PAIR_WEIGHTS = pair_weights()


@numba.njit(cache=True, parallel=True)
def _explain_rows(X, rows_per_block, split_feature, threshold, missing, default_left, bit, first, node, left, right,
                  split_start, leaf_node, leaf_range, max_nodes, group, leaf_value, leaf_start, path_feature,
                  path_ratio, path_coef, table_start, table, weights, zero, out):  # pragma: no cover - numba
    n_rows, n_features = X.shape
    n_groups = out.shape[1]
    n_blocks = (n_rows + rows_per_block - 1) // rows_per_block
    for block in numba.prange(n_blocks):
        low = block * rows_per_block
        high = min(n_rows, low + rows_per_block)
        m = high - low
        xt = np.empty((n_features, rows_per_block))
        pattern = np.empty((max_nodes, rows_per_block), np.int64)
        acc = np.zeros((n_groups, n_features, rows_per_block))
        poly = np.empty(MAX_PATH_FEATURES + 2)
        quotient = np.empty(MAX_PATH_FEATURES + 2)
        identity = np.arange(n_features)
        transpose_block(X, low, high, xt)
        for tree in range(len(split_start) - 1):
            g = group[tree]
            walk_block(xt, m, split_start[tree], split_start[tree + 1], split_feature, threshold, missing,
                       default_left, bit, first, node, left, right, zero, pattern)
            for leaf in range(leaf_range[tree], leaf_range[tree + 1]):
                start = leaf_start[leaf]
                k = leaf_start[leaf + 1] - start
                if k == 0:  # a lone leaf: its value is all expected value
                    continue
                here = leaf_node[leaf]
                offset = table_start[leaf]
                if offset < 0:
                    for r in range(m):
                        leaf_by_polynomial(acc, g, r, identity, leaf, pattern[here, r], leaf_start, path_feature,
                                           path_ratio, leaf_value, weights, poly, quotient)
                    continue
                for j in range(k):
                    coef = path_coef[start + j]
                    feature = path_feature[start + j]
                    mask = np.int64(1) << j
                    for r in range(m):  # g_j R(A without j): R(A) itself when j is not in A
                        p = pattern[here, r]
                        factor = coef if p & mask else -1.0
                        acc[g, feature, r] += factor * table[offset + (p & ~mask)]
        for r in range(m):
            for g in range(n_groups):
                for f in range(n_features):
                    out[low + r, g, f] = acc[g, f, r]


def tabulated(trees: TreeArrays, table_bytes: int) -> np.ndarray:
    """Offset of each leaf's table (-1: evaluated per row): leaves in increasing number of distinct
    path features while the budget lasts, at most 16 features and no zero cover ratio."""
    lengths = trees.path_lengths
    leaf_of_entry = np.repeat(np.arange(len(lengths)), lengths)
    zero_ratio = np.bincount(leaf_of_entry[trees.path_ratio <= 0], minlength=len(lengths)) > 0
    sizes = np.where((lengths <= _MAX_TABLE_FEATURES) & ~zero_ratio, 2 ** np.minimum(lengths, 62), 0)
    order = np.argsort(lengths, kind="stable")
    used = np.cumsum(sizes[order])
    chosen = np.zeros(len(lengths), bool)
    chosen[order[(used <= table_bytes // 8) & (sizes[order] > 0)]] = True
    table_start = np.full(len(lengths), -1, np.int64)
    starts = np.concatenate([[0], np.cumsum(np.where(chosen, sizes, 0))])
    table_start[chosen] = starts[:-1][chosen]
    return table_start


class FastTreeShap:
    """Path-dependent TreeSHAP of one tree ensemble with precomputed per-leaf tables.

    ``table_bytes`` bounds the tables' memory: leaves are tabulated in increasing number of
    distinct path features while the budget lasts (at most 16 features a leaf); the others are
    evaluated per row. The tables are rebuilt after unpickling (they are a cache of the trees),
    so a pickle carries only the trees.
    """

    def __init__(self, trees: TreeArrays, *, table_bytes: int = _DEFAULT_TABLE_BYTES):
        self.trees = trees
        self.table_bytes = int(table_bytes)
        self._build()

    def _build(self) -> None:
        trees = self.trees
        ratio = trees.path_ratio
        with np.errstate(divide="ignore", invalid="ignore"):
            self._path_coef = np.where(ratio > 0, (1.0 - ratio) / ratio, 0.0)
        self._table_start = tabulated(trees, self.table_bytes)
        sizes = np.where(self._table_start >= 0, 2 ** np.minimum(trees.path_lengths, 62), 0)
        self._table = np.empty(int(sizes.sum()))
        self.tabulated_leaves = int((self._table_start >= 0).sum())
        self._layout = block_layout(trees)
        self._pair_lock = threading.Lock()
        self._pairs: np.ndarray | None = None
        with KERNEL_LOCK:
            build_tables(trees.leaf_start, trees.path_ratio, trees.leaf_value, self._table_start, _WEIGHTS,
                         self._table)
        self._expected = trees.expected_values()

    @property
    def memory_bytes(self) -> int:
        """Bytes held by the lookup tables, the block layout and the flat trees."""
        arrays = [self._table, self._table_start, self._path_coef]
        arrays += [] if self._pairs is None else [self._pairs]
        arrays += [v for v in vars(self._layout).values() if isinstance(v, np.ndarray)]
        arrays += [v for v in vars(self.trees).values() if isinstance(v, np.ndarray)]
        return int(sum(a.nbytes for a in arrays))

    def shap_values(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(local ``(n_groups, n_rows, n_features)``, expected ``(n_groups,)``) for dense ``X``."""
        trees, layout = self.trees, self._layout
        X = as_input(X, trees)
        out = np.zeros((X.shape[0], trees.n_groups, X.shape[1]))
        rows = block_rows(len(X), numba_threads(), 8 * (X.shape[1] * (trees.n_groups + 1) + layout.max_nodes))
        with KERNEL_LOCK:
            _explain_rows(X, rows, layout.feature, layout.threshold, layout.missing, layout.default_left, layout.bit,
                          layout.first, layout.node, layout.left, layout.right, layout.split_start, layout.leaf_node,
                          layout.leaf_range, layout.max_nodes, trees.group, trees.leaf_value, trees.leaf_start,
                          trees.path_feature, trees.path_ratio, self._path_coef, self._table_start, self._table,
                          _WEIGHTS, ZERO_THRESHOLD, out)
        return out.transpose(1, 0, 2), self._expected.copy()

    def interaction_values(self, X: np.ndarray, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Exact SHAP interaction values of the features ``chosen`` (column indices, ``K`` of them) for dense
        ``X``: (``(n_groups, n_rows, K, K)`` matrices, ``(n_groups, n_rows, K)`` each chosen feature's
        interactions with the unchosen ones summed, expected ``(n_groups,)``). A row of a matrix plus its
        rest sums to the feature's SHAP value. The pair tables are built on the first call."""
        from ._treepairs import interaction_rows

        trees, layout = self.trees, self._layout
        X = as_input(X, trees)
        chosen = np.asarray(chosen, dtype=np.int64)
        slot = np.full(X.shape[1], len(chosen), np.int64)
        slot[chosen] = np.arange(len(chosen))
        values = np.empty((trees.n_groups, X.shape[0], len(chosen), len(chosen)))
        rest = np.empty((trees.n_groups, X.shape[0], len(chosen)))
        side = len(chosen) + 1  # the chosen features and the rest
        scratch = trees.n_groups * side * (side + 1) + X.shape[1] + layout.max_nodes
        rows = block_rows(len(X), numba_threads(), 8 * scratch)
        pair_table = self._pair_table()
        with KERNEL_LOCK:
            interaction_rows(X, rows, layout.feature, layout.threshold, layout.missing, layout.default_left, layout.bit,
                             layout.first, layout.node, layout.left, layout.right, layout.split_start,
                             layout.leaf_node, layout.leaf_range, layout.max_nodes, trees.group, trees.leaf_value,
                             trees.leaf_start, trees.path_feature, trees.path_ratio, self._path_coef,
                             self._table_start, self._table, pair_table, _WEIGHTS, _PAIR_WEIGHTS, ZERO_THRESHOLD,
                             slot, values, rest)
        return values, rest, self._expected.copy()

    def _pair_table(self) -> np.ndarray:
        """``R2`` for every pattern of every tabulated leaf (``_treepairs``), built once."""
        with self._pair_lock:
            if self._pairs is None:
                pairs = np.empty_like(self._table)
                with KERNEL_LOCK:
                    build_tables(self.trees.leaf_start, self.trees.path_ratio, self.trees.leaf_value,
                                 self._table_start, _PAIR_WEIGHTS, pairs)
                self._pairs = pairs
            return self._pairs

    def __getstate__(self) -> dict:
        return {"trees": self.trees, "table_bytes": self.table_bytes}

    def __setstate__(self, state: dict) -> None:
        self.trees = state["trees"]
        self.table_bytes = state["table_bytes"]
        self._build()


def as_input(X: np.ndarray, trees: TreeArrays) -> np.ndarray:
    """``X`` as the trees compare it (through float32 first for XGBoost and scikit-learn), C-ordered float64."""
    dtype = np.float32 if trees.float32_input else np.float64
    return np.ascontiguousarray(np.asarray(X).astype(dtype, copy=False), dtype=np.float64)


def numba_threads() -> int:
    """Threads the row loop runs on (numba's setting; ``NUMBA_NUM_THREADS`` caps it)."""
    return numba.get_num_threads() if os.environ.get("NUMBA_DISABLE_JIT") != "1" else 1
