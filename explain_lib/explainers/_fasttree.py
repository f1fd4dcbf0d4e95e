"""Path-dependent TreeSHAP with per-leaf lookup tables, compiled with numba and parallel over rows.

For a leaf with value ``v`` whose root path splits on the distinct features ``U`` (``k = |U|``),
``r_j`` the product of the cover ratios of the path's splits on ``j``, and ``A`` the features whose
every split on the path the row follows ("satisfied"), path-dependent TreeSHAP gives

    phi_i = v * (1[i in A] - r_i) * P(A) * T(A \\ {i}),   P(A) = prod_{j not in A} r_j  (i's own factor aside)
    T(B)  = sum_{S subset of B} |S|! (k - |S| - 1)! / k! * prod_{j in B \\ S} r_j
          = sum_t w(|B| - t, k) e_t(r_B)            (e_t: elementary symmetric polynomials)

which only depends on the bit pattern ``A`` (Yang 2021, "Fast TreeSHAP", algorithm v2). So once per
model we tabulate ``R(B) = v P(B) T(B)`` for every pattern ``B`` of every leaf (``2^k`` numbers;
``O(2^k k)`` to build), and a row then costs, per leaf, one tree walk step and ``k`` lookups:

    i not in A:  phi_i = -R(A)
    i in A:      phi_i = (1 - r_i) / r_i * R(A \\ {i})

instead of TreeSHAP's ``O(D^2)`` per leaf. Leaves with too many distinct features for the table
budget (or a zero cover ratio) are evaluated per row from the same formula: ``e_t(r_A)`` by
polynomial products and ``e_t(r_{A \\ i})`` by synthetic division, ``O(k^2)`` per leaf.
"""

from __future__ import annotations

import math
import os
import threading

import numba
import numpy as np

from ._tree_arrays import MAX_PATH_FEATURES, MISSING_NAN, MISSING_ZERO, ZERO_THRESHOLD, TreeArrays

__all__ = ["FastTreeShap"]

_ROW_BLOCK = 64  # rows per parallel task: each task walks all trees over its rows (tables stay in cache)
_DEFAULT_TABLE_BYTES = 512 * 2**20
_MAX_TABLE_FEATURES = 16
#: one parallel kernel at a time: numba's fallback threading layer (workqueue) is not thread-safe,
#: and each call already keeps every thread busy
_KERNEL_LOCK = threading.Lock()


def _shapley_weights() -> np.ndarray:
    """``w[k, s] = s! (k - s - 1)! / k!`` for ``0 <= s < k``; 0 elsewhere."""
    size = MAX_PATH_FEATURES + 1
    weights = np.zeros((size + 1, size + 1))
    for k in range(1, size + 1):
        for s in range(k):
            weights[k, s] = 1.0 / (k * math.comb(k - 1, s))
    return weights


_WEIGHTS = _shapley_weights()


@numba.njit(cache=True, parallel=True)
def _build_tables(leaf_start, path_ratio, leaf_value, table_start, weights, table):  # pragma: no cover - numba
    n_leaves = len(table_start)
    for leaf in numba.prange(n_leaves):
        offset = table_start[leaf]
        if offset < 0:
            continue
        start = leaf_start[leaf]
        k = leaf_start[leaf + 1] - start
        size = 1 << k
        poly = np.zeros((size, k + 1))  # e_t(r_B) for every pattern B
        prod = np.empty(size)  # prod_{j in B} r_j
        poly[0, 0] = 1.0
        prod[0] = 1.0
        for pattern in range(1, size):
            bit = 0
            while not (pattern >> bit) & 1:
                bit += 1
            previous = pattern ^ (1 << bit)
            r = path_ratio[start + bit]
            prod[pattern] = prod[previous] * r
            poly[pattern, 0] = 1.0
            for t in range(1, k + 1):
                poly[pattern, t] = poly[previous, t] + r * poly[previous, t - 1]
        value = leaf_value[leaf]
        for pattern in range(size):
            n = 0
            for bit in range(k):
                n += (pattern >> bit) & 1
            total = 0.0
            for t in range(n + 1):
                total += weights[k, n - t] * poly[pattern, t]
            table[offset + pattern] = value * prod[(size - 1) ^ pattern] * total


