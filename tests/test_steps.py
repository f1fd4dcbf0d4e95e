"""Pipeline steps: train and explain log into MLflow runs, read files and artifact URIs, refuse bad input early."""

import json
import re

import mlflow
import numpy as np
import pandas as pd
import pytest

from explain_lib import Explanation, ExplanationClient
from explain_lib.errors import InvalidInputError, InvalidParameterError, UnsupportedModelError
from explain_lib.steps import TARGET_TAG, TEST_DATA_TAG, explain, read_table, train

N_ROWS = 3000
RAW_FEATURES = 14


# ----------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def adult_frame() -> pd.DataFrame:
    from importlib import resources

    with resources.files("explain_lib.datasets").joinpath("adult.csv.gz").open("rb") as handle:
        frame = pd.read_csv(handle, compression="gzip", skipinitialspace=True)
    return frame.sample(N_ROWS, random_state=0).reset_index(drop=True)


@pytest.fixture(scope="module")
def adult_csv(adult_frame, tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "adult.csv.gz"
    adult_frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def trained(store, adult_csv, tmp_path_factory):
    """A small LightGBM model trained by the step, also saved to a local folder with its test split."""
    out = tmp_path_factory.mktemp("train-out")
    model_uri = train(str(adult_csv), "income", params={"n_estimators": 20, "num_leaves": 8},
                      model_output=str(out / "model"), test_data_output=str(out / "test"))
    return model_uri, out


def _run(model_uri: str) -> mlflow.entities.Run:
    return mlflow.MlflowClient().get_run(model_uri.split("/")[1])


def _runs() -> int:
    return len(mlflow.search_runs(search_all_experiments=True, output_format="list"))


# ---------------------------------------------------------------------------------------------- train
def test_train_logs_model_params_metrics_datasets_and_test_split(trained):
    model_uri, out = trained
    run = _run(model_uri)
    assert model_uri == f"runs:/{run.info.run_id}/model"
    assert run.info.status == "FINISHED"
    assert run.data.params["model"] == "lightgbm" and run.data.params["model.n_estimators"] == "20"
    assert run.data.params["task"] == "classification"
    assert {"test_accuracy", "test_f1", "test_roc_auc"} <= set(run.data.metrics)
    assert run.data.metrics["test_accuracy"] > 0.75
    contexts = {i.dataset.name: i.tags[0].value for i in run.inputs.dataset_inputs}
    assert contexts == {"train": "training", "test": "testing"}
    assert run.data.tags[TARGET_TAG] == "income"

    test = read_table(run.data.tags[TEST_DATA_TAG])
    assert len(test) == N_ROWS // 4 and test.shape[1] == RAW_FEATURES + 1
    assert set(test["income"]) == {"<=50K", ">50K"}  # string labels stay strings
    pd.testing.assert_frame_equal(test, read_table(out / "test"))

    model = mlflow.sklearn.load_model(model_uri)
    assert type(model).__name__ == "Pipeline"
    assert set(model.predict(test.drop(columns="income").head(20))) <= {"<=50K", ">50K"}
    assert mlflow.models.get_model_info(model_uri).signature is not None
    assert "sklearn" in mlflow.models.get_model_info(str(out / "model")).flavors


def test_the_logged_signature_types_columns_as_the_training_data_has_them(trained):
    model_uri, _ = trained
    inputs = {spec.name: spec.type.name for spec in mlflow.models.get_model_info(model_uri).signature.inputs.inputs}
    assert inputs["age"] == inputs["hours_per_week"] == "long" and inputs["sex"] == "string"
    rows = read_table(_run(model_uri).data.tags[TEST_DATA_TAG]).drop(columns="income").head(5)
    assert set(mlflow.pyfunc.load_model(model_uri).predict(rows)) <= {"<=50K", ">50K"}  # rows as read from parquet


def test_train_regression_with_linear_model_logs_error_metrics(store, adult_frame):
    with mlflow.start_run() as run:
        model_uri = train(adult_frame, "hours_per_week", model="linear_regression", test_size=0.5)
        assert mlflow.active_run().info.run_id == run.info.run_id  # logged into the active run, left open
    metrics = _run(model_uri).data.metrics
    assert {"test_r2", "test_mae", "test_rmse"} <= set(metrics)
    assert model_uri == f"runs:/{run.info.run_id}/model"


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"data": "no/such/file.csv"}, InvalidInputError, "No such file"),
    ({"target": "incme"}, InvalidInputError, "Did you mean 'income'"),
    ({"model": "lightgmb"}, InvalidParameterError, "Did you mean 'lightgbm'"),
    ({"params": "{not json"}, InvalidParameterError, "JSON"),
    ({"test_size": 1.5}, InvalidParameterError, "test_size"),
])
def test_train_refuses_bad_input_before_logging(store, adult_csv, kwargs, error, message):
    before = _runs()
    arguments = {"data": str(adult_csv), "target": "income", **kwargs}
    with pytest.raises(error, match=message):
        train(arguments.pop("data"), arguments.pop("target"), **arguments)
    assert _runs() == before


