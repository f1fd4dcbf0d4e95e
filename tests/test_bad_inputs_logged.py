"""Bad input at the doors that log: ExplanationClient, the command line, scorecards and pipelines.

Each case gets our error type and a message naming the problem, and the run it would have written to
(a local sqlite store; a few cases against the shared `mlflow server`) gains no artifact, metric, tag
or input. The half-logged cases (emoji comments, damaged marker tags, hostile scorecard names) check
that the run is written whole.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from explain_lib import Explanation
from explain_lib.errors import InvalidInputError, InvalidParameterError
from explain_lib.tracking import ExplanationExistsError, ExplanationNotFoundError, RunNotFoundError


@pytest.fixture(scope="module", autouse=True)
def _start_server(mlflow_server):
    """Boot the shared tracking server while the in-process cases run; only the last test waits for it."""
    return mlflow_server


# ------------------------------------------------------------------ run history: nothing logged on refusal
def _run_state(uri: str, run_id: str) -> tuple:
    """Everything a refused call must leave alone: artifact paths, metrics and tags of the run."""
    import mlflow

    client = mlflow.MlflowClient(uri)

    def walk(path=None):
        for item in client.list_artifacts(run_id, path):
            yield from walk(item.path) if item.is_dir else (item.path,)

    run = client.get_run(run_id)
    inputs = [item.dataset.digest for item in run.inputs.dataset_inputs]
    return sorted(walk()), dict(run.data.metrics), dict(run.data.tags), inputs


def _client(store):
    import mlflow

    from explain_lib.tracking import ExplanationClient

    uri, experiment = store
    run = mlflow.MlflowClient(uri).create_run(experiment)
    return ExplanationClient.from_run_id(run.info.run_id, tracking_uri=uri)


def _explanation(features=("f0", "f1", "f2"), rows=4):
    rng = np.random.default_rng(1)
    return Explanation(local=rng.normal(size=(1, rows, len(features))), expected=[0.5], features=features,
                       task="regression", output_space="raw", method="test")


def _uploaded_twice(client):
    explanation = _explanation()
    client.upload_model_explanation(explanation, plots=False)
    before = _run_state(client.tracking_uri, client.run_id)
    try:
        client.upload_model_explanation(explanation, plots=False, comment="again")
    finally:
        assert _run_state(client.tracking_uri, client.run_id) == before


def _with_reserved_name(client):
    features = ("__row__", "f1", "f2")
    explanation = dataclasses.replace(_explanation(), features=features, data=pd.DataFrame(np.ones((4, 3)),
                                                                                           columns=features))
    client.upload_model_explanation(explanation, plots=False, true_ys=[1, 2, 3, 4])


def _explained_linear_model(seed: int = 0):
    from sklearn.linear_model import LinearRegression

    from explain_lib import LinearShap

    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(40, 3)), columns=["f0", "f1", "f2"])
    model = LinearRegression().fit(X, X.f0 - 2 * X.f1 + seed)
    return LinearShap(model, X).explain(X.iloc[:8]), model


def _upload_with_another_model(client):
    explanation, _ = _explained_linear_model()
    _, other = _explained_linear_model(seed=1)
    client.upload_model_explanation(explanation, plots=False, model=other)


def _with_interactions(client, kind):
    """A tree model's explanation with the interactions of other rows, or of a feature it does not have."""
    import lightgbm

    from explain_lib import TreeShap

    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.normal(size=(80, 3)), columns=["f0", "f1", "f2"])
    explainer = TreeShap(lightgbm.LGBMRegressor(n_estimators=5, verbose=-1, n_jobs=1).fit(X, X.f0 * X.f1))
    explanation = explainer.explain(X)
    if kind == "rows":
        interactions = explainer.interactions(X.iloc[:30])
    elif kind == "features":
        explanation = dataclasses.replace(explanation, features=("a", "b", "c"), data=None)
        interactions = explainer.interactions(X)
    else:
        interactions = explainer.interactions(X).values
    client.upload_model_explanation(explanation, interactions=interactions, plots=False)


