"""Explanations in notebooks: a real notebook executed in a real Jupyter kernel (nbclient), exported to HTML
(nbconvert) and opened in Chromium, where the dashboards inside the outputs draw their charts.

One notebook, built here, does what a user does: explain a model (the explanation is the cell's last
expression), log it to a throwaway MLflow store, and ``explain_lib.show`` it back from the run with fewer
rows. Executing it takes a kernel start and the imports (~10-20 s).
"""

from __future__ import annotations

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from nbconvert import HTMLExporter

from explain_lib import Explanation
from explain_lib._notebook import dashboard_frame, frame
from explain_lib.errors import ExplainLibError, InvalidParameterError

CELLS = [
    """import mlflow
import explain_lib
from lightgbm import LGBMClassifier
from explain_lib.datasets import load_adult

mlflow.set_tracking_uri("sqlite:///mlflow.db")
X, y = load_adult()
X, y = X.iloc[:2000], y.iloc[:2000]
model = LGBMClassifier(n_estimators=30, verbose=-1).fit(X, y)
explanation = explain_lib.TabularExplainer(model, X).explain(X.iloc[:300])""",
    "explanation",
    """with mlflow.start_run() as run:
    explain_lib.log_explanation(explanation, comment="notebook", plots=False)""",
    """explain_lib.show(f"runs:/{run.info.run_id}", max_rows=120)""",
]

CANVAS_DRAWN = """() => [...document.querySelectorAll('canvas')].filter(c => c.width > 0 && c.height > 0).some(c => {
    const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) return true;
    return false;
})"""


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook after a real kernel ran it in a temporary folder (its own sqlite store there)."""
    folder = tmp_path_factory.mktemp("notebook")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in CELLS])
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    client.execute()
    return notebook, folder


def _html_outputs(cell) -> list[str]:
    return [output["data"]["text/html"] for output in cell.outputs
            if output["output_type"] in ("execute_result", "display_data") and "text/html" in output.get("data", {})]


def test_the_explanation_and_show_put_the_dashboard_in_a_sandboxed_frame(executed):
    notebook, _ = executed
    (shown,) = _html_outputs(notebook.cells[1])
    (logged,) = _html_outputs(notebook.cells[3])
    for markup in (shown, logged):
        assert '<iframe sandbox="allow-scripts"' in markup and 'srcdoc="&lt;!DOCTYPE html&gt;' in markup
    assert "explain-lib-note" not in shown  # 300 rows fit under the default cap
    assert "Showing a seeded sample of 120 of 300 rows" in logged
    assert "text/plain" in notebook.cells[1].outputs[0]["data"]  # the plain repr stays for text front ends
    printed = "".join(output.get("text", "") for output in notebook.cells[3].outputs
                      if output["output_type"] == "stream")
    assert "Downloading artifacts" not in printed  # show's output is the dashboard, not MLflow's download bars


def test_the_exported_notebook_draws_both_dashboards_in_chromium(executed, browser, tmp_path):
    notebook, _ = executed
    body, _ = HTMLExporter().from_notebook_node(notebook)
    path = tmp_path / "notebook.html"
    path.write_text(body, encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    asked = []  # by the dashboards (nbconvert's own page asks for CDN scripts)
    page.on("request", lambda request: asked.append(request.url) if request.frame != page.main_frame else None)
    # nbconvert's page links require.js and MathJax from CDNs: refused here, so loading never waits on them
    page.route("http*://**", lambda route: route.abort())
    try:
        page.goto(path.as_uri())
        frames = page.locator("iframe[sandbox='allow-scripts']")
        assert frames.count() == 2
        for index in range(2):
            frames.nth(index).scroll_into_view_if_needed()
            inner = frames.nth(index).content_frame
            inner.locator("body[data-rendered]").wait_for()
            inner.locator("#importance-table tbody tr").first.wait_for(state="attached")
            assert frames.nth(index).evaluate("f => f.contentDocument") is None  # sandboxed: not the notebook's
        drawn = [frame.evaluate(CANVAS_DRAWN) for frame in page.frames if frame != page.main_frame]
        assert drawn == [True, True]
        assert "Showing a seeded sample of 120 of 300 rows" in page.text_content("body")
        assert [url for url in asked if not url.startswith(("about:", "data:"))] == []
    finally:
        page.close()


def test_show_outside_a_notebook_says_what_to_do_instead():
    import explain_lib

    explanation = Explanation(local=np.ones((1, 3, 2)), expected=np.zeros(1), features=["a", "b"], task="regression",
                              output_space="raw", method="test")
    with pytest.raises(ExplainLibError, match="no notebook kernel is running.*to_html"):
        explain_lib.show(explanation)


def test_the_frame_escapes_the_page_and_refuses_bad_row_caps():
    markup = frame('<p title="x">a & b</p>', note="<b>note</b>")
    assert 'srcdoc="&lt;p title=&quot;x&quot;&gt;a &amp; b&lt;/p&gt;"' in markup
    assert "&lt;b&gt;note&lt;/b&gt;" in markup
    explanation = Explanation(local=np.ones((1, 3, 2)), expected=np.zeros(1), features=["a", "b"], task="regression",
                              output_space="raw", method="test")
    with pytest.raises(InvalidParameterError, match="max_rows"):
        dashboard_frame(explanation, max_rows=0)
