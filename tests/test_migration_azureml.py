"""azureml-interpret's scoring explainers and MimicWrapper, through the import swap of MIGRATION.md.

The scripts are our own, written from the call sequences of the public Azure ML samples: a training
script that fits a scoring explainer and saves it, a deployed scoring script that loads it (by
``joblib.load`` of the saved pickle, as the samples do, and by ``load``) and explains new rows; and
the automated-ML flow that builds a ``MimicWrapper`` over engineered rows with a raw -> engineered
feature map, uploads engineered and raw explanations, and ships a ``TreeScoringExplainer``. Azure
runs are replaced by MLflow runs on a local sqlite store.
"""

from __future__ import annotations

import mlflow
import numpy as np
import pytest
from migration_swap import swap
from numpy.testing import assert_allclose

from explain_lib.errors import InvalidParameterError


def _run(sample: str, **names) -> dict:
    migrated = swap(sample)
    assert "azureml.interpret" not in migrated and "interpret.ext" not in migrated
    results: dict = {}
    exec(compile(migrated, "<migrated sample>", "exec"), {"results": results, **names})
    return results


SCORING_SAMPLE = '''
import io
import os
import joblib
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from interpret.ext.blackbox import TabularExplainer
from azureml.interpret.scoring.scoring_explainer import LinearScoringExplainer, save, load

rng = np.random.default_rng(0)
n = 160
attritionXData = pd.DataFrame({
    "Age": rng.integers(18, 60, n).astype(float), "MonthlyIncome": rng.lognormal(8, 0.4, n),
    "Department": rng.choice(["Sales", "R&D", "HR"], n).astype(object)})
target = ((attritionXData["Department"] == "Sales") ^ (attritionXData["Age"] > 40)).astype(int)
x_train, x_test, y_train = attritionXData[:120], attritionXData[120:], target[:120]
transformations = ColumnTransformer([
    ("num", Pipeline([("imputer", SimpleImputer(strategy="median")), ("scaler", StandardScaler())]),
     ["Age", "MonthlyIncome"]),
    ("cat", Pipeline([("imputer", SimpleImputer(strategy="constant", fill_value="missing")),
                      ("onehot", OneHotEncoder(handle_unknown="ignore"))]), ["Department"])])
clf = Pipeline(steps=[("preprocessor", transformations), ("classifier", LogisticRegression(solver="lbfgs"))])
clf.fit(x_train, y_train)
model = clf.steps[-1][1]
tabular_explainer = TabularExplainer(model, initialization_examples=x_train, features=attritionXData.columns,
                                     classes=["Not leaving", "leaving"], transformations=transformations)
results["offline"] = tabular_explainer.explain_local(x_test).local_importance_values
scoring_explainer = LinearScoringExplainer(tabular_explainer)
save(scoring_explainer, directory=OUTPUT_DIR, exist_ok=True)

# score.py, in the deployed service: init() then run(raw_data)
scoring_explainer = joblib.load(os.path.join(OUTPUT_DIR, "scoring_explainer.pkl"))
data = pd.read_json(io.StringIO(x_test.to_json(orient="records")), orient="records")  # the request body
results["served"] = scoring_explainer.explain(data)
results["features"] = scoring_explainer.features
results["loaded"] = load(OUTPUT_DIR).explain(data)
results["predictions"] = clf.predict(data).tolist()
'''


def test_a_saved_scoring_explainer_explains_in_the_scoring_script_as_offline(tmp_path):
    results = _run(SCORING_SAMPLE, OUTPUT_DIR=str(tmp_path))
    offline = np.asarray(results["offline"])
    assert offline.shape == (2, 40, 3)  # classes x rows x raw features
    assert_allclose(np.asarray(results["served"]), offline, atol=1e-10)
    assert_allclose(np.asarray(results["loaded"]), offline, atol=1e-10)
    assert len(results["predictions"]) == 40
    assert results["features"] == ("Age", "MonthlyIncome", "Department")  # the served values' columns