# -------------------------------------------------------------------------------------------- explain
def test_explain_uploads_a_raw_explanation_with_labels_to_the_active_run(trained, tmp_path):
    model_uri, _ = trained
    data_uri = _run(model_uri).data.tags[TEST_DATA_TAG]
    with mlflow.start_run() as run:
        explanation_id = explain(model_uri, data_uri, target="income", comment="adult v1", top_k=5, sample=200,
                                 explanation_output=str(tmp_path / "out"))
    client = ExplanationClient.from_run_id(run.info.run_id)
    (entry,) = client.list_model_explanations(comment="adult v1")
    assert entry["id"] == explanation_id and entry["is_raw"] and entry["num_examples"] == 200
    assert "tree" in entry["method"]
    downloaded = client.download_model_explanation(explanation_id)
    assert downloaded.model_uri == model_uri
    assert entry["num_features"] == RAW_FEATURES
    saved = Explanation.load(tmp_path / "out")
    assert (tmp_path / "out" / "explanation_id.txt").read_text().strip() == explanation_id
    top = downloaded.global_importance(top_k=5)
    np.testing.assert_allclose(saved.global_importance(top_k=5).to_numpy(), top.to_numpy(), rtol=1e-5)
    assert list(saved.global_importance(top_k=5).index) == list(top.index)
    contexts = {i.tags[0].value for i in mlflow.get_run(run.info.run_id).inputs.dataset_inputs}
    assert {"explanation_init", "explanation_eval"} <= contexts
    # the step passed its model: the dashboard carries it for what-if, with ICE curves of the top 10 features
    page = mlflow.MlflowClient().download_artifacts(run.info.run_id, f"explanations/{explanation_id}/dashboard.html",
                                                   str(tmp_path))
    text = open(page, encoding="utf-8").read()
    view = json.loads(re.search(r'id="payload">(.*?)</script>', text, re.S).group(1))["views"][0]
    assert view["whatif"]["mode"] == "exact" and view["whatif"]["explain"]["algorithm"] == "path"
    ranked = sorted(range(len(view["global"])), key=lambda j: -view["global"][j])
    assert view["whatif"]["ice"]["default"] == ranked[:10]


@pytest.mark.parametrize(("method", "name"), [("tree", "tree"), ("kernel", "kernel"), ("mimic", "mimic"),
                                              ("pfi", "pfi")])
def test_every_method_explains_a_local_model_folder(trained, method, name):
    _, out = trained
    explanation_id = explain(str(out / "model"), str(out / "test"), target="income", method=method, sample=20,
                             n_background=10)
    (run,) = mlflow.search_runs(filter_string=f"tags.`explain_lib.explanation.{explanation_id}` != ''",
                                search_all_experiments=True, output_format="list")
    assert run.info.status == "FINISHED"  # the step started this run and ended it
    (entry,) = ExplanationClient.from_run_id(run.info.run_id).list_model_explanations()
    assert name in entry["method"]
    assert entry["num_features"] == RAW_FEATURES


