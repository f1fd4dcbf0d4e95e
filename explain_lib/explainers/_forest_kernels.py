"""Compiled loops of ``_forest_permutation`` (numba; imported only when a forest is permuted).

The nodes of all trees are flat arrays indexed by node: ``left``, ``right`` (absolute indexes, -1 at
leaves), ``feature``, ``threshold``, ``nan_left``. A split sends a value left when ``value <=
threshold`` with the float32 value widened to float64, or when it is NaN and ``nan_left`` is set
for the node: scikit-learn's own rule for dense float32 rows. Loops run tree by tree over all rows
in a block of rows (a tree's nodes stay in cache), the blocks in parallel: one parallel region per
call, so threads meet once, not once per tree.
"""

from __future__ import annotations

import numba
import numpy as np

_BLOCK = 256  # rows a thread takes through every tree in turn


@numba.njit(cache=True, nogil=True, inline="always")
def _child(node, value, left, right, threshold, nan_left):  # pragma: no cover - compiled
    if value <= threshold[node] or (np.isnan(value) and nan_left[node]):
        return left[node]
    return right[node]


@numba.njit(cache=True, nogil=True, inline="always")
def _descend(node, X, i, j, v, left, right, feature, threshold, nan_left):  # pragma: no cover - compiled
    """The leaf row ``i`` reaches from ``node`` with its column ``j`` set to ``v``."""
    while left[node] >= 0:
        f = feature[node]
        node = _child(node, v if f == j else X[i, f], left, right, threshold, nan_left)
    return node


@numba.njit(cache=True, nogil=True, parallel=True)
def own_leaves(X, roots, left, right, feature, threshold, nan_left):  # pragma: no cover - compiled
    """(leaf of each row in each tree, bit mask of the features split on along that path), (n_trees, n).
    Masks are kept for at most 64 columns (else all zero and unused)."""
    n, n_trees = X.shape[0], roots.shape[0]
    leaves = np.empty((n_trees, n), dtype=np.int64)
    masks = np.zeros((n_trees, n), dtype=np.uint64)
    use_mask = X.shape[1] <= 64
    for block in numba.prange((n + _BLOCK - 1) // _BLOCK):
        for t in range(n_trees):
            for i in range(block * _BLOCK, min(n, (block + 1) * _BLOCK)):
                node = roots[t]
                mask = np.uint64(0)
                while left[node] >= 0:
                    f = feature[node]
                    mask |= np.uint64(1) << np.uint64(f & 63)
                    node = _child(node, X[i, f], left, right, threshold, nan_left)
                leaves[t, i] = node
                if use_mask:
                    masks[t, i] = mask
    return leaves, masks


@numba.njit(cache=True, nogil=True, inline="always")
def _add(out, i, r, table, leaf):  # pragma: no cover - compiled
    for c in range(table.shape[1]):
        out[i, r, c] += table[leaf, c]


@numba.njit(cache=True, nogil=True, parallel=True)
def permuted_sums(X, j, values, roots, leaves, masks, left, right, feature, threshold, nan_left,
                  table):  # pragma: no cover - compiled
    """(n_rows, n_repeats, width) sums over the trees, in tree order, of ``table`` at the leaf row i
    reaches with column ``j`` set to ``values[i, r]`` (at most 64 repeats)."""
    n, n_repeats = values.shape
    n_trees, width = roots.shape[0], table.shape[1]
    out = np.zeros((n, n_repeats, width))
    use_mask = X.shape[1] <= 64
    bit = np.uint64(1) << np.uint64(j & 63)
    one = np.uint64(1)
    for block in numba.prange((n + _BLOCK - 1) // _BLOCK):
        for t in range(n_trees):
            for i in range(block * _BLOCK, min(n, (block + 1) * _BLOCK)):
                own = leaves[t, i]
                if use_mask and (masks[t, i] & bit) == 0:  # no split on j along this row's path
                    for r in range(n_repeats):
                        _add(out, i, r, table, own)
                    continue
                node = roots[t]
                diverged = np.uint64(0)  # bit r set once repeat r has left the row's own path
                while left[node] >= 0:
                    f = feature[node]
                    own_next = _child(node, X[i, f], left, right, threshold, nan_left)
                    if f == j:
                        for r in range(n_repeats):
                            if (diverged >> np.uint64(r)) & one == 0:
                                other = _child(node, values[i, r], left, right, threshold, nan_left)
                                if other != own_next:
                                    diverged |= one << np.uint64(r)
                                    _add(out, i, r, table, _descend(other, X, i, j, values[i, r], left, right,
                                                                    feature, threshold, nan_left))
                    node = own_next
                for r in range(n_repeats):
                    if (diverged >> np.uint64(r)) & one == 0:
                        _add(out, i, r, table, own)
    return out
