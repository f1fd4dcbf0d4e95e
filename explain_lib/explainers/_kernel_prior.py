"""Kernel SHAP for few features: the best linear estimate of the Shapley values from a design's
coalitions under a prior on the game's interactions (kriging), instead of the weighted regression.

With complement pairs only the game's odd part o(S) = (v(S) - v(not S)) / 2 carries the Shapley
values. In the Walsh basis chi_T(S) = prod_{j in T} (2 z_S,j - 1) it holds terms of odd degree |T|:
degree 1 is what the regression fits (exact, whatever the design), degree 3, 5, ... is what makes
a sampled design's estimate wrong. Here the degree-1 coefficients get a flat prior and each
coefficient of odd degree d >= 3 an independent N(0, tau_d^2) prior, tau_d^2 = DECAY^((d-3)/2) /
C(m, d): the prior energy of all degree-d interactions shrinks by DECAY per two orders. The
posterior mean of the Shapley values given the observed pairs (universal kriging) is a fixed linear
map of the observations, so it is computed once per design and costs nothing per row.

The covariances depend on coalitions only through Hamming distances (Krawtchouk polynomials):
sum_{|T| = d} chi_T(S) chi_T(S') = K_d(|S xor S'|; m), and the Shapley value of chi_T is 2 / d for
each j in T (odd d), so Cov(phi_j(g), g(S)) = sum_d tau_d^2 (2 / d) t_j(S) K_{d-1}(h_j(S); m - 1)
with h_j(S) the number of features other than j outside S.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import scipy.linalg

__all__ = ["DECAY", "MAX_FEATURES", "MAX_PAIRS", "by_agreement", "kriging_posterior", "kriging_spread", "odd_part",
           "posterior_map", "shapley_cross"]

DECAY = 0.2  # prior energy ratio between interaction degrees d + 2 and d
MAX_FEATURES = 40  # the estimator is used for m <= MAX_FEATURES (its maps take (m - 1) x coalitions floats) ...
MAX_PAIRS = 512  # ... and designs of at most this many complement pairs (its cost grows as pairs^3)
_NUGGET = 1e-9  # relative jitter on the sampled observations, for a well-conditioned solve


@functools.lru_cache(maxsize=1024)
def _krawtchouk(k: int, n: int) -> np.ndarray:
    """K_k(h; n) = sum_i (-1)^i C(h, i) C(n - h, k - i) for h = 0 .. n (cached, read-only)."""
    out = np.array([sum((-1) ** i * math.comb(h, i) * math.comb(n - h, k - i) for i in range(k + 1))
                    for h in range(n + 1)], dtype=np.float64)
    out.setflags(write=False)
    return out


@functools.lru_cache(maxsize=64)
def _tables(m: int) -> tuple[np.ndarray, np.ndarray]:
    """The prior's covariance of the odd part by Hamming distance h (m + 1,), sum_d tau_d^2 K_d(h; m),
    and its covariance with a Shapley value by the count h of other features outside S (m,),
    sum_d tau_d^2 (2 / d) K_{d-1}(h; m - 1); tau_d^2 = DECAY^((d-3)/2) / C(m, d), odd d >= 3."""
    by_distance, by_outside = np.zeros(m + 1), np.zeros(m)
    for d in range(3, m + 1, 2):
        tau = DECAY ** ((d - 3) // 2) / math.comb(m, d)
        by_distance += tau * _krawtchouk(d, m)
        by_outside += tau * (2.0 / d) * _krawtchouk(d - 1, m - 1)
    return by_distance, by_outside


def by_agreement(agree: np.ndarray, m: int) -> np.ndarray:
    """The prior covariance of the odd part (degree >= 3) between coalitions whose signs agree by ``agree``
    = t_S . t_S' (m - 2 x their Hamming distance), elementwise."""
    return np.take(_tables(m)[0], ((m - agree) * 0.5).astype(np.intp))


def shapley_cross(obs: np.ndarray) -> np.ndarray:
    """(C, m): the prior covariance of the odd part (degree >= 3) at the coalitions ``obs`` (C, m) bool with
    each Shapley value."""
    by_outside = _tables(obs.shape[1])[1]
    return (2.0 * obs - 1.0) * np.take(by_outside, (~obs).sum(axis=1)[:, None] - ~obs)


