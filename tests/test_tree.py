"""TreeShap: additivity in each model's output space, agreement with the libraries' own TreeSHAP,
zero credit for unused features, probability output, input errors and determinism."""

import re

import lightgbm
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shap
import xgboost
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from threadpoolctl import threadpool_limits

from explain_lib import InvalidInputError, InvalidParameterError, TreeShap, UnsupportedModelError

N_ROWS, N_INFORMATIVE = 400, 6
ZERO = N_INFORMATIVE  # index of the all-zero column appended to every training set
NAMES = ["age", "income", "tenure", "score", "visits", "balance", "zeros"]


@pytest.fixture(autouse=True)
def _one_openmp_thread():
    """Small models: OpenMP threads only add overhead (and stall on a busy machine)."""
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def _with_zero_column(X):
    """Append a constant column of zeros: no tree can split on it."""
    return np.hstack([X, np.zeros((X.shape[0], 1))])


def _data(task):
    """(X, y) with N_INFORMATIVE useful features plus an all-zero column; task: reg, bin or multi."""
    if task == "reg":
        X, y = make_regression(n_samples=N_ROWS, n_features=N_INFORMATIVE, noise=5.0, random_state=0)
    else:
        X, y = make_classification(n_samples=N_ROWS, n_features=N_INFORMATIVE, n_informative=4,
                                   n_classes=2 if task == "bin" else 3, random_state=0)
    return _with_zero_column(X), y


DATA = {task: _data(task) for task in ("reg", "bin", "multi")}


def _as_kind(X, kind):
    if kind == "numpy":
        return X
    if kind == "pandas":
        return pd.DataFrame(X, columns=NAMES)
    return sp.csr_matrix(X)


def _binary_pair(values):
    """Both outputs of a binary model from the positive class's margin: [-m, m]."""
    return np.stack([-values, values])


def _per_output(values):
    """Model outputs as (n_outputs, n_rows)."""
    values = np.asarray(values, dtype=np.float64)
    return values.T if values.ndim == 2 else values[None]


def _reconstruction(explanation):
    return explanation.local.sum(-1) + explanation.expected[:, None]


# ------------------------------------------------------------------------------------------ LightGBM

LGBM_PARAMS = {"n_estimators": 20, "num_leaves": 8, "min_child_samples": 5, "verbose": -1, "random_state": 0,
               "n_jobs": 1}


def _fit_lightgbm(kind, task):
    X, y = DATA[task]
    Xk = _as_kind(X, kind)  # fitted on the same kind of container it explains
    model_cls = lightgbm.LGBMRegressor if task == "reg" else lightgbm.LGBMClassifier
    return model_cls(**LGBM_PARAMS).fit(Xk, y), Xk


def _fit_lightgbm_booster(kind):
    X, y = DATA["bin"]
    Xk = _as_kind(X, kind)
    params = {"objective": "binary", "num_leaves": 8, "min_data_in_leaf": 5, "verbose": -1, "seed": 0,
              "num_threads": 1}
    return lightgbm.train(params, lightgbm.Dataset(Xk, label=y), num_boost_round=20), Xk


def _lightgbm_margin(model, X, task):
    raw = model.predict(X, raw_score=True) if task != "reg" else model.predict(X)
    if task in ("bin", "booster"):
        return _binary_pair(np.asarray(raw, dtype=np.float64))
    return _per_output(raw)


LIGHTGBM_CASES = [(kind, task) for task in ("reg", "bin", "multi", "booster")
                  for kind in ("numpy", "pandas", "csr")]


