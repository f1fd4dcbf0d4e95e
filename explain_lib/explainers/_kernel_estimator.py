"""Model-agnostic interventional Shapley values (exact enumeration and Kernel SHAP) on numpy arrays.

Only :func:`shapley_values` is public. It needs nothing but a ``predict`` callable, the rows to
explain and a weighted background sample; it works on object-dtype (mixed) data as well.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from .._progress import progress_bar
from ._kernel_allotment import allotted_values, applies
from ._kernel_ard import (
    ard_values,
    best_prior,
    candidates,
    game_weights,
    loo_operators,
    prior_maps,
    scoring_games,
    weights_from,
)
from ._kernel_calls import Predict, coalition_values, predict_2d, sensitivity, weighted_mean
from ._kernel_design import Designs, one_blas_thread
from ._kernel_prior import odd_part
from ._kernel_rows import SyntheticRows, steps, varying_features

__all__ = ["DEFAULT_TOLERANCE", "ShapleyResult", "default_budget", "shapley_values"]

DEFAULT_TOLERANCE = 0.005  # n_samples="auto": RMS error / output spread over the background
FEW_FEATURES = 16  # up to this many features the default budget is 448
_MAPS_PER_CALL = 8  # weighted maps kept for this many sets of varying features within one call

@functools.lru_cache(maxsize=32)
def _enumeration(m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All 2^m coalitions in bitmask order (2^m, m), and per feature j the indices of the coalitions
    S without j and of S + j (m, 2^(m-1)) with their Shapley weights |S|!(m-|S|-1)!/m! (m, 2^(m-1))."""
    masks = ((np.arange(2**m)[:, None] >> np.arange(m)) & 1).astype(bool)
    sizes = masks.sum(axis=1)
    coef = np.array([1.0 / (m * math.comb(m - 1, s)) for s in range(m)])
    idx = np.arange(2**m)
    without = np.stack([idx[~masks[:, j]] for j in range(m)])
    with_j = without | (1 << np.arange(m))[:, None]
    for array in (masks, without, with_j):
        array.setflags(write=False)
    return masks, without, with_j, coef[sizes[without]]


def _exact(v: np.ndarray, m: int) -> np.ndarray:
    """Shapley values (K, m) from v (K, 2^m) over all 2^m coalitions in bitmask order:
    phi_j = sum_{S not containing j} |S|!(m-|S|-1)!/m! (v(S + j) - v(S)), elementwise and summed
    per feature (no BLAS, the same bits for the same v; an ignored feature's differences are 0)."""
    _, without, with_j, weight = _enumeration(m)
    return ((v[:, with_j] - v[:, without]) * weight).sum(axis=-1)


@functools.lru_cache(maxsize=16)  # an entry is n_bg x m x (P + 1) floats: 6 MB at 100 x 40 x 193
def _weighted_maps(m: int, budget: int, seed: int, n_background: int, lam: tuple[float, ...]) -> np.ndarray:
    """(n_bg, m, P + 1): the kriging maps of the designs of (m, budget, seed) under the product prior
    ``lam`` (``_kernel_ard.prior_maps``); cached, as the designs are (read-only)."""
    reps = Designs.build(m, budget, seed, n_background).representatives()
    with one_blas_thread():  # the same bits whatever the BLAS thread count
        maps = prior_maps(reps, np.array(lam))
    maps.setflags(write=False)
    return maps


@functools.lru_cache(maxsize=16)  # an entry is 6 x 8 x 64 x (P + 1) floats: 4.7 MB at 193
def _weighted_loo(m: int, budget: int, seed: int, n_background: int, priors: tuple[tuple[float, ...], ...]
                  ) -> np.ndarray:
    """(C, LOO_GAMES, Q, P + 1): the leave-one-out operators of the ``scoring_games`` designs under each of the
    product priors ``priors`` (``_kernel_ard.loo_operators``); cached (read-only)."""
    reps = Designs.build(m, budget, seed, n_background).representatives()[scoring_games(n_background)]
    with one_blas_thread():
        ops = loo_operators(reps, np.array(priors))
    ops.setflags(write=False)
    return ops


