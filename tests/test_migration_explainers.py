"""Code written for interpret-community runs on our explainers: the inputs and options its users pass.

Each test is one class of failure a migrating notebook hit: a 1-D row, a ``shap.kmeans`` background,
names given as arrays, transformations our maps could not read, PFI with transformations, the
MimicExplainer options and wrappers, KernelShap's background default, explainers that changed their
own state while explaining.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
import shap
from numpy.testing import assert_allclose
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from explain_lib import (
    InvalidParameterError,
    KernelShap,
    MimicExplainer,
    PFIExplainer,
    TabularExplainer,
)
from explain_lib.features import feature_map

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


# --------------------------------------------------------------------------------------------- data
@pytest.fixture(scope="module")
def numeric_arrays():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    y_reg = X @ np.array([2.0, -1.0, 0.5, 0.0]) + 0.1 * rng.normal(size=120)
    y_cls = (X[:, 0] - X[:, 1] > 0).astype(int)
    return X, y_reg, y_cls


@pytest.fixture(scope="module")
def attrition():
    """An IBM-attrition-like frame: numeric columns with gaps, string columns with gaps."""
    rng = np.random.default_rng(1)
    n = 160
    frame = pd.DataFrame({
        "age": rng.integers(18, 60, n).astype(float),
        "income": rng.lognormal(10, 0.3, n),
        "dept": rng.choice(["sales", "hr", "rd"], n).astype(object),
        "travel": rng.choice(["rarely", "often"], n).astype(object),
    })
    frame.loc[rng.choice(n, 10, replace=False), "age"] = np.nan
    frame.loc[rng.choice(n, 10, replace=False), "dept"] = np.nan
    y = ((frame["income"] > frame["income"].median()) ^ (frame["travel"] == "often")).astype(int).to_numpy()
    return frame, y


def _preprocessor():
    numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    categorical = Pipeline([("impute", SimpleImputer(strategy="constant", fill_value="missing")),
                            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False))])
    return ColumnTransformer([("num", numeric, ["age", "income"]), ("cat", categorical, ["dept", "travel"])])


@pytest.fixture(scope="module")
def attrition_model(attrition):
    frame, y = attrition
    transformations = _preprocessor().fit(frame)
    model = LogisticRegression(max_iter=500).fit(transformations.transform(frame), y)
    return transformations, model


# -------------------------------------------------------------------------------------- 1-D rows
def test_explain_local_of_one_1d_row_gives_per_row_shapes_without_the_row_axis(numeric_arrays):
    X, y_reg, y_cls = numeric_arrays
    regression = TabularExplainer(LinearRegression().fit(X, y_reg), X)
    single = regression.explain_local(X[0, :])
    assert np.shape(single.local_importance_values) == (4,)
    assert_allclose(single.local_importance_values, regression.explain_local(X[:1]).local_importance_values[0])
    assert np.shape(single.get_ranked_local_names()) == (4,)
    classifier = TabularExplainer(LogisticRegression().fit(X, y_cls), X)
    single = classifier.explain_local(X[3])
    assert np.shape(single.local_importance_values) == (2, 4)
    assert np.shape(single.get_local_importance_rank()) == (2, 4)
    # a DataFrame row (a Series) works the same
    frame = pd.DataFrame(X, columns=list("abcd"))
    by_name = TabularExplainer(LinearRegression().fit(frame, y_reg), frame).explain_local(frame.iloc[0])
    assert by_name.features == tuple("abcd") and np.shape(by_name.local_importance_values) == (4,)


# ------------------------------------------------------------------------- shap.kmeans backgrounds
def test_a_shap_kmeans_background_is_used_with_its_weights(numeric_arrays):
    X, _, y_cls = numeric_arrays
    model = KNeighborsClassifier().fit(X, y_cls)
    summary = shap.kmeans(X, 6)
    explainer = KernelShap(model, summary)
    assert explainer.background.n_rows == 6
    assert_allclose(explainer.background_weights, summary.weights / summary.weights.sum())
    reference = KernelShap(model, summary.data, background_weights=summary.weights)
    assert_allclose(explainer.explain(X[:3]).local, reference.explain(X[:3]).local, atol=1e-12)
    through_tabular = TabularExplainer(model, summary).explain(X[:3])
    assert_allclose(through_tabular.local, reference.explain(X[:3]).local, atol=1e-12)


# ------------------------------------------------------------------- names as arrays, Index, tuples
@pytest.mark.parametrize("container", [np.array, pd.Index, tuple])
def test_features_and_classes_as_arrays_index_or_tuples_on_the_model_agnostic_path(numeric_arrays, container):
    X, _, y_cls = numeric_arrays
    model = KNeighborsClassifier().fit(X, y_cls)
    explainer = TabularExplainer(model, X[:20], features=container(["a", "b", "c", "d"]),
                                 classes=container(["stay", "leave"]))
    explanation = explainer.explain(X[:2])
    assert explanation.features == ("a", "b", "c", "d")
    assert explanation.classes == ("stay", "leave")


# ------------------------------------------------------------------------------- transformations
def test_column_transformer_with_a_string_fill_imputer_maps_to_raw_features(attrition, attrition_model):
    frame, _ = attrition
    transformations, model = attrition_model
    explainer = TabularExplainer(model, frame, transformations=transformations,
                                 features=frame.columns, classes=["stay", "leave"])
    raw = explainer.explain(frame.iloc[:10])
    engineered = explainer.explain(frame.iloc[:10], raw=False)
    assert raw.is_raw and raw.features == ("age", "income", "dept", "travel")
    assert_allclose(raw.local.sum(-1), engineered.local.sum(-1), atol=1e-9)


def test_list_of_tuples_form_gives_the_same_raw_values_as_the_column_transformer(attrition, attrition_model):
    frame, _ = attrition
    transformations, model = attrition_model
    fitted = dict((name, t) for name, t, _ in transformations.transformers_)
    as_tuples = [(["age", "income"], fitted["num"]), (["dept", "travel"], fitted["cat"])]
    by_tuples = TabularExplainer(model, frame, transformations=as_tuples).explain(frame.iloc[:8])
    by_ct = TabularExplainer(model, frame, transformations=transformations).explain(frame.iloc[:8])
    assert_allclose(by_tuples.local, by_ct.local, atol=1e-12)


class _Doubler(BaseEstimator, TransformerMixin):
    """One output per input column, no get_feature_names_out."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return 2.0 * np.asarray(X, dtype=float)