@pytest.mark.parametrize(("kind", "task"), LIGHTGBM_CASES, ids=[f"{t}-{k}" for k, t in LIGHTGBM_CASES])
def test_lightgbm_is_additive_and_equals_pred_contrib(kind, task):
    model, Xk = _fit_lightgbm_booster(kind) if task == "booster" else _fit_lightgbm(kind, task)
    explanation = TreeShap(model).explain(Xk)

    n_outputs = {"reg": 1, "bin": 2, "multi": 3, "booster": 2}[task]
    assert explanation.local.shape == (n_outputs, N_ROWS, len(NAMES))
    assert explanation.output_space == ("raw" if task == "reg" else "margin")
    assert explanation.task == ("regression" if task == "reg" else "classification")
    assert_allclose(_reconstruction(explanation), _lightgbm_margin(model, Xk, task), rtol=0, atol=1e-6)
    if kind == "pandas":
        assert explanation.features == tuple(NAMES)

    # LightGBM's own TreeSHAP on the dense rows, reshaped to (outputs, rows, features + bias)
    booster = model if task == "booster" else model.booster_
    dense = DATA["bin" if task == "booster" else task][0]
    contrib = np.asarray(booster.predict(dense, pred_contrib=True), dtype=np.float64)
    contrib = contrib.reshape(N_ROWS, -1, len(NAMES) + 1).transpose(1, 0, 2)
    if n_outputs == 2:
        contrib = np.concatenate([-contrib, contrib])
    assert_array_equal(explanation.local, contrib[..., :-1])
    assert_array_equal(explanation.expected, contrib[:, 0, -1])


def test_lightgbm_explains_a_categorical_pandas_column():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({
        "num": rng.normal(size=N_ROWS),
        "colour": pd.Categorical(rng.choice(["red", "green", "blue", "grey"], N_ROWS)),
        "other": rng.normal(size=N_ROWS),
    })
    logit = frame["num"] + frame["colour"].isin(["red", "blue"]).to_numpy() * 2.0 - 1.0
    y = (logit + rng.normal(0, 0.5, N_ROWS) > 0).astype(int)
    model = lightgbm.LGBMClassifier(**LGBM_PARAMS).fit(frame, y)
    assert model.booster_.dump_model()["pandas_categorical"]  # the model really treats colour as categorical

    explanation = TreeShap(model).explain(frame)
    assert explanation.features == ("num", "colour", "other")
    margin = _binary_pair(model.predict(frame, raw_score=True))
    assert_allclose(_reconstruction(explanation), margin, rtol=0, atol=1e-6)
    contrib = model.booster_.predict(frame, pred_contrib=True)
    assert_array_equal(explanation.local[1], contrib[:, :-1])
    assert np.abs(explanation.local[1, :, 1]).max() > 0  # the categorical column gets credit


# ------------------------------------------------------------------------------------------- XGBoost

XGB_PARAMS = {"n_estimators": 20, "max_depth": 3, "learning_rate": 0.3, "random_state": 0, "n_jobs": 1}


XGBOOST_CASES = [(kind, task) for task in ("reg", "bin", "multi") for kind in ("numpy", "pandas", "csr")]


@pytest.mark.parametrize(("kind", "task"), XGBOOST_CASES, ids=[f"{t}-{k}" for k, t in XGBOOST_CASES])
def test_xgboost_is_additive_in_margin_space(kind, task):
    X, y = DATA[task]
    Xk = _as_kind(X, kind)
    model_cls = xgboost.XGBRegressor if task == "reg" else xgboost.XGBClassifier
    model = model_cls(**XGB_PARAMS).fit(Xk, y)
    explanation = TreeShap(model).explain(Xk)

    margin = np.asarray(model.predict(Xk, output_margin=True), dtype=np.float64)
    output = _binary_pair(margin) if task == "bin" else _per_output(margin)
    assert explanation.local.shape == (output.shape[0], N_ROWS, X.shape[1])
    assert explanation.output_space == ("raw" if task == "reg" else "margin")
    if kind == "pandas":
        assert explanation.features == tuple(NAMES)
    # XGBoost computes in float32, so exactness is only up to float32 rounding: we ask for 1e-6
    # relative to the largest output magnitude rather than an absolute 1e-6.
    assert_allclose(_reconstruction(explanation), output, rtol=0, atol=1e-6 * np.abs(output).max())


