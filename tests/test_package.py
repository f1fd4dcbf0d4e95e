"""The built package is complete: the wheel, installed into a clean virtual environment, runs the demo and
writes a dashboard and a scorecard, so a package-data file left out of the build fails here, not for a user.

What it proves and how it stays quick: the sdist is built from the tracked files only (a new file nobody
added to git is missing, as it would be from a release) and the wheel from that sdist, as ``make dist``
does. The wheel goes into a fresh venv with ``--no-deps``; the test environment's site-packages is then
appended to the new venv's path so its dependencies (MLflow, LightGBM, ...) need no download. Only the
dependencies come from there: explain_lib itself is imported from the new venv (checked), and
PYTHONPATH is dropped, so every explain_lib file the commands read came out of the wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ECHARTS = ROOT / "explain_lib" / "report" / "_vendor" / "echarts.min.js"

SCORECARD_SCRIPT = """
import sys
import numpy as np
import explain_lib
from explain_lib.datasets import load_adult
from explain_lib.report.scorecard import compute_scorecard, load_config, write_scorecard

X, y = load_adult()
X, y = X.iloc[:3000], y.iloc[:3000]
predicted = ((X["capital_gain"] > 5000) | (X["education_num"] >= 13)).astype(int).to_numpy()
config = load_config({"Model": {"ModelName": "Packaged", "ModelType": "classification", "PositiveClass": 1},
                      "Metrics": {"accuracy_score": {"threshold": ">=0.5"}},
                      "DataExplorer": {"features": ["age"]},
                      "Fairness": {"metric": ["selection_rate"], "sensitive_features": ["sex"],
                                   "fairness_evaluation_kind": "difference"}},
                     data=X, task="classification")
card = compute_scorecard(config, X, y.to_numpy(), predicted, task="classification", classes=[0, 1])
pdf, html = write_scorecard(card, sys.argv[1])
print(explain_lib.__file__)
"""


def _tracked_files() -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("the package is built from the git checkout's tracked files; this is not a git checkout")
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [name for name in listed.decode().split("\0") if name and (ROOT / name).is_file()]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(sdist, wheel) built from a copy of the tracked files, the wheel from the sdist (``python -m build``)."""
    root = tmp_path_factory.mktemp("package")
    source = root / "source"
    tracked = _tracked_files()
    for name in tracked:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    command = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(root / "dist"), str(source)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (sdist,), (wheel,) = (root / "dist").glob("*.tar.gz"), (root / "dist").glob("*.whl")
    return sdist, wheel, tracked


def test_the_wheel_holds_every_tracked_file_of_the_package(built):
    _, wheel, tracked = built
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    package_files = [name for name in tracked if name.startswith("explain_lib/")]
    assert {"explain_lib/py.typed", "explain_lib/report/_vendor/echarts.min.js",
            "explain_lib/report/scorecard/templates/scorecard.html.j2"} <= set(package_files)
    assert [name for name in package_files if name not in in_wheel] == []
    metadata = next(name for name in in_wheel if name.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "License-Expression: MIT" in text
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in in_wheel)


def test_the_installed_wheel_runs_the_demo_and_writes_a_dashboard_and_a_scorecard(built, tmp_path):
    _, wheel, _ = built
    # no PYTHONPATH anywhere: a source tree on it (its egg-info) would pass for an installed explain-lib
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "MLFLOW_RUN_ID")}
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120, env=env)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-index", str(wheel)], check=True, timeout=300, env=env)
    # Dependencies from the test environment, appended after the venv's own site-packages (after the wheel).
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    dependencies = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(site, "zz_test_dependencies.pth").write_text("\n".join(sorted(dependencies)) + "\n")

    work = tmp_path / "work"
    work.mkdir()
    env.update(MLFLOW_TRACKING_URI=f"sqlite:///{work / 'mlflow.db'}", MLFLOW_DISABLE_TELEMETRY="true")
    demo = subprocess.run([str(venv / "bin" / "explain-lib"), "demo", "--top-k", "3"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=600)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "Top 3 features by mean |SHAP value|" in demo.stdout

    dashboards = list(work.rglob("explanations/*/dashboard.html"))
    assert len(dashboards) == 1, demo.stdout
    page = dashboards[0].read_text(encoding="utf-8")
    assert ECHARTS.read_text(encoding="utf-8").strip()[:4000] in page  # the vendored library, inline

    scorecard = subprocess.run([str(python), "-c", SCORECARD_SCRIPT, str(work / "scorecard")], cwd=work, env=env,
                               capture_output=True, text=True, timeout=300)
    assert scorecard.returncode == 0, scorecard.stderr[-3000:]
    assert Path(scorecard.stdout.strip()).is_relative_to(venv)  # explain_lib came from the wheel
    html = (work / "scorecard" / "scorecard.html").read_text(encoding="utf-8")
    assert "Packaged" in html and "rate by sex" in html
    assert (work / "scorecard" / "scorecard.pdf").read_bytes().startswith(b"%PDF")
