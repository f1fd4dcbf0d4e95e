"""MLflow Projects: entry points match the CLI, conda.yaml mirrors pyproject, `mlflow run -e explain` works."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import mlflow
import pandas as pd
import pytest
import yaml

from explain_lib import ExplanationClient
from explain_lib.cli import _parser
from explain_lib.steps import TEST_DATA_TAG, train

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_VALUES = {"data": "data.csv", "target": "income", "model": "lightgbm", "params": "",
                 "test_size": "0.25", "random_state": "0", "method": "auto", "comment": "", "top_k": "",
                 "n_background": "100", "sample": "", "pipeline": "pipelines/adult_income.yaml",
                 "config": "pipelines/scorecards/adult_income.yaml", "explanation": "",
                 "fail_on_missed_target": "false", "baseline": "runs:/abc", "candidate": "runs:/def", "gate": "",
                 "cohorts": "", "what_if": "true", "ice_features": "age,hours-per-week", "grid_size": "20"}


def _mlproject() -> dict:
    return yaml.safe_load((ROOT / "MLproject").read_text())


def test_conda_env_installs_the_project_so_pyproject_is_the_one_dependency_list():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    conda = yaml.safe_load((ROOT / _mlproject()["conda_env"]).read_text())
    (pip,) = [entry["pip"] for entry in conda["dependencies"] if isinstance(entry, dict)]
    assert pip == ["."]  # the project (the MLproject's folder): pip resolves its dependencies from pyproject
    conda_packages = {re.split(r"[=<>! ]", d)[0] for d in conda["dependencies"] if isinstance(d, str)}
    assert conda_packages == {"python", "pip"}, "a dependency belongs in pyproject.toml, not conda.yaml"
    python = next(d for d in conda["dependencies"] if isinstance(d, str) and d.startswith("python"))
    minimum = project["requires-python"].removeprefix(">=")
    assert tuple(map(int, python.split("=")[1].split("."))) >= tuple(map(int, minimum.split(".")))
    assert (ROOT / _mlproject()["conda_env"]).parent == ROOT  # "." is the folder holding pyproject.toml


def test_packaging_metadata_license_and_extras():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"  # an SPDX expression (PEP 639), not a table
    assert project["optional-dependencies"]["xgboost"] == ["xgboost>=2.1"]  # wheels for every platform


def test_entry_points_call_the_cli_with_options_it_accepts():
    entry_points = _mlproject()["entry_points"]
    assert set(entry_points) == {"main", "train", "explain", "scorecard", "compare"}
    for name, entry in entry_points.items():
        parameters = entry.get("parameters", {})
        for parameter, spec in parameters.items():
            kind = spec if isinstance(spec, str) else spec["type"]
            assert kind in {"string", "float", "path", "uri"}, (name, parameter)
            assert "{" + parameter + "}" in entry["command"], (name, parameter)
        values = {**SAMPLE_VALUES, **({"model": "runs:/abc/model"} if name in ("explain", "scorecard") else {})}
        command = shlex.split(entry["command"].format(**{p: shlex.quote(values[p]) for p in parameters}))
        assert command[0] == "explain-lib"
        args = _parser().parse_args(command[1:])  # exits 2 on an option the CLI lacks
        assert args.command == (name if name != "main" else "pipeline")


STORE_EXPERIMENT = "project"


def test_mlflow_run_explain_entry_point_logs_an_explanation(store, tmp_path):
    from importlib import resources

    with resources.files("explain_lib.datasets").joinpath("adult.csv.gz").open("rb") as handle:
        adult = pd.read_csv(handle, compression="gzip", skipinitialspace=True).sample(1500, random_state=0)
    model_uri = train(adult, "income", params={"n_estimators": 10})
    data_uri = mlflow.get_run(model_uri.split("/")[1]).data.tags[TEST_DATA_TAG]

    bin_dir = str(Path(sys.executable).parent)
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_EXPERIMENT")}
    env = {**env, "MLFLOW_TRACKING_URI": store, "MLFLOW_DISABLE_TELEMETRY": "true",
           "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    result = subprocess.run(
        [sys.executable, "-m", "mlflow", "run", str(ROOT), "-e", "explain", "-P", f"model={model_uri}",
         "-P", f"data={data_uri}", "-P", "target=income", "-P", "sample=50", "-P", "comment=project",
         "--env-manager", "local", "--experiment-name", "project"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (run,) = mlflow.search_runs(experiment_names=["project"], filter_string="tags.model_explanation = 'True'",
                                output_format="list")
    assert run.info.status == "FINISHED"
    assert run.data.tags.get("mlflow.project.entryPoint") == "explain"
    (entry,) = ExplanationClient.from_run_id(run.info.run_id).list_model_explanations(comment="project")
    assert entry["num_examples"] == 50 and entry["is_raw"]