UPLOAD_CASES = {
    "interactions_of_other_rows": (lambda c: _with_interactions(c, "rows"), InvalidParameterError,
                                   "explain 30 rows, the explanation 80"),
    "interactions_of_other_features": (lambda c: _with_interactions(c, "features"), InvalidParameterError,
                                       "features the explanation does not have"),
    "interactions_not_typed": (lambda c: _with_interactions(c, "array"), InvalidParameterError,
                               "must be an explain_lib Interactions"),
    "model_not_the_explained_one": (_upload_with_another_model, InvalidParameterError,
                                    "not the model this explanation explains"),
    "ice_feature_unknown": (lambda c: c.upload_model_explanation(
        _explained_linear_model()[0], plots=False, model=_explained_linear_model()[1], ice_features=["f7"]),
        InvalidParameterError, "ice_features names 'f7'"),
    "not_an_explanation": (lambda c: c.upload_model_explanation({"a": 1}), InvalidParameterError,
                           "Expected an explain_lib Explanation"),
    "id_path_traversal": (lambda c: c.upload_model_explanation(dataclasses.replace(_explanation(), id="../../x")),
                          InvalidParameterError, "cannot name an MLflow artifact directory"),
    "comment_too_long": (lambda c: c.upload_model_explanation(_explanation(), comment="x" * 1001),
                         InvalidParameterError, "comment has 1001 characters"),
    "comment_not_text": (lambda c: c.upload_model_explanation(_explanation(), comment=42), InvalidParameterError,
                         "comment must be a string"),
    "top_k_zero": (lambda c: c.upload_model_explanation(_explanation(), top_k=0), InvalidParameterError, "top_k"),
    "visualization_points_zero": (lambda c: c.upload_model_explanation(_explanation(), visualization_points=0),
                                  InvalidParameterError, "visualization_points"),
    "true_ys_wrong_length": (lambda c: c.upload_model_explanation(_explanation(), true_ys=[1, 2]),
                             InvalidInputError, "one label per explained row"),
    "dataset_of_unknown_type": (lambda c: c.upload_model_explanation(_explanation(), init_dataset="train.csv"),
                                InvalidParameterError, "init_dataset must be"),
    "reserved_feature_name": (_with_reserved_name, InvalidInputError, "reserved"),
    "same_id_twice": (_uploaded_twice, ExplanationExistsError, "already uploaded"),
    "download_unknown_id": (lambda c: c.download_model_explanation("nope"), ExplanationNotFoundError, "'nope'"),
    "download_top_k_negative": (lambda c: c.download_model_explanation(top_k=-1), InvalidParameterError, "top_k"),
    "download_from_empty_run": (lambda c: c.download_model_explanation(), ExplanationNotFoundError,
                                "has no uploaded explanation"),
}


@pytest.mark.parametrize("case", sorted(UPLOAD_CASES))
def test_client_refuses_bad_input_and_logs_nothing(sqlite_store, case):
    call, error, message = UPLOAD_CASES[case]
    client = _client(sqlite_store)
    before = _run_state(client.tracking_uri, client.run_id)
    with pytest.raises(error, match=message):
        call(client)
    if case != "same_id_twice":  # that case checks the run between its two uploads
        assert _run_state(client.tracking_uri, client.run_id) == before


def test_client_refuses_an_unknown_run_and_a_run_id_of_another_type(sqlite_store):
    from explain_lib.tracking import ExplanationClient

    uri, _ = sqlite_store
    with pytest.raises(RunNotFoundError, match="No MLflow run 'f" + "0" * 31):
        ExplanationClient.from_run_id("f" + "0" * 31, tracking_uri=uri)
    with pytest.raises(InvalidParameterError, match="run_id must be a string"):
        ExplanationClient(123, tracking_uri=uri)


