"""Balanced samples of complement pairs for few features (kernel herding), instead of uniform draws.

A sampled design's error on the game's interactions of degree 3 comes from the moments of its
coalitions that differ from their stratum's: the means over the drawn pairs of the Walsh products
chi_U(S) = prod_{j in U} (2 z_S,j - 1) for |U| = 2 and 4 (odd |U| vanish over complement pairs).
Herding picks the pairs one at a time, each the candidate that keeps those means closest to the
stratum's: with the kernel k(S, S') = sum_{|U| in (2, 4)} chi_U(S) chi_U(S') / C(m, |U|), a function
of the Hamming distance (Krawtchouk polynomials), the next pair minimizes the summed kernel to the
pairs already chosen (the stratum's own mean embedding is the same for every candidate). The pairs
are dealt round robin to the jackknife groups and a pick's score adds its kernel to its own
group's pairs to that to all pairs, so that every replicate (one group left out) is balanced as
well as the design (measured for m = 12, 40 pairs of size 4: the squared moment discrepancy is
0.47x that of uniform draws for the design, 0.82x for a group of 10). The first pick and ties are
random: designs still differ by seed and background row, and their errors still average out
over the background. Kriging on herded pairs has about 0.85x the RMS error of kriging on uniform
draws on the 12-feature MLP of ``benchmarks/kernel.py``.

Herding runs for a block of ``BLOCK`` designs at once (vectorized; ``_kernel_design`` herds its
``BLOCK`` base designs, and permutes their features per background row); a design's pairs depend
on (m, stratum, pairs, seed, budget, design) only. A stratum of more than ``MAX_POOL`` pairs is
herded among ``MAX_POOL`` of them drawn uniformly for the block. Beyond 16 features the candidates
are ``RANDOM_POOL`` (at least 4 per pair picked), drawn directly when the stratum is too large to
list (on the 40-feature LightGBM of ``benchmarks/kernel.py``, 128 candidates gave the same error as
1024).
"""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np

from ._kernel_prior import _krawtchouk

__all__ = ["MAX_POOL", "RANDOM_POOL", "herded_pairs"]

MAX_POOL = 1024  # candidate pairs per stratum (a larger stratum: a random subset per block)
_DEGREES = {2: 1.0, 4: 1.0}  # weight of each degree's moments (their mean square)
_UNION = 1.0  # weight of the union's balance against each group's
RANDOM_POOL = 256  # candidate pairs per stratum beyond _FEW features (4 per pair picked at least)
_FEW = 16  # up to this many features a stratum offers MAX_POOL candidates
_MAX_ENUMERATED = 1 << 16  # a larger stratum is never listed whole
BLOCK = 4  # designs herded together (the base designs of ``_kernel_design``)


@functools.lru_cache(maxsize=64)
def _pool(m: int, s: int) -> np.ndarray:
    """One member of each complement pair of stratum s: the size-s subsets (those holding feature 0
    when 2 s = m), (Q, m) bool."""
    combos = [c for c in itertools.combinations(range(m), s) if 2 * s != m or c[0] == 0]
    out = np.zeros((len(combos), m), dtype=bool)
    for row, cols in enumerate(combos):
        out[row, list(cols)] = True
    out.setflags(write=False)
    return out


def _pool_size(m: int, s: int) -> int:
    """The number of complement pairs in stratum s."""
    return math.comb(m, s) if 2 * s != m else math.comb(m, s) // 2


def _random_pool(m: int, s: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` distinct pairs of stratum s drawn uniformly, one member each as in ``_pool``, (size, m)."""
    middle = 2 * s == m
    width, k = (m - 1, s - 1) if middle else (m, s)  # middle: the member holding feature 0
    seen: dict[bytes, np.ndarray] = {}
    while len(seen) < size:
        keys = np.sort(rng.random((2 * (size - len(seen)), width)).argsort(axis=1)[:, :k], axis=1)
        for row in keys:
            seen.setdefault(row.tobytes(), row)
            if len(seen) == size:
                break
    out = np.zeros((size, m), dtype=bool)
    for i, cols in enumerate(seen.values()):
        out[i, cols + middle] = True
    out[:, 0] |= middle
    return out


def _gram(m: int, pool: np.ndarray) -> np.ndarray:
    """The herding kernel between the pairs of ``pool`` (Q, m), (Q, Q)."""
    table = sum(c * _krawtchouk(k, m) / math.comb(m, k) for k, c in _DEGREES.items() if k <= m)
    t = 2.0 * pool - 1.0
    return table[(m - (t @ t.T).astype(np.intp)) // 2]


@functools.lru_cache(maxsize=64)
def _herd_block(m: int, s: int, n: int, groups: int, seed: int, budget: int, block: int) -> tuple[np.ndarray, ...]:
    """(pairs (BLOCK, n, m) bool, group (BLOCK, n)) for the background rows of ``block``: herded
    among the stratum's pairs, or among ``MAX_POOL`` of them (``RANDOM_POOL`` beyond 16 features)
    drawn for the block if it has more."""
    rng = np.random.default_rng([int(seed), m, int(budget), s, int(block), 0x4E5D])
    cap = MAX_POOL if m <= _FEW else max(RANDOM_POOL, 4 * n)
    if _pool_size(m, s) <= _MAX_ENUMERATED:
        pool = _pool(m, s)
        if len(pool) > cap:
            pool = pool[np.sort(rng.choice(len(pool), cap, replace=False))]
    else:  # too many to list: drawn directly
        pool = _random_pool(m, s, cap, rng)
    gram = _gram(m, pool)
    rows = np.arange(BLOCK)
    own = np.zeros((BLOCK, groups, len(gram)))
    union = np.zeros((BLOCK, len(gram)))
    taken = np.zeros((BLOCK, len(gram)), dtype=bool)
    jitter = rng.random((BLOCK, len(gram))) * 1e-9  # random first pick and ties
    first = rng.integers(groups, size=BLOCK)
    picks = np.empty((BLOCK, n), dtype=np.intp)
    group = (first[:, None] + np.arange(n)) % groups
    for step in range(n):
        score = own[rows, group[:, step]] + _UNION * union + jitter
        score[taken] = np.inf
        pick = score.argmin(axis=1)
        picks[:, step] = pick
        taken[rows, pick] = True
        chosen = gram[pick]
        own[rows, group[:, step]] += chosen
        union += chosen
    pairs = pool[picks]
    for array in (pairs, group):
        array.setflags(write=False)
    return pairs, group


def herded_pairs(m: int, s: int, n: int, groups: int, seed: int, budget: int, reference: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(half (n, m) bool, group (n,)): ``n`` distinct herded pairs of stratum s (each pair's member
    from ``_pool``) for background row ``reference``, and the jackknife group of each."""
    pairs, group = _herd_block(m, s, n, groups, seed, budget, reference // BLOCK)
    return pairs[reference % BLOCK], group[reference % BLOCK]