# -------------------------------------------------------------------------------------- scikit-learn

TREE = {"max_depth": 5, "random_state": 0}
FOREST = {"n_estimators": 15, "max_depth": 5, "random_state": 0}
BOOSTING = {"n_estimators": 20, "max_depth": 3, "random_state": 0}
HIST = {"max_iter": 20, "random_state": 0}

# name -> (estimator class, its parameters, task)
SKLEARN_MODELS = {
    "DecisionTreeClassifier-bin": (DecisionTreeClassifier, TREE, "bin"),
    "DecisionTreeClassifier-multi": (DecisionTreeClassifier, TREE, "multi"),
    "DecisionTreeRegressor": (DecisionTreeRegressor, TREE, "reg"),
    "RandomForestClassifier-bin": (RandomForestClassifier, FOREST, "bin"),
    "RandomForestClassifier-multi": (RandomForestClassifier, FOREST, "multi"),
    "RandomForestRegressor": (RandomForestRegressor, FOREST, "reg"),
    "ExtraTreesClassifier-bin": (ExtraTreesClassifier, FOREST, "bin"),
    "ExtraTreesRegressor": (ExtraTreesRegressor, FOREST, "reg"),
    "GradientBoostingClassifier-bin": (GradientBoostingClassifier, BOOSTING, "bin"),
    "GradientBoostingClassifier-multi": (GradientBoostingClassifier, BOOSTING, "multi"),
    "GradientBoostingRegressor": (GradientBoostingRegressor, BOOSTING, "reg"),
    "HistGradientBoostingClassifier-bin": (HistGradientBoostingClassifier, HIST, "bin"),
    "HistGradientBoostingClassifier-multi": (HistGradientBoostingClassifier, HIST, "multi"),
    "HistGradientBoostingRegressor": (HistGradientBoostingRegressor, HIST, "reg"),
}

_FITTED = {}


def _sklearn_model(name):
    if name not in _FITTED:
        model_cls, params, task = SKLEARN_MODELS[name]
        X, y = DATA[task]
        _FITTED[name] = model_cls(**params).fit(X, y)
    return _FITTED[name]


def _sklearn_output(model, X, task):
    """The sklearn model's output in the space TreeShap explains, as (n_outputs, n_rows)."""
    if task == "reg":
        return model.predict(X)[None], "raw"
    if hasattr(model, "decision_function"):  # gradient boosting: margins
        margin = model.decision_function(X)
        return (_binary_pair(margin) if task == "bin" else _per_output(margin)), "margin"
    return _per_output(model.predict_proba(X)), "probability"  # trees and forests average probabilities


@pytest.mark.parametrize("name", list(SKLEARN_MODELS))
def test_sklearn_trees_are_additive_in_their_output_space(name):
    model, task = _sklearn_model(name), SKLEARN_MODELS[name][2]
    X = DATA[task][0][:200]
    explanation = TreeShap(model).explain(X)
    output, space = _sklearn_output(model, X, task)
    assert explanation.output_space == space
    assert explanation.local.shape == (output.shape[0], len(X), X.shape[1])
    assert_allclose(_reconstruction(explanation), output, rtol=0, atol=1e-6)
    if task == "bin":  # class 0's values are the negation of class 1's
        assert_allclose(explanation.local[0], -explanation.local[1], rtol=0, atol=1e-12)


def _shap_reference(model, X):
    """shap.TreeExplainer's values as (n_outputs, n_rows, n_features)."""
    values = np.asarray(shap.TreeExplainer(model).shap_values(X, check_additivity=False), dtype=np.float64)
    return values.transpose(2, 0, 1) if values.ndim == 3 else values[None]