def test_a_comment_of_emoji_is_listed_whole(sqlite_store):
    """1000 emoji took 12000 characters as \\uXXXX JSON: the store cut the tag and the whole list failed."""
    client = _client(sqlite_store)
    comment = "\N{GRINNING FACE}" * 1000
    client.upload_model_explanation(_explanation(), comment=comment, plots=False)
    listed = client.list_model_explanations()
    assert [entry["comment"] for entry in listed] == [comment]
    assert client.download_model_explanation(comment=comment).n_features == 3


def test_one_damaged_marker_tag_is_skipped_with_a_warning_naming_it(sqlite_store):
    import mlflow

    client = _client(sqlite_store)
    kept = client.upload_model_explanation(_explanation(), plots=False)
    mlflow.MlflowClient(client.tracking_uri).set_tag(client.run_id, "explain_lib.explanation.broken", '{"id": "bro')
    with pytest.warns(UserWarning, match="explain_lib.explanation.broken"):
        listed = client.list_model_explanations()
    assert [entry["id"] for entry in listed] == [kept]


def test_a_tag_the_store_would_cut_is_refused_before_anything_is_written(sqlite_store, monkeypatch):
    import mlflow.utils.validation

    client = _client(sqlite_store)
    before = _run_state(client.tracking_uri, client.run_id)
    monkeypatch.setattr(mlflow.utils.validation, "MAX_TAG_VAL_LENGTH", 100)  # a store with a small limit
    with pytest.raises(InvalidParameterError, match="more than the 100"):
        client.upload_model_explanation(_explanation(), comment="a comment of some length " * 3, plots=False)
    assert _run_state(client.tracking_uri, client.run_id) == before


def test_store_limits_are_mlflows_own():
    from mlflow.utils.validation import MAX_ENTITY_KEY_LENGTH, MAX_TAG_VAL_LENGTH

    from explain_lib._keys import MAX_METRIC_KEY_LENGTH, tag_value_limit

    assert (MAX_METRIC_KEY_LENGTH, tag_value_limit()) == (MAX_ENTITY_KEY_LENGTH, MAX_TAG_VAL_LENGTH)


# ------------------------------------------------------------------------ scorecard names as metric keys
LONG_COHORT = "a cohort named at length " * 12  # 300 characters


@pytest.fixture(scope="module")
def hostile_scorecard():
    from explain_lib.report.scorecard import compute_scorecard, load_config

    rng = np.random.default_rng(0)
    data = pd.DataFrame({"age": rng.integers(20, 70, 80), "../group": rng.choice(["a", "b"], 80)})
    y_true = rng.integers(0, 2, 80)
    y_pred = np.where(rng.random(80) < 0.8, y_true, 1 - y_true)
    config = {
        "Metrics": {"accuracy_score": {"threshold": ">=0.1"}},
        "Fairness": {"metric": ["accuracy_score"], "sensitive_features": ["../group"], "threshold": "<=1"},
        "Cohorts": [
            {"name": "../../escape", "cohort_filter_list": [{"method": "greater", "arg": [40], "column": "age"}]},
            {"name": LONG_COHORT, "cohort_filter_list": [{"method": "less", "arg": [40], "column": "age"}]},
            {"name": "..?..?escape", "cohort_filter_list": [{"method": "less", "arg": [30], "column": "age"}]},
        ],
    }
    return compute_scorecard(load_config(config, data=data, task="classification"), data, y_true, y_pred,
                             task="classification", classes=[0, 1])


def test_scorecard_metric_keys_are_valid_and_distinct_for_hostile_names(hostile_scorecard):
    from mlflow.utils.validation import _validate_metric_name

    from explain_lib.report.scorecard._log import scorecard_metrics

    metrics = scorecard_metrics(hostile_scorecard)
    for key in metrics:
        _validate_metric_name(key)  # MLflow's own check
        assert len(key) <= 250
    cohort_keys = [key for key in metrics if key.startswith("scorecard.cohort.") and not key.endswith(".met")]
    assert len(cohort_keys) == 3  # "../../escape" and "..?..?escape" read the same once safe: two keys still


