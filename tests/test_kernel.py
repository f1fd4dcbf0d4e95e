"""KernelShap: exact Shapley values by enumeration, additivity, background handling, task inference."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from shapley_reference import brute_force_shapley
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier, MLPRegressor

from explain_lib import KernelShap


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("n_features", [3, 6, 8])
def test_matches_exact_enumeration_for_a_nonlinear_model(n_features):
    X, y = make_regression(n_samples=300, n_features=n_features, random_state=1)
    model = MLPRegressor(hidden_layer_sizes=(16,), max_iter=200, random_state=0).fit(X, y)
    background = X[:7]
    weights = np.arange(1, 8, dtype=float)
    explanation = KernelShap(model, background, background_weights=weights).explain(X[100:103])
    for i in range(3):
        expected = brute_force_shapley(model.predict, X[100 + i], background, weights / weights.sum())
        assert_allclose(explanation.local[0, i], expected, atol=1e-9)
    assert explanation.params["estimator"] == "exact"


def test_feature_the_model_ignores_gets_zero():
    def f(X):
        return np.sin(X[:, 0]) + X[:, 1] * X[:, 2] + 0 * X[:, 3]

    rng = np.random.default_rng(0)
    background, rows = rng.normal(size=(20, 4)), rng.normal(size=(5, 4))
    explanation = KernelShap(f, background).explain(rows)
    assert np.all(explanation.local[0, :, 3] == 0.0)
    assert np.all(np.abs(explanation.local[0, :, :3]).sum(-1) > 0)


def test_feature_the_model_ignores_gets_near_zero_with_the_sampled_estimator():
    rng = np.random.default_rng(1)
    background, rows = rng.normal(size=(15, 12)), rng.normal(size=(4, 12))

    def f(X):
        return np.tanh(X[:, :11] @ np.linspace(-1, 1, 11)) + X[:, 0] * X[:, 1]

    explanation = KernelShap(f, background, n_samples=1500).explain(rows)
    assert explanation.params["estimator"] == "kernel_regression"
    # sampled coalitions leave a sampling error (0.1-0.6% of the largest value at this budget) on
    # every feature, the ignored one included; enumeration of all 2^12 coalitions gives exactly 0
    largest = np.abs(explanation.local[0]).max(axis=1)
    assert np.all(np.abs(explanation.local[0, :, 11]) <= 0.02 * largest)
    assert_allclose(explanation.local.sum(-1)[0] + explanation.expected[0], f(rows), atol=1e-9)
    exact = KernelShap(f, background, exact_max_features=12).explain(rows)
    assert np.all(exact.local[0, :, 11] == 0.0)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("kind", ["numpy", "pandas", "csr"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_additivity_on_predicted_probabilities(kind, n_classes):
    X, y = make_classification(n_samples=200, n_features=5, n_informative=3, n_classes=n_classes, random_state=0)
    columns = [f"c{j}" for j in range(5)]
    if kind == "pandas":
        X = pd.DataFrame(X, columns=columns)
    model = MLPClassifier(hidden_layer_sizes=(8,), max_iter=300, random_state=0).fit(X, y)
    rows = X[:6] if kind != "pandas" else X.iloc[:6]
    if kind == "csr":
        rows = sp.csr_matrix(rows)
    explanation = KernelShap(model, X[:30] if kind != "pandas" else X.iloc[:30]).explain(rows)
    assert explanation.output_space == "probability"
    assert explanation.classes == (0, 1) if n_classes == 2 else (0, 1, 2)
    assert_allclose(explanation.local.sum(-1) + explanation.expected[:, None], model.predict_proba(rows).T,
                    atol=1e-9)
    if kind == "pandas":
        assert explanation.features == tuple(columns)


def test_string_class_labels_are_kept():
    X, y = make_classification(n_samples=120, n_features=4, random_state=0)
    labels = np.where(y == 1, "yes", "no")
    model = LogisticRegression().fit(X, labels)
    explanation = KernelShap(model, X[:20]).explain(X[:3])
    assert explanation.classes == ("no", "yes")
    assert explanation.get_feature_importance_dict()


def test_large_numeric_background_is_summarized_by_weighted_kmeans():
    X, y = make_regression(n_samples=600, n_features=4, random_state=0)
    X[:, 3] = np.round(X[:, 3])  # an integer-coded feature keeps observed values

    def f(rows):
        return rows @ np.array([1.0, -2.0, 0.5, 3.0])

    explainer = KernelShap(f, X, n_background=25)
    assert explainer.summary == "kmeans"
    assert explainer.background.n_rows <= 25
    assert_allclose(explainer.background_weights.sum(), 1.0)
    assert set(np.unique(explainer.background.values[:, 3])) <= set(np.unique(X[:, 3]))
    explanation = explainer.explain(X[:5])
    assert explanation.params["background_summary"] == "kmeans"
    # for a linear function Shapley values are coef * (x - weighted background mean)
    mean = explainer.background_weights @ explainer.background.values
    assert_allclose(explanation.local[0], np.array([1.0, -2.0, 0.5, 3.0]) * (X[:5] - mean), atol=1e-9)


def test_mixed_type_background_is_summarized_by_a_seeded_sample():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"n": rng.normal(size=300), "s": rng.choice(["a", "b", "c"], 300)})

    def f(rows):
        rows = pd.DataFrame(rows, columns=["n", "s"])
        return rows["n"].to_numpy(dtype=float) + (rows["s"] == "b").to_numpy() * 2.0

    first = KernelShap(f, frame, n_background=40, model_task="regression", random_state=3)
    second = KernelShap(f, frame, n_background=40, model_task="regression", random_state=3)
    assert first.summary == "sample"
    assert first.background.values.equals(second.background.values)
    explanation = first.explain(frame.iloc[:5])
    assert_allclose(explanation.local.sum(-1)[0] + explanation.expected[0], f(frame.iloc[:5].to_numpy()),
                    atol=1e-9)


def test_plain_function_task_follows_its_output_shape():
    rng = np.random.default_rng(0)
    background = rng.normal(size=(10, 3))

    def probabilities(X):
        logits = np.stack([X[:, 0], X[:, 1] * X[:, 2], -X[:, 0]], axis=1)
        e = np.exp(logits - logits.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    explainer = KernelShap(probabilities, background)
    assert (explainer.task, explainer.classes) == ("classification", (0, 1, 2))  # settled at construction
    state = dict(vars(explainer))
    explanation = explainer.explain(background[:4])
    assert vars(explainer).keys() == state.keys() and all(vars(explainer)[k] is v for k, v in state.items())
    assert explanation.task == "classification"
    assert explanation.classes == (0, 1, 2)
    regression_explainer = KernelShap(lambda X: X.sum(1), background)
    assert (regression_explainer.task, regression_explainer.classes) == ("regression", None)
    regression = regression_explainer.explain(background[:4])
    assert regression.task == "regression"
    assert_allclose(regression.local[0], background[:4] - background.mean(0), atol=1e-12)


def test_same_seed_same_explanation():
    rng = np.random.default_rng(2)
    background, rows = rng.normal(size=(30, 12)), rng.normal(size=(3, 12))

    def f(X):
        return np.tanh(X @ np.linspace(-1, 1, 12)) * X[:, 0]

    first = KernelShap(f, background, random_state=5).explain(rows)
    second = KernelShap(f, background, random_state=5).explain(rows)
    assert np.array_equal(first.local, second.local)
