"""Model-agnostic interventional Shapley values (exact enumeration and Kernel SHAP) on numpy arrays.

Only :func:`shapley_values` is public. It needs nothing but a ``predict`` callable, the rows to
explain and a weighted background sample; it works on object-dtype (mixed) data as well.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np

from .._progress import progress_bar

__all__ = ["shapley_values"]

Predict = Callable[[np.ndarray], np.ndarray]


def _predict_2d(predict: Predict, rows: np.ndarray, max_batch_rows: int) -> np.ndarray:
    """``predict`` on ``rows`` in chunks of at most ``max_batch_rows``, as an (n, K) float64 array."""
    parts = []
    for start in range(0, len(rows), max_batch_rows):
        chunk = rows[start : start + max_batch_rows]
        out = np.asarray(predict(chunk), dtype=np.float64)
        if out.ndim not in (1, 2) or out.shape[0] != len(chunk):
            raise ValueError(
                f"predict must return shape (n,) or (n, K) for n={len(chunk)} input rows, got {out.shape}"
            )
        parts.append(out.reshape(len(chunk), -1))
    return np.concatenate(parts, axis=0)


def _weighted_mean(pred: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """sum_b w_b pred[..., b, :] in a fixed elementwise order, so equal inputs give bitwise equal sums."""
    acc = weights[0] * pred[..., 0, :]
    for b in range(1, len(weights)):
        acc += weights[b] * pred[..., b, :]
    return acc


def _same(values: np.ndarray, ref: object) -> np.ndarray:
    """Elementwise ``values == ref``, treating NaN as equal to NaN (works on object dtype)."""
    eq = np.asarray(values == ref, dtype=bool)
    return eq | (np.asarray(values != values, dtype=bool) & bool(ref != ref))


def _varying(X: np.ndarray, background: np.ndarray) -> np.ndarray:
    """(n, M) bool: feature j varies for row i unless x_ij equals background_bj for every b."""
    varying = np.ones(X.shape, dtype=bool)
    for j in range(X.shape[1]):
        ref = background[0, j]
        if _same(background[:, j], ref).all():  # only a constant background column can match x_ij
            varying[:, j] = ~_same(X[:, j], ref)
    return varying


def _coalition_values(
    predict: Predict,
    rows: np.ndarray,
    masks: np.ndarray,
    background: np.ndarray,
    weights: np.ndarray,
    max_batch_rows: int,
    n_out: int,
    rows_done: Callable[[int], object],
) -> np.ndarray:
    """v_x(S) = sum_b w_b f(x_S, background_b,notS) for every row x and mask S: (K, n_rows, n_masks).

    As many rows as fit go into one predict call; a row whose coalitions do not fit is split.
    ``rows_done(n)`` is called each time the values of ``n`` more rows are complete.
    """
    n_rows, n_masks, n_bg = len(rows), len(masks), len(background)
    out = np.empty((n_out, n_rows, n_masks))
    if n_rows == 0 or n_masks == 0:
        rows_done(n_rows)
        return out

    def block(r: slice, c: slice) -> None:
        xs, ms = rows[r], masks[c]
        synth = np.where(ms[None, :, None, :], xs[:, None, None, :], background[None, None, :, :])
        pred = _predict_2d(predict, synth.reshape(-1, rows.shape[1]), max_batch_rows)
        pred = pred.reshape(len(xs), len(ms), n_bg, n_out)
        out[:, r, c] = _weighted_mean(pred, weights).transpose(2, 0, 1)

    if n_masks * n_bg <= max_batch_rows:
        step = max_batch_rows // (n_masks * n_bg)
        for start in range(0, n_rows, step):
            block(slice(start, start + step), slice(None))
            rows_done(min(step, n_rows - start))
    else:
        step = max(1, max_batch_rows // n_bg)
        for i in range(n_rows):
            for start in range(0, n_masks, step):
                block(slice(i, i + 1), slice(start, start + step))
            rows_done(1)
    return out


def _exact(v: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Shapley values from v over all 2^m coalitions (``masks`` in bitmask order): (K, n, m)."""
    m = masks.shape[1]
    sizes = masks.sum(axis=1)
    idx = np.arange(len(masks))
    coef = np.array([1.0 / (m * math.comb(m - 1, s)) for s in range(m)])  # |S|!(m-|S|-1)!/m!
    phi = np.empty(v.shape[:2] + (m,))
    for j in range(m):
        without = idx[~masks[:, j]]  # coalitions S not containing j; S + j is S | 2^j
        phi[..., j] = (v[..., without | (1 << j)] - v[..., without]) @ coef[sizes[without]]
    return phi


