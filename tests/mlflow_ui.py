"""Drive the MLflow 3 tracking UI in real Chromium: open a run's artifact and reach its preview iframe.

A helper for tests, not a test file. The UI previews an ``.html`` artifact in
``<iframe sandbox="allow-scripts">`` loaded from a blob URL; deep links to an artifact path do not
select it, so the file is reached by clicking through the artifact tree as a reviewer would::

    with artifact_preview(browser, server_uri, experiment_id, run_id, "explanations/x/dashboard.html") as frame:
        frame.get_by_text("Top features").wait_for()

What the UI needs (measured on MLflow 3.17): ``?workflowType=machine_learning`` so the classic run
pages open; waiting for ``load`` plus visible text, never ``networkidle`` (the UI keeps polling);
closing the assistant panel (closing re-renders the run page); up to ~55 s before a busy machine
serves the first page.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

__all__ = ["FIRST_PAGE_TIMEOUT_MS", "artifact_preview", "open_artifact", "open_run_page"]

FIRST_PAGE_TIMEOUT_MS = 90_000  # the first page of a freshly started server on a busy 2-core machine
STEP_TIMEOUT_MS = 30_000
_CLICK_ATTEMPTS = 3
_NODE = '[data-testid="artifact-tree-node"]'
_PREVIEW = "iframe.mlflow-html-iframe"
_ASSISTANT_CLOSE = '[data-component-id="mlflow.assistant.chat_panel.close"]'
VIEWPORT = {"width": 1400, "height": 1000}


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal (quotes and backslashes escaped)."""
    return json.dumps(text)


def _node(name: str) -> str:
    return f"{_NODE}[artifact-name={_css_string(name)}]"


def run_url(tracking_uri: str, experiment_id: str, run_id: str, tab: str | None = None) -> str:
    """The UI's URL of a run (``tab``: ``artifacts``, ``model-metrics``, ...) in the model-training mode."""
    suffix = f"/{tab}" if tab else ""
    return f"{tracking_uri.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}{suffix}" \
           "?workflowType=machine_learning"


def _close_assistant(page: Any) -> bool:
    """Close the assistant panel if it is open; True when it was (the run page then re-renders)."""
    button = page.locator(_ASSISTANT_CLOSE)
    if button.count() and button.first.is_visible():
        button.first.click()
        button.first.wait_for(state="detached", timeout=STEP_TIMEOUT_MS)
        return True
    return False


def open_run_page(browser: Any, tracking_uri: str, experiment_id: str, run_id: str, *, tab: str | None = None,
                  ready_text: str, timeout_ms: int = FIRST_PAGE_TIMEOUT_MS) -> Any:
    """A new page on the run (its ``tab``), once ``ready_text`` is visible and the assistant panel closed.

    The caller closes the page (``page.close()``).
    """
    page = browser.new_page(viewport=VIEWPORT)
    try:
        page.goto(run_url(tracking_uri, experiment_id, run_id, tab), wait_until="load", timeout=timeout_ms)
        ready = page.get_by_text(ready_text, exact=True).first
        ready.wait_for(state="visible", timeout=timeout_ms)
        if _close_assistant(page):
            ready.wait_for(state="visible", timeout=STEP_TIMEOUT_MS)
    except BaseException:
        page.close()
        raise
    return page


def _expand(page: Any, parent: Any, name: str, child: str | None) -> Any:
    """Click the tree node ``name`` under ``parent`` (the ``li`` of a folder, or the page for the top level),
    until ``child`` shows under it (a folder) or the preview iframe appears (a file); return its ``li``."""
    scope = f":scope > div > ul > li > div > {_node(name)}" if parent is not page else \
        f"ul:not(li ul) > li > div > {_node(name)}"
    node = parent.locator(scope).first
    node.wait_for(state="visible", timeout=STEP_TIMEOUT_MS)
    item = node.locator("xpath=ancestor::li[1]")
    for attempt in range(_CLICK_ATTEMPTS):
        node.click()
        target = item.locator(f":scope > div > ul > li > div > {_node(child)}") if child else page.locator(_PREVIEW)
        try:
            target.first.wait_for(state="visible", timeout=STEP_TIMEOUT_MS // _CLICK_ATTEMPTS)
            return item
        except Exception:  # noqa: BLE001 - Playwright's TimeoutError: the click landed during a re-render
            if attempt + 1 == _CLICK_ATTEMPTS:
                raise
            if child and item.locator(f":scope > div > ul > li > div > {_NODE}").count():
                continue  # the folder is open, its listing is still coming: clicking again would close it
    return item


def open_artifact(browser: Any, tracking_uri: str, experiment_id: str, run_id: str, artifact_path: str, *,
                  timeout_ms: int = FIRST_PAGE_TIMEOUT_MS) -> Any:
    """Open ``artifact_path`` of a run in the MLflow UI; return the Playwright Frame of its preview iframe.

    A new page goes to the run's Artifacts tab, closes the assistant panel, clicks each folder of
    ``artifact_path`` open in the artifact tree and then the file, and waits for the preview iframe
    (``sandbox="allow-scripts"``, a ``blob:`` URL) to load. The frame's page is ``frame.page``; the
    caller closes it (or uses :func:`artifact_preview`).
    """
    parts = [part for part in artifact_path.strip("/").split("/") if part]
    page = open_run_page(browser, tracking_uri, experiment_id, run_id, tab="artifacts", ready_text=parts[0],
                         timeout_ms=timeout_ms)
    try:
        parent: Any = page
        for position, name in enumerate(parts):
            child = parts[position + 1] if position + 1 < len(parts) else None
            parent = _expand(page, parent, name, child)
        iframe = page.locator(_PREVIEW).first
        iframe.wait_for(state="attached", timeout=STEP_TIMEOUT_MS)
        frame = iframe.element_handle().content_frame()
        frame.wait_for_load_state("load", timeout=STEP_TIMEOUT_MS)
    except BaseException:
        page.close()
        raise
    return frame


@contextlib.contextmanager
def artifact_preview(browser: Any, tracking_uri: str, experiment_id: str, run_id: str, artifact_path: str, *,
                     timeout_ms: int = FIRST_PAGE_TIMEOUT_MS) -> Iterator[Any]:
    """:func:`open_artifact` as a context manager that closes the page afterwards."""
    frame = open_artifact(browser, tracking_uri, experiment_id, run_id, artifact_path, timeout_ms=timeout_ms)
    try:
        yield frame
    finally:
        frame.page.close()