class _RowSum(BaseEstimator, TransformerMixin):
    """Several columns into one (many-to-one)."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X, dtype=float).sum(axis=1, keepdims=True)


def test_function_and_custom_transformers_without_feature_names_are_mapped_by_their_output(numeric_arrays):
    X, y_reg, _ = numeric_arrays
    frame = pd.DataFrame(np.abs(X), columns=["a", "b", "c", "d"])
    transformations = ColumnTransformer([
        ("log", FunctionTransformer(np.log1p), ["a"]),
        ("double", _Doubler(), ["b", "c"]),
        ("sum", _RowSum(), ["c", "d"]),
    ]).fit(frame)
    mapping = feature_map(transformations, sample=frame)
    assert_allclose(mapping.matrix.toarray(), [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0.5], [0, 0, 0, 0.5]])
    model = LinearRegression().fit(transformations.transform(frame), y_reg)
    explanation = TabularExplainer(model, frame, transformations=transformations).explain(frame.iloc[:5])
    assert explanation.is_raw and explanation.features == ("a", "b", "c", "d")


def test_a_transformer_that_mixes_columns_is_refused_at_construction_not_explained_engineered(numeric_arrays):
    X, _, y_cls = numeric_arrays
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    transformations = ColumnTransformer([("pca", PCA(n_components=2), ["a", "b", "c"])],
                                        remainder="passthrough").fit(frame)
    model = RandomForestClassifier(n_estimators=5, random_state=0).fit(transformations.transform(frame), y_cls)
    with pytest.raises(InvalidParameterError, match="PCA.*allow_all_transformations"):
        TabularExplainer(model, frame, transformations=transformations)
    allowed = TabularExplainer(model, frame, transformations=transformations, allow_all_transformations=True)
    assert allowed.explain(frame.iloc[:3]).is_raw


# ------------------------------------------------------------------------------------------- PFI
def test_pfi_takes_transformations_and_permutes_raw_columns(attrition, attrition_model):
    frame, y = attrition
    transformations, model = attrition_model
    with_transformations = PFIExplainer(model, transformations=transformations, n_repeats=2).explain_global(
        frame, true_labels=y)
    as_pipeline = PFIExplainer(make_pipeline(transformations, model), n_repeats=2).explain_global(frame, true_labels=y)
    assert with_transformations.features == ("age", "income", "dept", "travel") and with_transformations.is_raw
    assert_allclose(with_transformations.global_, as_pipeline.global_)


def test_pfi_takes_nan_rows_when_the_pipeline_imputes_them(numeric_arrays):
    X, y_reg, _ = numeric_arrays
    holes = X.copy()
    holes[::7, 1] = np.nan
    pipeline = make_pipeline(SimpleImputer(), LinearRegression()).fit(holes, y_reg)
    explanation = PFIExplainer(pipeline, n_repeats=2).explain(holes, y_reg)
    assert explanation.global_[3] == pytest.approx(0, abs=0.05)
    assert explanation.global_[0] > explanation.global_[2] > 0


def test_pfi_regression_default_is_interpret_communitys_mean_absolute_error_and_spread_is_typed(numeric_arrays):
    X, y_reg, _ = numeric_arrays
    explanation = PFIExplainer(LinearRegression().fit(X, y_reg), n_repeats=3).explain(X, y_reg)
    assert explanation.params["metric"] == "mean_absolute_error"
    assert "importances" not in explanation.params and "importance_std" not in explanation.params
    assert explanation.global_repeats.shape == (4, 3)
    assert_allclose(explanation.global_, explanation.global_repeats.mean(axis=1))
    assert_allclose(explanation.global_std, explanation.global_repeats.std(axis=1))


# ----------------------------------------------------------------------------------------- Mimic
class _ProbabilityWrapper:
    """A classifier wrapper as notebooks write them: predict / predict_proba, no classes_."""

    def __init__(self, model):
        self.model = model

    def predict(self, X):
        return self.model.predict(X)

    def predict_proba(self, X):
        return self.model.predict_proba(X)


def test_mimic_takes_a_wrapper_without_classes_and_fewer_than_ten_rows(numeric_arrays):
    X, _, y_cls = numeric_arrays
    wrapper = _ProbabilityWrapper(LogisticRegression().fit(X, y_cls))
    explainer = MimicExplainer(wrapper, X, "tree", augment_data=False)
    assert explainer.classes == (0, 1)
    assert explainer.explain(X[:4]).local.shape == (2, 4, 4)
    few = MimicExplainer(wrapper, X[:8], "linear", augment_data=False)
    assert few.explain(X[:2]).fidelity["n_holdout"] == 0


def test_mimic_drops_classifier_only_surrogate_args_with_a_warning(numeric_arrays):
    X, _, y_cls = numeric_arrays
    model = LogisticRegression().fit(X, y_cls)
    with pytest.warns(UserWarning, match="solver"):
        explainer = MimicExplainer(model, X, "linear", explainable_model_args={"solver": "liblinear",
                                                                               "sparse_data": False})
    assert explainer.explain(X[:3]).params["ignored_explainable_model_args"] == ["solver"]


@pytest.mark.parametrize("surrogate", ["lightgbm", "linear", "sgd", "tree"])
def test_mimic_shap_values_output_probability_and_teacher_probability_add_up(numeric_arrays, surrogate):
    X, _, y_cls = numeric_arrays
    model = LogisticRegression().fit(X, y_cls)
    args = {"n_estimators": 20, "n_jobs": 1} if surrogate == "lightgbm" else None  # no thread contention
    teacher = MimicExplainer(model, X, surrogate, explainable_model_args=args, augment_data=False,
                             shap_values_output="teacher_probability")
    explanation = teacher.explain(X[:6])
    assert explanation.output_space == "probability"
    assert_allclose(explanation.local.sum(-1).T + explanation.expected, model.predict_proba(X[:6]), atol=1e-9)
    own = MimicExplainer(model, X, surrogate, explainable_model_args=args, augment_data=False,
                         shap_values_output="probability").explain(X[:6])
    assert own.output_space == "probability"
    assert_allclose((own.local.sum(-1).T + own.expected).sum(axis=1), 1.0, atol=1e-9)
    default = MimicExplainer(model, X, surrogate, explainable_model_args=args, augment_data=False).explain(X[:6])
    assert default.output_space == "margin"
    # the probability view keeps each row's ranking direction: signs agree with the margin values
    agree = np.sign(own.local[1]) == np.sign(default.local[1])
    assert agree[np.abs(default.local[1]) > 1e-9].mean() > 0.95


def test_mimic_explain_subset_keeps_only_those_features(numeric_arrays):
    X, y_reg, _ = numeric_arrays
    explanation = MimicExplainer(LinearRegression().fit(X, y_reg), X, "linear", explain_subset=[0, 2]).explain(X[:5])
    assert explanation.features == ("x0", "x2")
    assert explanation.local.shape == (1, 5, 2)


def test_mimic_trains_at_construction_and_explaining_changes_nothing_on_it(numeric_arrays):
    X, _, y_cls = numeric_arrays
    frame = pd.DataFrame(X, columns=list("abcd")).assign(colour=np.where(X[:, 0] > 0, "red", "blue"))
    model = make_pipeline(
        ColumnTransformer([("oh", OneHotEncoder(), ["colour"])], remainder="passthrough"),
        LogisticRegression()).fit(frame, y_cls)
    explainer = MimicExplainer(model, frame, "linear", augment_data=False)
    assert explainer.surrogate is not None and explainer.fidelity is not None
    before = dict(vars(explainer))
    explainer.explain(frame.iloc[:4])
    explainer.explain_global()
    after = vars(explainer)
    assert before.keys() == after.keys()
    assert all(after[key] is value for key, value in before.items())


# -------------------------------------------------------------------------- KernelShap background
def test_tabular_kernel_background_defaults_to_ten_centres_and_says_so(numeric_arrays, caplog):
    X, y_reg, _ = numeric_arrays
    model = KNeighborsRegressor().fit(X, y_reg)
    with caplog.at_level(logging.INFO, logger="explain_lib"):
        explanation = TabularExplainer(model, X).explain(X[:2])
    assert explanation.params["n_background"] == 10 and explanation.params["background_summary"] == "kmeans"
    assert any("10" in r.getMessage() and "n_background" in r.getMessage() for r in caplog.records)
    accurate = TabularExplainer(model, X, n_background=60).explain(X[:2])
    assert accurate.params["n_background"] == 60
    for result in (explanation, accurate):  # additive either way: only the reference set differs
        assert_allclose(result.local[0].sum(-1) + result.expected[0], model.predict(X[:2]), atol=1e-9)


def test_raw_feature_importances_of_global_and_local_explanations_from_the_explainer(numeric_arrays):
    """interpret-community's test: a global explanation maps its global values, a local one its rows."""
    X, y_reg, _ = numeric_arrays
    explainer = TabularExplainer(LinearRegression().fit(X, y_reg), X)
    feature_map_matrix = np.zeros((2, 4))
    feature_map_matrix[0, [1, 3]] = 1  # raw 0 -> generated 1 and 3; raw 1 -> generated 0 and 2
    feature_map_matrix[1, [0, 2]] = 1
    global_explanation = explainer.explain_global(X[:30], batch_size=10)  # interpret-community's option
    local_explanation = explainer.explain_local(X[:30])
    global_raw = global_explanation.get_raw_feature_importances([feature_map_matrix])
    assert_allclose(global_raw, [global_explanation.global_[[1, 3]].sum(), global_explanation.global_[[0, 2]].sum()])
    local_raw = np.asarray(local_explanation.get_raw_feature_importances([feature_map_matrix]))
    assert local_raw.shape == (30, 2)
    assert_allclose(local_raw[:, 0], local_explanation.local[0][:, [1, 3]].sum(axis=1))
