"""Every Python example in the docs runs, so the docs cannot rot.

The ```python blocks of README.md and docs/*.md are collected from the Markdown. A page's blocks run in
order in one namespace (a later block uses what an earlier one made, as a reader would), in a temporary
folder holding a copy of the repository's pipelines/ and components/ (the docs are read in a clone:
``pipelines/scorecards/adult_income.yaml`` is there), with a throwaway MLflow store (one for all pages:
their runs name each other by id only). A block that cannot run here says why, on the line before it:

    <!-- docs-test: skip (needs a Spark cluster) -->

A failure names the page and the line in it.
"""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import mlflow
import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)
MARKER = re.compile(r"<!--\s*docs-test:\s*(?P<rest>.*?)-->\s*$")
SKIP = re.compile(r"skip \((?P<reason>.*\S.*)\)")


def _blocks(page: Path) -> list[tuple[int, str, str | None]]:
    """(line number, code, skip reason or None) of each ```python block of ``page``."""
    text = page.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        if match["lang"] != "python":
            continue
        line = text.count("\n", 0, match.start()) + 1
        before = text[:match.start()].rstrip().splitlines()
        marker = MARKER.search(before[-1]) if before else None
        reason = None
        if marker:
            skip = SKIP.fullmatch(marker["rest"].strip())
            if skip is None:
                raise ValueError(f"{page.relative_to(ROOT)}:{line - 1}: a docs-test marker must read "
                                 "'<!-- docs-test: skip (why it cannot run) -->'")
            reason = skip["reason"].strip()
        found.append((line + 1, textwrap.dedent(match["body"]), reason))
    return found


RUNNABLE = [page for page in PAGES if any(reason is None for _, _, reason in _blocks(page))]


@pytest.fixture(scope="module")
def docs_store(tmp_path_factory):
    """One throwaway sqlite store for the pages (creating a store's tables takes a second or two)."""
    return f"sqlite:///{tmp_path_factory.mktemp('docs-store') / 'mlflow.db'}"


@pytest.fixture
def docs_sandbox(docs_store, tmp_path, monkeypatch):
    """A temporary working folder for one page, the store as MLflow's current one; MLflow's defaults after."""
    for folder in ("pipelines", "components"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", docs_store)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    for name in ("MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID"):
        monkeypatch.delenv(name, raising=False)
    mlflow.set_tracking_uri(docs_store)
    yield tmp_path
    while mlflow.active_run():
        mlflow.end_run()
    mlflow.set_tracking_uri(None)


@pytest.mark.parametrize("page", RUNNABLE, ids=[str(page.relative_to(ROOT)) for page in RUNNABLE])
def test_the_python_examples_of_a_page_run_in_order(page, docs_sandbox):
    namespace: dict = {"__name__": "__docs__"}
    for line, code, reason in _blocks(page):
        if reason is not None:
            continue
        # padded so that a traceback's line numbers are the Markdown file's
        compiled = compile("\n" * (line - 1) + code, str(page.relative_to(ROOT)), "exec")
        exec(compiled, namespace)  # noqa: S102 - the examples are our own docs


def test_examples_are_collected_and_every_skip_says_why():
    blocks = [(page, *block) for page in PAGES for block in _blocks(page)]
    runnable = [block for block in blocks if block[3] is None]
    assert len(runnable) >= 30, "the docs' examples were not found: has the fence format changed?"
    skipped = [f"{page.relative_to(ROOT)}:{line}: {reason}" for page, line, _, reason in blocks if reason]
    assert len(skipped) <= len(runnable) // 4, "most examples must run; skipped:\n" + "\n".join(skipped)