MIMIC_WRAPPER_SAMPLE = '''
import joblib
import mlflow
import numpy as np
import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier
from interpret.ext.glassbox import LGBMExplainableModel
from azureml.interpret import ExplanationClient
from azureml.interpret.mimic_wrapper import MimicWrapper
from azureml.interpret.scoring.scoring_explainer import TreeScoringExplainer

# What automl_setup_model_explanations hands over: engineered rows, their names and the raw -> engineered map.
rng = np.random.default_rng(3)
n = 200
raw = pd.DataFrame({"size": rng.normal(size=n), "colour": rng.choice(["red", "green", "blue"], n),
                    "noise": rng.normal(size=n)})
engineered = np.column_stack([raw["size"], *(raw["colour"] == c for c in ("red", "green", "blue")), raw["noise"]])
engineered = engineered.astype(float)
engineered_feature_names = ["size", "colour_red", "colour_green", "colour_blue", "noise"]
raw_feature_names = ["size", "colour", "noise"]
feature_map = np.zeros((3, 5))
feature_map[0, 0] = feature_map[1, 1] = feature_map[1, 2] = feature_map[1, 3] = feature_map[2, 4] = 1.0
y = ((raw["size"] > 0) & (raw["colour"] != "blue")).astype(int)
automl_estimator = GradientBoostingClassifier(n_estimators=30, random_state=0).fit(engineered[:150], y[:150])
X_transform, X_test_transform, X_test_raw = engineered[:150], engineered[150:], raw[150:]

run = mlflow.start_run()  # was: run = Run.get_context()
ws = None                  # was: run.experiment.workspace
explainer = MimicWrapper(ws, automl_estimator, LGBMExplainableModel,
                         explainer_kwargs={"explainable_model_args": {"n_jobs": 1}},
                         init_dataset=X_transform, run=run, features=engineered_feature_names,
                         feature_maps=[feature_map], classes=["no", "yes"])
engineered_explanations = explainer.explain(["local", "global"], tag="engineered explanations",
                                            eval_dataset=X_test_transform)
raw_explanations = explainer.explain(["local", "global"], get_raw=True, tag="raw explanations",
                                     raw_feature_names=raw_feature_names, eval_dataset=X_test_transform,
                                     raw_eval_dataset=X_test_raw)
mlflow.end_run()
results["engineered"], results["raw"] = engineered_explanations, raw_explanations

client = ExplanationClient.from_run(run)
results["listed"] = client.list_model_explanations()
results["downloaded_raw"] = client.download_model_explanation(raw=True, comment="raw explanations")
results["downloaded_engineered"] = client.download_model_explanation(raw=False)

scoring_explainer = TreeScoringExplainer(explainer.explainer, feature_maps=[feature_map])
with open(SCORING_PATH, "wb") as stream:
    joblib.dump(scoring_explainer, stream)
scoring_explainer = joblib.load(SCORING_PATH)
results["scored_engineered"] = scoring_explainer.explain(X_test_transform)
results["scored_raw"] = scoring_explainer.explain(X_test_transform, get_raw=True)
results["scored_features"] = scoring_explainer.features, scoring_explainer.raw_features
'''


def test_the_automl_mimic_wrapper_flow_uploads_engineered_and_raw_and_scores_the_same(store, tmp_path):
    results = _run(MIMIC_WRAPPER_SAMPLE, SCORING_PATH=str(tmp_path / "scoring_explainer.pkl"))
    engineered, raw = results["engineered"], results["raw"]
    assert engineered.features == ("size", "colour_red", "colour_green", "colour_blue", "noise")
    assert raw.features == ("size", "colour", "noise") and raw.is_raw and not engineered.is_raw
    eng_local = np.asarray(engineered.local_importance_values)  # (classes, rows, features)
    raw_local = np.asarray(raw.local_importance_values)
    assert raw_local.shape == (2, 50, 3)
    # raw values are sums of their engineered columns: one-hot colour is three columns
    assert_allclose(raw_local[..., 1], eng_local[..., 1:4].sum(axis=-1), atol=1e-10)
    assert_allclose(raw_local.sum(axis=-1), eng_local.sum(axis=-1), atol=1e-10)

    listed = {entry["comment"]: entry for entry in results["listed"]}
    assert set(listed) == {"engineered explanations", "raw explanations"}
    assert listed["raw explanations"]["is_raw"] and not listed["engineered explanations"]["is_raw"]
    assert_allclose(np.asarray(results["downloaded_raw"].local_importance_values), raw_local, atol=1e-10)
    assert_allclose(np.asarray(results["downloaded_engineered"].local_importance_values), eng_local, atol=1e-10)

    assert_allclose(np.asarray(results["scored_engineered"]), eng_local, atol=1e-10)
    assert_allclose(np.asarray(results["scored_raw"]), raw_local, atol=1e-10)
    assert results["scored_features"][0] == engineered.features and len(results["scored_features"][1]) == 3