def _kernel_coalitions(m: int, budget: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Coalitions (c, m) bool and their Shapley-kernel regression weights (c,), empty and full excluded.

    Size pairs (s, m - s) are enumerated smallest first while the budget covers them; the rest is
    sampled in complement pairs, sizes drawn in proportion to their remaining kernel mass, and
    duplicates are merged, each sampled coalition getting that mass in proportion to its count.
    """
    if m == 1:
        return np.zeros((0, 1), dtype=bool), np.zeros(0)
    budget = max(int(budget), 2)
    sizes = np.arange(1, m)
    mass = (m - 1) / (sizes * (m - sizes))  # total kernel weight of all coalitions of size s
    found: list[np.ndarray] = []
    wts: list[np.ndarray] = []
    pairs = [(s, m - s) if s != m - s else (s,) for s in range(1, m // 2 + 1)]
    left, mass_left, k = budget, mass.sum(), 0
    while k < len(pairs):
        count = sum(math.comb(m, s) for s in pairs[k])
        pair_mass = sum(mass[s - 1] for s in pairs[k])
        if budget < 2**m - 2 and count > left * pair_mass / mass_left + 1e-8:
            break
        for s in pairs[k]:
            sub = np.zeros((math.comb(m, s), m), dtype=bool)
            for row, cols in enumerate(itertools.combinations(range(m), s)):
                sub[row, list(cols)] = True
            found.append(sub)
            wts.append(np.full(len(sub), mass[s - 1] / math.comb(m, s)))
        left, mass_left, k = left - count, mass_left - pair_mass, k + 1
    rest = pairs[k:]
    if not rest or left <= 0:
        return np.concatenate(found), np.concatenate(wts)
    p = np.array([sum(mass[s - 1] for s in pair) for pair in rest])
    lows = np.array([pair[0] for pair in rest])
    counts: dict[bytes, list] = {}
    for _ in range(100):  # stops as soon as `left` distinct coalitions are found
        low = lows[rng.choice(len(rest), size=left, p=p / p.sum())]
        drawn = rng.random((left, m)).argsort(axis=1).argsort(axis=1) < low[:, None]  # random size-low sets
        for mask in drawn:
            for coalition in (mask, ~mask):  # paired (complement) sampling
                counts.setdefault(coalition.tobytes(), [coalition, 0])[1] += 1
            if len(counts) >= left:
                break
        if len(counts) >= left:
            break
    sampled = np.array([e[0] for e in counts.values()])
    n_drawn = np.array([e[1] for e in counts.values()], dtype=np.float64)
    found.append(sampled)
    wts.append(mass_left * n_drawn / n_drawn.sum())
    return np.concatenate(found), np.concatenate(wts)


def _kernel_projection(masks: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(m-1, c) matrix P with phi_{<m} = P @ (v - z_m delta): the constrained weighted least squares.

    Minimizes sum_S w_S (v(S) - v(0) - z_S . phi)^2 subject to sum(phi) = delta by eliminating
    phi_m = delta - sum_{j<m} phi_j; the (m-1)x(m-1) normal matrix is factorized once (one SVD,
    robust to a rank-deficient design) and P then serves every row and output.
    """
    a = masks[:, :-1].astype(np.float64) - masks[:, -1:]
    return np.linalg.lstsq(a.T @ (w[:, None] * a), a.T * w, rcond=None)[0]


def _kernel_solve(v: np.ndarray, delta: np.ndarray, masks: np.ndarray, proj: np.ndarray) -> np.ndarray:
    """Kernel SHAP values (K, n, m) from v(S) - v(0) (K, n, c) and delta = f(x) - v(0) (K, n)."""
    if masks.shape[1] == 1:
        return delta[..., None].copy()
    head = (v - masks[:, -1] * delta[..., None]) @ proj.T
    return np.concatenate([head, (delta - head.sum(axis=-1))[..., None]], axis=-1)


def _check(X: np.ndarray, background: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Validate shapes and weights; return the weights as float64 normalized to sum 1."""
    if X.ndim != 2 or background.ndim != 2:
        raise ValueError(f"X and background must be 2-D, got shapes {X.shape} and {background.shape}")
    if X.shape[1] != background.shape[1]:
        raise ValueError(
            f"X has {X.shape[1]} features but background has {background.shape[1]}; pass the same columns"
        )
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (background.shape[0],):
        raise ValueError(
            f"weights must have shape ({background.shape[0]},) (one per background row), got {w.shape}"
        )
    if background.shape[0] == 0 or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("background must be non-empty and weights finite and non-negative")
    if abs(w.sum() - 1.0) > 1e-6:
        raise ValueError(f"weights must sum to 1, they sum to {w.sum():.10g}; normalize them first")
    return w / w.sum()


def shapley_values(
    predict: Predict,
    X: np.ndarray,
    background: np.ndarray,
    weights: np.ndarray,
    *,
    n_samples: int | None = None,
    exact_max_features: int = 10,
    max_batch_rows: int = 250_000,
    random_state: int | None = 0,
    progress: bool | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Interventional Shapley values of ``predict`` for the rows of ``X``, exact or by Kernel SHAP.

    The value of a coalition S for row x is v_x(S) = sum_b w_b f(x_S, background_b,notS).
    Per row only the *varying* features count (x_j differs from some background_bj with w_b > 0);
    the others get exactly 0. Rows are grouped by their varying pattern, and per group::

        m = number of varying features
        if m <= exact_max_features:                         # exact
            v = [v_x(S) for all 2^m bitmasks S]
            phi_j = sum_{S not containing j} |S|!(m-|S|-1)!/m! * (v(S + j) - v(S))
        else:                                               # Kernel SHAP (one coalition set per m)
            Z, w = enumerate sizes (s, m-s) smallest first while the budget allows, sample the rest
                   in complement pairs, weights from the Shapley kernel (m-1)/(C(m,s) s (m-s))
            phi = argmin sum_S w_S (v(S) - v(0) - z_S . phi)^2  subject to  sum(phi) = f(x) - v(0)

    Exact: sum(phi) = v(all) - v(empty), and v(empty) is ``expected`` (same arithmetic), v(all) is
    f(x) up to rounding; an ignored feature gets exactly 0 when ``predict`` is deterministic per row.
    Sampled: sum(phi) = f(x) - expected is imposed. So ``phi.sum() + expected == f(x)`` on both paths.

    Parameters
    ----------
    predict : callable
        Maps an (n, M) array of the dtype of ``X`` (object for mixed data; the common dtype if
        ``background`` differs) to (n,) or (n, K) floats. Called on ``background`` first.
    X : ndarray of shape (n_rows, M)
        Rows to explain.
    background : ndarray of shape (n_bg, M)
        Background sample, same columns as ``X``.
    weights : ndarray of shape (n_bg,)
        Non-negative background weights summing to 1.
    n_samples : int, optional
        Coalition budget of the Kernel SHAP path; default ``2 * m + 2048``.
    exact_max_features : int, default 10
        Groups with at most this many varying features are solved exactly.
    max_batch_rows : int, default 250_000
        Upper bound on synthetic rows built and passed to one ``predict`` call.
    random_state : int or None, default 0
        Seed of the coalition sampling; a fixed seed gives identical results.
    progress : bool or None, default None
        A bar on stderr counting the explained rows: True shows it, False hides it, None shows it
        only when stderr is a terminal. It never changes the result.

    Returns
    -------
    phi : ndarray of shape (K, n_rows, M), float64
    expected : ndarray of shape (K,), float64
        ``sum_b w_b f(background_b)``.

    References
    ----------
    S. M. Lundberg and S.-I. Lee, "A Unified Approach to Interpreting Model Predictions", NeurIPS 2017.
    """
    X, background = np.asarray(X), np.asarray(background)
    w = _check(X, background, weights)
    if max_batch_rows < 1 or exact_max_features < 0 or (n_samples is not None and n_samples < 1):
        raise ValueError("max_batch_rows and n_samples must be >= 1 and exact_max_features >= 0")
    try:
        dtype = np.result_type(X.dtype, background.dtype)
    except TypeError:
        dtype = np.dtype(object)
    X, background = X.astype(dtype, copy=False), background[w > 0].astype(dtype, copy=False)
    w = w[w > 0]
    n_rows, n_feat = X.shape
    expected = _weighted_mean(_predict_2d(predict, background, max_batch_rows), w)
    n_out = expected.shape[0]
    phi = np.zeros((n_out, n_rows, n_feat))
    if n_rows == 0 or n_feat == 0:
        return phi, expected
    varying = _varying(X, background)
    sampled = varying.sum(axis=1) > exact_max_features
    fx = np.zeros((n_rows, n_out))  # f(x), needed as the efficiency constraint of the sampled path
    if sampled.any():
        fx[sampled] = _predict_2d(predict, X[sampled], max_batch_rows)
    patterns, group = np.unique(varying, axis=0, return_inverse=True)
    rng = np.random.default_rng(random_state)
    designs: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    with progress_bar(n_rows, "KernelShap", unit="row", show=progress) as bar:
        for g, pattern in enumerate(patterns):
            cols, rows = np.flatnonzero(pattern), np.flatnonzero(group.reshape(-1) == g)
            m = len(cols)
            if m == 0:
                bar.update(len(rows))
                continue
            exact = m <= exact_max_features
            if exact:  # all 2^m coalitions, v(empty) and v(all) included
                masks = ((np.arange(2**m)[:, None] >> np.arange(m)) & 1).astype(bool)
            else:
                if m not in designs:
                    budget = 2 * m + 2048 if n_samples is None else n_samples
                    z, kernel_w = _kernel_coalitions(m, budget, rng)
                    designs[m] = z, (_kernel_projection(z, kernel_w) if m > 1 else np.zeros((0, len(z))))
                masks, proj = designs[m]
            full = np.zeros((len(masks), n_feat), dtype=bool)
            full[:, cols] = masks
            step = max(1, max_batch_rows // max(1, len(masks)))  # bounds the (K, rows, coalitions) value array too
            for part in np.array_split(rows, -(-len(rows) // step)):
                v = _coalition_values(predict, X[part], full, background, w, max_batch_rows, n_out, bar.update)
                if exact:
                    phi[:, part[:, None], cols[None, :]] = _exact(v, masks)
                else:
                    delta = (fx[part] - expected).T  # (K, r)
                    phi[:, part[:, None], cols[None, :]] = _kernel_solve(
                        v - expected[:, None, None], delta, masks, proj
                    )
    return phi, expected
