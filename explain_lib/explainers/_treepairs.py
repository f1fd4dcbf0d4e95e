"""Exact path-dependent SHAP interaction values of tree ensembles from per-leaf tables (numba).

A leaf's path-dependent value function is a product over its distinct path features ``U``: a feature
in the coalition contributes ``1[i in A]`` (the row satisfies it), one outside contributes its cover
ratio ``r_i``. For such a product game the Shapley interaction index of a pair ``a != b`` (Lundberg et
al. 2020 use half of it) factors like the SHAP value does (see ``_fasttree``):

    Phi_ab = v/2 (1[a in A] - r_a)(1[b in A] - r_b) prod_{l in U \\ A, l != a, b} r_l T2(A \\ {a, b})
    T2(B)  = sum_{S subset of B} |S|! (k - |S| - 2)! / (k - 1)! prod_{l in B \\ S} r_l

so with ``R2(B) = v/2 P(B) T2(B)`` tabulated for every pattern ``B`` (``P(B)``: product of the ratios
outside ``B``) a row costs, per leaf and pair of path features, one lookup:

    Phi_ab = g_a g_b R2(A \\ {a, b}),   g_i = (1 - r_i) / r_i if i in A, else -1

and the diagonal is what is left of the SHAP value, ``Phi_aa = phi_a - sum_{b != a} Phi_ab``, so each
row of the matrix sums to the row's SHAP values. Features outside the chosen ones share one slot
("rest"): pairs of two unchosen features are skipped. Leaves without a table are evaluated per row,
``O(k^3)``: ``e_t(r_A)``, then synthetic division by each satisfied ``(1 + r_a x)`` and ``(1 + r_b x)``.
"""

from __future__ import annotations

import numba
import numpy as np

from ._tree_arrays import MAX_PATH_FEATURES
from ._treewalk import leaf_by_polynomial, transpose_block, walk_block

__all__ = ["interaction_rows"]


@numba.njit(cache=True, inline="always")
def _pairs_by_polynomial(acc, g, r, slot, rest, leaf, pattern, leaf_start, path_feature, path_ratio, leaf_value,
                         pair_weights, poly, quotient, pair_poly):  # pragma: no cover - numba
    """One leaf's pair values for one row, into ``acc[g, lo, hi, r]`` (``lo < hi`` the pair's slots)."""
    start = leaf_start[leaf]
    k = leaf_start[leaf + 1] - start
    value = leaf_value[leaf]
    n = 0
    poly[0] = 1.0
    for j in range(k):
        if (pattern >> j) & 1:
            ratio = path_ratio[start + j]
            poly[n + 1] = 0.0
            for t in range(n + 1, 0, -1):
                poly[t] += ratio * poly[t - 1]
            n += 1
    for a in range(k):
        slot_a = slot[path_feature[start + a]]
        ratio_a = path_ratio[start + a]
        on_a = (pattern >> a) & 1
        n_a = n - on_a
        quotient[0] = 1.0
        for t in range(1, n_a + 1):  # e_t(r_{A \ a}): divide out (1 + r_a x) when a is in A
            quotient[t] = poly[t] - ratio_a * quotient[t - 1] if on_a else poly[t]
        for b in range(a + 1, k):
            slot_b = slot[path_feature[start + b]]
            if slot_a == rest and slot_b == rest:
                continue
            ratio_b = path_ratio[start + b]
            on_b = (pattern >> b) & 1
            n_ab = n_a - on_b
            pair_poly[0] = 1.0
            for t in range(1, n_ab + 1):
                pair_poly[t] = quotient[t] - ratio_b * pair_poly[t - 1] if on_b else quotient[t]
            total = 0.0
            for t in range(n_ab + 1):
                total += pair_weights[k, n_ab - t] * pair_poly[t]
            unsatisfied = 1.0
            for j in range(k):
                if j != a and j != b and not (pattern >> j) & 1:
                    unsatisfied *= path_ratio[start + j]
            contribution = value * (on_a - ratio_a) * (on_b - ratio_b) * unsatisfied * total
            acc[g, min(slot_a, slot_b), max(slot_a, slot_b), r] += contribution


