"""MimicExplainer: distillation, fidelity on held-out rows, surrogate shapes, compatibility."""

import lightgbm
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import make_classification, make_regression
from sklearn.neural_network import MLPClassifier, MLPRegressor

from explain_lib import (
    DecisionTreeExplainableModel,
    InvalidParameterError,
    LGBMExplainableModel,
    LinearExplainableModel,
    MimicExplainer,
    SGDExplainableModel,
)
from explain_lib.datasets import load_adult

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SURROGATES = ["lightgbm", "linear", "sgd", "tree"]
LIGHT = {"lightgbm": {"n_estimators": 40}, "tree": {"max_depth": 6}}


@pytest.fixture(scope="module")
def regression_teacher():
    X, y = make_regression(n_samples=1500, n_features=6, noise=0.0, random_state=0)
    model = MLPRegressor(hidden_layer_sizes=(16,), max_iter=200, random_state=0).fit(X / 2, y)
    return model, X


@pytest.fixture(scope="module")
def classification_data():
    X, y = make_classification(n_samples=1200, n_features=6, n_informative=4, n_classes=3, random_state=0)
    return X, y


def test_lightgbm_surrogate_of_a_smooth_model_reaches_r2_of_0_9_on_held_out_rows():
    X, y = make_regression(n_samples=2000, n_features=5, noise=0.0, random_state=1)
    teacher = MLPRegressor(hidden_layer_sizes=(32,), max_iter=1000, random_state=0).fit(X, y)
    explainer = MimicExplainer(teacher, X, "lightgbm", explainable_model_args={"n_estimators": 200})
    explanation = explainer.explain(X[:100])
    assert explanation.fidelity["n_holdout"] == 400
    assert explanation.fidelity["r2"] >= 0.9
    assert explainer.get_surrogate_model_replication_measure(X[:500]) >= 0.9
    # the fidelity is measured on rows the surrogate was not trained on: recompute it there
    rng = np.random.default_rng(0)
    holdout = np.sort(rng.permutation(len(X))[:400])
    surrogate_prediction = explainer.surrogate.model.predict(X[holdout])
    from sklearn.metrics import r2_score
    assert explanation.fidelity["r2"] == pytest.approx(r2_score(teacher.predict(X[holdout]), surrogate_prediction))


@pytest.mark.parametrize("surrogate", SURROGATES)
@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
def test_every_surrogate_gives_documented_shapes_and_additive_values(surrogate, task):
    n_classes = {"regression": 0, "binary": 2, "multiclass": 3}[task]
    if task == "regression":
        X, y = make_regression(n_samples=600, n_features=5, random_state=0)
        teacher = MLPRegressor(hidden_layer_sizes=(8,), max_iter=300, random_state=0).fit(X, y)
    else:
        X, y = make_classification(n_samples=600, n_features=5, n_informative=3, n_classes=n_classes,
                                   random_state=0)
        teacher = MLPClassifier(hidden_layer_sizes=(8,), max_iter=300, random_state=0).fit(X, y)
    explainer = MimicExplainer(teacher, X, surrogate, explainable_model_args=LIGHT.get(surrogate),
                               max_num_of_augmentations=2)
    explanation = explainer.explain(X[:30])
    n_outputs = max(n_classes, 1)
    assert explanation.local.shape == (n_outputs, 30, 5)
    assert explanation.expected.shape == (n_outputs,)
    assert explanation.global_.shape == (5,)
    assert explanation.method == f"mimic.{surrogate}"
    if task == "regression":
        assert explanation.per_class is None
        assert np.shape(explanation.local_importance_values) == (30, 5)
    else:
        assert explanation.per_class.shape == (n_outputs, 5)
        assert np.shape(explanation.local_importance_values) == (n_outputs, 30, 5)
    # local values add up to the surrogate's own output (the teacher's logit for binary)
    model = explainer.surrogate.model
    inputs = explainer.surrogate.transform(X[:30])
    if task != "multiclass":
        assert_allclose(explanation.local[-1].sum(-1) + explanation.expected[-1], model.predict(inputs), atol=1e-6)
    native = explainer.explain_global()
    assert native.local is None and native.global_.shape == (5,)
    assert native.params["importance"] == "surrogate_native"


