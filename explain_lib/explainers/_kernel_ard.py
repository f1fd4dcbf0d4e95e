"""Kernel SHAP for few features, second pass: kriging under a prior that weights each feature, by how
far the model's output moves with it over the background (the default, ``prior_maps``), or by that
times how far the explained row is from each background row on it (``relevance=True``,
``game_weights`` and ``ard_values``: a prior per one-reference game).

The first pass (``_kernel_prior``) treats all features alike: its prior gives every interaction of a
degree the same variance. A one-reference game v_b(S) = f(x_S, b_notS) is far from that: a feature
on which x and b nearly agree, or which the model hardly uses, takes part in few interactions, and
the interactions of the features that move the output are the ones that make a sampled design's
estimate wrong. Here the prior on the Walsh coefficient of chi_T, for odd |T| >= 3, is the product
prior Var(a_T) = prod_{j in T} lambda_j (their mean SCALE / m), and the degree-1 coefficients flat
as before. The estimate is again the posterior mean of the Shapley values given the observed pairs
and o(all) (universal kriging).

The default takes lambda from the features' sensitivity s_j over the background (the mean
|f(b) - f(b with feature j from another background row)|, ``_kernel_calls.sensitivity``): the
same for every row and background row, so each design's posterior is a fixed linear map again
(``prior_maps``, one factorization per design and call, cached), and a row pays a matrix product.
It sees a feature that acts only through interactions: against the exchangeable prior alone,
0.89x on the smooth game of the tests and 0.88x on ``nonlinear``, 0.83x on the LightGBM and 0.88x
on the MLP of ``benchmarks/kernel_shapiq.py`` (herded designs; on greedy ones 0.86x, 1.03x, 0.89x, 1.0x).

``relevance=True`` weights game b's features by s_j |x_j - b_j| / (the background's typical
|b_j - b'_j|): in game b a feature moves the output about as far as the model's sensitivity to it
times the step from b_j to x_j, and a feature on which x and b agree is a dummy of that game
(categorical features: 1 where they differ, over the background's rate of difference). It knows
each game's features about as well as their true interaction energy would: on the MLP's games,
enumerated, that oracle gave 0.76x the default's RMS error and this prior 0.78x. At the same model
calls: 0.92x the default's RMS error on the MLP and 0.86x on the LightGBM of
``benchmarks/kernel_shapiq.py`` at their default budgets (0.78x and 0.84x on herded designs, 0.81x and
0.80x at 1024), 0.67x on the smooth game of the tests and 0.89x on ``nonlinear``.
The cost is a Cholesky factorization per background row, explained row and output (about 1 ms at
224 pairs of 12 features, 6 ms at 512 pairs of 40), many times the default's own work.

Up to CV_FEATURES features the weights are candidates, not a given: each explained row's games
choose among them and equal weights, each times 1, 1/2 and 2 (``candidates``), the one whose
leave-one-out errors on ``LOO_GAMES`` of the games' own observed pairs are least (``best_prior``; the
leave-one-out residual of universal kriging has a closed form, ``_loo``, so no model call). Tree
ensembles want half the weights, smooth models under ``relevance=True`` twice them, a game of 3- and
4-way products equal weights (``benchmarks/kernel_choice.py``: 0.55x the RMS error on a 12-feature
LightGBM model, 0.74x on a random forest, 1.0x on the MLP of ``kernel_shapiq.py``, 0.93x there under
``relevance=True``). Above, the score stops tracking the Shapley values' error, and the weights stay.

The product prior has closed forms: sum_T prod_{j in T} lambda_j chi_T(S) chi_T(S') =
prod_j (1 + lambda_j u_j), u_j = t_S,j t_S',j, so the covariance of the odd part (odd |T| >= 3) is
(prod_j (1 + lambda_j u_j) - prod_j (1 - lambda_j u_j)) / 2 - sum_j lambda_j u_j, an exponential of
a matrix product. The Shapley value of chi_T is 2 / |T| for each j in T; with 1 / d = int_0^1 r^(d-1)
dr, Cov(phi_j, o(S)) = 2 lambda_j t_S,j int_0^1 (E_j(r, S) - 1) dr, E_j the even part of
prod_{k != j} (1 + r lambda_k t_S,k), a polynomial of degree < m in r: Gauss-Legendre with
ceil(m / 2) nodes is exact.
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.linalg

from ._kernel_prior import posterior_map

__all__ = ["CV_FEATURES", "SCALE", "ard_values", "best_prior", "candidates", "game_weights", "loo_operator",
           "loo_operators", "prior_maps", "scoring_games", "weights_from"]

SCALE = 3.0  # mean prior weight lambda of a feature: SCALE / m (lambda_j < 1 keeps every product positive)
_FLOOR = 0.3  # relative size added to every feature (one that moves nothing may still interact)
_GAME_FLOOR = 0.1  # the same per game: there 0.94x (LightGBM) and 0.96x (MLP) the RMS error of 0.3 on the
# benchmark (shared weights: 0.97x and 0.99x, but 1.08x on the tests' ``nonlinear`` game, so 0.3 stays there)
_CAP = 0.95  # largest lambda_j
_NUGGET = 1e-9  # relative jitter on the sampled observations
SCALES = (1.0, 0.5, 2.0)  # the weights times each, chosen per row by leave-one-out cross-validation ...
CV_FEATURES = 16  # ... up to this many features (the default prior against SCALES[0] alone on LightGBM models:
# 0.51x the RMS error at 12 features, 0.96x at 20, 1.07x at 30, 1.08-1.14x at 40; above, 1 alone)
LOO_PAIRS = 64  # pairs of a design left out one at a time (spread over it)
LOO_GAMES = 8  # the choice looks at this many of a row's games (spread over the background)


@functools.lru_cache(maxsize=64)
def _nodes(m: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on [0, 1], exact for polynomials of degree < m."""
    x, w = np.polynomial.legendre.leggauss(max(1, (m + 1) // 2))
    return 0.5 * (x + 1.0), 0.5 * w


def weights_from(size: np.ndarray, floor: float = _FLOOR) -> np.ndarray:
    """lambda (..., m) from sizes (..., K, m) such as sensitivities: relative size |size_j| / mean
    (averaged over outputs, each output's sizes scaled by their mean magnitude) plus ``floor``, scaled
    to mean SCALE / m and capped. All-zero sizes give equal weights."""
    size = np.abs(size)
    size = size / np.maximum(size.mean(axis=-1, keepdims=True), np.finfo(float).tiny)
    lam = size.mean(axis=-2) + floor
    lam *= SCALE / lam.shape[-1] / lam.mean(axis=-1, keepdims=True)
    return np.minimum(lam, _CAP)


def game_weights(moves: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """lambda (n_bg, K, m) of each one-reference game and output: the sensitivities ``moves`` (K, m) times
    ``steps`` (n_bg, m), how far the explained row is from each background row per feature in units of the
    background's typical step, relative per game and output (``weights_from`` with _GAME_FLOOR). An output
    that moves with nothing, or a background row equal to the row, gives equal weights."""
    size = steps[:, None, :] * moves[None]  # (n_bg, K, m)
    return weights_from(size[:, :, None, :], _GAME_FLOOR)


def _prior(reps: np.ndarray, lam: np.ndarray) -> tuple[np.ndarray, tuple, np.ndarray]:
    """For the pair representatives ``reps`` (P, m) and the full coalition under the product prior
    ``lam`` (m,): their signs t (P + 1, m), the Cholesky factor of the odd part's covariance, and the
    covariance of each observation with the Shapley values, cross (P + 1, m)."""
    P, m = reps.shape
    t = np.vstack([2.0 * reps - 1.0, np.ones((1, m))])
    gain = np.arctanh(lam)
    offset = 0.5 * np.log1p(-lam * lam).sum()  # log(1 + lam u) = (log(1 + lam) + log(1 - lam)) / 2 + u atanh(lam)
    inner = (t * gain) @ t.T
    cov = np.exp(offset) * np.sinh(inner) - (t * lam) @ t.T
    cov[np.arange(P), np.arange(P)] += _NUGGET * cov[P, P]
    # E_j = (prod_k (1 + r lam_k t_k) / (1 + r lam_j t_j) + the same with -r) / 2 at each node r: with t = +-1,
    # log(1 + r lam_k t_k) = mean_k + t_k half_k, so the products are exp(t @ half + sum(mean)) and the divisors
    # take two values per feature; summed over the nodes with their weights, two matrix products
    nodes, quad = _nodes(m)
    rl = nodes[:, None] * lam  # (R, m)
    plus, minus = np.log1p(rl), np.log1p(-rl)
    half, total = 0.5 * (plus - minus), 0.5 * (plus + minus).sum(axis=1)
    up, down = np.exp(t @ half.T + total), np.exp(total - t @ half.T)  # (P + 1, R)
    over_plus, over_minus = 1.0 / (1.0 + rl), 1.0 / (1.0 - rl)  # (R, m)
    even = ((up + down) * quad) @ (over_plus + over_minus) + t * (((up - down) * quad) @ (over_plus - over_minus))
    cross = 2.0 * lam * t * (0.25 * even - quad.sum())
    return t, scipy.linalg.cho_factor(cov, lower=True, check_finite=False), cross


def _loo(t: np.ndarray, factor: tuple) -> np.ndarray:
    """(Q, P + 1): L such that (L o)_i is the error of predicting the odd part o at the i-th of Q of the
    pairs from all the other observations, (R o)_i / R_ii with R = K^-1 - K^-1 t (t' K^-1 t)^-1 t' K^-1
    (universal kriging's leave-one-out residual, in closed form; Dubrule 1983); ``t`` and ``factor`` as
    ``_prior`` gives them. The Q pairs are spread evenly over the design; a pair the others determine
    (R_ii ~ 0) gives a row of zeros."""
    n, m = t.shape
    idx = np.unique(np.linspace(0, n - 2, min(n - 1, LOO_PAIRS)).round().astype(np.intp))
    unit = np.zeros((n, len(idx)))
    unit[idx, np.arange(len(idx))] = 1.0
    solved = scipy.linalg.cho_solve(factor, np.hstack([t, unit]), check_finite=False)
    inv_t, inv_e = solved[:, :m], solved[:, m:]  # K^-1 t, K^-1 e_i
    rows = inv_e.T - (inv_e.T @ t) @ np.linalg.solve(t.T @ inv_t, inv_t.T)  # R[idx]
    diag = rows[np.arange(len(idx)), idx]
    ok = diag > 1e-9 * max(diag.max(), np.finfo(float).tiny)
    return np.where(ok[:, None], rows / np.where(ok, diag, 1.0)[:, None], 0.0)


def loo_operator(reps: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """(Q, P + 1): the leave-one-out operator (``_loo``) of one design ``reps`` (P, m) under the product
    prior ``lam`` (m,)."""
    return _loo(*_prior(reps, lam)[:2])


def _estimate(reps: np.ndarray, lam: np.ndarray, odd: np.ndarray) -> np.ndarray:
    """(K, m): the posterior mean of the Shapley values of one one-reference game given its odd part ``odd``
    (K, P + 1) at the pair representatives ``reps`` (P, m) and the full coalition, under the product prior
    ``lam`` (m,). The same as ``prior_maps``' map applied to ``odd``, with m + K right-hand sides where the
    map takes 2 m."""
    t, factor, cross = _prior(reps, lam)
    m = t.shape[1]
    solved = scipy.linalg.cho_solve(factor, np.hstack([t, odd.T]), check_finite=False)
    inv_t, inv_o = solved[:, :m], solved[:, m:]
    coef = np.linalg.solve(t.T @ inv_t, inv_t.T @ odd.T)  # (m, K): the degree-1 coefficients (GLS)
    resid = inv_o - inv_t @ coef  # cov^-1 (o - t coef)
    return (2.0 * coef + cross.T @ resid).T


def candidates(lam: np.ndarray) -> np.ndarray:
    """(C, ..., m): the priors a row's games choose from, the weights ``lam`` (..., m) and equal weights
    (mean SCALE / m), each times every one of ``SCALES`` and capped as ``weights_from`` caps them, up to
    ``CV_FEATURES`` features; above, ``lam`` alone. ``lam`` comes first, so that it wins ties."""
    m = lam.shape[-1]
    if m > CV_FEATURES:
        return lam[None]
    return np.stack([np.minimum(base * s, _CAP) for base in (lam, np.full_like(lam, SCALE / m)) for s in SCALES])


def prior_maps(reps: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """(n_bg, m, P + 1): per design, the linear map M from its odd part o to the posterior mean M o of
    its game's Shapley values under the product prior ``lam`` (m,), the same for every design; ``reps``
    (n_bg, P, m) the designs' pair representatives."""
    return np.stack([posterior_map(*_prior(design, lam))[0] for design in reps])


def loo_operators(reps: np.ndarray, priors: np.ndarray) -> np.ndarray:
    """(C, n, Q, P + 1): the leave-one-out operators (``loo_operator``) of the designs ``reps`` (n, P, m) under each
    of the product priors ``priors`` (C, m)."""
    return np.stack([np.stack([loo_operator(design, prior) for design in reps]) for prior in priors])


def scoring_games(n_bg: int) -> np.ndarray:
    """The games that score the candidates of a row: ``LOO_GAMES`` of the ``n_bg``, spread evenly over the
    background rows (all 50 games chose as well, within 1% of the RMS error on the MLP of
    ``benchmarks/kernel_shapiq.py`` and 5% on a 10-feature MLP regressor, at 3-4x the cost)."""
    return np.unique(np.linspace(0, n_bg - 1, min(n_bg, LOO_GAMES)).round().astype(np.intp))


def best_prior(errors: np.ndarray, weights: np.ndarray) -> int:
    """The index into the ``candidates`` whose leave-one-out errors ``errors`` (C, n, Q) have the least sum
    of squares over the games, each weighted by ``weights`` (n,) (the background's); the first of equals."""
    return int(np.argmin(np.einsum("b,sbq->s", weights, errors * errors)))


def ard_values(odd: np.ndarray, reps: np.ndarray, lam: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The values (n_bg, K, m) of the one-reference games under a prior each: ``odd`` (n_bg, K, P + 1)
    their odd parts (``_kernel_prior.odd_part``), ``reps`` (n_bg, P, m) each design's pair representatives
    (or per game (K, P_b + 1) and (P_b, m): designs of their own sizes, ``_kernel_allotment``),
    ``lam`` (n_bg, K, m) the weights of each game and output (``game_weights``), or the one of their
    ``candidates`` that predicts the row's ``scoring_games`` best when each pair is left out (``best_prior``,
    per output; ``weights`` (n_bg,) the background's). (The default's sensitivity weights as candidates too
    were never chosen, on six workloads.)"""
    n_bg, n_out = len(odd), len(odd[0])
    out = np.empty((n_bg, n_out, reps[0].shape[-1]))
    scoring = scoring_games(n_bg)
    for k in range(n_out):
        priors = candidates(lam[:, k])
        best = 0
        if len(priors) > 1:
            errors = np.array([[loo_operator(reps[b], prior[b]) @ odd[b][k] for b in scoring] for prior in priors])
            best = best_prior(errors, weights[scoring])
        out[:, k] = [_estimate(reps[b], priors[best][b], odd[b][k, None])[0] for b in range(n_bg)]
    return out