@numba.njit(cache=True, parallel=True)
def interaction_rows(X, rows_per_block, split_feature, threshold, missing, default_left, bit, first, node, left, right,
                     split_start, leaf_node, leaf_range, max_nodes, group, leaf_value, leaf_start, path_feature,
                     path_ratio, path_coef, table_start, table, pair_table, weights, pair_weights, zero, slot,
                     values, rest_values):  # pragma: no cover - numba
    """``values[g, row, i, j]`` (the chosen features' interaction matrix, ``K x K``) and
    ``rest_values[g, row, i]`` (chosen feature ``i``'s interactions with all unchosen ones summed) for
    every row of ``X``; ``slot[feature]`` is the feature's index among the chosen, or ``K``."""
    n_rows, n_features = X.shape
    n_groups = values.shape[0]
    rest = values.shape[2]
    n_blocks = (n_rows + rows_per_block - 1) // rows_per_block
    for block in numba.prange(n_blocks):
        low = block * rows_per_block
        high = min(n_rows, low + rows_per_block)
        m = high - low
        xt = np.empty((n_features, rows_per_block))
        pattern = np.empty((max_nodes, rows_per_block), np.int64)
        phi = np.zeros((n_groups, rest + 1, rows_per_block))
        pairs = np.zeros((n_groups, rest + 1, rest + 1, rows_per_block))
        slots = np.empty(MAX_PATH_FEATURES + 1, np.int64)
        poly = np.empty(MAX_PATH_FEATURES + 2)
        quotient = np.empty(MAX_PATH_FEATURES + 2)
        pair_poly = np.empty(MAX_PATH_FEATURES + 2)
        transpose_block(X, low, high, xt)
        for tree in range(len(split_start) - 1):
            g = group[tree]
            walk_block(xt, m, split_start[tree], split_start[tree + 1], split_feature, threshold, missing,
                       default_left, bit, first, node, left, right, zero, pattern)
            for leaf in range(leaf_range[tree], leaf_range[tree + 1]):
                start = leaf_start[leaf]
                k = leaf_start[leaf + 1] - start
                if k == 0:
                    continue
                here = leaf_node[leaf]
                offset = table_start[leaf]
                if offset < 0:
                    for r in range(m):
                        p = pattern[here, r]
                        leaf_by_polynomial(phi, g, r, slot, leaf, p, leaf_start, path_feature, path_ratio,
                                           leaf_value, weights, poly, quotient)
                        _pairs_by_polynomial(pairs, g, r, slot, rest, leaf, p, leaf_start, path_feature, path_ratio,
                                             leaf_value, pair_weights, poly, quotient, pair_poly)
                    continue
                for j in range(k):
                    slots[j] = slot[path_feature[start + j]]
                for a in range(k):
                    slot_a = slots[a]
                    coef_a = path_coef[start + a]
                    mask_a = np.int64(1) << a
                    if slot_a < rest:  # the SHAP value, as the values kernel adds it
                        for r in range(m):
                            p = pattern[here, r]
                            factor = coef_a if p & mask_a else -1.0
                            phi[g, slot_a, r] += factor * table[offset + (p & ~mask_a)]
                    for b in range(a + 1, k):
                        slot_b = slots[b]
                        if slot_a == rest and slot_b == rest:
                            continue
                        coef_b = path_coef[start + b]
                        mask = mask_a | (np.int64(1) << b)
                        lo, hi = min(slot_a, slot_b), max(slot_a, slot_b)
                        for r in range(m):
                            p = pattern[here, r]
                            factor_a = coef_a if p & mask_a else -1.0
                            factor_b = coef_b if (p >> b) & 1 else -1.0
                            pairs[g, lo, hi, r] += factor_a * factor_b * pair_table[offset + (p & ~mask)]
        for r in range(m):
            row = low + r
            for g in range(n_groups):
                for i in range(rest):
                    for j in range(i + 1, rest):
                        values[g, row, i, j] = pairs[g, i, j, r]
                        values[g, row, j, i] = pairs[g, i, j, r]
                    rest_values[g, row, i] = pairs[g, i, rest, r]
                for i in range(rest):
                    diagonal = phi[g, i, r]
                    for j in range(rest):
                        if j != i:
                            diagonal -= values[g, row, i, j]
                    values[g, row, i, i] = diagonal - rest_values[g, row, i]