def test_multiclass_surrogate_has_every_class_even_when_the_teacher_never_predicts_one(classification_data):
    X, y = classification_data

    class Teacher:
        classes_ = np.array([0, 1, 2])

        def predict_proba(self, rows):
            # class 2 is never the most likely one: max(0.8 p, 0.8 (1 - p)) >= 0.4 > 0.2
            p = 1 / (1 + np.exp(-rows[:, 0]))
            return np.stack([0.8 * p, 0.8 * (1 - p), np.full(len(rows), 0.2)], axis=1)

    explainer = MimicExplainer(Teacher(), X, "lightgbm", model_task="classification",
                               explainable_model_args={"n_estimators": 10})
    explanation = explainer.explain(X[:10])
    assert explanation.local.shape == (3, 10, 6)
    assert list(explainer.surrogate.model.classes_) == [0, 1, 2]


def test_categorical_features_native_in_lightgbm_and_one_hot_for_linear():
    X, y = load_adult()
    X, y = X.iloc[:2500], y.iloc[:2500]
    teacher = lightgbm.LGBMClassifier(n_estimators=30, verbose=-1).fit(X, y)
    native = MimicExplainer(teacher, X, "lightgbm", explainable_model_args={"n_estimators": 40})
    one_hot = MimicExplainer(teacher, X, "linear")
    for explainer in (native, one_hot):
        explanation = explainer.explain(X.iloc[:50])
        assert explanation.features == tuple(X.columns)
        assert explanation.local.shape == (2, 50, 14)
        assert explanation.fidelity["accuracy"] > 0.8
    assert one_hot.explain(X.iloc[:5]).is_raw  # one-hot columns summed back to raw features
    assert not native.explain(X.iloc[:5]).is_raw


def test_interpret_community_style_call_runs_unchanged_and_leaves_arguments_alone(classification_data):
    X, y = classification_data
    teacher = MLPClassifier(hidden_layer_sizes=(8,), max_iter=300, random_state=0).fit(X, y)
    args = {"n_estimators": 20, "num_leaves": 7}
    snapshot = dict(args)
    features = [f"f{i}" for i in range(6)]
    explainer = MimicExplainer(teacher, X, LGBMExplainableModel, augment_data=True, max_num_of_augmentations=10,
                               features=features, classes=["a", "b", "c"], explainable_model_args=args)
    global_explanation = explainer.explain_global(X[:200])
    assert args == snapshot
    assert global_explanation.get_ranked_global_names()[0] in features
    assert global_explanation.classes == ("a", "b", "c")
    assert len(global_explanation.get_ranked_per_class_names()) == 3
    assert 0 <= explainer.get_surrogate_model_replication_measure(X) <= 1
    local_explanation = explainer.explain_local(X[:5])
    assert np.shape(local_explanation.local_importance_values) == (3, 5, 6)
    for surrogate in (LinearExplainableModel, SGDExplainableModel, DecisionTreeExplainableModel):
        assert MimicExplainer(teacher, X, surrogate).explain_local(X[:3]).local.shape == (3, 3, 6)


def test_same_seed_same_surrogate(regression_teacher):
    model, X = regression_teacher
    options = {"explainable_model_args": {"n_estimators": 20}, "max_num_of_augmentations": 2, "random_state": 3}
    first = MimicExplainer(model, X, "lightgbm", **options).explain(X[:20])
    second = MimicExplainer(model, X, "lightgbm", **options).explain(X[:20])
    assert np.array_equal(first.local, second.local)
    assert first.fidelity == second.fidelity


def test_unknown_surrogate_name_suggests_the_closest(regression_teacher):
    model, X = regression_teacher
    with pytest.raises(InvalidParameterError, match="Did you mean 'linear'"):
        MimicExplainer(model, X, "liner")


def test_transformations_give_raw_explanations():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"color": rng.choice(["red", "green", "blue"], 500), "size": rng.normal(size=500)})
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import OneHotEncoder

    pre = ColumnTransformer([("c", OneHotEncoder(sparse_output=False), ["color"])], remainder="passthrough").fit(X)
    y = ((X.color == "red") | (X["size"] > 1)).astype(int)
    model = LogisticRegression().fit(pre.transform(X), y)
    explanation = MimicExplainer(model, X, "linear", transformations=pre).explain(X.iloc[:10])
    assert explanation.is_raw and explanation.features == ("color", "size")
    assert explanation.local.shape == (2, 10, 2)


