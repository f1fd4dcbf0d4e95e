"""What the user sees during long work: tqdm bars of KernelShap and PFI, step and pipeline progress on stderr."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import sys
import tempfile
from pathlib import Path

import mlflow
import numpy as np
import pytest
import yaml
from mlflow import MlflowClient
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier

import explain_lib.explainers._kernel_estimator as kernel_estimator
from explain_lib import KernelShap, PFIExplainer
from explain_lib.errors import InvalidParameterError
from explain_lib.explainers._kernel_estimator import shapley_values
from explain_lib.pipelines import PipelineStepError, run_pipeline
from explain_lib.pipelines._run import _stream
from explain_lib.steps._run import progress

X_CLS, Y_CLS = make_classification(n_samples=200, n_features=6, n_informative=3, random_state=0)
FOREST = RandomForestClassifier(n_estimators=10, random_state=0).fit(X_CLS, Y_CLS)


class _Terminal(io.StringIO):
    """A captured stderr that says it is a terminal, as an interactive shell's is."""

    def isatty(self) -> bool:
        return True


class _RecordingBar:
    """Stands in for the tqdm bar: records the total and every update."""

    def __init__(self, total: int, description: str, *, unit: str, show: bool | None = None) -> None:
        self.total, self.updates = total, []

    def __enter__(self) -> _RecordingBar:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def update(self, n: int) -> None:
        self.updates.append(n)


def _record_bars(monkeypatch: pytest.MonkeyPatch) -> list[_RecordingBar]:
    """The bars the Kernel SHAP estimator makes from now on, recorded instead of drawn."""
    bars = []

    def make(*args: object, **kwargs: object) -> _RecordingBar:
        bars.append(_RecordingBar(*args, **kwargs))
        return bars[-1]

    monkeypatch.setattr(kernel_estimator, "progress_bar", make)
    return bars


def _nonlinear(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float64)
    return rows[:, 0] * rows[:, 1] + np.sin(rows[:, 2]) + rows[:, 3] * rows[:, 4] ** 2


# ---------------------------------------------------------------------------------- KernelShap
@pytest.mark.parametrize("max_batch_rows, updates", [
    (500, [1] * 6),  # 32 coalitions x 7 background rows = 224 synthetic rows per row, each row alone
    (100, [1] * 6),  # a row's coalitions do not fit: split, and the row counts once all its blocks are done
])
def test_kernel_bar_advances_per_row_up_to_the_row_count(monkeypatch, max_batch_rows, updates):
    rng = np.random.default_rng(0)
    rows, background, weights = rng.normal(size=(6, 5)), rng.normal(size=(7, 5)), np.full(7, 1 / 7)
    bars = _record_bars(monkeypatch)
    shapley_values(_nonlinear, rows, background, weights, max_batch_rows=max_batch_rows)
    assert [(bar.total, bar.updates) for bar in bars] == [(6, updates)]


def test_kernel_bar_counts_rows_without_varying_features_and_sampled_rows(monkeypatch):
    rng = np.random.default_rng(1)
    rows, background = rng.normal(size=(5, 14)), np.tile(rng.normal(size=14), (4, 1))
    rows[2] = background[0]  # nothing varies: no coalition to evaluate, but the row is done
    bars = _record_bars(monkeypatch)
    shapley_values(lambda z: z.astype(float).sum(axis=1), rows, background, np.full(4, 0.25))
    assert bars[0].total == 5 and sum(bars[0].updates) == 5


def test_kernel_shap_shows_a_bar_when_asked_and_the_values_do_not_change(capsys):
    rng = np.random.default_rng(2)
    background, rows = rng.normal(size=(20, 12)), rng.normal(size=(7, 12))  # 12 > 10 features: sampled path
    quiet = KernelShap(_nonlinear, background, progress=False).explain(rows)
    assert capsys.readouterr().err == ""
    shown = KernelShap(_nonlinear, background, progress=True).explain(rows)
    err = capsys.readouterr().err
    assert "KernelShap" in err and "7/7" in err and "100%" in err
    assert_array_equal(shown.local, quiet.local)
    assert_array_equal(shown.expected, quiet.expected)


def test_kernel_bar_by_default_only_on_a_terminal():
    rng = np.random.default_rng(3)
    background, rows = rng.normal(size=(10, 5)), rng.normal(size=(4, 5))
    for stream, shown in ((io.StringIO(), False), (_Terminal(), True)):
        with contextlib.redirect_stderr(stream):
            KernelShap(_nonlinear, background).explain(rows)
        assert ("4/4" in stream.getvalue()) is shown


# ---------------------------------------------------------------------------------- PFI
@pytest.mark.parametrize("n_jobs", [None, 2])
def test_pfi_bar_counts_the_features_and_the_importances_do_not_change(capsys, n_jobs):
    quiet = PFIExplainer(FOREST, n_repeats=3, progress=False).explain(X_CLS, Y_CLS)
    assert capsys.readouterr().err == ""
    shown = PFIExplainer(FOREST, n_repeats=3, n_jobs=n_jobs, progress=True).explain(X_CLS, Y_CLS)
    err = capsys.readouterr().err
    assert "PFIExplainer" in err and "6/6" in err and "feature" in err
    assert_array_equal(shown.global_repeats, quiet.global_repeats)


def test_pfi_show_progress_false_hides_the_bar_even_on_a_terminal():
    terminal = _Terminal()
    with contextlib.redirect_stderr(terminal):
        PFIExplainer(FOREST, n_repeats=2, show_progress=False).explain(X_CLS, Y_CLS)
    assert terminal.getvalue() == ""
    with contextlib.redirect_stderr(terminal):
        PFIExplainer(FOREST, n_repeats=2).explain(X_CLS, Y_CLS)
    assert "6/6" in terminal.getvalue()


