"""MimicExplainer(training="interpret-community") and explain_lib.compat's MimicExplainer: the surrogate
interpret-community 0.32 trains (every row, seed 123, its estimator defaults, its augmentation count), rebuilt
here from scikit-learn and LightGBM directly; and the initialization rows its explanations hold as ``init_data``."""

import json

import lightgbm
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.svm import SVC

from explain_lib import Explanation, InvalidParameterError, MimicExplainer
from explain_lib.compat import MimicExplainer as CommunityMimicExplainer
from explain_lib.compat import load_explanation, save_explanation
from explain_lib.explainers._distillation import augmentation_copies


@pytest.fixture(scope="module")
def iris_teacher():
    data = load_iris()
    X = data.data[::2]
    return SVC(gamma=0.01, C=10.0, random_state=0).fit(X, data.target[::2]), X


def test_the_community_sgd_surrogate_is_scikit_learns_default_sgd_on_unscaled_rows(iris_teacher):
    model, X = iris_teacher
    explainer = CommunityMimicExplainer(model, X, "sgd")
    rebuilt = SGDClassifier(random_state=123).fit(X, model.predict(X))  # every row, seed 123, hinge loss
    assert_allclose(explainer.surrogate.model.coef_, rebuilt.coef_, rtol=1e-12)
    local = explainer.explain_local(X[:7]).local
    # a linear surrogate's exact SHAP values against the training rows' mean
    assert_allclose(local, rebuilt.coef_[:, None, :] * (X[:7] - X.mean(axis=0))[None], atol=1e-9)
    assert explainer.fidelity["n_holdout"] == 0 and explainer.explain_global(X).params["training"] == \
        "interpret-community"


def test_the_community_lightgbm_surrogate_is_lightgbms_default_on_every_row(iris_teacher):
    model, X = iris_teacher
    explainer = CommunityMimicExplainer(model, X, "lightgbm")
    rebuilt = lightgbm.LGBMClassifier(random_state=123, verbose=-1).fit(X, model.predict(X))
    assert explainer.surrogate.model.n_estimators == 100 and explainer.surrogate.model.num_leaves == 31
    contributions = rebuilt.predict(X[:5], pred_contrib=True).reshape(5, 3, 5)  # per class: 4 values + bias
    assert_allclose(explainer.explain_local(X[:5]).local, contributions[:, :, :4].transpose(1, 0, 2), atol=1e-9)


def test_our_defaults_differ_where_the_docs_say(iris_teacher):
    model, X = iris_teacher
    ours = MimicExplainer(model, X, "sgd")
    assert ours.fidelity["n_holdout"] > 0
    assert ours.surrogate.model.loss == "log_loss"
    assert not np.allclose(ours.surrogate.transform(X), X)  # standardized
    same_training = MimicExplainer(model, X, "sgd", training="interpret-community", holdout_fraction=0,
                                   random_state=123)
    assert_allclose(same_training.explain_local(X).local, CommunityMimicExplainer(model, X, "sgd")
                    .explain_local(X).local)


@pytest.mark.parametrize(("rows", "features", "ours", "community"),
                         [(120, 4, 10, 0), (2000, 4, 5, 0), (10, 20, 10, 1), (10, 45, 10, 3), (3, 300, 10, 10)])
def test_augmentation_counts(rows, features, ours, community):
    assert augmentation_copies("explain-lib", rows, features, 10) == ours
    assert augmentation_copies("interpret-community", rows, features, 10) == community


def test_wide_rows_are_augmented_as_many_times_as_interpret_community_does():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 20))
    teacher = lightgbm.LGBMRegressor(n_estimators=5, min_child_samples=1, verbose=-1).fit(X, X[:, 0])
    explainer = MimicExplainer(teacher, X, "linear", training="interpret-community", holdout_fraction=0)
    assert explainer.explain_global(X).params["n_augmented_rows"] == 6 * (20 // 6 - 1)


def test_probabilities_from_a_surrogate_without_them_are_refused_before_training(iris_teacher):
    model, X = iris_teacher
    with pytest.raises(InvalidParameterError, match="hinge loss.*explainable_model_args=.'loss': 'log_loss'"):
        CommunityMimicExplainer(model, X, "sgd", shap_values_output="probability")
    logistic = CommunityMimicExplainer(model, X, "sgd", shap_values_output="probability",
                                       explainable_model_args={"loss": "log_loss"})
    assert_allclose(logistic.explain_local(X).local.sum(axis=(0, 2)), 0.0, atol=1e-9)  # probabilities sum to 1


@pytest.mark.parametrize("kwargs", [{"training": "interpret_community"}, {"holdout_fraction": 1.0},
                                    {"holdout_fraction": -0.1}])
def test_bad_training_choices_are_refused(iris_teacher, kwargs):
    model, X = iris_teacher
    with pytest.raises(InvalidParameterError, match="training must be one of|holdout_fraction must lie in"):
        MimicExplainer(model, X, "linear", **kwargs)


def test_community_explanations_hold_the_initialization_rows_as_init_data(iris_teacher, tmp_path):
    model, X = iris_teacher
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    model = SVC(gamma=0.01, C=10.0, random_state=0).fit(frame, model.predict(X))  # a model of named columns
    explainer = CommunityMimicExplainer(model, frame, "tree")
    for explanation in (explainer.explain_global(frame.iloc[:5]), explainer.explain_local(frame.iloc[:5]),
                        explainer.explain_global(), explainer.explain_global(frame.iloc[:5]).cohort([True] * 5)):
        assert explanation.init_data == X.tolist()
    array = X.copy()
    array_model = SVC(gamma=0.01, C=10.0, random_state=0).fit(array, model.predict(frame))
    from_array = CommunityMimicExplainer(array_model, array, "tree")
    frame.iloc[0, 0] = array[0, 0] = 99.0  # the caller's rows change later: what was held does not
    assert explainer.explain_global().init_data == X.tolist() == from_array.explain_global().init_data
    # interpret-community's folder gets it, as its own save_explanation writes it; our format leaves it out
    explanation = explainer.explain_global(frame.iloc[:5])
    save_explanation(explanation, tmp_path / "ic")
    saved = json.loads((tmp_path / "ic" / "init_data.json").read_text())
    assert saved["data"] == X.tolist() and load_explanation(tmp_path / "ic").init_data == X.tolist()
    explanation.save(tmp_path / "ours")
    assert Explanation.load(tmp_path / "ours").init_data is None
    assert MimicExplainer(model, frame, "tree").explain_global(frame.iloc[:5]).init_data is None
    linear = LogisticRegression(max_iter=1000).fit(X, model.predict(frame))  # takes sparse rows
    sparse = CommunityMimicExplainer(linear, sp.csr_matrix(X), "linear")  # sparse rows are not held
    assert sparse.explain_global(sp.csr_matrix(X[:5])).init_data is None