def _covariances(reps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the pair representatives ``reps`` (P, m) and the full coalition: their signs t (P + 1, m), the
    prior covariance of their odd part's degree >= 3 terms (P + 1, P + 1), the sampled observations
    jittered, and its covariance with the Shapley values, cross (P + 1, m)."""
    P, m = reps.shape
    obs = np.vstack([reps, np.ones((1, m), dtype=bool)])
    t = 2.0 * obs - 1.0
    cov = by_agreement(t @ t.T, m)
    cov[np.arange(P), np.arange(P)] += _NUGGET * _tables(m)[0][0]  # the sampled observations' jitter
    return t, cov, shapley_cross(obs)


def posterior_map(t: np.ndarray, factor: tuple, cross: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(map (m, P + 1), cov^-1 t, gls (m, P + 1)): the posterior mean 2 G + cross' cov^-1 (I - t G) of
    the Shapley values given the odd part, G = (t' cov^-1 t)^-1 t' cov^-1 its degree-1 coefficients."""
    m = t.shape[1]
    solved = scipy.linalg.cho_solve(factor, np.hstack([t, cross]), check_finite=False)
    inv_t, inv_cross = solved[:, :m], solved[:, m:]
    gls = np.linalg.solve(t.T @ inv_t, inv_t.T)
    return 2.0 * gls + inv_cross.T - (inv_cross.T @ t) @ gls, inv_t, gls


def _posterior_maps(reps: np.ndarray, keeps: np.ndarray) -> np.ndarray:
    """M (R, m, P + 1), per row of ``keeps`` (R, P) bool: phi = M[r] o for o = (o(S_1), ...,
    o(S_P), o(all)), the posterior mean of the Shapley values given the odd part at the kept pair
    representatives of ``reps`` (P, m) (the others' columns 0) and at the full coalition (observed
    exactly, so that the estimate is efficient)."""
    P, m = reps.shape
    t, cov, cross = _covariances(reps)
    maps = np.zeros((len(keeps), m, P + 1))
    for r, keep in enumerate(keeps):
        idx = np.append(np.flatnonzero(keep), P)
        factor = scipy.linalg.cho_factor(cov.take(idx, axis=0).take(idx, axis=1), lower=True, check_finite=False)
        maps[r][:, idx] = posterior_map(t.take(idx, axis=0), factor, cross.take(idx, axis=0))[0]
    return maps


def kriging_spread(reps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(resid (P + 1, P + 1), var (m,)) of the design ``reps`` (P, m), the kriging error's own estimate:
    a game whose degree >= 3 part is the prior's scaled by sigma^2 has, given its odd part o, the
    residual o' resid o = (o - t a)' cov^-1 (o - t a) (a the degree-1 coefficients by GLS), whose
    expectation is (P + 1 - m) sigma^2, and its Shapley values' posterior error variances are sigma^2 var.
    With the map M, the error M o - phi has the variance M cov M' - 2 M cross + Var(phi) of the degree
    >= 3 part (the degree-1 part is reproduced exactly: M t = 2 I)."""
    m = reps.shape[1]
    t, cov, cross = _covariances(reps)
    factor = scipy.linalg.cho_factor(cov, lower=True, check_finite=False)
    maps, inv_t, gls = posterior_map(t, factor, cross)
    inv = scipy.linalg.cho_solve(factor, np.eye(len(t)), check_finite=False)
    prior = sum(DECAY ** ((d - 3) // 2) / math.comb(m, d) * (2.0 / d) ** 2 * math.comb(m - 1, d - 1)
                for d in range(3, m + 1, 2))  # Var(phi_j) of the degree >= 3 part: its terms holding j
    var = np.einsum("jp,pq,jq->j", maps, cov, maps) - 2.0 * np.einsum("jp,pj->j", maps, cross) + prior
    return inv - inv_t @ gls, np.maximum(var, 0.0)


def kriging_posterior(masks: np.ndarray, active: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(post (R, m, P + 1), rep (P,), comp (P,)) for the coalitions ``masks`` (c, m; complement
    pairs) and ``active`` (R, c): the pair representatives (the members holding feature 0), their
    complements, and per r the posterior map of ``_posterior_maps`` from the active pairs."""
    c, m = masks.shape
    code = masks.astype(np.int64) @ (1 << np.arange(m, dtype=np.int64))  # m <= MAX_FEATURES < 63 bits
    order = np.argsort(code)
    rep = np.flatnonzero(masks[:, 0])
    comp = order[np.searchsorted(code, (2**m - 1) ^ code[rep], sorter=order)]
    return _posterior_maps(masks[rep], active[:, rep]), rep, comp


def odd_part(values: np.ndarray, delta: np.ndarray, rep: np.ndarray, comp: np.ndarray) -> np.ndarray:
    """(..., P + 1): the game's odd part o(S) = (v(S) - v(not S)) / 2 at the pairs (rep, comp) of the
    coalition values ``values`` (..., c), and o(all) = delta / 2 = (v(all) - v(empty)) / 2 last: what the
    maps of ``kriging_posterior`` take (phi = post[r] @ odd_part). Any member of a pair may represent
    it: the prior is odd, o(not S) = -o(S)."""
    return np.concatenate([0.5 * (values[..., rep] - values[..., comp]), 0.5 * delta[..., None]], axis=-1)
