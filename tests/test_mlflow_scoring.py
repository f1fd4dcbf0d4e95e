"""Scoring explainers as MLflow models: logged, loaded, served over REST, applied on Spark; our evaluator plugin.

One logged scoring explainer (a ColumnTransformer + LogisticRegression pipeline, explained in raw
features) is shared by the module; one `mlflow models serve` process serves it, started when the
module begins and waited for by the serving tests (it takes ~20 s to answer), killed at the end.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from pandas.testing import assert_frame_equal
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from explain_lib import TabularExplainer
from explain_lib.errors import InvalidParameterError
from explain_lib.mlflow import load_explanation, load_scoring_explainer, log_scoring_explainer, spark_result_type
from explain_lib.mlflow._evaluator import ERROR_TAG
from explain_lib.scoring import ScoringExplainer, scoring_frame
from explain_lib.tracking import ExplanationClient, log_explanation

SERVE_TIMEOUT = 180.0


def _data(n_rows: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"age": rng.integers(18, 80, n_rows).astype(float), "hours": rng.normal(40, 8, n_rows),
                      "colour": rng.choice(["red", "green", "blue"], n_rows)})
    return X, ((X.age > 45) ^ (X.colour == "red")).astype(int)


@pytest.fixture(scope="module")
def pipeline():
    X, y = _data(400, 0)
    model = Pipeline([
        ("prep", ColumnTransformer([("num", StandardScaler(), ["age", "hours"]),
                                    ("cat", OneHotEncoder(handle_unknown="ignore"), ["colour"])])),
        ("model", LogisticRegression()),
    ]).fit(X, y)
    return model, X, y


@pytest.fixture(scope="module")
def logged(store, pipeline):
    model, X, _ = pipeline
    scoring = ScoringExplainer(TabularExplainer(model, X))
    with mlflow.start_run() as run:
        info = log_scoring_explainer(scoring, name="explainer", input_example=X[:5])
    return info, scoring, run.info.run_id


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Serving:
    """`mlflow models serve --env-manager local` in its own process group on a free 127.0.0.1 port."""

    def __init__(self, model_uri: str, tracking_uri: str, log: Path):
        self.url = f"http://127.0.0.1:{_free_port()}"
        self.log = log
        bin_dir = os.path.dirname(sys.executable)  # the server execs uvicorn from the same environment
        env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri, "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}"}
        command = [sys.executable, "-m", "mlflow", "models", "serve", "-m", model_uri, "--env-manager", "local",
                   "--host", "127.0.0.1", "--port", self.url.rsplit(":", 1)[1], "--workers", "1"]
        with open(log, "wb") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env,
                                            start_new_session=True)
        self.ready = False

    def wait(self) -> str:
        deadline = time.monotonic() + SERVE_TIMEOUT
        while not self.ready:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mlflow models serve did not start; its log:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/ping", timeout=2) as response:
                    self.ready = response.status == 200
            except OSError:
                time.sleep(0.3)
        return self.url

    def post(self, body: dict) -> tuple[int, str]:
        request = urllib.request.Request(f"{self.wait()}/invocations", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture(scope="module", autouse=True)
def served(logged, store, tmp_path_factory):
    """Starts serving as soon as the module starts; tests that call it wait for /ping."""
    serving = _Serving(logged[0].model_uri, store, tmp_path_factory.mktemp("serve") / "serve.log")
    yield serving
    serving.stop()


def _offline(logged, pipeline, rows: pd.DataFrame) -> pd.DataFrame:
    model = pipeline[0]
    return scoring_frame(logged[1].explain_local(rows), model.predict(rows))


# ---------------------------------------------------------------------------------------- the model
def test_logged_model_predicts_predictions_and_importances(logged, pipeline):
    info, _, _ = logged
    model, X, _ = pipeline
    rows = _data(30, 7)[0]
    output = mlflow.pyfunc.load_model(info.model_uri).predict(rows)
    assert_frame_equal(output, _offline(logged, pipeline, rows), check_exact=False, rtol=0, atol=1e-9)
    assert list(output.columns) == ["prediction", "explained_class", "expected_value", "importance_age",
                                    "importance_hours", "importance_colour"]
    # additivity in raw features: expected + importances = the predicted class's margin
    margin = model.decision_function(rows)
    assert_allclose(output.expected_value + output.filter(like="importance_").sum(axis=1),
                    np.where(output.prediction == 1, margin, -margin), atol=1e-9)
    outputs = [spec.name for spec in info.signature.outputs.inputs]
    assert outputs == list(output.columns) and info.signature.inputs.input_names() == ["age", "hours", "colour"]


def test_load_scoring_explainer_round_trip(logged, pipeline):
    loaded = load_scoring_explainer(logged[0].model_uri)
    rows = _data(10, 3)[0]
    assert isinstance(loaded, ScoringExplainer)
    assert_allclose(loaded.explain_local(rows).local, logged[1].explain_local(rows).local, rtol=0, atol=1e-12)


def test_log_checks_before_logging(store, pipeline):
    model, X, _ = pipeline
    with mlflow.start_run() as run:
        with pytest.raises(InvalidParameterError, match="input_example"):
            log_scoring_explainer(TabularExplainer(model, X), input_example=None)
        with pytest.raises(InvalidParameterError, match="class labels"):
            log_scoring_explainer(TabularExplainer(model, X), input_example=X[:3], classes=["maybe"])
    assert mlflow.MlflowClient().list_artifacts(run.info.run_id) == []


def test_model_names_missing_columns_even_without_mlflow_schema_checks(logged):
    from mlflow.exceptions import MlflowException

    python_model = mlflow.pyfunc.load_model(logged[0].model_uri).unwrap_python_model()
    rows = _data(3, 2)[0].drop(columns="colour").assign(color="red")
    with pytest.raises(MlflowException, match=r"missing columns \['colour'\] \(unexpected: \['color'\]\)") as error:
        python_model.predict(None, rows)
    assert error.value.get_http_status_code() == 400


# --------------------------------------------------------------------------------- run monitoring hook
def test_batches_append_to_the_run(logged, pipeline):
    scoring = logged[1]
    with mlflow.start_run() as run:
        first = scoring.log_batch_importances(run.info.run_id, _data(50, 11)[0], batch_id="monday")
        batch = _data(80, 12)[0]
        second = scoring.log_batch_importances(run.info.run_id, batch, batch_id="tuesday")
    client = mlflow.MlflowClient()
    assert (first["step"], second["step"]) == (0, 1)
    history = client.get_metric_history(run.info.run_id, "explanation/scored_batches/importance/colour")
    assert [m.step for m in history] == [0, 1]
    expected = scoring.explain_local(batch).global_importance()
    assert history[1].value == pytest.approx(expected["colour"])
    files = sorted(a.path for a in client.list_artifacts(run.info.run_id, "scoring/batches"))
    assert files == ["scoring/batches/000000_monday.json", "scoring/batches/000001_tuesday.json"]
    summary = json.loads(mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/{files[1]}"))
    assert summary["n_rows"] == 80 and summary["features"] == ["age", "hours", "colour"]
    assert_allclose(summary["global"], scoring.explain_local(batch).global_)


# ------------------------------------------------------------------------------------- load_explanation
@pytest.fixture(scope="module")
def model_run(store, pipeline):
    """One run with the pipeline logged (and registered) as an sklearn model, and its explanation."""
    model, X, _ = pipeline
    explanation = TabularExplainer(model, X).explain(X[:20])
    with mlflow.start_run() as run:
        artifact_uri = log_explanation(explanation, plots=False)
        info = mlflow.sklearn.log_model(model, name="model", serialization_format="cloudpickle",
                                        registered_model_name="scoring-test-model")
    return run.info.run_id, info.model_uri, explanation, artifact_uri


def test_load_explanation_inverts_log_explanation(model_run):
    run_id, _, explanation, artifact_uri = model_run
    for uri in (artifact_uri, f"runs:/{run_id}", f"runs:/{run_id}/explanations/{explanation.id}",
                "models:/scoring-test-model/1"):
        loaded = load_explanation(uri)
        assert loaded.id == explanation.id, uri
        assert_allclose(loaded.local, explanation.local, atol=1e-5)
    with pytest.raises(InvalidParameterError, match="runs:/<run_id>"):
        load_explanation("s3://bucket/somewhere")


# ------------------------------------------------------------------------------------------ evaluation
def _evaluate(model_uri: str, data: pd.DataFrame, **options):
    with mlflow.start_run() as run:
        result = mlflow.models.evaluate(model_uri, data, targets="label", model_type="classifier", **options)
    return result, run.info.run_id


def test_mlflow_selects_our_evaluator_only_when_asked():
    from mlflow.models.evaluation.base import resolve_evaluators_and_configs

    def chosen(evaluators, config):
        return [bundle.name for bundle in resolve_evaluators_and_configs(evaluators, config, "classifier")
                if bundle.evaluator.can_evaluate(model_type="classifier", evaluator_config=bundle.config)]

    quiet = {"log_model_explainability": False}
    assert "explain_lib" not in chosen(None, None)  # nothing named: every plugin is polled; ours declines
    assert "explain_lib" not in chosen(None, quiet)  # a flat config for the built-in evaluators
    assert "explain_lib" in chosen(None, {"explain_lib": {"max_rows": 30}})  # an option of ours: opted in
    assert chosen(["default", "explain_lib"], None)[-1] == "explain_lib"  # named
    assert chosen("explain_lib", None) == ["explain_lib"]


def test_evaluator_ignores_the_built_in_evaluators_options_with_a_warning(caplog):
    from explain_lib.mlflow._evaluator import _options

    with caplog.at_level(logging.WARNING, logger="explain_lib.mlflow._evaluator"):
        options = _options({"max_rows": 5, "pos_label": 1, "max_row": 3})
    assert options["max_rows"] == 5 and "pos_label" not in options
    assert "ignores options ['pos_label', 'max_row']" in caplog.text and "Did you mean 'max_rows'" in caplog.text


def test_evaluate_logs_our_explanation_only_when_named(pipeline, model_run):
    _, X, y = pipeline
    model_uri = model_run[1]
    data = X[:200].assign(label=y[:200])
    quiet = {"log_model_explainability": False}

    result, run_id = _evaluate(model_uri, data, evaluator_config=quiet)  # nothing named: ours stays out
    assert "accuracy_score" in result.metrics
    assert ExplanationClient.from_run_id(run_id).list_model_explanations() == []

    result, run_id = _evaluate(model_uri, data, evaluators=["default", "explain_lib"],
                               evaluator_config={"default": quiet, "explain_lib": {"max_rows": 60, "plots": False}})
    assert "accuracy_score" in result.metrics
    listed = ExplanationClient.from_run_id(run_id).list_model_explanations()
    assert len(listed) == 1 and listed[0]["comment"] == "mlflow.evaluate" and listed[0]["num_examples"] == 60
    assert listed[0]["is_raw"] and listed[0]["method"] == "shap.linear"
    assert any(key.startswith("importance/") for key in result.metrics)


def test_evaluator_failure_leaves_the_evaluation_intact(store, caplog):
    X, y = _data(200, 5)
    X = X[["age", "hours"]].copy()
    X.loc[::7, "hours"] = np.nan  # the tree routes NaN natively; TreeSHAP refuses to guess that routing
    tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    with mlflow.start_run():
        model_uri = mlflow.sklearn.log_model(tree, name="tree", serialization_format="cloudpickle").model_uri
    with caplog.at_level(logging.WARNING, logger="explain_lib.mlflow._evaluator"):
        result, run_id = _evaluate(model_uri, X.assign(label=y), evaluators=["default", "explain_lib"],
                                   evaluator_config={"default": {"log_model_explainability": False}})
    assert result.metrics["accuracy_score"] == pytest.approx((tree.predict(X) == y).mean())
    assert "missing values" in mlflow.MlflowClient().get_run(run_id).data.tags[ERROR_TAG]
    assert any("could not explain the model" in record.getMessage() for record in caplog.records)
    assert ExplanationClient.from_run_id(run_id).list_model_explanations() == []


# ------------------------------------------------------------------------------------------------ Spark
def test_spark_udf_on_10k_rows_equals_offline(logged, pipeline, spark):
    info = logged[0]
    rows = _data(10_000, 21)[0]
    udf = mlflow.pyfunc.spark_udf(spark, info.model_uri, result_type=spark_result_type(info.model_uri),
                                  env_manager="local")
    frame = spark.createDataFrame(rows.assign(row=np.arange(len(rows)))).coalesce(1)  # one worker loads the model
    scored = frame.select("row", udf("age", "hours", "colour").alias("out")).select("row", "out.*").toPandas()
    scored = scored.sort_values("row").drop(columns="row").reset_index(drop=True)
    offline = _offline(logged, pipeline, rows)
    assert len(scored) == 10_000
    assert_frame_equal(scored, offline, check_dtype=False, check_exact=False, rtol=0, atol=1e-9)


# ----------------------------------------------------------------------------------------------- serving
@pytest.mark.parametrize("orient", ["dataframe_split", "dataframe_records"])
def test_served_model_answers_like_offline(served, logged, pipeline, orient):
    rows = _data(25, 31)[0]
    body = rows.to_dict(orient="split" if orient == "dataframe_split" else "records")
    if orient == "dataframe_split":
        body.pop("index")
    status, text = served.post({orient: body})
    assert status == 200, text
    answer = pd.DataFrame(json.loads(text)["predictions"])
    assert_frame_equal(answer, _offline(logged, pipeline, rows), check_dtype=False, check_exact=False, rtol=0,
                       atol=1e-9)


def test_served_model_rejects_wrong_columns_with_a_4xx_naming_them(served):
    rows = _data(3, 41)[0].rename(columns={"hours": "hours_per_week"})
    status, text = served.post({"dataframe_records": rows.to_dict(orient="records")})
    assert 400 <= status < 500, text
    message = json.loads(text)["message"]
    assert "missing inputs ['hours']" in message and "hours_per_week" in message
