"""PFIExplainer on scikit-learn forests: the path-reusing permuter gives the forest's own outputs bit for bit,
so importances equal scikit-learn's permutation_importance in every repeat; other models and inputs fall
back to calling the model, and the caller's rows are never changed."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import ExtraTreesRegressor, RandomForestClassifier, RandomForestRegressor
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import explain_lib.explainers._forest_permutation as forest_permutation
import explain_lib.explainers.pfi as pfi
from explain_lib.explainers._forest_permutation import ForestPermuter, forest_permuter
from explain_lib.explainers.pfi import PFIExplainer

X_BIN, Y_BIN = make_classification(n_samples=300, n_features=8, n_informative=4, random_state=0)
X_MULTI, Y_MULTI = make_classification(n_samples=300, n_features=8, n_informative=5, n_classes=3, random_state=1)
X_REG, Y_REG = make_regression(n_samples=300, n_features=8, n_informative=4, noise=3.0, random_state=2)
X_NAN = X_BIN.copy()
X_NAN[::7, 1] = np.nan  # forests route missing values by each split's learned side
X_NAN[::5, 4] = np.nan
# min_samples_leaf=3 leaves impure leaves, so outputs are sums of non-dyadic fractions (order matters)
FOREST = RandomForestClassifier(n_estimators=15, min_samples_leaf=3, random_state=0).fit(X_BIN, Y_BIN)
FOREST_MULTI = RandomForestClassifier(n_estimators=15, min_samples_leaf=3, random_state=0).fit(X_MULTI, Y_MULTI)
FOREST_NAN = RandomForestClassifier(n_estimators=15, random_state=0).fit(X_NAN, Y_BIN)
EXTRA = ExtraTreesRegressor(n_estimators=15, random_state=0).fit(X_REG, Y_REG)
FRAME = pd.DataFrame(X_BIN, columns=[f"c{j}" for j in range(8)])
LOGISTIC_FRAME = LogisticRegression().fit(FRAME, Y_BIN)


class _OwnForest(RandomForestClassifier):
    """A subclass may predict differently: the permuter must leave it to its own predict."""


@pytest.mark.parametrize("model, X, y, metric, scoring", [
    (FOREST, X_BIN, Y_BIN, None, None),
    (FOREST_MULTI, X_MULTI, Y_MULTI, None, None),
    (FOREST_NAN, X_NAN, Y_BIN, None, None),
    (EXTRA, X_REG, Y_REG, "mean_squared_error", "neg_mean_squared_error"),
])
def test_forest_importances_equal_sklearn_exactly_in_every_repeat(model, X, y, metric, scoring):
    assert forest_permuter(model, model.predict, X, n_threads=1) is not None
    ours = PFIExplainer(model, metric=metric, n_repeats=4, random_state=3, n_jobs=2).explain(X, y)
    theirs = permutation_importance(model, X, y, scoring=scoring, n_repeats=4, random_state=3)
    assert_array_equal(ours.global_repeats, theirs.importances)


@pytest.mark.parametrize("model, X, y, metric", [
    (FOREST, X_BIN, Y_BIN, "log_loss"), (FOREST_MULTI, X_MULTI, Y_MULTI, "roc_auc_ovr"),
    (FOREST_NAN, X_NAN, Y_BIN, "roc_auc"),
])
def test_probability_metrics_on_a_forest_equal_calling_the_model(model, X, y, metric, monkeypatch):
    """(Our metric table and scikit-learn's scorers can differ in the last bit: the test above uses
    metrics computed the same way.)"""
    ours = PFIExplainer(model, metric=metric, n_repeats=4, random_state=3).explain(X, y)
    monkeypatch.setattr(forest_permutation, "_FOREST_BYTES", 0)  # rows' leaves too large to keep: call the model
    assert_array_equal(ours.global_repeats,
                       PFIExplainer(model, metric=metric, n_repeats=4, random_state=3).explain(X, y).global_repeats)


@pytest.mark.parametrize("model, X, response", [
    (FOREST, X_BIN, "predict"), (FOREST_MULTI, X_MULTI, "predict_proba"), (FOREST_NAN, X_NAN, "predict_proba"),
    (EXTRA, X_REG, "predict"),
])
def test_permuted_outputs_are_the_forests_own_outputs_bit_for_bit(model, X, response):
    predict = getattr(model, response)
    orders = np.random.default_rng(0).permuted(np.tile(np.arange(len(X)), (70, 1)), axis=1)  # > 64: two blocks
    permuter = forest_permuter(model, predict, X, n_threads=2)
    assert permuter.matches(predict(X))
    for j in (0, 1, 4):
        outputs = permuter.permuted(j, orders)
        for r in (0, 33, 69):
            shuffled = X.copy()
            shuffled[:, j] = X[orders[r], j]
            assert_array_equal(outputs[r], predict(shuffled))


def test_other_models_and_inputs_are_left_to_the_model():
    assert forest_permuter(_OwnForest(n_estimators=3, random_state=0).fit(X_BIN, Y_BIN), None, X_BIN, n_threads=1) \
        is None
    pipeline = make_pipeline(StandardScaler(), RandomForestClassifier(n_estimators=3, random_state=0)).fit(X_BIN, Y_BIN)
    assert forest_permuter(pipeline, pipeline.predict, X_BIN, n_threads=1) is None
    assert forest_permuter(FOREST, FOREST.apply, X_BIN, n_threads=1) is None  # not a response the permuter gives
    assert forest_permuter(FOREST, FOREST.predict, X_BIN.astype(np.int64), n_threads=1) is None
    multi_output = RandomForestRegressor(n_estimators=3, random_state=0).fit(X_REG, np.c_[Y_REG, Y_REG])
    assert forest_permuter(multi_output, multi_output.predict, X_REG, n_threads=1) is None


@pytest.mark.parametrize("model, X", [
    (_OwnForest(n_estimators=10, random_state=0).fit(X_BIN, Y_BIN), X_BIN),  # threads itself (n_jobs)
    (make_pipeline(StandardScaler(), RandomForestClassifier(n_estimators=10, random_state=0)).fit(X_BIN, Y_BIN),
     X_BIN),
    (LOGISTIC_FRAME, FRAME),
])
def test_models_called_directly_still_equal_sklearn_in_every_repeat(model, X):
    n_jobs = 2 if pfi._threads_itself(model) else 1  # (processes are tested in test_pfi.py)
    ours = PFIExplainer(model, n_repeats=3, random_state=5, n_jobs=n_jobs).explain(X, Y_BIN)
    theirs = permutation_importance(model, X, Y_BIN, n_repeats=3, random_state=5)
    assert_array_equal(ours.global_repeats, theirs.importances)


def test_forests_use_the_permuter_unless_it_disagrees_with_the_model_or_does_not_fit(monkeypatch):
    calls = []
    original = pfi.forest_scores
    monkeypatch.setattr(pfi, "forest_scores", lambda *a, **k: calls.append(1) or original(*a, **k))
    expected = permutation_importance(FOREST, X_BIN, Y_BIN, n_repeats=2, random_state=0).importances
    assert_array_equal(PFIExplainer(FOREST, n_repeats=2).explain(X_BIN, Y_BIN).global_repeats, expected)
    assert calls == [1]
    with monkeypatch.context() as patch:  # one output off by a class: the model is called instead
        patch.setattr(ForestPermuter, "unpermuted", lambda self: FOREST.predict(X_BIN)[::-1])
        assert_array_equal(PFIExplainer(FOREST, n_repeats=2).explain(X_BIN, Y_BIN).global_repeats, expected)
    monkeypatch.setattr(forest_permutation, "_FOREST_BYTES", 0)  # rows' leaves too large to keep: call the model
    assert_array_equal(PFIExplainer(FOREST, n_repeats=2).explain(X_BIN, Y_BIN).global_repeats, expected)
    assert calls == [1]


@pytest.mark.parametrize("model, X", [
    (FOREST, X_BIN.copy()),
    (LogisticRegression().fit(X_BIN, Y_BIN), X_BIN.copy()),
    (LOGISTIC_FRAME, FRAME.copy()),
])
def test_the_callers_rows_are_left_untouched(model, X):
    before = X.copy()
    PFIExplainer(model, n_repeats=3).explain(X, Y_BIN)
    if isinstance(X, pd.DataFrame):
        pd.testing.assert_frame_equal(X, before)
    else:
        assert_array_equal(X, before)