@pytest.mark.parametrize("name", [n for n in SKLEARN_MODELS if n != "GradientBoostingClassifier-multi"])
def test_sklearn_trees_agree_with_shap_tree_explainer(name):
    model, task = _sklearn_model(name), SKLEARN_MODELS[name][2]
    X = DATA[task][0][:100]
    local = TreeShap(model).explain(X).local
    reference = _shap_reference(model, X)
    if reference.shape[0] == 1 and local.shape[0] == 2:  # shap gives the positive class only
        reference = _binary_pair(reference[0])
    assert_allclose(local, reference, rtol=1e-9, atol=1e-9)


def test_multiclass_gradient_boosting_equals_the_sum_of_its_trees_shap_values():
    """Our own path (shap has none): class k's values are the learning-rate-scaled sum of the
    path-dependent SHAP values of the regression trees for class k, each explained by shap."""
    model = _sklearn_model("GradientBoostingClassifier-multi")
    X = DATA["multi"][0][:60]
    local = TreeShap(model).explain(X).local
    assert local.shape == (3, 60, X.shape[1])
    for k in range(3):
        reference = sum(np.asarray(shap.TreeExplainer(tree).shap_values(X), dtype=np.float64)
                        for tree in model.estimators_[:, k]) * model.learning_rate
        assert_allclose(local[k], reference, rtol=1e-9, atol=1e-9)


# --------------------------------------------------------------------------------- unused features

def _unused_feature_case(name):
    """(fitted model, rows to explain) by name: LGBM-*/XGB-* or an SKLEARN_MODELS key."""
    family, _, task = name.partition("-")
    if family == "LGBM":
        return _fit_lightgbm_booster("numpy") if task == "booster" else _fit_lightgbm("numpy", task)
    if family == "XGB":
        X, y = DATA[task]
        model_cls = xgboost.XGBRegressor if task == "reg" else xgboost.XGBClassifier
        return model_cls(**XGB_PARAMS).fit(X, y), X
    return _sklearn_model(name), DATA[SKLEARN_MODELS[name][2]][0]


UNUSED_FEATURE_CASES = ["LGBM-reg", "LGBM-bin", "LGBM-multi", "LGBM-booster",
                        "XGB-reg", "XGB-bin", "XGB-multi", *SKLEARN_MODELS]


@pytest.mark.parametrize("name", UNUSED_FEATURE_CASES)
def test_a_feature_no_tree_splits_on_gets_exactly_zero(name):
    model, X = _unused_feature_case(name)
    local = TreeShap(model).explain(X[:50]).local
    assert np.all(local[..., ZERO] == 0.0)
    assert np.abs(local[..., :ZERO]).sum() > 0


# ------------------------------------------------------------------------------ probability output

def _probability_model(name):
    X, y = DATA["bin"]
    if name == "lightgbm":
        return lightgbm.LGBMClassifier(**LGBM_PARAMS).fit(X, y)
    if name == "xgboost":
        return xgboost.XGBClassifier(**XGB_PARAMS).fit(X, y)
    return _sklearn_model(name)


PROBABILITY_MODELS = ["lightgbm", "GradientBoostingClassifier-bin", "xgboost", "RandomForestClassifier-bin"]


@pytest.mark.parametrize("name", PROBABILITY_MODELS)
def test_probability_output_is_additive_to_predict_proba_for_both_classes(name):
    model = _probability_model(name)
    X = DATA["bin"][0]
    explanation = TreeShap(model, X[:300], output="probability").explain(X[300:])
    assert explanation.output_space == "probability"
    assert_allclose(_reconstruction(explanation), model.predict_proba(X[300:]).T, rtol=0, atol=1e-6)
    if name.startswith("RandomForest"):
        # shap explains each class of a forest separately, in float32 internally: the negation holds
        # up to that rounding (the same tolerance as additivity)
        assert_allclose(explanation.local[0], -explanation.local[1], rtol=0, atol=1e-6)
    else:  # one output explained, class 0 is its exact negation
        assert_array_equal(explanation.local[0], -explanation.local[1])
    assert_allclose(explanation.expected.sum(), 1.0, rtol=0, atol=1e-12)


