"""Comparing explanations: noise is not a change, a removed signal is, new and missing features are said."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from comparison_cases import cases
from numpy.testing import assert_allclose, assert_array_equal
from scipy.stats import wasserstein_distance

from explain_lib import Explanation, InvalidInputError, InvalidParameterError, LinearShap
from explain_lib.report.comparison import compare_explanations
from explain_lib.report.comparison._compute import _holm, _wasserstein_permutation

FAST = {"n_permutations": 499, "n_bootstrap": 100}  # 499: the smallest p (0.002) survives Holm over 10 features


def test_the_same_model_and_data_explained_twice_flag_nothing():
    c = cases()
    comparison = compare_explanations(c.base, c.base_again, **FAST)
    assert comparison.flagged == []
    assert_array_equal(comparison.features["delta"], 0.0)
    assert_array_equal(comparison.features["rank_shift"], 0)
    assert comparison.features.loc[comparison.features["tested"], "p_value"].eq(1.0).all()
    assert comparison.top_unchanged(5) and comparison.max_rank_shift == 0
    assert len(comparison.appeared) == 0 and len(comparison.vanished) == 0 and comparison.notes == ()


def test_the_same_model_on_other_rows_of_the_same_data_flags_nothing():
    """Sampling noise moves importances (the bands show it) but is not called a change."""
    c = cases()
    comparison = compare_explanations(c.base, c.base_other_rows, **FAST)
    tested = comparison.features[comparison.features["tested"]]
    assert (tested["delta"] != 0).all()  # the rows differ ...
    assert comparison.flagged == []  # ... and nothing is flagged
    assert tested["p_adjusted"].min() > 0.05
    assert comparison.top_unchanged(5)


def test_a_feature_shuffled_before_retraining_is_flagged_with_a_negative_delta():
    c = cases()
    comparison = compare_explanations(c.base, c.shuffled, **FAST)
    row = comparison.features.set_index("feature").loc["x1"]
    assert comparison.flagged[0] == "x1"  # the largest change, first
    assert row["delta"] < 0 and row["delta_high"] < 0  # the retrained model relies on x1 less
    assert row["rank_a"] == 2 and row["rank_b"] > 5 and row["rank_shift"] < -3
    assert not comparison.top_unchanged(5)
    assert comparison.max_rank_shift >= abs(row["rank_shift"])


def test_a_new_feature_is_reported_as_appeared_and_the_rest_compared_on_the_intersection():
    c = cases()
    comparison = compare_explanations(c.base, c.extended, **FAST)
    assert list(comparison.appeared["feature"]) == ["x_new"]
    assert comparison.appeared.iloc[0]["rank"] == 1  # the label now leans on it most
    assert comparison.appeared.iloc[0]["importance"] == c.extended.global_importance()["x_new"]
    assert len(comparison.vanished) == 0 and set(comparison.features["feature"]) == set(c.base.features)
    assert any("compared on the 10 they share" in note for note in comparison.notes)
    assert not comparison.top_unchanged(5)
    reverse = compare_explanations(c.extended, c.base, **FAST)
    assert list(reverse.vanished["feature"]) == ["x_new"]


def test_importances_ranks_and_deltas_are_the_explanations_own():
    c = cases()
    comparison = compare_explanations(c.base, c.shuffled, **FAST)
    table = comparison.features.set_index("feature")
    for name in c.base.features:
        assert table.at[name, "importance_a"] == c.base.global_importance()[name]
        assert table.at[name, "importance_b"] == c.shuffled.global_importance()[name]
        assert table.at[name, "rank_a"] == list(c.base.global_importance().index).index(name) + 1
        assert table.at[name, "rank_b"] == list(c.shuffled.global_importance().index).index(name) + 1
    assert_allclose(table["delta"], table["importance_b"] - table["importance_a"])
    assert ((table["delta_low"] <= table["delta"] + 1e-12) | ~table["tested"]).all()


def test_the_same_options_give_the_same_comparison():
    c = cases()
    first = compare_explanations(c.base, c.base_other_rows, **FAST)
    again = compare_explanations(c.base, c.base_other_rows, **FAST)
    pd.testing.assert_frame_equal(first.features, again.features)


def test_per_class_shifts_use_each_class_importance():
    c = cases()
    comparison = compare_explanations(c.base, c.shuffled, **FAST)
    per_class = comparison.per_class.set_index(["class", "feature"])
    for k, cls in enumerate(c.base.classes):
        for j, name in enumerate(c.base.features):
            assert per_class.at[(str(cls), name), "importance_a"] == c.base.per_class[k, j]


def test_cohorts_compare_the_importance_of_their_rows():
    c = cases()
    comparison = compare_explanations(c.base, c.shuffled, cohorts={"x0 above 0": "x0 > 0", "none": "x0 > 99"}, **FAST)
    table = comparison.cohorts["x0 above 0"].set_index("feature")
    mask = c.X_eval["x0"].to_numpy() > 0
    expected = c.shuffled.cohort(mask).global_importance()
    assert_allclose(table.loc[expected.index, "importance_b"], expected.to_numpy())
    assert comparison.cohort_rows["x0 above 0"] == (int(mask.sum()), int(mask.sum()))
    assert "none" not in comparison.cohorts and any("'none' has no rows" in note for note in comparison.notes)
    with pytest.raises(InvalidParameterError, match="Cohort 'bad'"):
        compare_explanations(c.base, c.shuffled, cohorts={"bad": "no_such_column > 1"}, **FAST)


def test_wasserstein_distance_matches_scipy_and_identical_samples_get_p_one():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(1, 50, 3)), rng.normal(loc=0.5, size=(1, 70, 3))
    distance, p_value = _wasserstein_permutation(a, b, 99, rng)
    assert_allclose(distance, [wasserstein_distance(a[0, :, j], b[0, :, j]) for j in range(3)], rtol=1e-12)
    _, same = _wasserstein_permutation(a, a, 99, rng)
    assert_array_equal(same, 1.0)
    assert p_value.min() >= 1 / 100


def test_holm_adjusts_like_the_textbook_example():
    assert_allclose(_holm(np.array([0.01, 0.04, 0.03, 0.005])), [0.03, 0.06, 0.06, 0.02])


def test_regression_against_classification_is_refused():
    c = cases()
    from sklearn.linear_model import LinearRegression

    regression = LinearShap(LinearRegression().fit(c.X, c.X["x0"] * 2.0), c.X).explain(c.X_eval)
    with pytest.raises(InvalidInputError, match="Cannot compare a classification explanation .* with a regression"):
        compare_explanations(c.base, regression)


def test_other_output_spaces_no_common_feature_and_bad_options_are_refused():
    c = cases()
    probability = dataclasses.replace(c.base, output_space="probability")
    with pytest.raises(InvalidInputError, match="margin space .* probability space"):
        compare_explanations(c.base, probability)
    renamed = dataclasses.replace(c.base, features=tuple(f"other_{name}" for name in c.base.features), data=None)
    with pytest.raises(InvalidInputError, match="no feature in common"):
        compare_explanations(c.base, renamed)
    with pytest.raises(InvalidParameterError, match="alpha"):
        compare_explanations(c.base, c.base, alpha=2)
    with pytest.raises(InvalidParameterError, match="must be an explain_lib Explanation"):
        compare_explanations(c.base, "not an explanation")


def test_a_global_only_explanation_is_compared_without_band_or_flags():
    c = cases()
    global_only = Explanation(local=None, expected=None, features=c.base.features, task="classification",
                              output_space="margin", method="pfi", classes=c.base.classes,
                              global_=np.asarray(c.shuffled.global_))
    comparison = compare_explanations(c.base, global_only, **FAST)
    assert comparison.flagged == [] and comparison.features["delta_low"].isna().all()
    assert not comparison.top_unchanged(5)  # x1 left the top 5, and there is no band to call that noise
    assert any("no uncertainty band" in note for note in comparison.notes)


def test_features_a_top_k_upload_did_not_store_are_not_called_vanished():
    c = cases()
    top = list(c.shuffled.global_importance(top_k=4).index)
    keep = [c.shuffled.features.index(name) for name in top]
    stored = dataclasses.replace(c.shuffled, features=tuple(top), local=c.shuffled.local[:, :, keep],
                                 global_=None, per_class=None, data=c.shuffled.data[top],
                                 params={"uploaded_top_k_of": 10})
    comparison = compare_explanations(c.base, stored, **FAST)
    assert len(comparison.vanished) == 0 and len(comparison.features) == 4
    assert any("B was uploaded with only its top 4 of 10 features" in note for note in comparison.notes)
