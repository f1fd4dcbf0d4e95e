"""Rows and models the explainers must refuse or match, through real explainers: the wrong number of columns,
other names, another order, duplicate names, NaN, malformed rows and unsupported models (the matrix of other
bad inputs is in test_bad_inputs.py)."""

from __future__ import annotations

import re

import lightgbm
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.svm import SVC

import explain_lib
from explain_lib.errors import (
    ExplainLibError,
    InvalidInputError,
    UnsupportedModelError,
)
from explain_lib.explainers import KernelShap, TreeShap

COLUMNS = ["a", "b", "c"]


def make_data(n_rows: int = 120, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n_rows, 3)), columns=COLUMNS)
    y = (X["a"] + 0.5 * X["b"] - 0.3 * X["c"] + 0.3 * rng.normal(size=n_rows) > 0).astype(int).to_numpy()
    return X, y


@pytest.fixture(scope="module")
def abc_data():
    return make_data()


@pytest.fixture(scope="module")
def lgbm(abc_data):
    X, y = abc_data
    return lightgbm.LGBMClassifier(n_estimators=15, num_leaves=7, min_child_samples=5, verbose=-1).fit(X, y)


@pytest.fixture(scope="module")
def tree(lgbm):
    return TreeShap(lgbm)


@pytest.fixture(scope="module")
def logistic_frame(abc_data):
    """A LogisticRegression fitted on the DataFrame (it records feature names a, b, c)."""
    X, y = abc_data
    return LogisticRegression().fit(X, y)


@pytest.fixture(scope="module")
def kernel(abc_data, logistic_frame):
    X, _ = abc_data
    return KernelShap(logistic_frame, X.iloc[:10])


def raised(call) -> Exception:
    with pytest.raises(ExplainLibError) as info:
        call()
    return info.value


# ----------------------------------------------------------------------- column count, names and order
@pytest.mark.parametrize("n_columns", [2, 4])
def test_wrong_number_of_columns_names_both_counts(tree, abc_data, n_columns):
    X, _ = abc_data
    rows = np.random.default_rng(1).normal(size=(4, n_columns))
    error = raised(lambda: tree.explain(rows))
    assert isinstance(error, InvalidInputError)
    message = str(error)
    assert re.search(rf"\b{n_columns}\b", message), message
    assert re.search(r"\b3\b", message), message


def test_kernel_wrong_number_of_columns_names_both_counts(kernel, abc_data):
    X, _ = abc_data
    error = raised(lambda: kernel.explain(X.to_numpy()[:3, :2]))
    assert isinstance(error, InvalidInputError)
    assert re.search(r"\b2\b", str(error)) and re.search(r"\b3\b", str(error)), str(error)


def test_background_with_wrong_number_of_columns_is_rejected_at_construction(logistic_frame, abc_data):
    X, _ = abc_data
    error = raised(lambda: KernelShap(logistic_frame, X.to_numpy()[:10, :2]))
    assert isinstance(error, InvalidInputError)
    assert "background" in str(error)


# -------------------------------------------------------------------------------------- column names
@pytest.mark.parametrize("explainer", ["tree", "kernel"])
def test_different_column_names_list_missing_and_unexpected_and_suggest(request, abc_data, explainer):
    X, _ = abc_data
    explainer = request.getfixturevalue(explainer)
    renamed = X.iloc[:3].rename(columns={"c": "cc"})
    error = raised(lambda: explainer.explain(renamed))
    assert isinstance(error, InvalidInputError)
    message = str(error)
    assert "missing" in message and "unexpected" in message
    assert "['c']" in message and "['cc']" in message
    assert "Did you mean 'c'" in message


def test_extra_column_is_reported_as_unexpected(tree, abc_data):
    X, _ = abc_data
    extra = X.iloc[:3].assign(d=1.0)
    error = raised(lambda: tree.explain(extra))
    assert isinstance(error, InvalidInputError)
    assert "unexpected ['d']" in str(error)


@pytest.mark.parametrize("explainer", ["tree", "kernel"])
def test_columns_in_another_order_are_reordered_and_give_the_same_values(request, abc_data, explainer):
    X, _ = abc_data
    explainer = request.getfixturevalue(explainer)
    rows = X.iloc[:6]
    right = explainer.explain(rows)
    shuffled = explainer.explain(rows[["c", "a", "b"]])
    assert shuffled.features == tuple(COLUMNS)
    assert_allclose(shuffled.local, right.local, rtol=1e-12, atol=1e-12)
    assert_allclose(shuffled.expected, right.expected, rtol=1e-12, atol=1e-12)
    pd.testing.assert_frame_equal(shuffled.data, right.data)


@pytest.mark.parametrize("explainer", ["tree", "kernel"])
def test_duplicate_column_names_are_rejected(request, abc_data, explainer):
    X, _ = abc_data
    explainer = request.getfixturevalue(explainer)
    duplicated = pd.DataFrame(X.iloc[:3].to_numpy(), columns=["a", "a", "b"])
    error = raised(lambda: explainer.explain(duplicated))
    assert isinstance(error, InvalidInputError)
    assert "'a'" in str(error)


# ----------------------------------------------------------------------------------------------- NaN
def with_nan(X: np.ndarray) -> np.ndarray:
    rows = np.array(X[:4], dtype=np.float64)
    rows[1, 2] = np.nan
    return rows