@dataclass(frozen=True)
class _Weighted:
    """The default prior of one output on the designs of (m, budget, seed, n_background): the features
    weighted by ``lam`` (``_kernel_ard.weights_from`` of their sensitivity), or the candidate (a scale of
    them, or equal weights) that each row's games choose by leave-one-out cross-validation
    (``_kernel_ard.candidates``). One per output and call, it keeps what it fetched from the caches
    between calls (which hold fewer entries than outputs)."""

    m: int
    budget: int
    seed: int
    n_background: int
    lam: tuple[float, ...]
    _held: dict = field(default_factory=dict, compare=False, repr=False)

    def _fetch(self, cached, key: tuple) -> np.ndarray:
        if (cached, key) not in self._held:
            self._held[cached, key] = cached(self.m, self.budget, self.seed, self.n_background, key)
        return self._held[cached, key]

    def values(self, odd: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """(n_bg, m): the games' values from their odd parts ``odd`` (n_bg, P + 1) under the candidate prior
        whose leave-one-out errors on the ``scoring_games`` are the least (``weights`` (n_bg,) the background's)."""
        lam = self.lam
        priors = tuple(tuple(prior.tolist()) for prior in candidates(np.array(lam)))
        if len(priors) > 1:
            games = scoring_games(self.n_background)
            ops = self._fetch(_weighted_loo, priors)
            lam = priors[best_prior((ops @ odd[games, :, None])[..., 0], weights[games])]
        maps = self._fetch(_weighted_maps, lam)
        return (odd[:, None] @ maps.transpose(0, 2, 1))[:, 0]


def _kernel_values(
    predict: Predict,
    x: np.ndarray,
    cols: np.ndarray,
    designs: Designs,
    synthetic: SyntheticRows,
    bg_pred: np.ndarray,
    weights: np.ndarray,
    max_batch_rows: int,
    weighted: tuple[_Weighted, ...] | None = None,
    game: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Kernel SHAP values (K, m) of one row and their estimated RMS error (K,).

    Background row b has a design of its own: its coalitions S are evaluated on b alone,
    v_b(S) = f(x_S, b_notS), and its regression gives the Shapley values of that one-reference
    game; phi = sum_b w_b phi_b. Independent designs make the errors of the phi_b independent, so
    they average out over the background (a shared design repeats one error for every b).
    The error is the jackknife over the designs' groups of sampled pairs: replicate g leaves group g
    out of every design, var_j = (G-1)/G sum_g (phi_j^(-g) - mean)^2, and the row's error is the
    root mean square over features of sqrt(var_j) (0 when every coalition was enumerated). Greedy
    designs have no groups: there var_j = sum_b w_b^2 sigma_b^2 spread_j, each game's scale sigma_b^2
    from its residual (``_kernel_prior.kriging_spread``).
    On the kriging path each phi_b is then re-estimated by ``weighted``, per output the product prior weighted
    by the features' sensitivity (``_Weighted``), or under a prior per game and output, ``game`` (n_bg, K, m)
    its weights (``_kernel_ard.game_weights``, ``relevance=True``); either at the scale, or with the equal
    weights, that each row's games choose by cross-validation (``_kernel_ard.candidates``). The error is
    still the first estimate's (its replicates shifted by the same amount): above the refined values' error
    where the refinement helps, below it where it does not.
    """
    n_bg, c, m = designs.masks.shape
    replicates = designs.n_groups + 1
    pred = predict_2d(predict, synthetic.fill(x, cols), max_batch_rows)
    fx = pred[-1]
    n_out = len(fx)
    values = pred[:-1].reshape(n_bg, c, n_out).transpose(0, 2, 1)  # (n_bg, K, c)
    delta = fx - bg_pred  # (n_bg, K): f(x) - f(b), imposed as sum(phi_b)
    with one_blas_thread():  # the same bits whatever the BLAS thread count
        if designs.post is None:  # the weighted regression: (A' W A)^+ A' W y, A' W A inverted per design
            y = values - bg_pred[:, :, None] - designs.masks[:, None, :, -1] * delta[:, :, None]
            weighted = (designs.weights[:, None] * y[:, :, None, :]).reshape(n_bg, n_out * replicates, c)
            rhs = (weighted @ designs.contrast).reshape(n_bg, n_out, replicates, m - 1)
            head = (designs.inverse[:, None] @ rhs[..., None])[..., 0]  # (n_bg, K, 1 + G, m - 1)
        else:  # kriging: each base's maps on the odd part, then each design's features picked out
            phi_base = np.empty((n_bg, n_out, replicates, m))
            odd = np.empty((n_bg, n_out, designs.rep.shape[1] + 1))
            for q, maps in enumerate(designs.post):
                rows = np.flatnonzero(designs.base == q)
                odd[rows] = odd_part(values[rows], delta[rows], designs.rep[q], designs.comp[q])  # (rows, K, P + 1)
                phi_base[rows] = (odd[rows].reshape(-1, odd.shape[-1]) @ maps.reshape(-1, maps.shape[-1]).T
                                  ).reshape(len(rows), n_out, replicates, m)
            head = np.take_along_axis(phi_base, designs.perm[:, None, None, :-1], axis=-1)
            refined = None  # (n_bg, K, m); the replicates keep the first estimate's spread
            if game is not None:  # a prior per game (``_kernel_ard``)
                refined = ard_values(odd, designs.representatives(), game, weights)
            elif weighted is not None:  # the sensitivity-weighted prior: fixed maps per design and output
                refined = np.stack([prior.values(odd[:, k], weights) for k, prior in enumerate(weighted)], axis=1)
            if refined is not None:
                head = head + (refined[..., :-1] - head[:, :, 0])[:, :, None]
    phi_b = np.concatenate([head, (delta[:, :, None] - head.sum(axis=-1))[..., None]], axis=-1)
    phi = (weights[:, None, None, None] * phi_b).sum(axis=0)  # (K, 1 + G, m)
    if designs.resid is not None:  # greedy designs: each game's scale from its residual, times the posterior spread
        variance = np.zeros((n_out, m))
        for q, resid in enumerate(designs.resid):
            rows = np.flatnonzero(designs.base == q)
            form = ((odd[rows] @ resid) * odd[rows]).sum(axis=-1)  # o' resid o per game and output (a product:
            scale = np.maximum(form, 0.0) / (odd.shape[-1] - m)  # einsum's three-operand loop took 10x as long)
            variance += np.einsum("b,bk,bj->kj", weights[rows] ** 2, scale, designs.spread[q][designs.perm[rows]])
        return phi[:, 0], np.sqrt(variance.mean(axis=-1))
    groups = designs.n_groups
    if groups == 0:
        return phi[:, 0], np.zeros(n_out)
    spread = ((phi[:, 1:] - phi[:, 1:].mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    return phi[:, 0], np.sqrt(((groups - 1) / groups * spread).mean(axis=-1))


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


def default_budget(m: int) -> int:
    """Coalitions per background row on the Kernel SHAP path for m varying features: max(384, 8 m),
    and 448 for m <= 16, where kriging's error falls faster than 1 / sqrt(budget) (on the MLP of
    ``benchmarks/kernel.py``: 0.85x the RMS error and 0.8x the max error of 384, for 1.17x the model
    calls)."""
    return 448 if m <= FEW_FEATURES else max(384, 8 * m)


@dataclass(frozen=True)
class ShapleyResult:
    """What :func:`shapley_values` returns; the fields are documented there."""

    phi: np.ndarray
    expected: np.ndarray
    error: np.ndarray
    n_samples: np.ndarray
    at_cap: np.ndarray


def _output_scale(pred: np.ndarray, w: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Weighted standard deviation of each output over the background (1 where it is 0)."""
    spread = np.sqrt(np.maximum(w @ (pred - expected) ** 2, 0.0))
    return np.where(spread > 0, spread, 1.0)


def shapley_values(
    predict: Predict,
    X: np.ndarray,
    background: np.ndarray,
    weights: np.ndarray,
    *,
    n_samples: int | str | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    max_samples: int | None = None,
    exact_max_features: int = 10,
    max_batch_rows: int = 250_000,
    random_state: int | None = 0,
    progress: bool | None = None,
    relevance: bool = False,
) -> ShapleyResult:
    """Interventional Shapley values of ``predict`` for the rows of ``X``, exact or by Kernel SHAP.

    The value of a coalition S for row x is v_x(S) = sum_b w_b f(x_S, background_b,notS).
    Per row only the *varying* features count (x_j differs from some background_bj with w_b > 0);
    the others get exactly 0. Per row, with m varying features::

        if m <= exact_max_features:                         # exact
            v = [v_x(S) for all 2^m bitmasks S]
            phi_j = sum_{S not containing j} |S|!(m-|S|-1)!/m! * (v(S + j) - v(S))
        else:                                               # Kernel SHAP, one design per background row
            for each background row b:
                Z_b = kernel_design(m, budget, seed, b)        # complement pairs, stratified by size
                if m <= 40 and 4 m <= budget / 2 <= 512:      # up to 40 features: kriging, greedy pairs
                                                               # (herded in strata above 256 pairs)
                    phi_b = E[Shapley values | f(x_S, b) for S in Z_b]   under the interaction prior,
                            each feature's interactions weighted by s_j = sum_b' w_b' |f(b') - f(b' with
                            feature j from background row b' + 1)|, per output (one model call, once);
                            up to 16 features these weights or equal ones, times 1, 1/2 or 2, as the
                            row's games choose by leave-one-out cross-validation
                else:                                          # the weighted regression
                    phi_b = argmin sum_S w_S (f(x_S, b) - f(b) - z_S . phi)^2
                # both with sum(phi_b) = f(x) - f(b) exactly
            phi = sum_b w_b phi_b
            error = RMS over j of the standard error of phi_j: the kriging variance of greedy designs,
                    the jackknife (groups of pairs left out) of the others
            if n_samples == "auto" and error > tolerance * scale and budget < max_samples:
                budget = min(2 * budget, max_samples); repeat

    Each background row's design (``_kernel_design.kernel_design``) enumerates the size strata
    its budget covers and samples distinct complement pairs from the others, the same number per
    coalition size (leverage-score sampling). The Shapley values of a one-reference game are
    estimated from its design, and their weighted mean is the interventional value; independent
    designs per background row make the sampling errors average out over the background
    (measured: about 3x lower error than one design shared by all background rows, at the same
    model calls).

    Up to 40 features and 256 pairs the design is not stratified: its pairs are picked greedily
    (``_kernel_greedy``), each the one that most lowers the prior's posterior variance of the Shapley
    values (below), from every pair (up to 12 features) or a pool spread over the sizes; at the default
    budgets 0.72x the RMS error of herded strata on the 12-feature MLP of ``benchmarks/kernel_shapiq.py``
    and 0.84x on its 40-feature LightGBM, 0.35-0.5x on the games of the tests.

    Two estimates of a one-reference game's values. Complement pairs make both exact for games
    with interactions of order <= 2: only the game's odd part (v(S) - v(not S)) / 2 counts, and its
    Walsh terms of degree 1 are fitted exactly; the error comes from the terms of degree 3, 5, ...
    The weighted regression (more than 40 features, or more than 512 pairs) is Kernel SHAP with the
    Shapley kernel weights. Otherwise (``_kernel_prior``), the estimate is the posterior mean of the
    Shapley values under a prior on those higher terms (independent, the energy of degree d + 2 a fifth of degree d's;
    flat on degree 1) given the observed pairs: kriging, a fixed linear map per design like the
    regression's. Its pairs are herded (``_kernel_herding``): picked one by one so that their
    moments of degree 2 and 4, which set the error on degree-3 terms, stay close to the stratum's.
    On the 12-feature MLP of ``benchmarks/kernel.py`` the two together cut the RMS error by a third
    (median max error over seeds 0.72x the regression's) at the same model calls; on its 40-feature
    LightGBM margin to 0.82x at 384 coalitions and 0.74x at 1024 (RMS over 10 rows and 2 seeds).
    The prior then weights the features (``_kernel_ard.prior_maps``): the interactions of a feature
    that moves the output over the background get a larger prior variance. The weights come from
    the background alone, the same for every row, so each design's map under them is again fixed
    (computed once per call and cached); against the exchangeable prior alone, 0.83x the RMS error
    on the 40-feature LightGBM and 0.88x on the 12-feature MLP at their default budgets (12 rows,
    4 seeds, herded pairs; the error estimate stays the exchangeable prior's, an overestimate).
    Designs depend on (m, budget, seed, background row) only, so each is built and factorized
    once and serves every row. Each row's synthetic rows go to ``predict`` in calls of their own,
    of sizes fixed by (coalitions, background rows, ``max_batch_rows``), and its linear algebra is
    done alone: a row's values are bit for bit the same whichever rows are explained with it.

    Exact: sum(phi) = v(all) - v(empty), and v(empty) is ``expected`` (same arithmetic), v(all) is
    f(x) up to rounding; an ignored feature gets exactly 0 when ``predict`` is deterministic per row.
    Sampled: sum(phi_b) = f(x) - f(b) is imposed per background row. So ``phi.sum() + expected ==
    f(x)`` on both paths (to rounding).

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
    n_samples : int, "auto" or None, default None
        Coalitions per background row on the Kernel SHAP path (the model sees ``n_samples`` x
        background rows synthetic rows per explained row, as in shap's ``nsamples``); None:
        ``default_budget(m)`` = max(384, 8 m), 448 for m <= 16. "auto": start there and double,
        row by row, until the row's estimated error is at most ``tolerance`` times the output's
        spread, or ``max_samples`` is reached.
    tolerance : float, default 0.005
        Target of ``n_samples="auto"``: estimated RMS error / (weighted standard deviation of the
        model output over the background), the largest over outputs.
    max_samples : int, optional
        Cap of ``n_samples="auto"``; default ``16 * default_budget(m)``.
    exact_max_features : int, default 10
        Rows with at most this many varying features are solved exactly.
    max_batch_rows : int, default 250_000
        Upper bound on synthetic rows built and passed to one ``predict`` call.
    random_state : int or None, default 0
        Seed of the coalition designs; a fixed seed gives identical results.
    progress : bool or None, default None
        A bar on stderr counting the explained rows: True shows it, False hides it, None shows it
        only when stderr is a terminal. It never changes the result.
    relevance : bool, default False
        On the kriging path (up to 40 features), a prior per one-reference game: each feature's
        sensitivity times the row's step from that background row on it, in units of the
        background's typical step (``_kernel_ard``), so a feature on which the row and background row
        agree counts for nothing in their game. Per background row, row and output a Cholesky
        factorization (about 1 ms at 224 pairs of 12 features, 6 ms at 512 pairs of 40), far more of
        our own work than the default; at the same model calls 0.86x the default's RMS error on the
        40-feature LightGBM of ``benchmarks/kernel_shapiq.py`` and 0.92x on its 12-feature MLP at their
        default budgets, 0.80x and 0.81x at 1024. Up to 16 features and 256 pairs per game, where each game
        has room for twice its share (10 features or more at the default budget), the pairs are
        allotted to the games by their difficulty (``_kernel_allotment.applies``).

    Returns
    -------
    ShapleyResult with
    phi : ndarray of shape (K, n_rows, M), float64
    expected : ndarray of shape (K,), float64
        ``sum_b w_b f(background_b)``.
    error : ndarray of shape (K, n_rows)
        Estimated RMS error of each row's values (0 for exact rows), in output units.
    n_samples : ndarray of shape (n_rows,), int
        Coalitions per background row behind the row's values (2^m when exact, 0 when nothing
        varies; under "auto" the last budget tried).
    at_cap : ndarray of shape (n_rows,), bool
        Rows where ``n_samples="auto"`` stopped at ``max_samples`` above its tolerance.

    References
    ----------
    S. M. Lundberg and S.-I. Lee, "A Unified Approach to Interpreting Model Predictions", NeurIPS 2017.
    I. Covert and S.-I. Lee, "Improving KernelSHAP: Practical Shapley Value Estimation via Linear
    Regression", AISTATS 2021 (paired sampling).
    C. Musco and R. T. Witter, "Provably Accurate Shapley Value Estimation via Leverage Score
    Sampling", ICLR 2025.
    Y. Chen, M. Welling and A. Smola, "Super-Samples from Kernel Herding", UAI 2010.
    """
    X, background = np.asarray(X), np.asarray(background)
    w = _check(X, background, weights)
    auto = isinstance(n_samples, str)
    if auto and n_samples != "auto":
        raise ValueError(f"n_samples must be an int, 'auto' or None, got {n_samples!r}")
    if max_batch_rows < 1 or exact_max_features < 0 or (not auto and n_samples is not None and n_samples < 1):
        raise ValueError("max_batch_rows and n_samples must be >= 1 and exact_max_features >= 0")
    if not tolerance > 0 or (max_samples is not None and max_samples < 2):
        raise ValueError("tolerance must be > 0 and max_samples >= 2")
    try:
        dtype = np.result_type(X.dtype, background.dtype)
    except TypeError:
        dtype = np.dtype(object)
    X, background = X.astype(dtype, copy=False), background[w > 0].astype(dtype, copy=False)
    w = w[w > 0]
    n_rows, n_feat = X.shape
    bg_pred = predict_2d(predict, background, max_batch_rows)
    expected = weighted_mean(bg_pred, w)
    n_out = expected.shape[0]
    phi = np.zeros((n_out, n_rows, n_feat))
    error = np.zeros((n_out, n_rows))
    used = np.zeros(n_rows, dtype=np.int64)
    at_cap = np.zeros(n_rows, dtype=bool)
    if n_rows == 0 or n_feat == 0:
        return ShapleyResult(phi, expected, error, used, at_cap)
    scale = _output_scale(bg_pred, w, expected)
    start = None if auto or n_samples is None else int(n_samples)
    seed = random_state if random_state is not None else int(np.random.SeedSequence().entropy % 2**63)
    varying = varying_features(X, background)
    designs: dict[tuple[int, int], Designs] = {}
    synthetic: dict[tuple[int, int], SyntheticRows] = {}
    moves = None  # (K, M): the features' sensitivity, computed for the first row on the kriging path
    maps: dict[tuple[int, bytes], tuple[np.ndarray, ...]] = {}  # per (budget, varying features): per output
    with progress_bar(n_rows, "KernelShap", unit="row", show=progress) as bar:
        for i in range(n_rows):
            cols = np.flatnonzero(varying[i])
            m = len(cols)
            if m and (m <= exact_max_features or m == 1):  # all 2^m coalitions, v(empty) and v(all) included
                v = coalition_values(predict, X[i], cols, _enumeration(m)[0], background, w, max_batch_rows, n_out)
                phi[:, i, cols] = _exact(v, m)
                used[i] = 2**m
            elif m:
                limit = max_samples or 16 * default_budget(m)  # the cap of "auto"
                budget = start or min(default_budget(m), limit)
                while True:
                    allotted = relevance and applies(m, budget // 2)  # pairs spent where the games are hard
                    if not allotted and (m, budget) not in designs:
                        designs[m, budget] = Designs.build(m, budget, seed, len(background))
                        synthetic[m, budget] = SyntheticRows(designs[m, budget].masks, background, dtype)
                    weighted = game = None
                    if allotted or designs[m, budget].post is not None:  # kriging: priors weighted by the sensitivity
                        if moves is None:
                            moves = sensitivity(predict, background, w, bg_pred, max_batch_rows)
                            moves[~np.isfinite(moves).all(axis=1)] = 0.0  # an output with NaN moves: equal weights
                        if relevance:  # and by the row's steps from each background row, a prior per game
                            game = game_weights(moves[:, cols], steps(X[i, cols], background[:, cols]))
                        else:
                            key = (budget, cols.tobytes())
                            if key not in maps:
                                if len(maps) >= _MAPS_PER_CALL:  # rows varying on many different features
                                    maps.clear()
                                maps[key] = tuple(_Weighted(m, budget, seed, len(background),
                                                            tuple(weights_from(output[None, cols]).tolist()))
                                                  for output in moves)
                            weighted = maps[key]
                    if allotted:
                        values, row_error, sizes = allotted_values(predict, X[i], cols, background, bg_pred, w, game,
                                                                   budget // 2, seed, max_batch_rows)
                        used[i] = 2 * sizes.sum() // len(background)
                    else:
                        values, row_error = _kernel_values(predict, X[i], cols, designs[m, budget],
                                                           synthetic[m, budget], bg_pred, w, max_batch_rows, weighted,
                                                           game)
                        used[i] = designs[m, budget].masks.shape[1]
                    sampled = allotted or designs[m, budget].sampled
                    if not auto or not sampled or (row_error / scale).max() <= tolerance:
                        break
                    if budget >= limit:
                        at_cap[i] = True
                        break
                    budget = min(2 * budget, limit)
                phi[:, i, cols], error[:, i] = values, row_error
            bar.update(1)
    return ShapleyResult(phi, expected, error, used, at_cap)