def test_scorecard_with_hostile_names_is_logged_whole(sqlite_store, hostile_scorecard, tmp_path):
    """Invalid metric names used to fail after the PDF and HTML were logged: a run with files and no verdict."""
    import mlflow

    from explain_lib.report.scorecard import log_scorecard
    from explain_lib.report.scorecard._log import PASSED_TAG, scorecard_metrics

    uri, experiment = sqlite_store
    run_id = mlflow.MlflowClient(uri).create_run(experiment).info.run_id
    log_scorecard(hostile_scorecard, run_id=run_id, tracking_uri=uri, output=tmp_path)
    run = mlflow.MlflowClient(uri).get_run(run_id)
    assert run.data.tags[PASSED_TAG] in ("true", "false")
    assert set(run.data.metrics) == set(scorecard_metrics(hostile_scorecard))
    html = (tmp_path / "scorecard.html").read_text(encoding="utf-8")
    assert "../../escape" in html and LONG_COHORT.strip() in html  # the report keeps the original names


def test_metric_keys_helper_keeps_names_apart_and_within_limits():
    from explain_lib._keys import MetricKeys

    keys = MetricKeys(sep="/")
    long_a, long_b = "x" * 300 + "a", "x" * 300 + "b"
    made = [keys.key("p", name) for name in ("..", ".", "", "a/b", "a_b", long_a, long_b, "a:b")]
    assert made[:5] == ["p/_", "p/__2", "p/__3", "p/a_b", "p/a_b_2"]
    assert made[5].startswith("p/xxx") and made[5] != made[6]
    assert len(set(made)) == len(made) and all(len(key) <= 250 for key in made)
    assert keys.key("p", "a/b") == "p/a_b"  # the same name gets the same key again


# ----------------------------------------------------------------------------------- command line, pipeline
@pytest.fixture
def cli_store(sqlite_store, monkeypatch):
    import mlflow

    uri, experiment = sqlite_store
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_ID", experiment)
    mlflow.set_tracking_uri(uri)
    yield uri, experiment
    mlflow.set_tracking_uri(None)


def _runs(uri: str, experiment: str) -> int:
    import mlflow

    return len(mlflow.MlflowClient(uri).search_runs([experiment], max_results=1000))


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=["f0", "f1", "f2"])
    path = tmp_path_factory.mktemp("table") / "table.csv"
    X.assign(label=(X.f0 + X.f1 > 0).astype(int)).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(("argv", "named"), [
    (["--model", "lightgbm", "--params", '{"n_estimatorz": 5}'], "Did you mean 'n_estimators'"),
    (["--model", "random_forest", "--params", '{"max_depht": 3}'], "Did you mean 'max_depth'"),
    (["--model", "logistic_regression", "--params", '{"C": 1, "penalti": "l2"}'], "'penalti'"),
    (["--target", "no_such_column"], "no_such_column"),
])
def test_train_refuses_bad_input_before_creating_a_run(cli_store, table, capsys, argv, named):
    from explain_lib.cli import main

    argv = ["train", "--data", str(table), *(argv if "--target" in argv else ["--target", "label", *argv])]
    before = _runs(*cli_store)
    assert main(argv) == 2
    assert named in capsys.readouterr().err
    assert _runs(*cli_store) == before


def test_show_and_list_escape_terminal_control_characters(cli_store, capsys):
    from explain_lib.cli import main

    client = _client(cli_store)
    hostile = _explanation(features=("\x1b[2J\x1b[31mred", "\u202eevil", "plain"))
    client.upload_model_explanation(hostile, comment="note \x1b]0;title\x07 \u2066x\u2069", plots=False)
    assert main(["show", "--run-id", client.run_id]) == 0
    assert main(["list", "--run-id", client.run_id]) == 0
    out = capsys.readouterr().out
    for raw in ("\x1b", "\x07", "\u202e", "\u2066", "\u2069"):
        assert raw not in out
    assert "\\x1b[2J\\x1b[31mred" in out and "\\u202eevil" in out


