"""Kernel SHAP's kriging priors take the scale of their weights (``_kernel_ard.SCALES``) that predicts each row's
games best when each observed pair is left out in turn (leave-one-out cross-validation, ``_kernel_ard._loo``)."""

from __future__ import annotations

import itertools

import lightgbm as lgb
import numpy as np
import pytest
from test_kernel_estimator import data, nonlinear

from explain_lib.explainers import _kernel_ard
from explain_lib.explainers._kernel_ard import CV_FEATURES, SCALES, best_prior, candidates, loo_operator
from explain_lib.explainers._kernel_design import Designs
from explain_lib.explainers._kernel_estimator import _enumeration, shapley_values


def _walsh(reps: np.ndarray, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(t, basis, variances) of the odd Walsh terms of degree >= 3 at the pairs ``reps`` and the full coalition."""
    m = reps.shape[1]
    t = np.vstack([2.0 * reps - 1.0, np.ones((1, m))])
    terms = [T for d in range(3, m + 1, 2) for T in itertools.combinations(range(m), d)]
    basis = np.stack([t[:, list(T)].prod(axis=1) for T in terms], axis=1)
    return t, basis, np.array([lam[list(T)].prod() for T in terms])


def test_the_leave_one_out_operator_is_the_error_of_refitting_without_the_pair():
    rng = np.random.default_rng(3)
    m = 7
    reps = _enumeration(m)[0][1:-1]
    reps = reps[reps[:, 0]][rng.choice(31, size=20, replace=False)]
    lam = rng.uniform(0.05, 0.9, size=m)
    t, basis, var = _walsh(reps, lam)
    cov = (basis * var) @ basis.T
    cov[np.arange(20), np.arange(20)] += 1e-9 * cov[20, 20]  # the sampled pairs' jitter, as the library's
    odd = rng.normal(size=21)
    loo = loo_operator(reps, lam)
    assert loo.shape == (20, 21)  # every pair of so small a design is left out once
    for i in range(20):  # universal kriging (flat degree 1) from the other 20 observations
        rest = np.delete(np.arange(21), i)
        inv = np.linalg.inv(cov[np.ix_(rest, rest)])
        coef = np.linalg.solve(t[rest].T @ inv @ t[rest], t[rest].T @ inv @ odd[rest])
        predicted = t[i] @ coef + cov[i, rest] @ inv @ (odd[rest] - t[rest] @ coef)
        np.testing.assert_allclose(loo[i] @ odd, odd[i] - predicted, rtol=1e-6, atol=1e-9)


def test_the_choice_finds_the_prior_the_games_are_drawn_from():
    m = 10
    designs = Designs.build(m, 200, 0, 8).representatives()  # 8 one-reference games, 100 pairs each
    priors = candidates(np.linspace(0.05, 0.6, m))  # these weights and equal ones, each times 1, 1/2 and 2
    assert len(priors) == 2 * len(SCALES)
    rng = np.random.default_rng(0)
    for truth, prior in enumerate(priors):
        for _ in range(3):
            errors = np.zeros((len(priors), len(designs), 64))
            for b, reps in enumerate(designs):
                t, basis, var = _walsh(reps, prior)
                odd = basis @ (rng.normal(size=len(var)) * np.sqrt(var)) + t @ rng.normal(size=m)
                errors[:, b] = [loo_operator(reps, candidate) @ odd for candidate in priors]
            assert best_prior(errors, np.full(len(designs), 1 / 8)) == truth


def _booster(m: int):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(3000, m))
    y = (X[:, 0] * X[:, 1] > 0) + np.sin(2 * X[:, 2]) * (X[:, 3] > 0) + X[:, 4] * (X[:, 5] + X[:, 6] > 0)
    booster = lgb.LGBMRegressor(n_estimators=100, num_leaves=15, verbose=-1, random_state=0).fit(X, y)
    return (lambda Z: booster.predict(np.asarray(Z, dtype=np.float64))), X[:10], X[1000:1006]


@pytest.mark.parametrize("relevance", [False, True])
def test_the_choice_lowers_the_error_on_a_tree_ensemble(relevance, monkeypatch):
    # measured 0.45x (default) and 0.59x (relevance=True); on a 12-feature LightGBM classifier like those of
    # benchmarks/kernel_shapiq.py 0.55x and 0.62x; on smooth models (MLPs) 0.89-1.0x
    f, bg, X = _booster(12)
    w = np.full(len(bg), 1 / len(bg))
    exact = shapley_values(f, X, bg, w, exact_max_features=12).phi
    errors = {}
    for limit in (0, CV_FEATURES):  # no choice: the weights as they are; then the choice
        monkeypatch.setattr(_kernel_ard, "CV_FEATURES", limit)
        phi = np.array([shapley_values(f, X, bg, w, exact_max_features=0, random_state=seed, relevance=relevance).phi
                        for seed in range(2)])
        errors[limit] = np.sqrt(((phi - exact) ** 2).mean())
    assert errors[CV_FEATURES] < 0.75 * errors[0]


def test_above_the_feature_limit_the_weights_stay_as_they_are(monkeypatch):
    # at the limit this game's rows choose another prior (the values change), above it they do not
    for m, changed in ((CV_FEATURES, True), (CV_FEATURES + 2, False)):
        X, bg, w = data(m, n_rows=2)
        chosen = shapley_values(nonlinear, X, bg, w, exact_max_features=0).phi
        monkeypatch.setattr(_kernel_ard, "CV_FEATURES", 0)
        fixed = shapley_values(nonlinear, X, bg, w, exact_max_features=0).phi
        monkeypatch.undo()
        assert (not np.array_equal(chosen, fixed)) is changed
