"""Seeded, prediction-stratified sampling of evaluation rows for global explanations."""

import lightgbm
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression

from explain_lib import InvalidParameterError, TabularExplainer, TreeShap
from explain_lib.explainers._base import stratified_positions


def test_strata_keep_their_proportions_and_every_stratum_is_represented():
    strata = np.array([0] * 900 + [1] * 90 + [2] * 10)
    rows = stratified_positions(strata, 100, random_state=0)
    assert rows.size == 100 and np.unique(rows).size == 100
    counts = np.bincount(strata[rows], minlength=3)
    assert counts.tolist() == [90, 9, 1]
    rare = stratified_positions(np.array([0] * 999 + [1]), 10, random_state=0)
    assert 999 in rare  # a one-row stratum still appears


def test_global_explanation_of_large_data_samples_by_predicted_class_and_records_it():
    X, y = make_classification(n_samples=3000, n_features=6, weights=[0.85, 0.15], random_state=0)
    model = lightgbm.LGBMClassifier(n_estimators=20, verbose=-1).fit(X, y)
    explainer = TreeShap(model)
    explanation = explainer.explain_global(X, max_rows=300, random_state=1)
    sampling = explanation.params["sampling"]
    assert sampling == {"policy": "stratified_by_prediction", "n_rows_total": 3000, "random_state": 1,
                        "n_rows_sampled": 300}
    assert explanation.local.shape[1] == 300
    predicted = model.predict(X)
    sampled_predicted = model.predict(explanation.data.to_numpy())
    assert abs(sampled_predicted.mean() - predicted.mean()) <= 1 / 300 + 1e-12
    again = explainer.explain_global(X, max_rows=300, random_state=1)
    assert np.array_equal(again.local, explanation.local)
    other = explainer.explain_global(X, max_rows=300, random_state=2)
    assert not np.array_equal(other.local, explanation.local)


def test_regression_samples_by_decile_of_the_prediction_through_a_pipeline_explainer():
    X, y = make_regression(n_samples=2000, n_features=4, random_state=0)
    frame = pd.DataFrame(X, columns=list("abcd"))
    model = lightgbm.LGBMRegressor(n_estimators=20, verbose=-1).fit(frame, y)
    explanation = TabularExplainer(model, frame).explain_global(frame, max_rows=200)
    assert explanation.params["sampling"]["n_rows_sampled"] == 200
    deciles = np.quantile(model.predict(frame), np.linspace(0, 1, 11)[1:-1])
    per_decile = np.bincount(np.searchsorted(deciles, model.predict(explanation.data)), minlength=10)
    assert per_decile.min() >= 19 and per_decile.max() <= 21


def test_small_data_is_not_sampled_and_bad_max_rows_is_refused():
    X, y = make_classification(n_samples=100, n_features=4, random_state=0)
    model = lightgbm.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, y)
    explanation = TreeShap(model).explain_global(X, max_rows=500)
    assert explanation.local.shape[1] == 100
    assert explanation.params["sampling"]["n_rows_sampled"] == 100
    with pytest.raises(InvalidParameterError, match="max_rows"):
        TreeShap(model).explain_global(X, max_rows=0)
