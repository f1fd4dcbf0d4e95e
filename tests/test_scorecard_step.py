"""The scorecard step and command on real MLflow stores: what is logged, the gate, and bad configs logging nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import mlflow
import pandas as pd
import pytest
import yaml
from mlflow import MlflowClient
from pypdf import PdfReader

from explain_lib.report.scorecard import ScorecardConfigError, format_value
from explain_lib.steps import TEST_DATA_TAG, TargetMissedError, explain, scorecard, train

ROOT = Path(__file__).resolve().parents[1]
CONFIG = {
    "Model": {"ModelName": "Adult income", "ModelType": "classification", "ModelSummary": "Income above 50K",
              "PositiveClass": ">50K"},
    "Metrics": {"accuracy_score": {"threshold": ">=0.5"}, "f1_score": {"threshold": ">=0.99"}},
    "FeatureImportance": {"top_n": 3},
    "DataExplorer": {"features": ["age", "education"]},
    "Fairness": {"metric": ["selection_rate"], "sensitive_features": ["sex"], "threshold": "<=1"},
    "Cohorts": [{"name": "Over 40", "cohort_filter_list": [{"method": "greater", "arg": [40], "column": "age"}]}],
}


STORE_EXPERIMENT = "scorecard"


@pytest.fixture(scope="module")
def trained(store, tmp_path_factory):
    """(model URI, test data URI, run id of an explanation with 100 rows)."""
    from importlib import resources

    with resources.files("explain_lib.datasets").joinpath("adult.csv.gz").open("rb") as handle:
        adult = pd.read_csv(handle, compression="gzip", skipinitialspace=True).sample(3000, random_state=0)
    model_uri = train(adult, "income", params={"n_estimators": 20})
    data_uri = MlflowClient().get_run(model_uri.split("/")[1]).data.tags[TEST_DATA_TAG]
    with mlflow.start_run() as run:
        explain(model_uri, data_uri, target="income", sample=100)
    return model_uri, data_uri, run.info.run_id


def _write(tmp_path: Path, config: dict, name: str = "card.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_the_step_logs_pdf_html_metrics_and_the_verdict_tag_last(trained, tmp_path):
    model_uri, data_uri, explained_run = trained
    with mlflow.start_run() as run:
        uri = scorecard(model_uri, data_uri, _write(tmp_path, CONFIG), explanation=f"runs:/{explained_run}",
                        scorecard_output=tmp_path / "out")
    client = MlflowClient()
    assert uri == f"runs:/{run.info.run_id}/scorecard"
    logged = client.get_run(run.info.run_id)
    names = {Path(item.path).name for item in client.list_artifacts(run.info.run_id, "scorecard")}
    assert names == {"scorecard.pdf", "scorecard.html", "config.yaml", "verdict.json"}
    facts = json.loads(Path(mlflow.artifacts.download_artifacts(run_id=run.info.run_id,
                                                                artifact_path="scorecard/verdict.json")).read_text())
    assert facts["passed"] is False and [t["label"] for t in facts["missed"]] == ["F1 score"]
    metrics, tags = logged.data.metrics, logged.data.tags
    assert 0.5 < metrics["scorecard.accuracy_score"] < 0.99 and metrics["scorecard.accuracy_score.met"] == 1
    assert metrics["scorecard.f1_score"] < 0.99 and metrics["scorecard.f1_score.met"] == 0
    assert metrics["scorecard.fairness.selection_rate.difference.sex.met"] == 1
    assert tags["scorecard.passed"] == "false" and metrics["scorecard.passed"] == 0
    assert "scorecard.cohort.Over 40.accuracy_score" in metrics

    local = Path(mlflow.artifacts.download_artifacts(f"{uri}/scorecard.pdf", dst_path=str(tmp_path / "dl")))
    text = _pdf_text(local)
    for value in (metrics["scorecard.accuracy_score"], metrics["scorecard.f1_score"]):
        assert format_value(value) in text
    assert "missed" in text and "met" in text and "Over 40" in text
    assert (tmp_path / "out" / "scorecard.pdf").read_bytes()[:5] == b"%PDF-"
    config_file = mlflow.artifacts.download_artifacts(f"{uri}/config.yaml", dst_path=str(tmp_path / "cfg"))
    assert yaml.safe_load(Path(config_file).read_text()) == CONFIG


def test_feature_importance_holds_exactly_top_n_features_of_the_explanation(trained, tmp_path):
    from explain_lib.tracking import ExplanationClient

    model_uri, data_uri, explained_run = trained
    with mlflow.start_run():
        uri = scorecard(model_uri, data_uri, _write(tmp_path, CONFIG), explanation=f"runs:/{explained_run}")
    html = Path(mlflow.artifacts.download_artifacts(f"{uri}/scorecard.html", dst_path=str(tmp_path))).read_text()
    ranked = ExplanationClient.from_run_id(explained_run).download_model_explanation().global_importance()
    section = html[html.index("5. Feature importance"):html.index("6. Fairness")]
    assert [name for name in ranked.index if f">{name}<" in section] == list(ranked.index[:3])


def test_the_explanation_of_the_run_logged_into_is_found_without_being_named(trained, tmp_path):
    model_uri, data_uri, explained_run = trained
    with mlflow.start_run(run_id=explained_run):
        scorecard(model_uri, data_uri, _write(tmp_path, CONFIG))
    assert MlflowClient().get_run(explained_run).data.tags["scorecard.passed"] == "false"


def test_fail_on_missed_target_raises_after_everything_is_logged(trained, tmp_path):
    model_uri, data_uri, explained_run = trained
    with mlflow.start_run() as run, pytest.raises(TargetMissedError, match="1 scorecard target missed: F1 score"):
        scorecard(model_uri, data_uri, _write(tmp_path, CONFIG), explanation=f"runs:/{explained_run}",
                  fail_on_missed_target=True)
    logged = MlflowClient().get_run(run.info.run_id)
    assert logged.data.tags["scorecard.passed"] == "false" and "scorecard.f1_score" in logged.data.metrics
    passing = {**CONFIG, "Metrics": {"accuracy_score": {"threshold": ">=0.5"}}}
    with mlflow.start_run():
        scorecard(model_uri, data_uri, _write(tmp_path, passing), explanation=f"runs:/{explained_run}",
                  fail_on_missed_target=True)


BAD_CONFIGS = {
    "unknown section": ({**CONFIG, "Fairnes": {}}, "Fairnes: unknown section. Did you mean 'Fairness'?"),
    "unknown metric": ({**CONFIG, "Metrics": {"accuracy": {"threshold": ">=0.5"}}}, "Did you mean 'accuracy_score'?"),
    "unknown column": ({**CONFIG, "DataExplorer": {"features": ["hours"]}}, "Did you mean 'hours_per_week'?"),
    "malformed threshold": ({**CONFIG, "Metrics": {"f1_score": {"threshold": "at least 0.5"}}}, "is not a threshold"),
    "regression metric": ({**CONFIG, "Metrics": {"r2_score": {}}}, "measures regression"),
    "unknown positive class": ({**CONFIG, "Model": {"PositiveClass": "rich"}}, "PositiveClass 'rich' is not a class"),
}


@pytest.mark.parametrize("case", BAD_CONFIGS, ids=str)
def test_a_bad_config_is_refused_before_anything_is_logged(trained, tmp_path, case):
    model_uri, data_uri, explained_run = trained
    config, message = BAD_CONFIGS[case]
    client = MlflowClient()
    experiment = mlflow.get_experiment_by_name("scorecard").experiment_id
    before = len(client.search_runs([experiment]))
    with pytest.raises((ScorecardConfigError, ValueError), match=message.replace("(", r"\(").replace("?", r"\?")):
        scorecard(model_uri, data_uri, _write(tmp_path, config), explanation=f"runs:/{explained_run}")
    assert len(client.search_runs([experiment])) == before  # not even an empty run
    with mlflow.start_run() as run, pytest.raises(ValueError):
        scorecard(model_uri, data_uri, _write(tmp_path, config), explanation=f"runs:/{explained_run}")
    logged = client.get_run(run.info.run_id)
    assert not client.list_artifacts(run.info.run_id) and not logged.data.metrics
    assert not any(tag.startswith("scorecard") for tag in logged.data.tags)


def test_feature_importance_without_an_explanation_is_refused_before_logging(trained, tmp_path):
    model_uri, data_uri, _ = trained
    with mlflow.start_run() as run, pytest.raises(ValueError, match="no explanation to take it from"):
        scorecard(model_uri, data_uri, _write(tmp_path, CONFIG))
    assert not MlflowClient().list_artifacts(run.info.run_id)
    without = {key: value for key, value in CONFIG.items() if key != "FeatureImportance"}
    with mlflow.start_run():
        assert scorecard(model_uri, data_uri, _write(tmp_path, without)).endswith("/scorecard")


def _cli(args: list[str], tracking_uri: str, run_id: str | None = None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
    env.update({"MLFLOW_TRACKING_URI": tracking_uri, "MLFLOW_DISABLE_TELEMETRY": "true"})
    if run_id is not None:
        env["MLFLOW_RUN_ID"] = run_id
    return subprocess.run([sys.executable, "-m", "explain_lib.cli", "scorecard", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_command_against_a_server_exits_3_on_a_missed_target_and_2_on_a_bad_config(trained, tmp_path,
                                                                                       mlflow_server):
    model_uri, data_uri, explained_run = trained
    server = mlflow_server.wait()
    local = Path(tmp_path / "model")
    mlflow.artifacts.download_artifacts(model_uri, dst_path=str(local))
    data = Path(mlflow.artifacts.download_artifacts(data_uri, dst_path=str(tmp_path / "data")))
    explanation = tmp_path / "explanation"
    from explain_lib.tracking import ExplanationClient

    ExplanationClient.from_run_id(explained_run).download_model_explanation().save(explanation)
    remote = MlflowClient(server)
    experiment = remote.create_experiment("scorecard-cli")
    run_id = remote.create_run(experiment).info.run_id
    args = ["--model", str(local / "model"), "--data", str(data), "--target", "income",
            "--explanation", str(explanation), "--config", str(_write(tmp_path, CONFIG))]

    gated = _cli([*args, "--fail-on-missed-target"], server, run_id)
    assert gated.returncode == 3, gated.stderr[-2000:]
    assert "target missed" in gated.stderr and "F1 score" in gated.stderr
    assert gated.stdout.strip() == f"runs:/{run_id}/scorecard"
    logged = remote.get_run(run_id)
    assert logged.data.tags["scorecard.passed"] == "false"
    assert {Path(a.path).name for a in remote.list_artifacts(run_id, "scorecard")} >= {"scorecard.pdf",
                                                                                         "scorecard.html"}
    html = Path(remote.download_artifacts(run_id, "scorecard/scorecard.html", str(tmp_path))).read_text()
    logged_model = mlflow.models.Model.load(str(local / "model"))
    assert f"models:/{logged_model.model_id} ({local / 'model'}, run {logged_model.run_id})" in html
    assert _cli([*args, "--fail-on-missed-target", "false"], server, run_id).returncode == 0

    bad_run = remote.create_run(experiment).info.run_id
    bad = _cli([*args[:-1], str(_write(tmp_path, BAD_CONFIGS["unknown column"][0], "bad.yaml"))], server, bad_run)
    assert bad.returncode == 2 and "Did you mean 'hours_per_week'?" in bad.stderr and bad.stdout == ""
    assert not remote.list_artifacts(bad_run) and not remote.get_run(bad_run).data.metrics
