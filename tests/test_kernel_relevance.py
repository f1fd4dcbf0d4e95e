"""Kernel SHAP's opt-in second pass (``relevance=True``, ``_kernel_ard``): kriging per background row
under a prior that weights each feature by its first-pass importance."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from test_kernel_estimator import data, nonlinear, pairwise
from test_kernel_kriging import smooth

from explain_lib import InvalidParameterError, KernelShap
from explain_lib.explainers._kernel_ard import SCALE, _estimate, weights_from
from explain_lib.explainers._kernel_estimator import _enumeration, _exact, shapley_values


def _brute_force(reps: np.ndarray, lam: np.ndarray, odd: np.ndarray) -> np.ndarray:
    """``_estimate`` from the prior's definition: an explicit Walsh basis (chi_T, odd |T| >= 3,
    variance prod_{j in T} lam_j), the Shapley value of chi_T (2 / |T| on each j in T) and the
    universal kriging formula with a flat prior on degree 1."""
    P, m = reps.shape
    t = np.vstack([2.0 * reps - 1.0, np.ones((1, m))])
    terms = [T for d in range(3, m + 1, 2) for T in itertools.combinations(range(m), d)]
    basis = np.stack([t[:, list(T)].prod(axis=1) for T in terms], axis=1)
    var = np.array([lam[list(T)].prod() for T in terms])
    shapley = np.array([[2.0 / len(T) if j in T else 0.0 for j in range(m)] for T in terms])
    cov = (basis * var) @ basis.T
    cov[np.arange(P), np.arange(P)] += 1e-9 * cov[P, P]
    cross = (basis * var) @ shapley
    inv = np.linalg.inv(cov)
    coef = np.linalg.solve(t.T @ inv @ t, t.T @ inv @ odd)
    return 2.0 * coef + cross.T @ inv @ (odd - t @ coef)


def test_the_closed_form_covariances_equal_the_explicit_walsh_sums():
    rng = np.random.default_rng(0)
    m = 7
    reps = _enumeration(m)[0][1:-1]
    reps = reps[reps[:, 0]][rng.choice(31, size=20, replace=False)]  # 20 of the 63 pairs, each once
    lam = rng.uniform(0.05, 0.9, size=m)
    odd = rng.normal(size=21)
    np.testing.assert_allclose(_estimate(reps, lam, odd[None])[0], _brute_force(reps, lam, odd), atol=1e-7)


def test_every_pair_observed_gives_the_exact_values_whatever_the_weights():
    m = 6
    masks = _enumeration(m)[0]
    v = np.random.default_rng(1).normal(size=2**m)
    rep = np.flatnonzero(masks[:, 0])[:-1]  # every pair but (all, empty), by its member holding feature 0
    comp = (2**m - 1) ^ rep
    odd = np.r_[0.5 * (v[rep] - v[comp]), 0.5 * (v[-1] - v[0])]
    lam = np.array([0.9, 0.05, 0.3, 0.6, 0.2, 0.1])
    np.testing.assert_allclose(_estimate(masks[rep], lam, odd[None])[0], _exact(v[None], m)[0], atol=1e-6)


def test_the_weights_follow_the_first_values_and_stay_in_range():
    lam = weights_from(-np.linspace(0.0, 2.0, 12)[None, None])
    assert lam.shape == (1, 12) and np.all(np.diff(lam) > 0) and lam[0, 0] > 0
    np.testing.assert_allclose(lam.mean(), SCALE / 12)  # none capped here
    lam = weights_from(np.r_[0.0, 1.0, 30.0, np.zeros(9)][None, None])
    assert np.all((lam > 0) & (lam < 1)) and lam[0, 2] > lam[0, 1] > lam[0, 0] == lam[0, 3]
    np.testing.assert_allclose(weights_from(np.zeros((1, 2, 8))), SCALE / 8)  # no information: equal weights
    assert np.isfinite(weights_from(np.zeros((1, 1, 40)))).all()


def test_relevance_is_exact_for_a_pairwise_model_and_additive_for_any():
    X, bg, w = data(12, n_rows=3)
    exact = shapley_values(pairwise, X, bg, w, exact_max_features=12).phi
    refined = shapley_values(pairwise, X, bg, w, relevance=True).phi
    np.testing.assert_allclose(refined, exact, rtol=0, atol=1e-7)
    result = shapley_values(nonlinear, X, bg, w, relevance=True)
    np.testing.assert_allclose(result.phi.sum(-1) + result.expected[:, None], nonlinear(X)[None], atol=1e-10)


def test_relevance_lowers_the_error_against_exact_enumeration():
    # a smooth model: measured 0.37x (on the tests' ``nonlinear`` game 1.15x: see _kernel_ard)
    f = smooth
    X, bg, w = data(12, n_rows=6, n_bg=10, seed=2)
    exact = shapley_values(f, X, bg, w, exact_max_features=12).phi
    errors = {}
    for relevance in (False, True):
        phi = np.array([shapley_values(f, X, bg, w, n_samples=384, exact_max_features=0, random_state=seed,
                                       relevance=relevance).phi for seed in range(3)])
        errors[relevance] = np.sqrt(((phi - exact) ** 2).mean())
    assert errors[True] < 0.6 * errors[False]


def test_the_explainer_records_the_option_and_keeps_its_state():
    X, bg, _ = data(12, n_rows=2, n_bg=8)
    explainer = KernelShap(smooth, bg, relevance=True, exact_max_features=0, progress=False)
    before = dict(vars(explainer))
    first = explainer.explain(X)
    assert first.params["relevance"] is True
    np.testing.assert_array_equal(explainer.explain(X).local, first.local)
    assert vars(explainer).keys() == before.keys() and all(vars(explainer)[k] is before[k] for k in before)
    plain = KernelShap(smooth, bg, exact_max_features=0, progress=False).explain(X)
    assert plain.params["relevance"] is False and not np.array_equal(plain.local, first.local)
    with pytest.raises(InvalidParameterError, match="relevance must be True or False"):
        KernelShap(smooth, bg, relevance="yes")
