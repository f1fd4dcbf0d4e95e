"""The command line: the demo job end to end into a throwaway MLflow store."""

import os
import subprocess
import sys

import mlflow
import pytest

from explain_lib import Explanation


@pytest.fixture
def tracking_uri(tmp_path):
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


def test_demo_trains_explains_logs_and_prints_top_features(tmp_path, tracking_uri):
    env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri, "MLFLOW_DISABLE_TELEMETRY": "true"}
    result = subprocess.run(
        [sys.executable, "-m", "explain_lib.cli", "demo", "--top-k", "5"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Top 5 features" in result.stdout
    assert "mlflow ui --backend-store-uri " + tracking_uri in result.stdout

    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    experiment = client.get_experiment_by_name("explain-lib-demo")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.run_id in result.stdout
    assert run.data.metrics["accuracy"] > 0.8
    importance_metrics = {k: v for k, v in run.data.metrics.items() if k.startswith("importance.")}
    assert len(importance_metrics) == 5

    (folder,) = client.list_artifacts(run.info.run_id, "explanations")
    local_dir = client.download_artifacts(run.info.run_id, folder.path, str(tmp_path / "download"))
    explanation = Explanation.load(local_dir)
    top = explanation.global_importance(top_k=5)
    # the printed ranking, the logged metrics and the saved explanation agree
    for rank, name in enumerate(top.index, start=1):
        assert f"{rank:2d}. {name}" in result.stdout
        assert importance_metrics[f"importance.{name}"] == pytest.approx(top[name])
    assert explanation.local.shape[1] == 8141


def test_unknown_command_is_a_usage_error():
    result = subprocess.run([sys.executable, "-m", "explain_lib.cli", "no-such-command"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
