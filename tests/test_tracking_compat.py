"""Run history as azureml-interpret's and interpret_community.mlflow's users call it, on a real MLflow server.

Written from the Azure ML "save-retrieve-explanations-run-history" and "explain-model-on-amlcompute"
sample flows: upload a global and a local explanation with comments (one with top_k, one with a
model id), list them, download by id, newest, top_k, raw / engineered; and interpret-community's
``log_explanation(name, explanation)`` / ``get_explanation(run_id, name)``.
"""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from explain_lib.compat import ExplanationClient, TabularExplainer, load_explanation, save_explanation
from explain_lib.compat.mlflow import get_explanation, log_explanation
from explain_lib.errors import InvalidParameterError
from explain_lib.tracking import ExplanationNotFoundError, RunNotFoundError


@pytest.fixture(scope="module")
def explanations():
    """A global (raw), its engineered twin and a local explanation, as the attrition notebook makes them."""
    rng = np.random.default_rng(0)
    n = 120
    frame = pd.DataFrame({"age": rng.integers(18, 60, n).astype(float), "income": rng.lognormal(10, 0.3, n),
                          "dept": rng.choice(["sales", "hr", "rd"], n).astype(object)})
    frame.loc[::9, "dept"] = np.nan
    y = (frame["income"] > frame["income"].median()).astype(int).to_numpy()
    transformations = ColumnTransformer([
        ("num", Pipeline([("impute", SimpleImputer()), ("scale", StandardScaler())]), ["age", "income"]),
        ("cat", Pipeline([("impute", SimpleImputer(strategy="constant", fill_value="missing")),
                          ("onehot", OneHotEncoder(handle_unknown="ignore"))]), ["dept"]),
    ]).fit(frame)
    model = LogisticRegression().fit(transformations.transform(frame), y)
    explainer = TabularExplainer(model, frame, features=frame.columns, classes=["Not leaving", "leaving"],
                                 transformations=transformations)
    global_explanation = explainer.explain_global(frame.iloc[:40])
    engineered = explainer.explain(frame.iloc[:40], raw=False)
    local_explanation = explainer.explain_local(frame.iloc[:3])
    return global_explanation, engineered, local_explanation


@pytest.fixture(scope="module")
def migration_server(mlflow_server) -> tuple[str, str]:
    """The shared tracking server (the store-specific paths are covered on sqlite too by test_tracking)."""
    uri = mlflow_server.wait()
    mlflow.MlflowClient(uri).create_experiment("explain-model-sample-migration")
    return uri, "explain-model-sample-migration"


@pytest.fixture
def tracking(migration_server):
    """MLflow pointed at the store for code that uses the global tracking URI; restored afterwards.

    Runs are started with an explicit experiment id: set_experiment() would leave its id cached for
    later tests on other stores."""
    mlflow.set_tracking_uri(migration_server[0])
    try:
        yield mlflow.MlflowClient(migration_server[0]).get_experiment_by_name(migration_server[1]).experiment_id
    finally:
        if mlflow.active_run():
            mlflow.end_run()
        mlflow.set_tracking_uri(None)  # MLflow's default again, not a pinned URI


def test_the_run_history_notebook_flow(tracking, explanations):
    global_explanation, engineered, local_explanation = explanations
    with mlflow.start_run(experiment_id=tracking) as run:
        client = ExplanationClient.from_run(run)
        client.upload_model_explanation(global_explanation, comment="global explanation: all features",
                                        model_id="attrition:3")
        client.upload_model_explanation(engineered, comment="engineered", top_k=2, plots=False)
        client.upload_model_explanation(local_explanation, comment="local explanation for test point 1",
                                        plots=False)
    listed = client.list_model_explanations()
    assert {entry["comment"] for entry in listed} == {"global explanation: all features", "engineered",
                                                      "local explanation for test point 1"}
    for entry in listed:
        downloaded = client.download_model_explanation(explanation_id=entry["id"])
        top2 = client.download_model_explanation(entry["id"], 2)  # azureml's positional order
        assert len(top2.get_ranked_global_names()) == 2
        assert top2.get_ranked_global_names() == downloaded.get_ranked_global_names(top_k=2)
    downloaded = client.download_model_explanation(comment="global explanation: all features")
    assert downloaded.model_uri == "models:/attrition/3" and downloaded.model_id == "attrition:3"
    assert_array_equal(downloaded.global_importance_rank, global_explanation.global_importance_rank)
    assert_allclose(downloaded.local_importance_values, global_explanation.local_importance_values, atol=1e-6)
    assert client.download_model_explanation(raw=False, engineered=True).id == engineered.id
    assert {e["id"] for e in client.list_model_explanations(raw=True)} == {global_explanation.id,
                                                                           local_explanation.id}


def test_from_run_id_in_azureml_form_checks_the_experiment(migration_server, explanations):
    uri, experiment_name = migration_server
    client = mlflow.MlflowClient(uri)
    run = client.create_run(client.get_experiment_by_name(experiment_name).experiment_id)

    class Workspace:  # azureml.core.Workspace's one method this needs
        def get_mlflow_tracking_uri(self):
            return uri

    by_azure_form = ExplanationClient.from_run_id(Workspace(), experiment_name, run.info.run_id)
    assert by_azure_form.run_id == run.info.run_id and by_azure_form.tracking_uri == uri
    assert ExplanationClient.from_run_id(run.info.run_id, tracking_uri=uri).run_id == run.info.run_id
    with pytest.raises(RunNotFoundError, match="belongs to experiment"):
        ExplanationClient.from_run_id(None, "another-experiment", run.info.run_id, tracking_uri=uri)
    with pytest.raises(InvalidParameterError, match="Azure ML dataset"):
        by_azure_form.upload_model_explanation(explanations[0], init_dataset_id="3f2c")
    assert client.list_artifacts(run.info.run_id) == []  # refused before anything was written


def test_interpret_community_mlflow_log_and_get(tracking, explanations, tmp_path):
    global_explanation = explanations[0]
    with mlflow.start_run(experiment_id=tracking) as run:
        uri = log_explanation("global_explanation", global_explanation)
    assert uri.endswith("/global_explanation")
    again = get_explanation(run.info.run_id, "global_explanation")
    assert again.id == global_explanation.id and again.features == global_explanation.features
    assert_array_equal(again.local, global_explanation.local)  # saved as float64: exact
    # the same folder holds interpret-community's format, which its own get_explanation reads
    folder = Path(mlflow.MlflowClient().download_artifacts(run.info.run_id, "global_explanation/data/explanation",
                                                           str(tmp_path)))
    assert json.loads((folder / "explanation_metadata.json").read_text())["serialization_version"] == 1
    assert_allclose(load_explanation(folder).local, global_explanation.local)
    # and a run logged by interpret-community (only its folder under <name>/data/explanation) is read too
    save_explanation(global_explanation, tmp_path / "ic" / "data" / "explanation")
    with mlflow.start_run(experiment_id=tracking) as other:
        mlflow.log_artifacts(str(tmp_path / "ic"), "from_interpret_community")
    read = get_explanation(other.info.run_id, "from_interpret_community")
    assert_allclose(read.local, global_explanation.local) and read.output_space == global_explanation.output_space
    with pytest.raises(ExplanationNotFoundError):
        get_explanation(other.info.run_id, "never_logged")
