"""Kernel SHAP for few features under ``relevance=True``: the pairs go where the games are hard.

A row's Shapley values are the background's weighted mean of its one-reference games' values, and
their error the weighted sum of the games' errors. The games differ: a background row close to the
explained row on the features the model uses gives a game with little beyond its degree-1 part, which
few pairs pin down; a far one gives a game with strong interactions. Equal designs spend as much on
the first as on the second. Here the pairs are spent in two stages, at the same model calls:

1. every game gets the first ``FIRST`` of its share of pairs, the start of a nested greedy design
   (``_kernel_greedy``: the first n picks of a design are a greedy design of n pairs);
2. each game's difficulty d_b is the mean square of its leave-one-out residuals on those pairs, under
   its own prior (``_kernel_ard.loo_operator``: no model call), and the rest of the pairs are allotted so that
   game b ends with n_b pairs, n_b proportional to (w_b^2 d_b)^POWER, between the first stage's pairs
   and ``MOST`` times the equal share (``allot``).

If a game's squared error falls as n^-a, the error of the mean is least with n_b proportional to
(w_b^2 d_b)^(1 / (1 + a)). On the MLP of ``benchmarks/kernel_shapiq.py``, enumerated, a is about 1.5 and
the allotment by the games' own leave-one-out residuals gave 0.89x the RMS error of equal designs (the
oracle, by the true errors, 0.85x); but a differs with the model, and a random forest's games were hurt by
a large power. ``POWER`` 0.2 is the one that helped on every workload (``benchmarks/kernel_choice.py``'s,
8 seeds x 20 rows, RMS error against equal designs at 448 coalitions, for POWER 0.2 / 0.3 / 0.4):

    12-feature MLP      0.91x / 0.90x / 0.89x      10-feature MLP regressor     0.78x / 0.78x / 0.82x
    12-feature LightGBM 0.81x / 0.82x / 0.85x      10-feature random forest     0.66x / 0.90x / 1.37x

The estimate of each game is then ``_kernel_ard.ard_values``' (its prior chosen by cross-validation
among the candidates), and the error estimate that of greedy designs (``_kernel_prior.kriging_spread``)
at each game's own number of pairs. Up to ``_kernel_ard.CV_FEATURES`` features, with at most
``MAX_GREEDY`` pairs per game and room for ``MOST`` times as many; otherwise the estimator's equal
designs.
"""

from __future__ import annotations

import functools

import numpy as np

from ._kernel_ard import CV_FEATURES, ard_values, loo_operator
from ._kernel_calls import Predict, predict_2d
from ._kernel_design import N_BASE, one_blas_thread
from ._kernel_greedy import MAX_GREEDY, greedy_pairs
from ._kernel_prior import kriging_spread, odd_part

__all__ = ["allot", "allotted_values", "applies"]

FIRST = 3 / 7  # share of a game's equal pairs spent on every game first (96 of 224)
MOST = 2  # a game ends with at most this many times the equal share of pairs
POWER = 0.2  # n_b proportional to (w_b^2 d_b)^POWER
STEP = 32  # games end with a multiple of this many pairs (their error estimates are kept per size)


def _first(pairs: int) -> int:
    return max(1, round(FIRST * pairs))


def applies(m: int, pairs: int) -> bool:
    """Whether ``allotted_values`` serves m features at ``pairs`` pairs per game: few features (the
    prior's choice by cross-validation applies), greedy designs, and more than ``MOST`` x ``pairs``
    distinct pairs to choose from; the first stage needs at least 4 m pairs."""
    return m <= CV_FEATURES and pairs <= MAX_GREEDY and MOST * pairs < 2 ** (m - 1) - 1 and 4 * m <= _first(pairs)


@functools.lru_cache(maxsize=16)
def _nested(m: int, most: int, seed: int, base: int) -> np.ndarray:
    """(most, m): base design ``base``'s greedy pairs, in the order picked (cached, read-only)."""
    with one_blas_thread():
        return greedy_pairs(m, most, seed, 2 * most, base)