@pytest.mark.filterwarnings("ignore:The `probability` parameter was deprecated:FutureWarning")
@pytest.mark.parametrize("make_model", [LogisticRegression, lambda: SVC(probability=True, random_state=0)],
                         ids=["LogisticRegression", "SVC-probability"])
def test_nan_for_a_model_that_cannot_take_it_asks_to_impute(abc_data, make_model):
    X, y = abc_data
    values = X.to_numpy()
    model = make_model().fit(values, y)
    explainer = KernelShap(model, values[:10])
    error = raised(lambda: explainer.explain(with_nan(values)))
    assert isinstance(error, InvalidInputError)
    assert "NaN" in str(error)
    assert "impute" in str(error).lower()


def test_nan_in_kernel_background_is_rejected_at_construction(abc_data):
    X, y = abc_data
    values = X.to_numpy()
    model = LogisticRegression().fit(values, y)
    error = raised(lambda: KernelShap(model, with_nan(values)))
    assert isinstance(error, InvalidInputError)
    assert "NaN" in str(error)


def test_nan_is_accepted_where_the_model_handles_it(tree, abc_data):
    X, _ = abc_data
    rows = X.iloc[:4].copy()
    rows.iloc[1, 2] = np.nan
    explanation = tree.explain(rows)
    assert np.isfinite(explanation.local).all()


# ------------------------------------------------------------------------------- shape and type of X
@pytest.mark.parametrize("explainer", ["tree", "kernel"])
@pytest.mark.parametrize(
    "make_rows, fragment",
    [
        pytest.param(lambda X: X.iloc[:0], "empty", id="empty-frame"),
        pytest.param(lambda X: X.to_numpy()[:0], "empty", id="empty-array"),
        pytest.param(lambda X: X.to_numpy()[0], "2-D", id="1d-array"),
        pytest.param(lambda X: X.to_numpy()[0].tolist(), "2-D", id="1d-list"),
        pytest.param(lambda X: None, "None", id="None"),
        pytest.param(lambda X: X.iloc[0], "Series", id="series-row"),
        pytest.param(lambda X: X["a"], "Series", id="series-column"),
    ],
)
def test_malformed_rows_raise_invalid_input_error_saying_what_is_wrong(request, abc_data, explainer, make_rows,
                                                                       fragment):
    X, _ = abc_data
    explainer = request.getfixturevalue(explainer)
    error = raised(lambda: explainer.explain(make_rows(X)))
    assert isinstance(error, InvalidInputError)
    assert fragment in str(error)


def test_empty_background_is_rejected(logistic_frame, abc_data):
    X, _ = abc_data
    error = raised(lambda: KernelShap(logistic_frame, X.iloc[:0]))
    assert isinstance(error, InvalidInputError)


# ---------------------------------------------------------------------------------------------- models
class NotAModel:
    def fit(self, X, y):
        return self


@pytest.mark.parametrize("model", [NotAModel(), object()], ids=["class-with-fit-only", "object"])
def test_object_without_predict_is_unsupported(abc_data, model):
    X, _ = abc_data
    error = raised(lambda: KernelShap(model, X.to_numpy()[:5]))
    assert isinstance(error, UnsupportedModelError)
    assert "predict" in str(error)


def test_tree_shap_refuses_a_model_that_is_not_a_tree_ensemble(abc_data):
    X, y = abc_data
    error = raised(lambda: TreeShap(LinearRegression().fit(X, y)))
    assert isinstance(error, UnsupportedModelError)
    assert "KernelShap" in str(error)


def test_svc_without_probability_is_explained_on_its_decision_function(abc_data):
    X, y = abc_data
    values = X.to_numpy()
    model = SVC().fit(values, y)
    explanation = KernelShap(model, values[:12]).explain(values[:5])
    assert explanation.output_space == "margin"
    assert explanation.classes == (0, 1)
    margin = model.decision_function(values[:5])
    # exact Shapley values (3 features): class 1 adds up to the margin, class 0 to its negation
    assert_allclose(explanation.local[1].sum(-1) + explanation.expected[1], margin, rtol=1e-9, atol=1e-9)
    assert_allclose(explanation.local[0].sum(-1) + explanation.expected[0], -margin, rtol=1e-9, atol=1e-9)


def test_every_error_class_belongs_to_the_explain_lib_hierarchy():
    for name in ("InvalidInputError", "InvalidParameterError", "UnsupportedModelError", "SchemaVersionError"):
        assert issubclass(getattr(explain_lib, name), ExplainLibError)


def test_lightgbm_column_names_with_spaces_match_the_names_lightgbm_stored():
    # LightGBM keeps "sepal length (cm)" as "sepal_length_(cm)"; the caller's names still work
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(120, 2)), columns=["sepal length (cm)", "petal width"])
    model = lightgbm.LGBMRegressor(n_estimators=5, verbose=-1).fit(frame, frame.sum(axis=1))
    explanation = TreeShap(model).explain(frame[["petal width", "sepal length (cm)"]])
    assert explanation.features == ("sepal length (cm)", "petal width")
    expected = model.booster_.predict(frame.to_numpy(), pred_contrib=True)
    np.testing.assert_allclose(explanation.local[0], expected[:, :-1])
