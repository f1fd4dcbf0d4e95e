"""Remote compute jobs: a step run as a subprocess logs into the run its environment names, via a tracking server."""

import subprocess
import sys
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from explain_lib import ExplanationClient


@pytest.fixture(scope="module")
def server_uri(mlflow_server):
    return mlflow_server.wait()


def _job(arguments: list[str], cwd: Path, **variables: str) -> subprocess.CompletedProcess:
    """``explain-lib ...`` with only the MLflow variables a remote job gets (and no telemetry)."""
    env = {"MLFLOW_DISABLE_TELEMETRY": "true", **variables}
    command = [str(Path(sys.executable).parent / "explain-lib"), *arguments]
    if not Path(command[0]).exists():
        command = [sys.executable, "-m", "explain_lib.cli", *arguments]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_train_then_explain_jobs_log_into_the_runs_they_are_given(server_uri, tmp_path):
    from importlib import resources

    with resources.files("explain_lib.datasets").joinpath("adult.csv.gz").open("rb") as handle:
        adult = pd.read_csv(handle, compression="gzip", skipinitialspace=True).sample(1500, random_state=0)
    adult.to_csv(tmp_path / "adult.csv", index=False)
    client = mlflow.MlflowClient(server_uri)
    experiment_id = client.create_experiment("remote-jobs")
    train_run = client.create_run(experiment_id).info.run_id
    explain_run = client.create_run(experiment_id).info.run_id

    trained = _job(["train", "--data", "adult.csv", "--target", "income", "--params", '{"n_estimators": 10}'],
                   tmp_path, MLFLOW_TRACKING_URI=server_uri, MLFLOW_RUN_ID=train_run,
                   MLFLOW_EXPERIMENT_NAME="remote-jobs")
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert trained.stdout.strip() == f"runs:/{train_run}/model"

    # the explain job reads both its inputs as MLflow artifact URIs, through the server
    explained = _job(["explain", "--model", f"runs:/{train_run}/model", "--data",
                      f"runs:/{train_run}/data/test.parquet", "--target", "income", "--sample", "100",
                      "--comment", "remote"],
                     tmp_path, MLFLOW_TRACKING_URI=server_uri, MLFLOW_RUN_ID=explain_run,
                     MLFLOW_EXPERIMENT_NAME="remote-jobs")
    assert explained.returncode == 0, explained.stderr[-3000:]
    explanation_id = explained.stdout.strip()

    runs = client.search_runs([experiment_id])
    assert {run.info.run_id for run in runs} == {train_run, explain_run}  # no run of its own
    explanations = ExplanationClient.from_run_id(explain_run, tracking_uri=server_uri)
    (entry,) = explanations.list_model_explanations(comment="remote")
    assert entry["id"] == explanation_id
    explanation = explanations.download_model_explanation(explanation_id)
    assert explanation.model_uri == f"runs:/{train_run}/model"
    assert explanation.local.shape[1] == 100
    assert client.get_run(explain_run).info.status == "FINISHED"


def test_a_job_without_a_run_id_starts_a_run_in_the_named_experiment(server_uri, tmp_path):
    from importlib import resources

    with resources.files("explain_lib.datasets").joinpath("adult.csv.gz").open("rb") as handle:
        adult = pd.read_csv(handle, compression="gzip", skipinitialspace=True).sample(800, random_state=1)
    (tmp_path / "data").mkdir()
    adult.to_parquet(tmp_path / "data" / "part.parquet")
    result = _job(["train", "--data", "data", "--target", "income", "--model", "decision_tree",
                   "--params", '{"max_depth": 3}'],
                  tmp_path, MLFLOW_TRACKING_URI=server_uri, MLFLOW_EXPERIMENT_NAME="remote-new-run")
    assert result.returncode == 0, result.stderr[-3000:]
    client = mlflow.MlflowClient(server_uri)
    (run,) = client.search_runs([client.get_experiment_by_name("remote-new-run").experiment_id])
    assert result.stdout.strip() == f"runs:/{run.info.run_id}/model"
    assert run.info.status == "FINISHED" and run.data.params["model"] == "decision_tree"
