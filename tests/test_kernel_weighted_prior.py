"""Kernel SHAP's default kriging prior weights each feature by how far the model's output moves with it over
the background (``_kernel_calls.sensitivity``, ``_kernel_ard.prior_maps``)."""

from __future__ import annotations

import numpy as np
import pytest
from test_kernel_estimator import data, nonlinear, pairwise
from test_kernel_kriging import _rms_errors, smooth

from explain_lib.explainers import _kernel_ard, _kernel_estimator
from explain_lib.explainers._kernel_ard import _estimate, prior_maps, weights_from
from explain_lib.explainers._kernel_calls import sensitivity
from explain_lib.explainers._kernel_design import Designs
from explain_lib.explainers._kernel_estimator import _weighted_maps, shapley_values


def test_the_sensitivity_is_the_weighted_mean_move_of_each_output_and_zero_for_an_ignored_feature():
    _, bg, w = data(4, n_bg=7)

    def f(Z):
        return np.stack([2.0 * Z[:, 0] + Z[:, 2] * Z[:, 3], np.exp(Z[:, 3])], axis=1)

    following = np.roll(bg, -1, axis=0)
    out = sensitivity(f, bg, w, f(bg), max_batch_rows=10)  # 7 rows per feature: one feature per call
    expected = np.zeros((2, 4))
    for j in range(4):
        swapped = bg.copy()
        swapped[:, j] = following[:, j]
        expected[:, j] = w @ np.abs(f(swapped) - f(bg))
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    assert out[0, 1] == 0 and out[1, :3].tolist() == [0, 0, 0]  # what an output ignores does not move it
    np.testing.assert_allclose(out[0, 0], 2 * w @ np.abs(following[:, 0] - bg[:, 0]), rtol=1e-12)
    # the call make-up depends on the sizes only: all features at once gives the same values
    np.testing.assert_array_equal(sensitivity(f, bg, w, f(bg), max_batch_rows=10_000), out)


def test_a_design_map_is_the_estimate_it_replaces():
    # the map applied to a game's odd part equals the posterior mean computed from that odd part directly
    reps = Designs.build(12, 384, 0, 2).representatives()  # two background rows' designs: 192 pairs each
    lam = weights_from(np.linspace(0.0, 3.0, 12)[None])
    maps = prior_maps(reps, lam)
    odd = np.random.default_rng(1).normal(size=(2, 3, 193))
    for b in range(2):
        np.testing.assert_allclose(odd[b] @ maps[b].T, _estimate(reps[b], lam, odd[b]), rtol=1e-9, atol=1e-12)
    cached = _weighted_maps(12, 384, 0, 3, tuple(lam.tolist()))
    assert cached.shape == (3, 12, 193) and not cached.flags.writeable
    assert _weighted_maps(12, 384, 0, 3, tuple(lam.tolist())) is cached


def test_the_weighted_prior_is_exact_for_a_pairwise_model_and_additive_for_any():
    X, bg, w = data(12, n_rows=3)
    exact = shapley_values(pairwise, X, bg, w, exact_max_features=12).phi
    np.testing.assert_allclose(shapley_values(pairwise, X, bg, w, exact_max_features=0).phi, exact, atol=1e-7)
    result = shapley_values(nonlinear, X, bg, w, exact_max_features=0)
    np.testing.assert_allclose(result.phi.sum(-1) + result.expected[:, None], nonlinear(X)[None], atol=1e-10)


@pytest.mark.parametrize(("f", "bound"), [(smooth, 0.95), (nonlinear, 1.1)])
def test_weighting_by_sensitivity_beats_equal_weights_against_exact_enumeration(f, bound, monkeypatch):
    # ``nonlinear`` has features (8-11) that act mostly through a product of all four, where weighting by
    # first-pass importance did worse (1.33x); how far the output moves with a feature sees them. Measured
    # 0.86x (smooth) and 1.03x (nonlinear: on greedy designs, which resolve its four-way product, the weights
    # neither help nor hurt; 0.90x on herded ones); 0.89x on the LightGBM of benchmarks/kernel_shapiq.py
    # (the weights as they are: without the choice by cross-validation, which has equal weights among its
    # candidates, test_kernel_cross_validation)
    monkeypatch.setattr(_kernel_ard, "CV_FEATURES", 0)
    weighted, _ = _rms_errors(f, 12, 384, range(4), n_rows=8)
    monkeypatch.setattr(_kernel_estimator, "sensitivity",
                        lambda predict, background, w, bg_pred, rows: np.ones((bg_pred.shape[1], background.shape[1])))
    equal, _ = _rms_errors(f, 12, 384, range(4), n_rows=8)
    assert np.sqrt((weighted**2).mean()) < bound * np.sqrt((equal**2).mean())


def test_each_output_gets_its_maps_once_per_call_not_once_per_row(monkeypatch):
    X, bg, w = data(12, n_rows=5)
    built = []

    def counted(reps, lam):
        built.append(lam)
        return prior_maps(reps, lam)

    monkeypatch.setattr(_kernel_estimator, "prior_maps", counted)
    _weighted_maps.cache_clear()

    def many(Z):  # more outputs than the cache between calls holds: within a call each is built once
        return np.stack([np.tanh(nonlinear(Z) * (1 + k / 10)) + Z[:, k % 12] for k in range(20)], axis=1)

    result = shapley_values(many, X, bg, w, exact_max_features=0)
    # the maps of each prior the outputs' rows chose by cross-validation (outputs that chose equal weights
    # share theirs), each built once in the call
    assert len(built) == len({tuple(lam) for lam in built}) > 1
    for k in (0, 19):  # an output's values are those of the output alone
        single = shapley_values(lambda Z, k=k: many(Z)[:, k], X, bg, w, exact_max_features=0)
        np.testing.assert_allclose(single.phi[0], result.phi[k], rtol=0, atol=1e-10)
    _weighted_maps.cache_clear()


def test_an_output_whose_sensitivity_is_not_finite_gets_equal_weights_not_nan_values():
    X, bg, w = data(12, n_rows=2)
    following = np.roll(bg, -1, axis=0)
    odd_one = (bg[0, 0], following[0, 1])  # the pair only a swapped background row holds

    def f(Z):
        out = nonlinear(Z)
        return np.where((Z[:, 0] == odd_one[0]) & (Z[:, 1] == odd_one[1]), np.nan, out)

    result = shapley_values(f, X, bg, w, exact_max_features=0)
    assert np.isfinite(result.phi).all()
    np.testing.assert_allclose(result.phi.sum(-1) + result.expected[:, None], f(X)[None], atol=1e-10)
