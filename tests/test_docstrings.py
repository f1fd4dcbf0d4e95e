"""Every ``Examples`` section in explain_lib's docstrings runs and prints what it says (doctest).

Each example runs in a fresh temporary directory with a throwaway MLflow store (the ``MLFLOW_TRACKING_URI``
of a new sqlite file), so examples that log runs read like a user's code and leave nothing behind.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import mlflow
import pytest

import explain_lib

_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _doctests() -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder()
    found = []
    for module in pkgutil.walk_packages(explain_lib.__path__, "explain_lib."):
        if module.name.endswith("__main__"):  # running it is the command line itself
            continue
        found += [test for test in finder.find(importlib.import_module(module.name)) if test.examples]
    return sorted(found, key=lambda test: test.name)


DOCTESTS = _doctests()


def test_the_public_entry_points_have_examples():
    named = {test.name for test in DOCTESTS}
    for name in ("explain_lib.explanation.Explanation", "explain_lib.explainers.tree.TreeShap",
                 "explain_lib.explainers.linear.LinearShap", "explain_lib.explainers.kernel.KernelShap",
                 "explain_lib.explainers.deep.DeepShap", "explain_lib.explainers.mimic.MimicExplainer",
                 "explain_lib.explainers.pfi.PFIExplainer", "explain_lib.explainers.tabular.TabularExplainer",
                 "explain_lib.tracking._client.ExplanationClient", "explain_lib.report.comparison.compare"):
        assert name in named, f"{name} has no Examples section"


@pytest.mark.parametrize("test", DOCTESTS, ids=lambda test: test.name)
def test_docstring_example(test, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    for variable in ("MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME"):
        monkeypatch.delenv(variable, raising=False)
    report = []
    runner = doctest.DocTestRunner(optionflags=_FLAGS)
    try:
        result = runner.run(test, out=report.append, clear_globs=True)
    finally:
        while mlflow.active_run():
            mlflow.end_run()
    assert result.failed == 0, "".join(report)
