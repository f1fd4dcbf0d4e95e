"""PFIExplainer: informative features rank first, exact agreement with scikit-learn's
permutation_importance, metric signs and names, determinism, input errors, DataFrame pipelines and
interpret-community's call signature."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, log_loss, mean_absolute_error, mean_squared_error
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

import explain_lib.explainers.pfi as pfi
from explain_lib.errors import InvalidInputError, InvalidParameterError
from explain_lib.explainers.pfi import PFIExplainer


def _two_of_ten(task):
    """10 standard-normal features; the target depends on x0 and x1 only. (train X, y), (test X, y)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 10))
    if task == "regression":
        y = 2 * X[:, 0] + 2 * np.sin(2 * X[:, 1]) + 0.1 * rng.normal(size=1000)
    else:
        y = (X[:, 0] + X[:, 1] ** 2 > 1).astype(int)
    return (X[:500], y[:500]), (X[500:], y[500:])


BINARY = make_classification(n_samples=400, n_features=6, n_informative=3, random_state=0)
MULTI = make_classification(n_samples=400, n_features=6, n_informative=4, n_classes=3, random_state=1)
REG = make_regression(n_samples=400, n_features=6, n_informative=3, noise=5.0, random_state=2)
FOREST = RandomForestClassifier(n_estimators=20, random_state=0).fit(*BINARY)
FOREST_MULTI = RandomForestClassifier(n_estimators=20, random_state=0).fit(*MULTI)
LOGISTIC = LogisticRegression().fit(*BINARY)
REGRESSOR = RandomForestRegressor(n_estimators=20, random_state=0).fit(*REG)


@pytest.mark.parametrize("task, model, bound, informative_floor", [
    # R^2 units: noise features stay within 0.01 (observed <= 0.0015), the two informative above 0.3
    ("regression", GradientBoostingRegressor(random_state=0), 0.01, 0.3),
    ("regression", RandomForestRegressor(n_estimators=50, random_state=0), 0.01, 0.3),
    # accuracy units on 500 rows: noise within 0.015 (7 rows; observed <= 0.0044), informative above 0.1
    ("classification", RandomForestClassifier(n_estimators=50, random_state=0), 0.015, 0.1),
])
def test_the_two_informative_features_rank_first_and_the_other_eight_are_near_zero(task, model, bound,
                                                                                    informative_floor):
    (X_train, y_train), (X_test, y_test) = _two_of_ten(task)
    metric = "r2" if task == "regression" else None
    explanation = PFIExplainer(model.fit(X_train, y_train), metric=metric).explain(X_test, y_test)
    assert set(explanation.get_ranked_global_names(top_k=2)) == {"x0", "x1"}
    assert np.all(explanation.global_[:2] > informative_floor)
    assert np.all(np.abs(explanation.global_[2:]) < bound)


@pytest.mark.parametrize("model, data, metric, scoring", [
    (FOREST, BINARY, None, None),
    (FOREST, BINARY, "roc_auc", "roc_auc"),
    (FOREST, BINARY, "log_loss", "neg_log_loss"),
    (LOGISTIC, BINARY, "average_precision", "average_precision"),
    (FOREST, BINARY, "jaccard", "jaccard"),  # a name only scikit-learn's scorer knows
    (FOREST_MULTI, MULTI, "f1_macro", "f1_macro"),
    (FOREST_MULTI, MULTI, "roc_auc_ovr", "roc_auc_ovr"),
    (FOREST, BINARY, "roc_auc_ovo_weighted", "roc_auc_ovo_weighted"),
    (REGRESSOR, REG, None, "neg_mean_absolute_error"),  # interpret-community's regression default
    (REGRESSOR, REG, "mean_squared_error", "neg_mean_squared_error"),
    (REGRESSOR, REG, "neg_median_absolute_error", "neg_median_absolute_error"),
])
def test_agrees_exactly_with_sklearn_permutation_importance(model, data, metric, scoring):
    X, y = data
    explanation = PFIExplainer(model, metric=metric, n_repeats=4, random_state=7).explain(X, y)
    expected = permutation_importance(model, X, y, scoring=scoring, n_repeats=4, random_state=7)
    assert_allclose(explanation.global_, expected.importances_mean, rtol=1e-12, atol=1e-12)
    assert_allclose(explanation.global_std, expected.importances_std, rtol=1e-12, atol=1e-12)
    assert_allclose(explanation.global_repeats, expected.importances, rtol=1e-12, atol=1e-12)