def test_pfi_show_progress_false_with_progress_true_is_a_contradiction():
    with pytest.raises(InvalidParameterError, match="pass only one"):
        PFIExplainer(FOREST, show_progress=False, progress=True)


# ---------------------------------------------------------------------------------- steps and pipelines
def test_step_progress_prints_the_message_then_its_duration(capsys):
    with progress("training a model"):
        pass
    assert re.fullmatch(r"explain-lib: training a model \.\.\.\nexplain-lib: training a model: done in \d+\.\d s\n",
                        capsys.readouterr().err)


class _Witness(io.StringIO):
    """A stderr that creates ``flag`` as soon as ``word`` is written to it."""

    def __init__(self, flag: Path, word: str) -> None:
        super().__init__()
        self.flag, self.word = flag, word

    def write(self, text: str) -> int:
        if self.word in text:
            self.flag.touch()
        return super().write(text)


def test_job_stderr_is_echoed_live_with_its_label_and_both_streams_are_kept_whole(tmp_path):
    flag = tmp_path / "echoed"
    # the job waits (up to 30 s) until its first stderr line has reached our stderr: only a live echo frees it
    script = (f"import pathlib, sys, time\nprint('to stdout')\nprint('first', file=sys.stderr, flush=True)\n"
              f"deadline = time.monotonic() + 30\n"
              f"while not pathlib.Path({str(flag)!r}).exists():\n"
              f"    if time.monotonic() > deadline: sys.exit('not echoed live')\n"
              f"    time.sleep(0.05)\n"
              f"print('second', file=sys.stderr)\nsys.exit(3)\n")
    witness = _Witness(flag, "first")
    with tempfile.TemporaryFile() as stdout, contextlib.redirect_stderr(witness):
        returncode, stderr = _stream([sys.executable, "-c", script], dict(os.environ), stdout=stdout, label="job")
        stdout.seek(0)
        assert stdout.read() == b"to stdout\n"
    assert (returncode, stderr) == (3, "first\nsecond\n")
    assert witness.getvalue() == "  job | first\n  job | second\n"


def _python_pipeline(folder: Path, scripts: dict[str, str]) -> Path:
    """A pipeline of one job per script, in order, each running ``python -c script``."""
    jobs, previous = {}, None
    for name, script in scripts.items():
        component = folder / f"{name}.yaml"
        component.write_text(yaml.safe_dump({
            "type": "command", "name": name, "version": "1", "outputs": {"done": {"type": "uri_folder"}},
            "inputs": {"after": {"type": "uri_folder", "optional": True}},
            "command": f"{shlex.quote(sys.executable)} -c {shlex.quote(script)} --out ${{{{outputs.done}}}}"
                       " $[[--after ${{inputs.after}}]]",
        }), encoding="utf-8")
        inputs = {"after": f"${{{{parent.jobs.{previous}.outputs.done}}}}"} if previous else {}
        jobs[name] = {"type": "command", "component": str(component), "inputs": inputs,
                      "outputs": {"done": {"type": "uri_folder"}}}
        previous = name
    path = folder / "pipeline.yaml"
    path.write_text(yaml.safe_dump({"type": "pipeline", "display_name": "tiny", "jobs": jobs}), encoding="utf-8")
    return path


def test_pipeline_prints_each_job_start_echoed_lines_and_end_in_order(store, tmp_path, capsys):
    say = "import sys; print('result'); print('explain-lib: working ...', file=sys.stderr)"
    path = _python_pipeline(tmp_path, {"prepare": say, "explain": say})
    parent_id = run_pipeline(path, experiment_name="progress")
    err = capsys.readouterr().err
    client = MlflowClient(store)
    parent_name = client.get_run(parent_id).info.run_name
    steps = client.search_runs([mlflow.get_experiment_by_name("progress").experiment_id],
                               f"tags.mlflow.parentRunId = '{parent_id}'")
    runs = {run.info.run_name.removeprefix(f"{parent_name}/"): run.info.run_id for run in steps}
    assert set(runs) == {"prepare", "explain"}  # step runs are named after their pipeline run and job
    expected = [
        rf"explain-lib: \[1/2\] prepare \(run {runs['prepare']}\) \.\.\.",
        r"  prepare \| explain-lib: working \.\.\.",
        r"explain-lib: \[1/2\] prepare: done in \d+\.\d s",
        rf"explain-lib: \[2/2\] explain \(run {runs['explain']}\) \.\.\.",
        r"  explain \| explain-lib: working \.\.\.",
        r"explain-lib: \[2/2\] explain: done in \d+\.\d s",
    ]
    lines = [line for line in err.splitlines() if line.startswith(("explain-lib: [", "  "))]
    assert len(lines) == len(expected) and all(map(re.fullmatch, expected, lines)), err
    logged = Path(mlflow.artifacts.download_artifacts(run_id=runs["explain"], artifact_path="logs",
                                                      tracking_uri=store))
    assert (logged / "stdout.txt").read_text() == "result\n"
    assert (logged / "stderr.txt").read_text() == "explain-lib: working ...\n"


def test_pipeline_prints_the_failed_job_with_its_error(store, tmp_path, capsys):
    fail = "import sys; print('explain-lib: error: column x is missing', file=sys.stderr); sys.exit(2)"
    path = _python_pipeline(tmp_path, {"train": fail, "explain": "pass"})
    with pytest.raises(PipelineStepError, match="column x is missing"):
        run_pipeline(path, experiment_name="progress")
    err = capsys.readouterr().err
    assert "  train   | explain-lib: error: column x is missing" in err  # labels padded to the longest job name
    assert re.search(r"^explain-lib: \[1/2\] train: FAILED after \d+\.\d s: column x is missing$", err, re.M), err
    assert "[2/2]" not in err
