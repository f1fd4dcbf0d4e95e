"""How far can a better prior take Kernel SHAP's kriging? Oracle bounds on the 12-feature MLP's games.

KernelShap estimates each one-reference game v_b(S) = f(x_S, b_notS) from a design of complement pairs,
by kriging: the posterior mean of its Shapley values under a Gaussian prior on the odd Walsh coefficients
of the game (degree 1 flat; degree 3, 5, ... shrinking by ``DECAY`` per two orders; see
``explain_lib/explainers/_kernel_prior.py``). The error comes only from the coefficients of degree >= 3
the design cannot tell apart, so the prior is the one lever that costs no model call. This script
measures how much any prior could give, on the ``mlp12`` workload of ``kernel.py`` (where KernelShap is
furthest from the 0.25x-shapiq target of ``kernel_shapiq.py``): every game is enumerated (2^12
coalitions), its exact Walsh coefficients and Shapley values computed, and the same random stratified
pair design per game is handed to kriging under each prior:

* ``degree``: the exchangeable prior, the library's first estimate (reference, 1.0);
* ``sensitivity``: the library's default, the product prior with each feature weighted by how far the
  model's output moves with it over the background (``_kernel_calls.sensitivity``, ``_kernel_ard``);
* ``relevance=True``: the library's opt-in prior per game, each feature's sensitivity times the row's step
  from the game's background row on it (``_kernel_ard.game_weights``);
* ``oracle per feature``: per game, each feature weighted by the true energy of the game's terms of degree
  >= 3 that hold it (the best a product prior per game could know);
* ``oracle degree``: each game's true energy per degree, spread evenly over the degree's coefficients;
* ``oracle pooled``: per coefficient, its true mean square over the row's background games (a prior
  shared by the games of one explained row, as a hierarchical model would learn it at best);
* ``estimated pooled``: the same mean square of the first (``degree``) pass's posterior means, plus a
  tenth of the degree prior: what can be learned from the observed pairs;
* ``oracle degree 3``: each game's own true squared coefficients of degree 3, the degree prior above;
* ``oracle coefficient``: each game's own true squared coefficients: the bound of any prior;
* ``sparse``: no prior but sparsity, learned from the game's own pairs: orthogonal matching pursuit over
  the degree-1 and degree-3 terms, keeping the 12 + 30 that fit best (printed: the share of a game's
  degree-3 energy its 30 largest of 220 coefficients hold).

Prints, relative to ``degree``, the RMS error of each game's Shapley values and of their mean over the row's
games (the interventional values, what the library returns), the energy share per odd degree and the load.
Designs are random (not herded as in the library) and the same for every prior.

    python benchmarks/kernel_headroom.py [--rows 3] [--pairs 224]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.linear_model import OrthogonalMatchingPursuit

sys.path.insert(0, str(Path(__file__).parent))
from kernel import workload_data  # noqa: E402

from explain_lib.explainers._kernel_ard import game_weights, weights_from  # noqa: E402
from explain_lib.explainers._kernel_calls import sensitivity  # noqa: E402
from explain_lib.explainers._kernel_prior import DECAY  # noqa: E402
from explain_lib.explainers._kernel_rows import steps  # noqa: E402

_FLAT = 1e4  # prior variance of the degree-1 coefficients, relative to the degree-3 energy
_JITTER = 1e-10


class Walsh:
    """The odd Walsh basis of m features: chi_T(S) = prod_{j in T} (2 z_S,j - 1) = (-1)^|T - S|, odd |T|."""

    def __init__(self, m: int):
        codes = np.arange(2**m, dtype=np.int64)
        self.m, self.codes = m, codes
        self.sets = codes[np.bitwise_count(codes) % 2 == 1]
        self.degree = np.bitwise_count(self.sets).astype(np.int64)
        members = (self.sets[None, :] >> np.arange(m)[:, None]) & 1
        self.shapley = members * (2.0 / self.degree)  # (m, sets): phi_j(chi_T) = 2 / |T| for j in T

    def chi(self, coalitions: np.ndarray) -> np.ndarray:
        """(coalitions, sets) for coalition bitmasks."""
        return 1.0 - 2.0 * (np.bitwise_count(self.sets[None, :] & ~coalitions[:, None]) % 2)

    def design(self, pairs: int, rng: np.random.Generator) -> np.ndarray:
        """Bitmasks of ``pairs`` pair representatives (sizes 1..m-1 uniform, feature 0 in), then the full set."""
        full = 2**self.m - 1
        out = []
        for size in rng.integers(1, self.m, size=pairs):
            code = int((1 << rng.permutation(self.m)[:size]).sum())
            out.append(code if code & 1 else full ^ code)
        return np.array([*out, full], dtype=np.int64)


def krige(chi: np.ndarray, observed: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """Posterior mean of the odd coefficients given the odd part at the design (noiseless, jittered)."""
    cov = (chi * variance) @ chi.T
    cov[np.diag_indices(len(cov) - 1)] += _JITTER * cov.diagonal().mean()
    return variance * (chi.T @ np.linalg.solve(cov, observed))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3)
    parser.add_argument("--pairs", type=int, default=224, help="pairs per design (KernelShap's default: 224)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    before = os.getloadavg()
    _, _, f, background, rows, _ = next(w for w in workload_data(200, args.rows) if w[0] == "mlp12")
    m = rows.shape[1]
    walsh = Walsh(m)
    coalitions = (walsh.codes[:, None] >> np.arange(m)) & 1
    chi_all = walsh.chi(walsh.codes)
    rng = np.random.default_rng(0)
    priors = ["degree", "sensitivity", "relevance=True", "oracle per feature", "oracle degree", "oracle pooled",
              "estimated pooled", "oracle degree 3", "oracle coefficient", "sparse"]
    weights = np.full(len(background), 1.0 / len(background))
    moves = sensitivity(f, background, weights, f(background)[:, None], 10**6)
    members = (walsh.sets[:, None] >> np.arange(m)) & 1

    def product(lam: np.ndarray) -> np.ndarray:
        return np.prod(np.where(members == 1, lam, 1.0), axis=1)

    by_sensitivity = product(weights_from(moves))
    low = walsh.degree <= 3
    errors: dict[str, list[float]] = {p: [] for p in priors}
    mean_errors: dict[str, list[float]] = {p: [] for p in priors}
    energy, top30 = np.zeros((m + 1) // 2), []
    for x in rows:
        games, estimates, truths = [], {p: [] for p in priors}, []
        per_game = game_weights(moves, steps(x, background))[:, 0]  # (n_bg, m)
        for b in background:
            v = f(np.where(coalitions.astype(bool), x, b))
            odd = 0.5 * (v - v[walsh.codes[-1] ^ walsh.codes])
            coef = chi_all.T @ odd / 2**m
            chi = walsh.chi(walsh.design(args.pairs, rng))
            games.append((coef, chi, chi @ coef))
        scale = np.mean([(c[walsh.degree == 3] ** 2).sum() for c, _, _ in games])
        by_degree = np.where(walsh.degree == 1, _FLAT,
                             DECAY ** ((walsh.degree - 3) // 2) / [math.comb(m, d) for d in walsh.degree]) * scale
        first = [krige(chi, y, by_degree) for _, chi, y in games]
        pooled = np.mean([c**2 for c, _, _ in games], axis=0)
        learned = np.mean([a**2 for a in first], axis=0) + 0.1 * by_degree
        for (coef, chi, y), a, lam in zip(games, first, per_game, strict=True):
            true_energy = np.bincount(walsh.degree, weights=coef**2, minlength=m + 1)[1::2]
            energy += true_energy / true_energy.sum()
            cubic = np.sort(coef[walsh.degree == 3] ** 2)[::-1]
            top30.append(cubic[:30].sum() / cubic.sum())
            per_degree = true_energy[(walsh.degree - 1) // 2] / [math.comb(m, d) for d in walsh.degree]
            per_feature = np.array([(coef[(walsh.degree >= 3) & (members[:, j] == 1)] ** 2).sum() for j in range(m)])
            variances = {"sensitivity": by_sensitivity * scale, "relevance=True": product(lam) * scale,
                         "oracle per feature": product(weights_from(per_feature[None], 0.0)) * scale,
                         "oracle degree": per_degree, "oracle pooled": pooled,
                         "estimated pooled": learned,
                         "oracle degree 3": np.where(walsh.degree == 3, coef**2, by_degree),
                         "oracle coefficient": coef**2 + 1e-30}
            truth = walsh.shapley @ coef
            truths.append(truth)
            estimates["degree"].append(walsh.shapley @ a)
            for name, variance in variances.items():
                variance = np.where(walsh.degree == 1, _FLAT * scale, variance)
                estimates[name].append(walsh.shapley @ krige(chi, y, variance))
            pursuit = OrthogonalMatchingPursuit(n_nonzero_coefs=m + 30, fit_intercept=False).fit(chi[:, low], y)
            estimates["sparse"].append(walsh.shapley[:, low] @ pursuit.coef_)
        for name, values in estimates.items():
            errors[name].extend(((np.array(values) - truths) ** 2).mean(axis=1))
            mean_errors[name].append(((np.mean(values, axis=0) - np.mean(truths, axis=0)) ** 2).mean())
    games = len(errors["degree"])
    print(f"mlp12: {args.rows} rows x {len(background)} background games, {args.pairs} pairs per design")
    print("energy share of the odd part by degree " + ", ".join(
        f"{d}: {e:.4f}" for d, e in zip(range(1, m + 1, 2), energy / games, strict=True)))
    print(f"the 30 largest of the 220 degree-3 coefficients hold {min(top30):.0%}-{max(top30):.0%} of a game's "
          f"degree-3 energy (median {np.median(top30):.0%})")
    reference, mean_reference = np.mean(errors["degree"]), np.mean(mean_errors["degree"])
    print("RMS error relative to the exchangeable prior: of each game's values | of their mean over the row's games")
    for name in priors:
        print(f"  {name:20s} {np.sqrt(np.mean(errors[name])):.3e}  {np.sqrt(np.mean(errors[name]) / reference):.3f}x"
              f" | {np.sqrt(np.mean(mean_errors[name])):.3e}  "
              f"{np.sqrt(np.mean(mean_errors[name]) / mean_reference):.3f}x")
    after = os.getloadavg()
    print(f"load average (1 min) before {before[0]:.2f}, after {after[0]:.2f}")


if __name__ == "__main__":
    main()