def test_show_of_an_unknown_run_is_a_usage_error(cli_store, capsys):
    from explain_lib.cli import main

    assert main(["show", "--run-id", "0" * 32]) == 2
    assert "No MLflow run" in capsys.readouterr().err


def _pipeline(tmp_path: Path, job: str = "step", output: str = "out") -> Path:
    spec = {
        "type": "pipeline",
        "jobs": {job: {"type": "command", "component": {
            "name": "echo", "type": "command", "command": "python -c pass ${{outputs." + output + "}}",
            "outputs": {output: {"type": "uri_folder"}}}}},
    }
    path = tmp_path / "pipeline.yaml"
    path.write_text(json.dumps(spec), encoding="utf-8")
    return path


@pytest.mark.parametrize(("job", "output"), [("../escape", "out"), ("a/b", "out"), ("..", "out"),
                                             ("ok", "../../out"), (".", "out")])
def test_pipeline_job_and_output_names_must_be_folder_names(cli_store, tmp_path, job, output):
    from explain_lib.pipelines import PipelineSpecError, run_pipeline

    before = _runs(*cli_store)
    with pytest.raises(PipelineSpecError, match="cannot name a folder"):
        run_pipeline(_pipeline(tmp_path, job, output))
    assert _runs(*cli_store) == before


SCORECARD_CONFIGS = {
    "unknown_metric": ({"Metrics": {"acuracy_score": {"threshold": ">=0.5"}}}, "acuracy_score"),
    "malformed_threshold": ({"Metrics": {"accuracy_score": {"threshold": "about 0.5"}}}, "about 0.5"),
    "unknown_sensitive_feature": ({"Fairness": {"metric": ["accuracy_score"], "sensitive_features": ["sexx"]}},
                                  "sexx"),
    "cohort_on_unknown_column": ({"Cohorts": [{"name": "c", "cohort_filter_list": [
        {"method": "greater", "arg": [1], "column": "agee"}]}]}, "agee"),
    "cohort_unknown_method": ({"Cohorts": [{"name": "c", "cohort_filter_list": [
        {"method": "bigger", "arg": [1], "column": "age"}]}]}, "bigger"),
    "top_n_zero": ({"FeatureImportance": {"top_n": 0}}, "top_n"),
    "not_a_mapping": (["Metrics"], "mapping"),
}


@pytest.mark.parametrize("case", sorted(SCORECARD_CONFIGS))
def test_scorecard_config_refuses_bad_input(case):
    from explain_lib.report.scorecard import load_config

    config, named = SCORECARD_CONFIGS[case]
    data = pd.DataFrame({"age": [30, 50], "sex": ["f", "m"]})
    with pytest.raises(InvalidParameterError) as raised:  # ScorecardConfigError is one
        load_config(config, data=data, task="classification")
    assert named in str(raised.value)


def test_against_a_tracking_server_refusals_log_nothing_and_long_text_lists_whole(mlflow_server):
    import mlflow

    uri = mlflow_server.wait()
    store = (uri, mlflow.MlflowClient(uri).create_experiment("bad-inputs-server"))
    client = _client(store)
    before = _run_state(uri, client.run_id)
    for case in ("id_path_traversal", "comment_too_long", "true_ys_wrong_length", "reserved_feature_name"):
        call, error, message = UPLOAD_CASES[case]
        with pytest.raises(error, match=message):
            call(client)
    assert _run_state(uri, client.run_id) == before
    comment = "\N{GRINNING FACE}\u202e" * 500
    client.upload_model_explanation(_explanation(), comment=comment, plots=False)
    assert [entry["comment"] for entry in client.list_model_explanations()] == [comment]
