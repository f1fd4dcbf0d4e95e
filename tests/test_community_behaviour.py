"""What interpret-community's own tests (tests/compat_interpret_community) found we did differently, checked here
on small data with known answers, in the default run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from explain_lib import Explanation, MimicExplainer, PFIExplainer, TabularExplainer, UnsupportedModelError
from explain_lib.compat.common.policy import SamplingPolicy
from explain_lib.errors import MissingLabelsError, ValuesNotAvailableError

RNG = np.random.default_rng(0)
X = RNG.normal(size=(120, 4))
Y = X @ np.array([2.0, -1.0, 0.5, 0.0]) + 1.0
LINEAR = LinearRegression().fit(X, Y)


def test_features_and_classes_equal_the_lists_interpret_community_gives():
    iris = load_iris()
    explanation = TabularExplainer(LogisticRegression(max_iter=500).fit(iris.data, iris.target), iris.data,
                                   features=["a", "b", "c", "d"], classes=["x", "y", "z"]).explain(iris.data[:5])
    assert explanation.features == ["a", "b", "c", "d"] and explanation.features == ("a", "b", "c", "d")
    assert explanation.classes == ["x", "y", "z"] and explanation.features != ["b", "a", "c", "d"]
    assert hash(explanation.features) == hash(("a", "b", "c", "d"))


def test_a_global_only_explanation_has_no_local_attribute():
    explanation = TabularExplainer(LINEAR, X).explain_global(X[:10], include_local=False)
    assert not hasattr(explanation, "local_importance_values")
    with pytest.raises(ValuesNotAvailableError, match="global only"):
        explanation.local_importance_values  # noqa: B018


@pytest.mark.parametrize("subset", [[2, 0], ["x2", "x0"], ["2", "0"]])
def test_explain_subset_keeps_those_columns_values(subset):
    full = TabularExplainer(LINEAR, X).explain(X[:8])
    kept = TabularExplainer(LINEAR, X, explain_subset=subset).explain(X[:8])
    assert kept.features == ["x2", "x0"]
    assert_array_equal(kept.local, full.local[:, :, [2, 0]])


def test_a_feature_map_whose_columns_do_not_sum_to_one_applies_as_given():
    explanation = TabularExplainer(LINEAR, X).explain(X[:8])
    partial = np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 0.0]])  # column 3 belongs to no raw feature
    assert_allclose(explanation.get_raw_feature_importances([partial]), partial @ explanation.global_, rtol=1e-12)
    raw = explanation.get_raw_explanation([partial], raw_feature_names=["r0", "r1"])
    assert_allclose(raw.local[0], explanation.local[0] @ partial.T, rtol=1e-12)
    assert raw.expected is None and raw.params["feature_map_partial"] and raw.eval_y_predicted is None


def test_a_predict_that_returns_probabilities_is_explained_as_them():
    iris = load_iris()
    model = LogisticRegression(max_iter=500).fit(iris.data, iris.target)

    class ProbabilitiesFromPredict:
        def predict(self, rows):
            return model.predict_proba(rows)

    explanation = TabularExplainer(ProbabilitiesFromPredict(), iris.data[::10], model_task="classification",
                                   n_background=15).explain(iris.data[:4])
    assert explanation.output_space == "probability"
    assert_allclose(explanation.local.sum(-1).T + explanation.expected, model.predict_proba(iris.data[:4]),
                    atol=1e-9)

    class LabelsFromPredict:
        def predict(self, rows):
            return model.predict(rows)

    with pytest.raises(UnsupportedModelError, match="predict returns labels"):
        TabularExplainer(LabelsFromPredict(), iris.data[::10], model_task="classification").explain(iris.data[:4])


def test_a_network_deep_shap_cannot_propagate_through_is_explained_by_kernel_shap():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    network = torch.nn.Sequential(torch.nn.LayerNorm(4), torch.nn.Linear(4, 1))
    explainer = TabularExplainer(network, X[:20], model_task="regression", n_background=20)
    assert type(explainer.explainer).__name__ == "KernelShap"
    explanation = explainer.explain(X[:3])
    with torch.no_grad():
        output = network(torch.as_tensor(X[:3], dtype=torch.float32)).numpy().ravel()
    assert_allclose(explanation.local[0].sum(-1) + explanation.expected[0], output, atol=1e-5)
    assert network.training  # the user's network was not switched to eval mode


def test_constant_columns_drop_nothing_and_the_others_match_scikit_learn():
    from sklearn.inspection import permutation_importance

    rows = X.copy()
    rows[:, 3] = 5.0  # a constant column
    model = RandomForestRegressor(n_estimators=5, random_state=0).fit(rows, Y)
    explanation = PFIExplainer(model, metric="r2", n_repeats=3).explain(rows, Y)
    reference = permutation_importance(model, rows, Y, scoring="r2", n_repeats=3, random_state=0)
    assert_array_equal(explanation.global_repeats[3], 0.0)
    assert_allclose(explanation.global_repeats, reference.importances, atol=1e-12)


def test_pfi_without_labels_is_our_error_and_a_type_error():
    with pytest.raises(MissingLabelsError) as info:
        PFIExplainer(LINEAR).explain_global(X)
    assert isinstance(info.value, TypeError) and "needs the true labels" in str(info.value)


def test_teacher_probability_of_a_regressor_sums_to_its_predictions():
    explainer = MimicExplainer(LINEAR, X, "lightgbm", shap_values_output="teacher_probability")
    explanation = explainer.explain(X[:10])
    assert explanation.output_space == "raw"
    assert_allclose(explanation.local[0].sum(-1) + explanation.expected[0], LINEAR.predict(X[:10]), atol=1e-9)


def test_a_sampling_policy_samples_max_dim_clustering_rows():
    explainer = TabularExplainer(LINEAR, X)
    sampled = explainer.explain_global(X, sampling_policy=SamplingPolicy(allow_eval_sampling=True,
                                                                         max_dim_clustering=20))
    assert sampled.n_rows == 20 and sampled.params["sampling"]["n_rows_sampled"] == 20
    assert explainer.explain_global(X, sampling_policy=SamplingPolicy()).n_rows == len(X)


def test_a_liblinear_surrogate_of_three_classes_is_one_against_the_rest():
    iris = load_iris()
    teacher = LogisticRegression(max_iter=500).fit(iris.data, iris.target)
    explainer = MimicExplainer(teacher, iris.data, "linear", augment_data=False,
                               explainable_model_args={"solver": "liblinear"})
    surrogate = explainer.surrogate.model
    assert surrogate.coef_.shape == (3, 4) and surrogate.get_params()["solver"] == "liblinear"
    explanation = explainer.explain(iris.data[:3])
    assert_allclose(explanation.local.sum(-1).T + explanation.expected, surrogate.decision_function(iris.data[:3]),
                    atol=1e-9)


def test_unnamed_raw_rows_take_the_names_given_for_positional_transformations():
    rows = np.array([["a", "E", "x"], ["c", "D", "y"], ["a", "D", "x"], ["c", "E", "y"]])
    encoder = Pipeline([("one-hot", OneHotEncoder())]).fit(rows)
    model = LinearRegression().fit(encoder.transform(rows), [1.0, 2.0, 1.5, 2.5])
    explainer = MimicExplainer(model, rows, "linear", transformations=[([0, 1, 2], encoder)], augment_data=False,
                               features=["f1", "f2", "f3"])
    explanation = explainer.explain_global(rows)
    assert explanation.features == ["f1", "f2", "f3"] and list(explanation.data.columns) == ["f1", "f2", "f3"]
    assert_array_equal(explanation.data.to_numpy(), rows)


def test_an_explanation_is_frozen():
    explanation = Explanation(local=np.zeros((1, 2, 2)), expected=[0.0], features=["a", "b"], task="regression",
                              output_space="raw", method="demo")
    with pytest.raises(AttributeError):
        explanation._id = "other"


@pytest.mark.parametrize("drop", ["first", "if_binary"])
def test_one_hot_with_drop_maps_even_if_the_rows_hold_categories_it_never_saw(drop):
    import pandas as pd
    from lightgbm import LGBMClassifier
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    train = pd.DataFrame({"a": rng.normal(size=200), "s": rng.choice(["u", "v", "w"], 200).astype(object),
                          "t": rng.choice(["p", "q"], 200).astype(object)})
    rows = train.copy()
    rows.loc[0, "s"] = "never-seen"  # the mapping's sample is never fed through the encoder itself
    encode = Pipeline([("impute", SimpleImputer(strategy="constant", fill_value="missing")),
                       ("one-hot", OneHotEncoder(handle_unknown="error", drop=drop))])
    columns = ColumnTransformer([("num", StandardScaler(), ["a"]), ("cat", encode, ["s", "t"])]).fit(train)
    model = LGBMClassifier(n_estimators=5, verbose=-1).fit(columns.transform(train), (train.a > 0).astype(int))
    explanation = TabularExplainer(model, rows, transformations=columns).explain(train[:5])
    engineered = TabularExplainer(model, rows, transformations=columns).explain(train[:5], raw=False)
    assert explanation.features == ["a", "s", "t"]
    assert_allclose(explanation.local.sum(-1), engineered.local.sum(-1), atol=1e-12)


def test_an_explainers_classes_and_features_equal_the_lists_interpret_community_gives():
    iris = load_iris()
    teacher = LogisticRegression(max_iter=500).fit(iris.data, iris.target)
    explainer = MimicExplainer(teacher, iris.data, "linear", augment_data=False, features=["a", "b", "c", "d"],
                               classes=["x", "y", "z"])
    assert explainer.classes == ["x", "y", "z"] and explainer.classes == ("x", "y", "z")
    assert explainer.classes != ["y", "x", "z"] and explainer.features == ["a", "b", "c", "d"]
    assert TabularExplainer(teacher, iris.data).classes == [0, 1, 2]


def test_a_binary_surrogate_predicts_the_teachers_log_odds():
    labels = (X[:, 0] - X[:, 1] > 0).astype(int)
    teacher = LogisticRegression(C=0.1).fit(X, labels)  # log-odds linear in X: a linear surrogate is exact
    explainer = MimicExplainer(teacher, X, "linear", augment_data=False)
    predicted = explainer.surrogate_model.predict(X[:10])
    assert_allclose(predicted, teacher.decision_function(X[:10]), atol=1e-6)
    explanation = explainer.explain(X[:10])
    assert_allclose(explanation.local[1].sum(-1) + explanation.expected[1], predicted, atol=1e-9)


def test_the_replication_of_a_regression_surrogate_needs_two_rows():
    explainer = MimicExplainer(LINEAR, X, "linear", augment_data=False)
    assert explainer.get_surrogate_model_replication_measure(X[:2]) == pytest.approx(1.0)
    with pytest.raises(UnsupportedModelError, match="single instance") as info:
        explainer.get_surrogate_model_replication_measure(X[:1])
    assert "at least 2 rows" in str(info.value)


def test_a_network_handed_to_mimic_gets_predict_as_interpret_community_wraps_it():
    torch = pytest.importorskip("torch")
    network = torch.nn.Sequential(torch.nn.Linear(4, 1), torch.nn.Sigmoid())
    with torch.no_grad():
        network[0].weight.copy_(torch.tensor([[1.0, -1.0, 0.0, 0.0]]))
        network[0].bias.fill_(0.25)
    explainer = MimicExplainer(network, X, "linear", model_task="classification", augment_data=False)
    assert explainer.model.module_ is network
    assert_array_equal(explainer.model.predict(X), (X[:, 0] - X[:, 1] + 0.25 > 0).astype(int))
    positive = 1 / (1 + np.exp(-(X[:5, 0] - X[:5, 1] + 0.25)))
    assert_allclose(explainer.model.predict_proba(X[:5]), np.column_stack([1 - positive, positive]), atol=1e-6)
    regressor = MimicExplainer(torch.nn.Linear(4, 1), X, "linear", model_task="regression", augment_data=False)
    assert not hasattr(regressor.model, "predict_proba") and regressor.model.predict(X[:3]).shape == (3,)


def test_pfi_refuses_classes_without_probabilities_in_interpret_communitys_words():
    iris = load_iris()
    from sklearn.svm import SVC

    labels_only = SVC().fit(iris.data, iris.target)
    with pytest.raises(ValueError, match="^Classes is specified but model does not define predict_proba, only predict"):
        PFIExplainer(labels_only, classes=["x", "y", "z"])
    with pytest.raises(ValueError, match="^Classes is specified but function was predict, not predict_proba.*SVC"):
        PFIExplainer(labels_only.predict, is_function=True, classes=["x", "y", "z"])
    # a function that is not a model's predict: we cannot tell, and say what to pass
    with pytest.raises(ValueError, match="cannot tell whether this function classifies"):
        PFIExplainer(lambda rows: labels_only.predict(rows), is_function=True, classes=["x", "y", "z"])


def test_calling_data_gives_interpret_communitys_dictionaries():
    iris = load_iris()
    model = LogisticRegression(max_iter=500).fit(iris.data, iris.target)
    explainer = TabularExplainer(model, iris.data, features=["a", "b", "c", "d"], classes=["x", "y", "z"])
    rows = iris.data[[0, 60, 120]]
    explanation = explainer.explain_global(rows)
    assert list(explanation.data.columns) == ["a", "b", "c", "d"] and len(explanation.data) == 3  # still the rows
    assert type(explanation.data.iloc[:2]) is pd.DataFrame
    assert explanation.data() == {"mli": [], "names": ["a", "b", "c", "d"],
                                  "scores": explanation.global_importance_values}
    everything = explanation.data(key=-1)
    assert everything["overall"] == {"names": ["a", "b", "c", "d"], "scores": explanation.global_importance_values}
    local_entry, global_entry = everything["mli"]
    assert local_entry["explanation_type"] == "local_feature_importance"
    assert local_entry["value"]["scores"] == explanation.local_importance_values
    assert local_entry["value"]["intercept"] == explanation.expected_values
    assert global_entry == {"explanation_type": "global_feature_importance",
                            "value": {"scores": explanation.global_importance_values,
                                      "feature_list": ["a", "b", "c", "d"]}}
    predicted = model.predict(rows)
    for i, row in enumerate(everything["specific"]):
        assert_array_equal(row["values"], rows[i])
        assert row["perf"]["predicted"] == predicted[i] == row["perf"]["actual"]
        alone = explanation.data(key=i)
        assert_array_equal(alone.pop("values"), rows[i])
        assert alone == {key: value for key, value in row.items() if key != "values"}
        assert alone["type"] == "univariate" and alone["scores"] == explanation.local_importance_values
    # a local explanation has no global data, as in interpret-community; a global-only one keeps its rows
    assert explainer.explain_local(rows).data() == {"mli": []}
    global_only = explainer.explain_global(rows, include_local=False)
    assert_array_equal(global_only.data.to_numpy(), rows)
    assert global_only.data(key=-1)["specific"] is None
    with pytest.raises(ValueError, match="a row position from 0 to 2"):
        explanation.data(key=3)
