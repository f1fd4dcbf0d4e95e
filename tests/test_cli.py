"""The command line: the demo, the step commands and run-history commands, exit codes, help."""

import os
import shutil
import subprocess
import sys
import time

import mlflow
import pandas as pd
import pytest

from explain_lib import Explanation
from explain_lib.cli import main


@pytest.fixture
def tracking_uri(tmp_path):
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


def test_demo_trains_explains_logs_and_prints_top_features(tmp_path, tracking_uri):
    env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri, "MLFLOW_DISABLE_TELEMETRY": "true"}
    result = subprocess.run(
        [sys.executable, "-m", "explain_lib.cli", "demo", "--top-k", "5"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "Top 5 features" in result.stdout
    assert result.stderr == "", "the demo prints no third-party warnings or log lines"
    assert "mlflow ui --backend-store-uri " + tracking_uri in result.stdout

    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    experiment = client.get_experiment_by_name("explain-lib-demo")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.run_id in result.stdout
    assert run.data.metrics["accuracy"] > 0.8

    from explain_lib.tracking import ExplanationClient

    client = ExplanationClient.from_run_id(run.info.run_id, tracking_uri=tracking_uri)
    (listed,) = client.list_model_explanations()  # uploaded like every other explanation
    assert listed["comment"] == "adult demo" and listed["num_examples"] == 8141
    explanation = client.download_model_explanation(listed["id"])
    top = explanation.global_importance(top_k=5)
    # the printed ranking, the logged metrics and the uploaded explanation agree
    for rank, name in enumerate(top.index, start=1):
        assert f"{rank:2d}. {name}" in result.stdout
        assert run.data.metrics[f"importance/{name}"] == pytest.approx(top[name])
    assert explanation.local.shape[1] == 8141


def test_unknown_command_is_a_usage_error():
    result = subprocess.run([sys.executable, "-m", "explain_lib.cli", "no-such-command"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


# ------------------------------------------------------------------------------ train / explain / list / show
STORE_EXPERIMENT = "cli"


def _runs() -> list:
    return mlflow.search_runs(search_all_experiments=True, output_format="list")


def _run_ids() -> set[str]:
    """The runs of the module's store: a refused command leaves them as they were."""
    return {run.info.run_id for run in _runs()}


@pytest.fixture
def adult_csv(tmp_path):
    from importlib import resources

    with resources.files("explain_lib.datasets").joinpath("adult.csv.gz").open("rb") as handle:
        frame = pd.read_csv(handle, compression="gzip", skipinitialspace=True)
    path = tmp_path / "adult.csv"
    frame.sample(2000, random_state=0).to_csv(path, index=False)
    return path


def test_train_explain_list_and_show_through_the_command_line(store, adult_csv, tmp_path, capsys):
    (tmp_path / "model-out").mkdir()  # Azure ML creates output folders before the job starts
    (tmp_path / "explanation-out").mkdir()
    code = main(["train", "--data", str(adult_csv), "--target", "income", "--params", '{"n_estimators": 20}',
                 "--test-size", "0.3", "--model-output", str(tmp_path / "model-out"),
                 "--test-data-output", str(tmp_path / "test-out")])
    out, err = capsys.readouterr()
    assert code == 0, err
    model_uri = out.strip().splitlines()[-1]
    assert model_uri.startswith("runs:/") and model_uri.endswith("/model")
    assert "training lightgbm" in err  # progress on stderr
    assert (tmp_path / "test-out" / "test.parquet").exists()

    code = main(["explain", "--model", str(tmp_path / "model-out"), "--data", str(tmp_path / "test-out"),
                 "--target", "income", "--comment", "from the cli", "--sample", "100", "--no-raw",
                 "--explanation-output", str(tmp_path / "explanation-out")])
    out, err = capsys.readouterr()
    assert code == 0, err
    explanation_id = out.strip().splitlines()[-1]
    assert (tmp_path / "explanation-out" / "explanation_id.txt").read_text().strip() == explanation_id
    assert Explanation.load(tmp_path / "explanation-out").is_engineered

    (run,) = mlflow.search_runs(experiment_names=["cli"], filter_string="tags.model_explanation = 'True'",
                                output_format="list")
    assert main(["list", "--run-id", run.info.run_id]) == 0
    out, _ = capsys.readouterr()
    assert explanation_id in out and "from the cli" in out and "engineered" in out

    assert main(["show", "--run-id", run.info.run_id, "--top-k", "3", "--tracking-uri", store]) == 0
    out, _ = capsys.readouterr()
    lines = out.strip().splitlines()
    assert explanation_id in lines[0]
    assert lines[1].split() == ["rank", "feature", "importance"]
    assert [line.split()[0] for line in lines[2:]] == ["1", "2", "3"]


@pytest.mark.parametrize(("arguments", "message"), [
    (["train", "--data", "no-such.csv", "--target", "income"], "No such file"),
    (["train", "--data", "{adult}", "--target", "incme"], "Did you mean 'income'"),
    (["explain", "--model", "runs:/0123456789abcdef0123456789abcdef/model", "--data", "{adult}"], "Could not load"),
    (["show", "--run-id", "0123456789abcdef0123456789abcdef"], "No MLflow run"),
])
def test_bad_input_exits_2_with_a_message(store, adult_csv, capsys, arguments, message):
    before = _run_ids()
    code = main([a.replace("{adult}", str(adult_csv)) for a in arguments])
    _, err = capsys.readouterr()
    assert code == 2
    assert message in err and "Traceback" not in err
    assert _run_ids() == before


@pytest.mark.parametrize("arguments", [
    ["explain", "--model", "m", "--data", "d", "--method", "shapley"],
    ["explain", "--model", "m", "--data", "d", "--sample", "0"],
    ["train", "--data", "d", "--target", "t", "--params", "[1, 2]"],
    ["train", "--data", "d"],
])
def test_bad_usage_exits_2(arguments, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(arguments)
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_unknown_estimator_params_exit_2_before_logging(store, adult_csv, capsys):
    before = _run_ids()
    code = main(["train", "--data", str(adult_csv), "--target", "income", "--model", "random_forest",
                 "--params", '{"no_such_option": 1}'])
    assert code == 2
    assert "no_such_option" in capsys.readouterr().err
    assert _run_ids() == before


def test_a_failing_step_exits_1_and_marks_its_run_failed(store, adult_csv, capsys):
    before = _run_ids()
    code = main(["train", "--data", str(adult_csv), "--target", "income", "--model", "random_forest",
                 "--params", '{"n_estimators": -3}'])
    assert code == 1
    assert "n_estimators" in capsys.readouterr().err
    (run,) = [run for run in _runs() if run.info.run_id not in before]
    assert run.info.status == "FAILED"


@pytest.mark.parametrize(("command", "options"), [
    ("train", ["--data", "--target", "--model", "--params", "--test-size", "--random-state", "--model-output",
               "--test-data-output"]),
    ("explain", ["--model", "--data", "--target", "--method", "--comment", "--top-k", "--raw", "--no-raw",
                 "--n-background", "--sample", "--explanation-output", "--cohorts"]),
    ("list", ["--run-id", "--tracking-uri"]),
    ("show", ["--run-id", "--explanation-id", "--top-k", "--tracking-uri"]),
])
def test_help_explains_every_option(command, options, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in options:
        assert option in out


def test_console_script_is_installed():
    command = shutil.which("explain-lib", path=os.path.dirname(sys.executable)) or shutil.which("explain-lib")
    if command is None:
        pytest.skip("the explain-lib console script is not installed (pip install -e .)")
    result = subprocess.run([command, "explain", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "--explanation-output" in result.stdout


# ------------------------------------------------------------------------------------ tracking server down
@pytest.mark.parametrize("command", [
    ["train", "--data", "{adult}", "--target", "income"],
    ["explain", "--model", "runs:/0123456789abcdef0123456789abcdef/model", "--data", "{adult}"],
    ["list", "--run-id", "0123456789abcdef0123456789abcdef"],
    ["pipeline", "run", "pipelines/adult_income.yaml"],
])
def test_a_tracking_server_that_is_down_is_one_clear_error_within_seconds(command, adult_csv, unused_port,
                                                                           monkeypatch, capsys):
    uri = f"http://127.0.0.1:{unused_port}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    start = time.monotonic()
    code = main([a.replace("{adult}", str(adult_csv)) for a in command])
    err = capsys.readouterr().err
    assert time.monotonic() - start < 15
    assert code == 1 and f"tracking server at {uri} did not answer" in err and "Traceback" not in err


def test_a_step_called_as_a_function_probes_before_starting_a_run(adult_csv, unused_port, monkeypatch):
    from explain_lib.steps import train
    from explain_lib.tracking import TrackingServerUnreachableError

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{unused_port}")
    start = time.monotonic()
    with pytest.raises(TrackingServerUnreachableError, match="did not answer"):
        train(adult_csv, target="income", params={"n_estimators": 5})
    assert time.monotonic() - start < 15 and mlflow.active_run() is None