def test_linear_method_explains_a_logistic_regression(store, adult_frame, trained):
    _, out = trained
    model_uri = train(adult_frame, "income", model="logistic_regression", params={"max_iter": 500})
    with mlflow.start_run():
        explanation_id = explain(model_uri, str(out / "test"), target="income", method="linear", sample=50)
        explanation = ExplanationClient().download_model_explanation(explanation_id)
    assert "linear" in explanation.method and explanation.is_raw


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"method": "linear"}, UnsupportedModelError, "linear model"),
    ({"method": "pfi"}, InvalidParameterError, "target"),
    ({"method": "shap"}, InvalidParameterError, "choose one of"),
    ({"target": "incme"}, InvalidInputError, "Did you mean 'income'"),
    ({"data": "missing.parquet"}, InvalidInputError, "No such file"),
    ({"model": "runs:/0123456789abcdef0123456789abcdef/model"}, InvalidInputError, "Could not load"),
    ({"sample": 0}, InvalidParameterError, "sample"),
    ({"cohorts": "missing.yaml"}, InvalidParameterError, "not a file"),
    ({"grid_size": 0}, InvalidParameterError, "grid_size"),
    ({"ice_features": ["agee"]}, InvalidParameterError, "Did you mean 'age'"),
    ({"ice_features": -2}, InvalidParameterError, "ice_features must be a count"),
])
def test_explain_refuses_bad_input_before_logging(trained, kwargs, error, message):
    _, out = trained
    arguments = {"model": str(out / "model"), "data": str(out / "test"), **kwargs}
    before = _runs()
    with pytest.raises(error, match=message):
        explain(arguments.pop("model"), arguments.pop("data"), **arguments)
    assert _runs() == before


# ------------------------------------------------------------------------------------------ read_table
def test_read_table_reads_files_folders_and_artifact_uris(adult_frame, tmp_path, store):
    adult_frame.head(50).to_parquet(tmp_path / "a.parquet")
    (tmp_path / "folder").mkdir()
    adult_frame.head(50).to_csv(tmp_path / "folder" / "a.csv", index=False)
    expected = adult_frame.head(50)
    pd.testing.assert_frame_equal(read_table(tmp_path / "a.parquet"), expected)
    pd.testing.assert_frame_equal(read_table(str(tmp_path / "folder")), expected)
    pd.testing.assert_frame_equal(read_table((tmp_path / "folder" / "a.csv").as_uri()), expected)
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(tmp_path / "a.parquet"), "inputs")
    pd.testing.assert_frame_equal(read_table(f"runs:/{run.info.run_id}/inputs"), expected)
    pd.testing.assert_frame_equal(read_table(f"runs:/{run.info.run_id}/inputs/a.parquet"), expected)


def test_read_table_refuses_ambiguous_folders_and_unknown_formats(adult_frame, tmp_path):
    adult_frame.head(5).to_csv(tmp_path / "a.csv", index=False)
    adult_frame.head(5).to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(InvalidInputError, match="exactly one"):
        read_table(tmp_path)
    (tmp_path / "c.json").write_text("{}")
    with pytest.raises(InvalidInputError, match="expected a .csv"):
        read_table(tmp_path / "c.json")


def test_explain_in_chunks_uploads_the_in_memory_importances(trained, capfd):
    _, out = trained
    with mlflow.start_run():
        in_memory = explain(str(out / "model"), str(out / "test"), target="income", sample=300)
        chunked = explain(str(out / "model"), str(out / "test"), target="income", sample=300, chunk_rows=97,
                          workers=1)
        client = ExplanationClient()
        expected, got = (client.download_model_explanation(i) for i in (in_memory, chunked))
    assert "local engine" in capfd.readouterr().err
    assert got.params["engine"]["n_chunks"] == 4 and got.is_raw and got.features == expected.features
    np.testing.assert_allclose(got.local, expected.local, rtol=0, atol=1e-6)  # uploads store float32
    assert np.array_equal(got.global_, expected.global_) and np.array_equal(got.per_class, expected.per_class)
    before = _runs()
    for kwargs, message in (({"chunk_rows": 0}, "chunk_rows must be a positive integer"),
                            ({"engine": "dask"}, "choose one of"), ({"method": "pfi", "chunk_rows": 10}, "pfi"),
                            ({"engine": "spark"}, "local_values_uri .* or explanation_output"),
                            ({"local_values_uri": "file:///tmp/x"}, "engine='spark' writes")):
        with pytest.raises(InvalidParameterError, match=message):
            explain(str(out / "model"), str(out / "test"), target="income", **kwargs)
    assert _runs() == before
