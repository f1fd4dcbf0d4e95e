"""Kernel SHAP's pairs allotted to the one-reference games by their difficulty (``relevance=True`` on few
features, ``_kernel_allotment``): the allotment itself, the nested designs it extends, and what it buys."""

from __future__ import annotations

import numpy as np
import pytest
from test_kernel_estimator import nonlinear
from test_kernel_kriging import smooth

from explain_lib.explainers import _kernel_estimator
from explain_lib.explainers._kernel_allotment import POWER, allot, allotted_values, applies
from explain_lib.explainers._kernel_ard import game_weights
from explain_lib.explainers._kernel_calls import sensitivity
from explain_lib.explainers._kernel_estimator import shapley_values
from explain_lib.explainers._kernel_greedy import greedy_pairs
from explain_lib.explainers._kernel_rows import steps


def test_the_allotment_spends_the_total_within_its_bounds_and_follows_the_difficulty():
    rng = np.random.default_rng(0)
    difficulty = rng.exponential(size=50) ** 3
    sizes = allot(difficulty, 50 * 224, 96, 448, 32)
    assert sizes.sum() == 50 * 224 and np.all(sizes % 32 == 0) and sizes.min() >= 96 and sizes.max() <= 448
    assert np.all(np.diff(sizes[np.argsort(difficulty, kind="stable")]) >= 0)  # harder never gets fewer
    inside = (sizes > 96) & (sizes < 448)  # unclipped: c difficulty^POWER, within a step
    c = np.median(sizes[inside] / difficulty[inside] ** POWER)
    assert np.abs(sizes[inside] - c * difficulty[inside] ** POWER).max() <= 32 * 1.5
    # no information, or none usable: equal shares
    for flat in (np.zeros(50), np.full(50, 7.0), np.full(50, np.nan)):
        np.testing.assert_array_equal(allot(flat, 50 * 224, 96, 448, 32), 224)
    # one game far harder than the rest takes the most a game may, the others share what is left
    sizes = allot(np.r_[1e12, np.ones(9)], 10 * 224, 96, 448, 32)
    assert sizes[0] == 448 and sizes.sum() == 2240 and np.ptp(sizes[1:]) <= 32


def test_a_nested_designs_first_picks_are_the_smaller_greedy_design():
    # every pair is a candidate at 12 features, so the greedy picks of 448 pairs start with those of 96
    np.testing.assert_array_equal(greedy_pairs(12, 448, 3, 896, 1)[:96], greedy_pairs(12, 96, 3, 896, 1))


def test_it_applies_to_few_features_with_room_to_allot():
    assert applies(12, 224) and applies(16, 224) and applies(10, 224)
    assert not applies(17, 224)  # beyond the prior's choice by cross-validation
    assert not applies(9, 224)  # 255 pairs in all: no room for twice the share
    assert not applies(12, 512)  # beyond greedy designs
    assert not applies(12, 96)  # a first stage of 41 pairs cannot fit 12 features' degree-1 terms well


def _near_and_far(n_bg: int = 20, seed: int = 0):
    """A row, and a background whose first half agrees with it on all but two features."""
    rng = np.random.default_rng(seed)
    x, bg = rng.normal(size=12), rng.normal(size=(n_bg, 12))
    bg[: n_bg // 2, 2:] = x[2:]
    return x, bg


def test_games_with_two_players_get_the_fewest_pairs_and_the_model_calls_stay_the_same():
    x, bg = _near_and_far()
    w = np.full(len(bg), 1.0 / len(bg))
    bg_pred = nonlinear(bg)[:, None]
    moves = sensitivity(lambda Z: nonlinear(Z)[:, None], bg, w, bg_pred, 10**6)
    lam = game_weights(moves, steps(x, bg))
    _, _, sizes = allotted_values(lambda Z: nonlinear(Z)[:, None], x, np.arange(12), bg, bg_pred, w, lam, 224, 0,
                                  10**6)
    # a game of two players has no odd part beyond degree 1: its leave-one-out residuals vanish
    assert np.all(sizes[:10] == 96) and sizes[10:].min() > 224 and sizes.sum() == 20 * 224

    calls = {}
    for allotted in (True, False):
        seen = []

        def counted(Z, seen=seen):
            seen.append(len(Z))
            return nonlinear(Z)

        original = _kernel_estimator.applies
        _kernel_estimator.applies = original if allotted else (lambda m, pairs: False)
        try:
            result = shapley_values(counted, x[None], bg, w, exact_max_features=0, relevance=True)
        finally:
            _kernel_estimator.applies = original
        calls[allotted] = sum(seen)
        assert result.n_samples[0] == 448
    assert calls[True] == calls[False]  # the same model evaluations, spent differently


@pytest.mark.parametrize("f", [nonlinear, smooth])
def test_allotting_lowers_the_error_against_exact_enumeration(f, monkeypatch):
    # measured 0.37x (nonlinear) and 0.39x (smooth) equal designs' RMS error, 6 rows x 3 seeds, half the
    # background near each row (on the benchmark models, with no such split, 0.66-0.91x)
    rows = [_near_and_far(seed=seed) for seed in range(6)]
    w = np.full(20, 1.0 / 20)
    errors = {}
    for allotted in (True, False):
        if not allotted:
            monkeypatch.setattr(_kernel_estimator, "applies", lambda m, pairs: False)
        total = 0.0
        for x, bg in rows:
            exact = shapley_values(f, x[None], bg, w, exact_max_features=12).phi
            phi = np.array([shapley_values(f, x[None], bg, w, exact_max_features=0, random_state=seed,
                                           relevance=True).phi for seed in range(3)])
            total += ((phi - exact) ** 2).mean()
        errors[allotted] = np.sqrt(total / len(rows))
    assert errors[True] < 0.6 * errors[False]


def test_the_error_estimate_is_of_the_true_errors_order_and_errs_on_the_safe_side():
    # measured 10-16x: the estimate is that of the exchangeable prior at each game's pairs (as on equal greedy
    # designs, where the prior each game chooses has taken the true error below it)
    x, bg = _near_and_far(n_bg=30, seed=7)
    w = np.full(30, 1.0 / 30)
    exact = shapley_values(nonlinear, x[None], bg, w, exact_max_features=12).phi
    ratios = []
    for seed in range(6):
        result = shapley_values(nonlinear, x[None], bg, w, exact_max_features=0, random_state=seed, relevance=True)
        ratios.append(result.error[0, 0] / np.sqrt(((result.phi - exact) ** 2).mean()))
    assert 1.0 < min(ratios) and max(ratios) < 30