def test_agrees_exactly_with_sklearn_on_a_dataframe_pipeline_with_string_columns():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({
        "colour": rng.choice(["red", "green", "blue"], size=300),
        "size": rng.normal(size=300),
        "noise": rng.normal(size=300),
    })
    y = ((frame["colour"] == "red") | (frame["size"] > 1)).astype(int).to_numpy()
    encode = ColumnTransformer([("onehot", OneHotEncoder(), ["colour"])], remainder="passthrough")
    model = make_pipeline(encode, RandomForestClassifier(n_estimators=20, random_state=0)).fit(frame, y)
    before = frame.copy()
    explanation = PFIExplainer(model, random_state=2).explain(frame, y)
    expected = permutation_importance(model, frame, y, n_repeats=5, random_state=2)
    assert explanation.features == ("colour", "size", "noise")
    assert_allclose(explanation.global_, expected.importances_mean, rtol=1e-12, atol=1e-12)
    assert explanation.get_ranked_global_names(top_k=1) == ["colour"]
    pd.testing.assert_frame_equal(frame, before)  # the caller's frame is not modified


def test_error_metrics_are_sign_flipped_so_informative_features_are_positive():
    X, y = REG
    explanation = PFIExplainer(REGRESSOR, metric="mean_squared_error").explain(X, y)
    assert explanation.params["greater_is_better"] is False
    assert explanation.params["baseline_score"] == pytest.approx(mean_squared_error(y, REGRESSOR.predict(X)))
    assert explanation.global_.max() > 0.1 * explanation.params["baseline_score"]
    negated_name = PFIExplainer(REGRESSOR, metric="neg_mean_squared_error").explain(X, y)
    assert_array_equal(negated_name.global_, explanation.global_)


def test_callable_metric_receives_predict_output_and_matches_the_named_metric():
    X, y = BINARY
    received = []

    def accuracy(y_true, y_pred):
        received.append(y_pred)
        return accuracy_score(y_true, y_pred)

    by_function = PFIExplainer(FOREST, metric=accuracy).explain(X, y)
    assert_array_equal(received[0], FOREST.predict(X))
    assert by_function.params["metric"] == "accuracy"
    assert_array_equal(by_function.global_, PFIExplainer(FOREST, metric="accuracy").explain(X, y).global_)


def test_callable_error_metric_and_probabilities_follow_interpret_community_flags():
    X, y = REG
    mae = PFIExplainer(REGRESSOR, metric=mean_absolute_error, is_error_metric=True).explain(X, y)
    assert_allclose(mae.global_, PFIExplainer(REGRESSOR, metric="mean_absolute_error").explain(X, y).global_)
    Xc, yc = BINARY
    by_proba = PFIExplainer(FOREST, metric=log_loss, is_error_metric=True,
                            for_classifier_use_predict_proba=True).explain(Xc, yc)
    assert_allclose(by_proba.global_, PFIExplainer(FOREST, metric="log_loss").explain(Xc, yc).global_)


def test_metric_args_reach_the_metric():
    X, y = MULTI
    weighted = PFIExplainer(FOREST_MULTI, metric="f1", metric_args={"average": "weighted"}).explain(X, y)
    assert_array_equal(weighted.global_, PFIExplainer(FOREST_MULTI, metric="f1_weighted").explain(X, y).global_)


def test_n_jobs_does_not_change_the_result():
    X, y = BINARY
    one = PFIExplainer(FOREST, n_jobs=1).explain(X, y)
    two = PFIExplainer(FOREST, n_jobs=2).explain(X, y)
    assert_array_equal(one.global_, two.global_)
    assert_array_equal(one.global_repeats, two.global_repeats)


def test_same_seed_gives_the_same_result_and_another_seed_differs():
    X, y = REG
    first, second = (PFIExplainer(REGRESSOR, random_state=5).explain(X, y) for _ in range(2))
    assert_array_equal(first.global_, second.global_)
    other = PFIExplainer(REGRESSOR, random_state=6).explain(X, y)
    assert not np.array_equal(first.global_, other.global_)


def test_one_predict_per_repeat_gives_the_same_result_as_stacked_repeats(monkeypatch):
    X, y = BINARY
    stacked = PFIExplainer(FOREST, metric="roc_auc").explain(X, y)
    monkeypatch.setattr(pfi, "_STACK_BYTES", 0)  # too small to stack: permute in place, one call per repeat
    assert_array_equal(PFIExplainer(FOREST, metric="roc_auc").explain(X, y).global_, stacked.global_)


def test_sparse_input_gives_the_dense_result():
    X, y = REG
    X = np.where(np.abs(X) < 0.5, 0.0, X)
    model = Ridge().fit(X, y)
    dense = PFIExplainer(model).explain(X, y)
    assert_allclose(PFIExplainer(model).explain(sp.csr_matrix(X), y).global_, dense.global_, rtol=1e-10)