@numba.njit(cache=True, inline="always")
def _leaf_by_polynomial(out_row, leaf, pattern, leaf_start, path_feature, path_ratio, leaf_value, weights,
                        poly, quotient):  # pragma: no cover - numba
    start = leaf_start[leaf]
    k = leaf_start[leaf + 1] - start
    value = leaf_value[leaf]
    n = 0
    unsatisfied = 1.0
    poly[0] = 1.0
    for bit in range(k):
        r = path_ratio[start + bit]
        if (pattern >> bit) & 1:
            poly[n + 1] = 0.0
            for t in range(n + 1, 0, -1):
                poly[t] += r * poly[t - 1]
            n += 1
        else:
            unsatisfied *= r
    negative = 0.0
    if n < k:
        total = 0.0
        for t in range(n + 1):
            total += weights[k, n - t] * poly[t]
        negative = -value * unsatisfied * total
    for bit in range(k):
        feature = path_feature[start + bit]
        if (pattern >> bit) & 1:
            r = path_ratio[start + bit]
            quotient[0] = 1.0
            total = weights[k, n - 1]
            for t in range(1, n):
                quotient[t] = poly[t] - r * quotient[t - 1]
                total += weights[k, n - 1 - t] * quotient[t]
            out_row[feature] += value * (1.0 - r) * unsatisfied * total
        else:
            out_row[feature] += negative