@functools.lru_cache(maxsize=128)
def _spread(m: int, most: int, seed: int, base: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``kriging_spread`` of the first ``n`` pairs of ``_nested(m, most, seed, base)`` (cached, read-only)."""
    with one_blas_thread():
        resid, var = kriging_spread(_nested(m, most, seed, base)[:n])
    for array in (resid, var):
        array.setflags(write=False)
    return resid, var


def allot(difficulty: np.ndarray, total: int, low: int, high: int, step: int) -> np.ndarray:
    """(n,) ints, multiples of ``step`` between ``low`` and ``high`` (both multiples of ``step``) summing to
    ``total`` (at most n x high, at least n x low): as near c x difficulty^POWER as the bounds allow. An
    all-zero difficulty, or a non-finite one, gives equal shares."""
    n = len(difficulty)
    size = np.where(np.isfinite(difficulty), np.maximum(difficulty, 0.0), 0.0) ** POWER
    if not size.any():
        size = np.ones(n)
    lo, hi = 0.0, float(high) / max(size[size > 0].min(), np.finfo(float).tiny)
    for _ in range(100):  # c such that sum(clip(c size)) = total
        c = 0.5 * (lo + hi)
        lo, hi = (c, hi) if np.clip(c * size, low, high).sum() < total else (lo, c)
    share = np.clip(hi * size, low, high)
    out = np.floor(share / step).astype(np.int64) * step  # low <= out <= high
    left = (total - out.sum()) // step
    # the steps left over go to the games with the largest remainders (ties: the first), round after round
    order = np.argsort(-(share - out), kind="stable")
    while left > 0:
        room = order[out[order] + step <= high][:left]
        out[room] += step
        left -= len(room)
    return out


def _rows(x: np.ndarray, cols: np.ndarray, background: np.ndarray, games: np.ndarray, masks: np.ndarray
          ) -> np.ndarray:
    """The model's input for coalitions ``masks`` (n, m) of games ``games`` (n,): x on cols[S], the game's
    background row elsewhere."""
    out = background[games]  # a copy
    out[:, cols] = np.where(masks, x[cols], out[:, cols])
    return out


def _pairs(first: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(rep, comp): where a game's n pairs and their complements sit among its coalition values, the first
    stage's ``first`` pairs then their complements, then the second stage's n - first pairs then theirs."""
    more = np.arange(2 * first, first + n)
    return np.r_[np.arange(first), more], np.r_[np.arange(first, 2 * first), more + n - first]


def allotted_values(predict: Predict, x: np.ndarray, cols: np.ndarray, background: np.ndarray,
                    bg_pred: np.ndarray, weights: np.ndarray, lam: np.ndarray, pairs: int, seed: int,
                    max_batch_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kernel SHAP values (K, m) of one row, their estimated RMS error (K,) and each game's pairs (n_bg,),
    ``pairs`` per game on average (in all fewer by less than ``STEP``), allotted by the games' difficulty;
    ``lam`` (n_bg, K, m) the games' priors (``_kernel_ard.game_weights``), ``weights`` (n_bg,) the
    background's."""
    n_bg, m = len(background), len(cols)
    most, first = MOST * pairs, _first(pairs)
    rng = np.random.default_rng([int(seed), m, 2 * pairs, 0xA110])
    base = np.arange(n_bg) % N_BASE
    perm = np.stack([rng.permutation(m) for _ in range(n_bg)])  # feature j of game b is its base's perm[j]
    reps = np.stack([_nested(m, most, seed, int(q))[:, p] for q, p in zip(base, perm, strict=True)])  # (n_bg, most, m)
    head = reps[:, :first]
    rows = _rows(x, cols, background, np.repeat(np.arange(n_bg), 2 * first),
                 np.concatenate([head, ~head], axis=1).reshape(-1, m))
    pred = predict_2d(predict, np.concatenate([rows, x[None].astype(rows.dtype)]), max_batch_rows)
    delta = pred[-1] - bg_pred  # (n_bg, K): f(x) - f(b)
    pred = pred[:-1].reshape(n_bg, 2 * first, -1)
    odd = [odd_part(pred[b].T, delta[b], *_pairs(first, first)) for b in range(n_bg)]  # (K, first + 1) each
    with one_blas_thread():  # the same bits whatever the BLAS thread count
        loo = np.array([[np.mean((loo_operator(reps[b, :first], lam[b, k]) @ odd[b][k]) ** 2)
                         for k in range(lam.shape[1])] for b in range(n_bg)])  # (n_bg, K)
    share = loo / np.maximum(loo.sum(axis=0), np.finfo(float).tiny)  # each output's shares, averaged
    low = -(-first // STEP) * STEP
    sizes = allot(weights**2 * share.mean(axis=1), n_bg * pairs - (n_bg * pairs) % STEP, low,
                  most - most % STEP, STEP)
    # the second stage: each game's pairs from the first stage's end to its size, then their complements
    extra = [np.concatenate([reps[b, first:n], ~reps[b, first:n]]) for b, n in enumerate(sizes)]
    counts = np.array([len(e) for e in extra])
    if counts.sum():
        more = predict_2d(predict, _rows(x, cols, background, np.repeat(np.arange(n_bg), counts),
                                         np.concatenate(extra)), max_batch_rows)
        ends = np.cumsum(counts)
        for b, (n, end) in enumerate(zip(sizes, ends, strict=True)):
            if n > first:
                values = np.concatenate([pred[b], more[end - counts[b] : end]]).T  # (K, 2 n)
                odd[b] = odd_part(values, delta[b], *_pairs(first, n))
    with one_blas_thread():
        phi_b = ard_values(odd, [reps[b, :n] for b, n in enumerate(sizes)], lam, weights)  # (n_bg, K, m)
        phi_b[..., -1] = delta - phi_b[..., :-1].sum(axis=-1)  # efficiency, as the estimator imposes it
        variance = np.zeros((phi_b.shape[1], m))
        for b, n in enumerate(sizes):
            resid, var = _spread(m, most, seed, int(base[b]), int(n))
            scale = np.maximum(((odd[b] @ resid) * odd[b]).sum(axis=-1), 0.0) / (n + 1 - m)  # (K,)
            variance += weights[b] ** 2 * scale[:, None] * var[perm[b]]
    return (weights[:, None, None] * phi_b).sum(axis=0), np.sqrt(variance.mean(axis=-1)), sizes