def test_probability_output_of_hist_gradient_boosting_is_refused_rather_than_wrong():
    # shap's interventional TreeSHAP gives values off by up to 0.25 for it: refuse instead
    with pytest.raises(UnsupportedModelError, match="HistGradientBoostingClassifier"):
        TreeShap(_sklearn_model("HistGradientBoostingClassifier-bin"), DATA["bin"][0], output="probability")


def test_probability_output_of_a_multiclass_model_is_unsupported():
    with pytest.raises(UnsupportedModelError, match="binary"):
        TreeShap(_sklearn_model("GradientBoostingClassifier-multi"), DATA["multi"][0], output="probability")


def test_margin_output_of_a_forest_is_an_invalid_parameter():
    with pytest.raises(InvalidParameterError, match="margin"):
        TreeShap(_sklearn_model("RandomForestClassifier-bin"), output="margin")


# ---------------------------------------------------------------------------------------- errors

def test_a_linear_model_is_unsupported():
    X, y = DATA["bin"]
    with pytest.raises(UnsupportedModelError):
        TreeShap(LogisticRegression().fit(X, y))


def test_probability_output_without_background_is_an_invalid_parameter():
    model = _probability_model("lightgbm")
    with pytest.raises(InvalidParameterError, match="background"):
        TreeShap(model, output="probability")


@pytest.mark.parametrize("family", ["lightgbm", "xgboost", "sklearn"])
def test_wrong_column_count_names_both_counts(family):
    X, y = DATA["bin"]
    if family == "lightgbm":
        model = lightgbm.LGBMClassifier(**LGBM_PARAMS).fit(X, y)
    elif family == "xgboost":
        model = xgboost.XGBClassifier(**XGB_PARAMS).fit(X, y)
    else:
        model = _sklearn_model("RandomForestClassifier-bin")
    with pytest.raises(InvalidInputError) as error:
        TreeShap(model).explain(X[:5, :4])
    message = str(error.value)
    assert re.search(r"\b4\b", message) and re.search(rf"\b{X.shape[1]}\b", message), message


@pytest.mark.parametrize("family", ["lightgbm", "xgboost", "sklearn"])
def test_a_misspelt_column_name_suggests_the_right_one(family):
    X, y = DATA["bin"]
    frame = pd.DataFrame(X, columns=NAMES)
    if family == "lightgbm":
        model = lightgbm.LGBMClassifier(**LGBM_PARAMS).fit(frame, y)
    elif family == "xgboost":
        model = xgboost.XGBClassifier(**XGB_PARAMS).fit(frame, y)
    else:
        model = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0).fit(frame, y)
    with pytest.raises(InvalidInputError, match=r"Did you mean 'income'\?"):
        TreeShap(model).explain(frame.rename(columns={"income": "incme"}).head())


# ----------------------------------------------------------------------------------- determinism

@pytest.mark.parametrize("case", ["lightgbm", "xgboost", "sklearn", "probability"])
def test_explaining_twice_gives_identical_values(case):
    X, y = DATA["bin"]
    if case == "lightgbm":
        explainer = TreeShap(lightgbm.LGBMClassifier(**LGBM_PARAMS).fit(X, y))
    elif case == "xgboost":
        explainer = TreeShap(xgboost.XGBClassifier(**XGB_PARAMS).fit(X, y))
    elif case == "sklearn":
        explainer = TreeShap(_sklearn_model("RandomForestClassifier-bin"))
    else:
        explainer = TreeShap(_probability_model("lightgbm"), X[:300], output="probability")
    first, second = explainer.explain(X[300:]), explainer.explain(X[300:])
    assert_array_equal(first.local, second.local)
    assert_array_equal(first.expected, second.expected)
