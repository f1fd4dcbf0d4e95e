"""Coalition designs of the Kernel SHAP regression: which coalitions to evaluate, their weights, and
the factorizations that turn coalition values into Shapley values and a jackknife error estimate.

A design depends only on (number of features m, budget, seed, background row), never on the rows
explained, so one design (and one factorization) serves every row with m varying features, and a
row gets the same design whichever rows are explained with it.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import numpy as np
from threadpoolctl import ThreadpoolController

from ._kernel_greedy import MAX_GREEDY, greedy_pairs
from ._kernel_herding import BLOCK as N_BASE
from ._kernel_herding import herded_pairs
from ._kernel_prior import MAX_FEATURES, MAX_PAIRS, kriging_posterior, kriging_spread

__all__ = ["Design", "Designs", "kernel_design", "min_budget", "one_blas_thread"]

N_GROUPS = 4  # jackknife groups of sampled pairs


@functools.cache
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


def one_blas_thread():
    """A context with numpy's BLAS on one thread: our small solves then give the same bits whatever
    thread count the process runs with (a chunked engine's workers run with one)."""
    return _controller().limit(limits=1, user_api="blas")


@dataclass(frozen=True)
class Design:
    """Coalitions of one Kernel SHAP regression and the factorizations that solve it.

    masks : (c, m) bool, the coalitions (empty and full excluded).
    weights : (1 + G, c) float64, regression weights: row 0 the estimate's, row g >= 1 the
        jackknife replicate with group g of the sampled pairs left out (G = 0 when every
        coalition was enumerated).
    inverse : (1 + G, m - 1, m - 1) float64, pseudo-inverses of the normal matrices (None on the
        kriging path).
    post, rep, comp, perm : for at most ``MAX_FEATURES`` features, the kriging estimate
        (``_kernel_prior``) that replaces the regression: its base design's posterior maps
        (1 + G, m, P + 1) (shared with the other designs of that base, not copied), the base's pairs
        (P,) and (P,) (row indices, the same in this design), and the permutation (m,): feature j of
        this design plays the base's feature perm[j], so phi_j = (post[g] @ odd part)[perm[j]];
        None where the regression is used.
    resid, spread : for a greedy kriging design (``_kernel_greedy``, no jackknife groups: G = 0), its
        base's ``_kernel_prior.kriging_spread``, (P + 1, P + 1) and (m,), from which the estimator
        estimates its error instead; None otherwise.
    """

    masks: np.ndarray
    weights: np.ndarray
    inverse: np.ndarray | None
    post: np.ndarray | None = None
    rep: np.ndarray | None = None
    comp: np.ndarray | None = None
    perm: np.ndarray | None = None
    resid: np.ndarray | None = None
    spread: np.ndarray | None = None

    @property
    def n_groups(self) -> int:
        return len(self.weights) - 1


def _layer_mass(m: int) -> np.ndarray:
    """mass[s] = total Shapley-kernel weight of the C(m, s) coalitions of size s (index 0 unused)."""
    sizes = np.arange(1, m)
    return np.r_[0.0, (m - 1) / (sizes * (m - sizes))]


def _strata(m: int) -> list[tuple[int, int]]:
    """(s, number of complement pairs) for the pair strata s = 1 .. m // 2 (sizes s and m - s)."""
    return [(s, math.comb(m, s) if 2 * s != m else math.comb(m, s) // 2) for s in range(1, m // 2 + 1)]


def min_budget(m: int) -> int:
    """The smallest budget that samples every stratum: one complement pair each."""
    return 2 * (m // 2)


@functools.lru_cache(maxsize=256)
def _allocate(m: int, pairs: int) -> tuple[int, ...]:
    """Pairs per stratum: equal shares per coalition size (leverage-score sampling, Musco & Witter
    2024), capped at the stratum's size with the excess handed on (water-filling)."""
    strata = _strata(m)
    share = np.array([1.0 if 2 * s == m else 2.0 for s, _ in strata])
    cap = np.array([n for _, n in strata], dtype=np.float64)
    alloc = np.zeros(len(strata))
    free = np.ones(len(strata), dtype=bool)
    left = float(pairs)
    while free.any():
        quota = left * share[free] / share[free].sum()
        full = cap[free] <= quota
        if not full.any():
            alloc[free] = quota
            break
        idx = np.flatnonzero(free)[full]
        alloc[idx] = cap[idx]
        left -= cap[idx].sum()
        free[idx] = False
    counts = np.floor(alloc).astype(int)
    order = np.argsort(-(alloc - counts), kind="stable")  # largest remainders first
    for i in order[: max(0, int(round(min(pairs, cap.sum()) - counts.sum())))]:
        counts[i] += 1
    return tuple(int(min(c, n)) for c, (_, n) in zip(np.maximum(counts, 1), strata, strict=True))


def _draw_subsets(m: int, s: int, n: int, middle: bool, rng: np.random.Generator) -> np.ndarray:
    """``n`` distinct size-``s`` subsets of m features, uniformly (each complement pair once if middle)."""
    pool, k = (m - 1, s - 1) if middle else (m, s)  # middle: the pair's member that holds feature 0
    total = math.comb(pool, k)
    out = np.zeros((n, m), dtype=bool)
    if total <= 4 * n:
        chosen = np.sort(rng.choice(total, size=n, replace=False))
        wanted = set(chosen.tolist())
        combos = itertools.islice(itertools.combinations(range(pool), k), int(chosen[-1]) + 1)
        picked = [c for i, c in enumerate(combos) if i in wanted]
    else:
        seen: dict[bytes, tuple[int, ...]] = {}
        while len(seen) < n:
            keys = rng.random((2 * (n - len(seen)), pool)).argsort(axis=1)[:, :k]
            for row in np.sort(keys, axis=1):
                seen.setdefault(row.tobytes(), tuple(row.tolist()))
                if len(seen) == n:
                    break
        picked = list(seen.values())
    for i, combo in enumerate(picked):
        out[i, [c + middle for c in combo]] = True
    if middle:
        out[:, 0] = True
    return out


def _inverse(masks: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(A' W A)^+ for a_S = z_S,<m - z_S,m: the normal matrix of the constrained weighted least squares
    minimizing sum_S w_S (v(S) - v(0) - z_S . phi)^2 subject to sum(phi) = delta (phi_m eliminated);
    a full-rank design is inverted directly, a rank-deficient one by pseudo-inverse."""
    a = masks[:, :-1].astype(np.float64) - masks[:, -1:]
    normal = a.T @ (w[:, None] * a)
    try:
        np.linalg.cholesky(normal)  # positive definite: full rank
        return np.linalg.solve(normal, np.eye(len(normal)))
    except np.linalg.LinAlgError:  # (a factorable but numerically singular matrix fails the solve)
        return np.linalg.pinv(normal, hermitian=True)


@functools.lru_cache(maxsize=256)
def kernel_design(m: int, budget: int, seed: int, reference: int = 0) -> Design:
    """The coalitions for m >= 2 features and about ``budget`` coalitions, drawn from
    (``seed``, m, budget, ``reference``): each background row gets a design of its own.

    Coalitions come in complement pairs (S, not S), stratified by size: strata s = 1 .. m // 2 hold
    the sizes s and m - s. Pairs are allotted equally per size (the leverage scores of the
    regression are equal per size), a stratum whose allotment covers it is enumerated and its
    excess handed on; the others get distinct pairs drawn uniformly without replacement. Weights:
    enumerated coalitions their exact Shapley-kernel weight, sampled ones their layer's kernel mass
    divided by the number drawn, so each stratum's mass is exact. Sampled pairs are dealt round
    robin into ``N_GROUPS`` jackknife groups; leaving one group out (its strata reweighted) gives
    the replicate estimates whose spread estimates the error.

    For m <= ``MAX_FEATURES`` and 4 m to ``MAX_PAIRS`` pairs the design carries the linear maps of
    the kriging estimate (``_kernel_prior``), which the estimator then uses instead of the regression
    (whose inverses it does not need). Up to ``MAX_GREEDY`` pairs they are picked greedily from all
    sizes to leave the least posterior variance of the Shapley values (``_kernel_greedy``; no strata,
    weights 1), and the design carries its kriging variance (``resid``, ``spread``) instead of
    jackknife groups. Above, the pairs of a sampled stratum are herded rather than drawn uniformly
    (``_kernel_herding``), each jackknife group balanced on its own, with a map for the full design and
    each replicate (group left out). Such a design is one of ``N_BASE`` base
    designs (background row modulo ``N_BASE``) with its features randomly permuted per background
    row: the greedy picks, herding and the prior treat all features alike, so the permuted design's maps are the
    base's with their features permuted, and the costly factorizations are done, and the maps
    kept, ``N_BASE`` times, not once per background row. (Permutations keep the designs' errors
    nearly independent across background rows: on the MLP of ``benchmarks/kernel.py`` the same RMS
    error as a base design per background row over 100 seeds, with 4 bases as with 8 or 50; 50
    background rows build in about 45 ms instead of 160.)

    Designs are cached (they are pure functions of their arguments; their arrays are read-only).
    """
    counts = _allocate(m, max(int(budget), min_budget(m)) // 2)
    # kriging estimate on greedy or herded pairs: few features, and enough pairs for the m degree-1 terms
    if m <= MAX_FEATURES and 4 * m <= sum(counts) <= MAX_PAIRS and sum(counts) < 2 ** (m - 1) - 1:
        z, weights, post, rep, comp, resid, spread = _base_design(m, int(budget), int(seed), int(reference) % N_BASE)
        perm = np.random.default_rng([int(seed), m, int(budget), int(reference), 0x5EED]).permutation(m)
        z = np.ascontiguousarray(z[:, perm])  # feature j of this design plays the base's perm[j]
        for array in (z, perm):
            array.setflags(write=False)
        return Design(z, weights, None, post, rep, comp, perm, resid, spread)
    z, weights = _draw(m, budget, seed, reference, counts, herd=False)
    with one_blas_thread():
        inverse = np.stack([_inverse(z, row) for row in weights])
    for array in (z, weights, inverse):
        array.setflags(write=False)
    return Design(z, weights, inverse)


@functools.lru_cache(maxsize=64)
def _base_design(m: int, budget: int, seed: int, base: int) -> tuple[np.ndarray | None, ...]:
    """(masks, weights, post, rep, comp, resid, spread) of base design ``base`` of the kriging path: up to
    ``MAX_GREEDY`` pairs picked greedily (``_kernel_greedy``), with the estimate's own error estimate
    (``_kernel_prior.kriging_spread``) and no jackknife groups; herded above, with groups (resid and
    spread None); and the posterior maps of ``_kernel_prior.kriging_posterior``."""
    counts = _allocate(m, max(budget, min_budget(m)) // 2)
    resid = spread = None
    with one_blas_thread():  # small products: threads only wait on each other (and the bits stay the same)
        if sum(counts) <= MAX_GREEDY:
            half = greedy_pairs(m, sum(counts), seed, budget, base)
            z, weights = np.concatenate([half, ~half]), np.ones((1, 2 * len(half)))
            resid, spread = kriging_spread(half)
        else:
            z, weights = _draw(m, budget, seed, base, counts, herd=True)
        post, rep, comp = kriging_posterior(z, weights > 0)
    for array in (z, weights, post, rep, comp, resid, spread):
        if array is not None:
            array.setflags(write=False)
    return z, weights, post, rep, comp, resid, spread


def _draw(m: int, budget: int, seed: int, reference: int, counts: tuple[int, ...], herd: bool
          ) -> tuple[np.ndarray, np.ndarray]:
    """(masks, weights (1 + G, c)): the coalitions of ``kernel_design`` and the weights of
    the estimate and its jackknife replicates; sampled strata herded if ``herd``."""
    rng = np.random.default_rng([int(seed), m, int(budget), int(reference)])
    mass = _layer_mass(m)
    masks, weights, stratum, sampled, preset = [], [], [], [], {}
    for index, ((s, n_pairs), n) in enumerate(zip(_strata(m), counts, strict=True)):
        middle = 2 * s == m
        if n == n_pairs:  # enumerate the stratum
            sub = np.zeros((math.comb(m, s), m), dtype=bool)
            for row, cols in enumerate(itertools.combinations(range(m), s)):
                sub[row, list(cols)] = True
            layers = [sub] if middle else [sub, ~sub]
            for layer in layers:
                masks.append(layer)
                weights.append(np.full(len(layer), mass[s] / math.comb(m, s)))
                stratum.append(np.full(len(layer), index))
                sampled.append(np.zeros(len(layer), dtype=bool))
        else:
            if herd:
                half, preset[index] = herded_pairs(m, s, n, N_GROUPS, seed, budget, reference)
            else:
                half = _draw_subsets(m, s, n, middle, rng)
            pair = np.concatenate([half, ~half])
            masks.append(pair)
            weights.append(np.full(2 * n, mass[s] / (2 * n if middle else n)))
            stratum.append(np.full(2 * n, index))
            sampled.append(np.ones(2 * n, dtype=bool))
    z, w = np.concatenate(masks), np.concatenate(weights)
    stratum, sampled = np.concatenate(stratum), np.concatenate(sampled)
    blocks = [w]
    if sampled.any():
        # a pair's two coalitions sit n apart within their stratum's block; deal pairs round robin
        group = np.full(len(z), -1)
        dealt = int(rng.integers(N_GROUPS))
        for index in np.unique(stratum[sampled]):
            rows = np.flatnonzero(stratum == index)
            n = len(rows) // 2
            g = preset.get(index, (dealt + np.arange(n)) % N_GROUPS)
            group[rows[:n]], group[rows[n:]] = g, g
            dealt += n
        for g in range(N_GROUPS):
            w_g = w.copy()
            out = group == g
            for index in np.unique(stratum[out]):
                members = stratum == index
                kept = members & ~out
                if kept.any():  # the stratum's mass is spread over the pairs kept
                    w_g[kept] *= members.sum() / kept.sum()
                    w_g[members & out] = 0.0
            blocks.append(w_g)
    weights = np.stack(blocks)
    return z, weights


@dataclass(frozen=True)
class Designs:
    """The designs of all background rows for one (m, budget), stacked: masks (n_bg, c, m),
    weights (n_bg, 1 + G, c), and either, for the regression, inverse (n_bg, 1 + G, m - 1, m - 1) and
    contrast (n_bg, c, m - 1), the float64 a_S = z_S,<m - z_S,m of the constrained regression (phi_m
    eliminated: phi_<m = (A' W A)^+ A' W y), or, for kriging, the maps of the base designs
    post (Q, 1 + G, m, P + 1), their pairs rep and comp (Q, P), each background row's base (n_bg,)
    and feature permutation perm (n_bg, m), and for greedy designs (G = 0) the bases' resid
    (Q, P + 1, P + 1) and spread (Q, m) (``_kernel_prior.kriging_spread``); the others None. All have the
    same c, G and kind: they depend on (m, budget) only."""

    masks: np.ndarray
    weights: np.ndarray
    inverse: np.ndarray | None = None
    contrast: np.ndarray | None = None
    post: np.ndarray | None = None
    rep: np.ndarray | None = None
    comp: np.ndarray | None = None
    base: np.ndarray | None = None
    perm: np.ndarray | None = None
    resid: np.ndarray | None = None
    spread: np.ndarray | None = None

    @classmethod
    def build(cls, m: int, budget: int, seed: int, n_background: int) -> Designs:
        designs = [kernel_design(m, budget, seed, b) for b in range(n_background)]
        masks, weights = np.stack([d.masks for d in designs]), np.stack([d.weights for d in designs])
        if designs[0].post is None:
            contrast = masks[..., :-1].astype(np.float64)
            contrast -= masks[..., -1:]
            return cls(masks, weights, inverse=np.stack([d.inverse for d in designs]), contrast=contrast)
        bases = {id(d.post): d for d in designs}  # the designs of a base share its maps
        index = {key: q for q, key in enumerate(bases)}

        def stacked(name: str) -> np.ndarray | None:
            return None if getattr(designs[0], name) is None else np.stack([getattr(d, name) for d in bases.values()])

        return cls(masks, weights, post=stacked("post"), rep=stacked("rep"), comp=stacked("comp"),
                   base=np.array([index[id(d.post)] for d in designs]), perm=np.stack([d.perm for d in designs]),
                   resid=stacked("resid"), spread=stacked("spread"))

    @property
    def n_groups(self) -> int:
        return self.weights.shape[1] - 1

    @property
    def sampled(self) -> bool:
        """Whether the values are estimated (with an error estimate), not enumerated."""
        return self.n_groups > 0 or self.resid is not None

    def representatives(self) -> np.ndarray:
        """Each design's pair representatives (n_bg, P, m), in its own feature order: its masks at its base's
        ``rep`` (kriging designs only; the relevance pass reads them)."""
        return self.masks[np.arange(len(self.masks))[:, None], self.rep[self.base]]