def test_tuple_transformations_are_applied_like_tabular_explainer_does():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"color": rng.choice(["red", "green", "blue"], 400), "size": rng.normal(size=400)})
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    encoder = OneHotEncoder(sparse_output=False).fit(X[["color"]])
    scaler = StandardScaler().fit(X[["size"]])
    engineered = np.hstack([encoder.transform(X[["color"]]), scaler.transform(X[["size"]])])
    y = ((X.color == "red") | (X["size"] > 1)).astype(int)
    model = LogisticRegression().fit(engineered, y)
    explanation = MimicExplainer(model, X, "linear", transformations=[(["color"], encoder), (["size"], scaler)],
                                 max_num_of_augmentations=1).explain(X.iloc[:10])
    assert explanation.is_raw and explanation.features == ("color", "size")
    assert explanation.fidelity["r2_logit"] > 0.9


@pytest.mark.parametrize("model_args, trained_threads, predict_threads", [
    ({"n_estimators": 5}, 1, None),  # small: trained on one thread, predictions on LightGBM's default
    ({"n_estimators": 5, "n_jobs": 2}, 2, 2),  # the user's threads, as given
    ({"n_estimators": 5, "num_threads": 2}, 2, None),
])
def test_small_lightgbm_surrogates_train_on_one_thread_unless_threads_are_given(regression_teacher, model_args,
                                                                                 trained_threads, predict_threads):
    model, X = regression_teacher
    given = dict(model_args)
    surrogate = MimicExplainer(model, X[:300], "lightgbm", explainable_model_args=model_args).surrogate.model
    assert surrogate.booster_.params["num_threads"] == trained_threads
    assert surrogate.get_params()["n_jobs"] == predict_threads
    assert model_args == given  # the caller's dict untouched


def test_default_lightgbm_surrogate_is_shallow_and_shaping_arguments_start_from_lightgbm_defaults(regression_teacher):
    model, X = regression_teacher
    default = MimicExplainer(model, X[:600], "lightgbm")
    booster = default.surrogate.model.booster_
    assert booster.num_trees() == 400 and booster.params["max_depth"] == 3 and booster.params["max_bin"] == 63
    explanation = default.explain(X)
    assert explanation.params["algorithm"] == "fast"  # 1500 rows x 400 trees: the tabulated TreeSHAP
    assert default.explain(X[:5]).params["algorithm"] == "native"
    assert explanation.params["explainable_model_args"] == {}
    for args in ({"num_leaves": 31}, {"num_iterations": 50}, {"learning_rate": 0.1}):
        shaped = MimicExplainer(model, X[:600], "lightgbm", explainable_model_args=args).surrogate.model
        params = shaped.get_params()
        assert params["max_depth"] == -1 and params.get("n_estimators", 100) == 100  # LightGBM's own defaults
        assert all(params[k] == v for k, v in args.items() if k in params)


def test_a_model_without_predict_is_named_as_such():
    from explain_lib import UnsupportedModelError

    class NoPredict:
        pass

    with pytest.raises(UnsupportedModelError, match="neither predict\\(\\) nor predict_proba\\(\\)"):
        MimicExplainer(NoPredict(), np.zeros((20, 2)), "linear")


@pytest.mark.parametrize("surrogate", ["linear", "sgd", "lightgbm", "tree"])
def test_a_surrogate_explains_a_dataframe_without_scikit_learns_feature_name_warning(surrogate):
    import warnings

    rng = np.random.default_rng(0)
    rows = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"], index=rng.permutation(200) + 1000)
    teacher = MLPRegressor(hidden_layer_sizes=(8,), max_iter=300, random_state=0).fit(rows.to_numpy(),
                                                                                        2 * rows["a"] - rows["b"])
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*feature names.*")
        explainer = MimicExplainer(lambda frame: teacher.predict(np.asarray(frame)), rows, surrogate,
                                   is_function=True, model_task="regression")
        explanation = explainer.explain(rows.iloc[:20])
        surrogate_output = explainer.surrogate_model.predict(rows.iloc[:20])
    assert_allclose(explanation.local.sum(-1)[0] + explanation.expected[0], surrogate_output, atol=1e-6)