@pytest.fixture(scope="module")
def regression():
    from sklearn.linear_model import LinearRegression

    from explain_lib.compat import LinearExplainableModel

    rng = np.random.default_rng(5)
    X = rng.normal(size=(60, 3))
    model = LinearRegression().fit(X, X @ np.array([2.0, -1.0, 0.0]))
    return X, model, LinearExplainableModel


def test_without_a_run_the_wrapper_uploads_to_a_new_run_of_experiment_name(store, regression):
    from explain_lib.compat import ExplanationClient, MimicWrapper

    X, model, surrogate = regression
    wrapper = MimicWrapper(None, model, surrogate, init_dataset=X, features=["a", "b", "c"])
    explanation = wrapper.explain(["global"], eval_dataset=X, experiment_name="explain_model", tag="first")
    run = mlflow.MlflowClient(store).get_run(wrapper.run_id)
    assert mlflow.MlflowClient(store).get_experiment(run.info.experiment_id).name == "explain_model"
    assert [entry["comment"] for entry in ExplanationClient.from_run_id(wrapper.run_id).list_model_explanations()] \
        == ["first"]
    assert explanation.get_ranked_global_names()[:2] == ["a", "b"]  # c has a zero coefficient
    assert explanation.local is None  # "global" alone keeps no local values, as azureml-interpret


def test_an_mlflow_model_id_is_loaded_and_recorded(store, regression):
    import mlflow.sklearn

    from explain_lib.compat import MimicWrapper

    X, model, surrogate = regression
    with mlflow.start_run() as run:
        mlflow.sklearn.log_model(model, name="model", pip_requirements=["scikit-learn"])  # no env inference
    wrapper = MimicWrapper(None, f"runs:/{run.info.run_id}/model", surrogate, init_dataset=X, run=run.info.run_id)
    explanation = wrapper.explain(["local"], eval_dataset=X[:5], upload=False)
    assert_allclose(np.asarray(explanation.local_importance_values).sum(axis=1) + explanation.expected_values[0],
                    model.predict(X[:5]), atol=0.2)
    assert wrapper.model_id.startswith("runs:/")


@pytest.mark.parametrize("call, message", [
    (lambda W, X, m, s: W(None, m, s), "init_dataset"),
    (lambda W, X, m, s: W(None, m, s, init_dataset="azureml-dataset-id"), "Azure ML dataset id"),
    (lambda W, X, m, s: W(None, m, s, init_dataset=X, transformations=[], feature_maps=[np.eye(3)]), "not both"),
    (lambda W, X, m, s: W(None, m, s, init_dataset=X).explain(["sideways"], eval_dataset=X), "local"),
    (lambda W, X, m, s: W(None, m, s, init_dataset=X).explain(["local"], upload=False), "eval_dataset"),
    (lambda W, X, m, s: W(None, m, s, init_dataset=X).explain(["local"], eval_dataset=X, get_raw=True),
     "feature_maps"),
])
def test_wrapper_misuse_is_refused_before_anything_is_uploaded(regression, call, message):
    from explain_lib.compat import MimicWrapper

    X, model, surrogate = regression
    with pytest.raises(InvalidParameterError, match=message):
        call(MimicWrapper, X, model, surrogate)