def test_explain_subset_explains_those_columns_with_the_full_run_values():
    X, y = BINARY
    full = PFIExplainer(FOREST).explain(X, y)
    subset = PFIExplainer(FOREST, explain_subset=[4, 1]).explain(X, y)
    assert subset.features == ("x4", "x1")
    assert_array_equal(subset.global_, full.global_[[4, 1]])


def test_explanation_is_global_only_with_the_metric_details_in_params():
    X, y = MULTI
    explanation = PFIExplainer(FOREST_MULTI, n_repeats=3, features=list("abcdef")).explain(X, y)
    assert explanation.local is None and explanation.expected is None and explanation.per_class is None
    assert (explanation.method, explanation.output_space, explanation.task) == ("pfi", "metric", "classification")
    assert explanation.classes == (0, 1, 2)
    assert explanation.features == tuple("abcdef")
    params = explanation.params
    assert (params["metric"], params["n_repeats"], params["random_state"]) == ("accuracy", 3, 0)
    assert params["baseline_score"] == accuracy_score(y, FOREST_MULTI.predict(X))
    assert np.shape(explanation.global_repeats) == (6, 3)
    assert_allclose(explanation.global_std, np.std(explanation.global_repeats, axis=1))
    assert_allclose(explanation.global_, np.mean(explanation.global_repeats, axis=1))
    assert explanation.is_raw is False


def test_a_plain_function_is_scored_on_its_output():
    X, y = BINARY
    explanation = PFIExplainer(FOREST.predict, is_function=True, model_task="classification").explain(X, y)
    assert_array_equal(explanation.global_, PFIExplainer(FOREST).explain(X, y).global_)
    assert explanation.classes == (0, 1)
    with pytest.raises(InvalidParameterError, match="model_task"):
        PFIExplainer(FOREST.predict, is_function=True)


def test_explain_local_raises_a_global_only_error():
    with pytest.raises(InvalidParameterError, match="global only.*TreeShap"):
        PFIExplainer(FOREST).explain_local(BINARY[0])


def test_missing_or_misshapen_labels_raise_clear_errors():
    X, y = BINARY
    with pytest.raises(InvalidInputError, match="needs the true labels"):
        PFIExplainer(FOREST).explain(X)
    with pytest.raises(InvalidInputError, match="needs the true labels"):
        PFIExplainer(FOREST).explain_global(X)
    with pytest.raises(InvalidInputError, match=r"y has shape \(399,\) but X has 400 rows"):
        PFIExplainer(FOREST).explain(X, y[:-1])


def test_unknown_metric_name_lists_the_valid_names_and_suggests_the_closest():
    with pytest.raises(InvalidParameterError, match=r"Did you mean 'accuracy'\?.*Valid names: .*log_loss"):
        PFIExplainer(FOREST, metric="acuracy")


def test_a_metric_for_the_other_task_is_rejected():
    with pytest.raises(InvalidParameterError, match="scores classification, but the model does regression"):
        PFIExplainer(REGRESSOR, metric="accuracy")


def test_transformations_that_cannot_transform_rows_are_refused_up_front():
    with pytest.raises(InvalidParameterError, match="ColumnTransformer"):
        PFIExplainer(FOREST, transformations="any")


def test_interpret_community_call_runs_unchanged():
    X, y = BINARY
    explanation = PFIExplainer(FOREST, is_function=False, metric="accuracy", seed=1,
                               show_progress=False).explain_global(X, true_labels=y)
    assert_array_equal(explanation.global_, PFIExplainer(FOREST, random_state=1).explain(X, y).global_)
    every_option = PFIExplainer(FOREST, is_function=False, metric=None, metric_args=None, is_error_metric=False,
                                explain_subset=None, features=None, classes=None, transformations=None,
                                allow_all_transformations=False, seed=0, for_classifier_use_predict_proba=False,
                                show_progress=True, model_task="unknown")
    assert_array_equal(every_option.explain_global(X, y).global_, PFIExplainer(FOREST).explain(X, y).global_)
    assert PFIExplainer(FOREST, metric="f1_score").explain(X, y).params["metric"] == "f1"


def test_unknown_keywords_and_positional_options_raise_type_error():
    with pytest.raises(TypeError, match="unexpected keyword argument 'n_repeat'"):
        PFIExplainer(FOREST, n_repeat=3)
    with pytest.raises(TypeError):
        PFIExplainer(FOREST, "accuracy")
