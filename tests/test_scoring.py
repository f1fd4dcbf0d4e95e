"""Scoring explainers: equal to the offline explanation, lean, persistent, with azureml-interpret's names."""

from __future__ import annotations

import pickle

import matplotlib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from lightgbm import LGBMClassifier
from numpy.testing import assert_allclose
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from explain_lib import (
    KernelShap,
    LinearShap,
    MimicExplainer,
    PFIExplainer,
    TabularExplainer,
    TreeShap,
)
from explain_lib.errors import InvalidParameterError, SchemaVersionError, UnsupportedModelError
from explain_lib.scoring import (
    DeepScoringExplainer,
    KernelScoringExplainer,
    LinearScoringExplainer,
    ScoringExplainer,
    TreeScoringExplainer,
    load,
    save,
    scoring_frame,
)

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def mixed():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"age": rng.integers(18, 80, 300).astype(float), "hours": rng.normal(40, 8, 300),
                      "colour": rng.choice(["red", "green", "blue"], 300)})
    y = ((X.age > 45) ^ (X.colour == "red")).astype(int)
    pipe = Pipeline([
        ("prep", ColumnTransformer([("num", StandardScaler(), ["age", "hours"]),
                                    ("cat", OneHotEncoder(), ["colour"])])),
        ("model", LogisticRegression()),
    ]).fit(X, y)
    return X, y, pipe


@pytest.fixture(scope="module")
def explainers(numeric):
    X, y, margin = numeric
    classifier = LogisticRegression().fit(X, y)
    return {
        "tree": TreeShap(LGBMClassifier(n_estimators=20, verbose=-1).fit(X, y)),
        "linear": LinearShap(LinearRegression().fit(X, margin), X),
        "kernel": KernelShap(classifier, X[:40]),
        "mimic-lightgbm": MimicExplainer(classifier, X, "lightgbm", explainable_model_args={"n_estimators": 20}),
        "mimic-linear": MimicExplainer(RandomForestRegressor(n_estimators=5, random_state=0).fit(X, margin), X,
                                       "linear"),
    }


KINDS = ["tree", "linear", "kernel", "mimic-lightgbm", "mimic-linear"]


@pytest.mark.parametrize("kind", KINDS)
def test_scoring_equals_offline_explain_and_survives_save_load(numeric, explainers, kind, tmp_path):
    X, _, _ = numeric
    explainer = explainers[kind]
    offline = explainer.explain(X[:25])
    scoring = ScoringExplainer(explainer)
    online = scoring.explain_local(X[:25])
    assert_allclose(online.local, offline.local, rtol=0, atol=1e-6)
    assert_allclose(online.expected, offline.expected, rtol=0, atol=1e-6)
    assert online.features == offline.features

    path = scoring.save(tmp_path / "scoring")
    assert path.endswith("scoring_explainer.pkl")
    loaded = ScoringExplainer.load(tmp_path / "scoring")
    assert_allclose(loaded.explain_local(X[:25]).local, offline.local, rtol=0, atol=1e-6)
    # azureml-interpret's shapes: one (rows x features) matrix per class, or one matrix for a regression
    values = np.asarray(loaded.explain(X[:25]))
    expected_shape = offline.local.shape if offline.task == "classification" else offline.local.shape[1:]
    assert values.shape == expected_shape


def test_linear_scoring_is_the_closed_form(numeric):
    X, _, margin = numeric
    model = LinearRegression().fit(X, margin)
    values = np.asarray(LinearScoringExplainer(LinearShap(model, X)).explain(X[:10]))
    assert_allclose(values, model.coef_ * (X[:10].to_numpy() - X.to_numpy().mean(axis=0)), atol=1e-9)


def test_tree_scoring_adds_up_to_the_margin(numeric):
    X, y, _ = numeric
    model = LGBMClassifier(n_estimators=20, verbose=-1).fit(X, y)
    explanation = TreeScoringExplainer(TreeShap(model)).explain_local(X[:30])
    assert_allclose(explanation.local[1].sum(-1) + explanation.expected[1], model.predict(X[:30], raw_score=True),
                    atol=1e-6)


def test_scoring_copy_keeps_no_training_data(numeric):
    X, _, margin = numeric
    big = pd.concat([X] * 20, ignore_index=True)  # 6000 training rows
    mimic = MimicExplainer(RandomForestRegressor(n_estimators=3, random_state=0).fit(X, margin), big, "linear",
                           augment_data=False)
    linear = LinearShap(LinearRegression().fit(big, np.tile(margin, 20)), big)
    for original in (mimic, linear):
        scoring = ScoringExplainer(original)
        size = len(pickle.dumps(scoring))
        assert size < big.to_numpy().nbytes / 10, f"{type(original).__name__}: {size} bytes"
        assert_allclose(scoring.explain_local(X[:5]).local, original.explain(X[:5]).local, atol=1e-9)
    assert ScoringExplainer(mimic).explainer.model is None  # the teacher stays behind
    assert mimic.model is not None  # and the original explainer is untouched


def test_raw_features_through_a_column_transformer(mixed):
    X, _, pipe = mixed
    scoring = ScoringExplainer.from_model(pipe, X)
    raw = scoring.explain_local(X[:20])
    engineered = scoring.explain_local(X[:20], get_raw=False)
    assert raw.features == ("age", "hours", "colour") and raw.is_raw
    colour_columns = [j for j, name in enumerate(engineered.features) if name.startswith("cat__colour_")]
    assert len(colour_columns) == 3
    assert_allclose(raw.local[..., 2], engineered.local[..., colour_columns].sum(-1), atol=1e-12)
    # additivity in raw features: the pipeline's decision function
    assert_allclose(raw.local[1].sum(-1) + raw.expected[1], pipe.decision_function(X[:20]), atol=1e-9)
    assert_allclose(np.asarray(scoring.explain(X[:20])), raw.local, atol=1e-12)