@numba.njit(cache=True, parallel=True)
def _explain_rows(X, feature, threshold, missing, default_left, left, right, position, first, leaf_of_node,
                  leaf_value, leaf_start, path_feature, path_ratio, path_coef, table_start, table, weights,
                  root, group, max_depth, zero, out):  # pragma: no cover - numba
    n_rows = X.shape[0]
    n_blocks = (n_rows + _ROW_BLOCK - 1) // _ROW_BLOCK
    for block in numba.prange(n_blocks):
        stack_node = np.empty(max_depth + 2, np.int64)
        stack_pattern = np.empty(max_depth + 2, np.int64)
        poly = np.empty(MAX_PATH_FEATURES + 2)
        quotient = np.empty(MAX_PATH_FEATURES + 2)
        low = block * _ROW_BLOCK
        high = min(n_rows, low + _ROW_BLOCK)
        for tree in range(len(root)):
            g = group[tree]
            for row in range(low, high):
                out_row = out[row, g]
                stack_node[0] = root[tree]
                stack_pattern[0] = 0
                depth = 1
                while depth > 0:
                    depth -= 1
                    node = stack_node[depth]
                    pattern = stack_pattern[depth]
                    f = feature[node]
                    if f < 0:
                        leaf = leaf_of_node[node]
                        start = leaf_start[leaf]
                        k = leaf_start[leaf + 1] - start
                        offset = table_start[leaf]
                        if k == 0:
                            continue
                        if offset < 0:
                            _leaf_by_polynomial(out_row, leaf, pattern, leaf_start, path_feature, path_ratio,
                                                leaf_value, weights, poly, quotient)
                            continue
                        negative = -table[offset + pattern]
                        for bit in range(k):
                            if (pattern >> bit) & 1:
                                out_row[path_feature[start + bit]] += (
                                    path_coef[start + bit] * table[offset + (pattern ^ (1 << bit))])
                            else:
                                out_row[path_feature[start + bit]] += negative
                        continue
                    x = X[row, f]
                    rule = missing[node]
                    if np.isnan(x) and rule != MISSING_NAN:
                        x = 0.0
                    if (rule == MISSING_ZERO and -zero <= x <= zero) or (rule == MISSING_NAN and np.isnan(x)):
                        go_left = default_left[node]
                    else:
                        go_left = x <= threshold[node]
                    if go_left:
                        hot, cold = left[node], right[node]
                    else:
                        hot, cold = right[node], left[node]
                    bit = np.int64(1) << position[node]
                    stack_node[depth] = cold
                    stack_node[depth + 1] = hot
                    if first[node]:
                        stack_pattern[depth] = pattern
                        stack_pattern[depth + 1] = pattern | bit
                    else:
                        stack_pattern[depth] = pattern & ~bit
                        stack_pattern[depth + 1] = pattern
                    depth += 2


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
        lengths = trees.path_lengths
        ratio = trees.path_ratio
        with np.errstate(divide="ignore", invalid="ignore"):
            coef = np.where(ratio > 0, (1.0 - ratio) / ratio, 0.0)
        leaf_of_entry = np.repeat(np.arange(len(lengths)), lengths)
        zero_ratio = np.bincount(leaf_of_entry[ratio <= 0], minlength=len(lengths)) > 0
        sizes = np.where((lengths <= _MAX_TABLE_FEATURES) & ~zero_ratio, 2 ** np.minimum(lengths, 62), 0)
        order = np.argsort(lengths, kind="stable")
        budget = self.table_bytes // 8
        used = np.cumsum(sizes[order])
        tabulated = np.zeros(len(lengths), bool)
        tabulated[order[(used <= budget) & (sizes[order] > 0)]] = True
        table_start = np.full(len(lengths), -1, np.int64)
        starts = np.concatenate([[0], np.cumsum(np.where(tabulated, sizes, 0))])
        table_start[tabulated] = starts[:-1][tabulated]
        self._table = np.empty(int(starts[-1]))
        self._table_start = table_start
        self._path_coef = coef
        self.tabulated_leaves = int(tabulated.sum())
        with _KERNEL_LOCK:
            _build_tables(trees.leaf_start, trees.path_ratio, trees.leaf_value, table_start, _WEIGHTS, self._table)
        self._expected = trees.expected_values()

    @property
    def memory_bytes(self) -> int:
        """Bytes held by the lookup tables and the flat trees."""
        arrays = [self._table, self._table_start, self._path_coef]
        arrays += [v for v in vars(self.trees).values() if isinstance(v, np.ndarray)]
        return int(sum(a.nbytes for a in arrays))

    def shap_values(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(local ``(n_groups, n_rows, n_features)``, expected ``(n_groups,)``) for dense ``X``."""
        trees = self.trees
        dtype = np.float32 if trees.float32_input else np.float64
        X = np.ascontiguousarray(np.asarray(X).astype(dtype, copy=False), dtype=np.float64)
        out = np.zeros((X.shape[0], trees.n_groups, X.shape[1]))
        with _KERNEL_LOCK:
            _explain_rows(X, trees.feature, trees.threshold, trees.missing, trees.default_left, trees.left,
                          trees.right, trees.position, trees.first, trees.leaf, trees.leaf_value, trees.leaf_start,
                          trees.path_feature, trees.path_ratio, self._path_coef, self._table_start, self._table,
                          _WEIGHTS, trees.root, trees.group, trees.max_depth, ZERO_THRESHOLD, out)
        return out.transpose(1, 0, 2), self._expected.copy()

    def __getstate__(self) -> dict:
        return {"trees": self.trees, "table_bytes": self.table_bytes}

    def __setstate__(self, state: dict) -> None:
        self.trees = state["trees"]
        self.table_bytes = state["table_bytes"]
        self._build()


def numba_threads() -> int:
    """Threads the row loop runs on (numba's setting; ``NUMBA_NUM_THREADS`` caps it)."""
    return numba.get_num_threads() if os.environ.get("NUMBA_DISABLE_JIT") != "1" else 1