def test_feature_maps_give_raw_importances_on_request(mixed):
    X, _, pipe = mixed
    prep, model = pipe[0], pipe[-1]
    engineered_rows = prep.transform(X)
    linear = LinearShap(model, engineered_rows)
    matrix = TabularExplainer(pipe, X).feature_map.matrix
    scoring = ScoringExplainer(linear, [sp.csr_matrix(matrix)], raw_features=["age", "hours", "colour"])
    engineered = scoring.explain_local(engineered_rows[:10])
    raw = scoring.explain_local(engineered_rows[:10], get_raw=True)
    assert engineered.n_features == 5 and raw.features == ("age", "hours", "colour")
    assert_allclose(raw.local, engineered.to_raw(matrix, raw_features=["age", "hours", "colour"]).local)
    with pytest.raises(InvalidParameterError, match="get_raw=True needs"):
        ScoringExplainer(linear).explain_local(engineered_rows[:2], get_raw=True)


def test_azureml_constructors_check_the_method(numeric, mixed):
    X, y, margin = numeric
    tree_model = LGBMClassifier(n_estimators=10, verbose=-1).fit(X, y)
    kernel_of_tree = KernelShap(tree_model, X[:20])
    rebuilt = TreeScoringExplainer(kernel_of_tree)  # a tree model explained otherwise: TreeSHAP is built
    assert rebuilt.method == "shap.tree"
    with pytest.raises(UnsupportedModelError, match="LinearScoringExplainer"):
        LinearScoringExplainer(TreeShap(tree_model))
    with pytest.raises(UnsupportedModelError, match="TreeScoringExplainer explains tree models"):
        TreeScoringExplainer(LinearShap(LinearRegression().fit(X, margin), X))
    with pytest.raises(InvalidParameterError, match="initialization_examples"):
        KernelScoringExplainer(TreeShap(tree_model))
    kernel = KernelScoringExplainer(TreeShap(tree_model), initialization_examples=X[:30])
    assert kernel.method == "shap.kernel"
    assert_allclose(kernel.explain_local(X[:3]).local, KernelShap(tree_model, X[:30]).explain(X[:3]).local, atol=1e-9)
    with pytest.raises(UnsupportedModelError, match="DeepScoringExplainer explains PyTorch networks"):
        DeepScoringExplainer(kernel_of_tree, X[:10])
    with pytest.raises(UnsupportedModelError, match="global importances only"):
        ScoringExplainer(PFIExplainer(tree_model))


def test_save_refuses_to_overwrite_and_load_checks_the_format(numeric, tmp_path):
    X, y, _ = numeric
    scoring = ScoringExplainer(TreeShap(LGBMClassifier(n_estimators=5, verbose=-1).fit(X, y)))
    save(scoring, tmp_path / "s")
    with pytest.raises(InvalidParameterError, match="exist_ok=True"):
        save(scoring, tmp_path / "s")
    save(scoring, tmp_path / "s", exist_ok=True)
    assert_allclose(load(tmp_path / "s").explain_local(X[:3]).local, scoring.explain_local(X[:3]).local)
    meta = tmp_path / "s" / "scoring_explainer.json"
    meta.write_text(meta.read_text().replace('"schema_version": 1', '"schema_version": 99'))
    with pytest.raises(SchemaVersionError, match="Upgrade explain-lib"):
        load(tmp_path / "s")
    with pytest.raises(InvalidParameterError, match="no saved scoring explainer"):
        load(tmp_path)


def test_scoring_frame_explains_each_rows_predicted_class(mixed):
    X, _, pipe = mixed
    explanation = ScoringExplainer.from_model(pipe, X).explain_local(X[:40])
    predicted = pipe.predict(X[:40])
    frame = scoring_frame(explanation, predicted)
    assert list(frame.columns) == ["prediction", "explained_class", "expected_value", "importance_age",
                                   "importance_hours", "importance_colour"]
    assert (frame.explained_class == predicted).all()
    # expected + importances = the explained class's margin, which is positive for the predicted class
    outputs = frame.expected_value + frame.filter(like="importance_").sum(axis=1)
    sign = np.where(predicted == 1, 1.0, -1.0)
    assert_allclose(outputs, sign * pipe.decision_function(X[:40]), atol=1e-9)
    assert (outputs > 0).all()
    every = scoring_frame(explanation, predicted, classes="all")
    assert_allclose(every["importance_1_age"], explanation.local[1, :, 0])
    assert_allclose(every["expected_value_0"], explanation.expected[0])
    with pytest.raises(InvalidParameterError, match="class labels"):
        scoring_frame(explanation, predicted, classes=[7])


def test_mimic_scoring_with_transformations_explains_raw_rows(mixed):
    X, _, pipe = mixed
    prep, model = pipe[0], pipe[-1]
    mimic = MimicExplainer(model, X, "lightgbm", transformations=prep, explainable_model_args={"n_estimators": 20})
    offline = mimic.explain(X[:15])
    scoring = ScoringExplainer(mimic)
    online = scoring.explain_local(X[:15])
    assert online.features == ("age", "hours", "colour") == offline.features and online.is_raw
    assert_allclose(online.local, offline.local, rtol=0, atol=1e-9)
    with pytest.raises(InvalidParameterError, match="raw features only"):
        scoring.explain_local(X[:2], get_raw=False)
