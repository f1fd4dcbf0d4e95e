"""The MLflow UI harness reaches a logged HTML artifact's preview, where its inline script runs."""

from __future__ import annotations

import mlflow
import pytest
from mlflow_ui import artifact_preview

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{name}</title></head><body>
<h1>{name}</h1><p id="out">script did not run</p>
<script>document.getElementById("out").textContent = "computed " + [{numbers}].reduce((a, b) => a + b, 0);</script>
</body></html>"""


@pytest.fixture(scope="module")
def logged_pages(mlflow_server, tmp_path_factory):
    """A run on the tracking server with two pages of the same file name in sibling folders."""
    uri = mlflow_server.wait()
    client = mlflow.MlflowClient(uri)
    experiment_id = client.create_experiment("ui-harness", tags={"mlflow.experimentKind": "custom_model_development"})
    run_id = client.create_run(experiment_id, run_name="pages").info.run_id
    root = tmp_path_factory.mktemp("pages")
    for folder, numbers in (("first", "1, 2"), ("second", "20, 22")):
        (root / "reports" / folder).mkdir(parents=True)
        (root / "reports" / folder / "page.html").write_text(PAGE.format(name=f"{folder} page", numbers=numbers))
    (root / "reports" / "notes.txt").write_text("not a page")
    client.log_artifacts(run_id, str(root))
    client.set_terminated(run_id)
    return uri, experiment_id, run_id


def test_the_preview_of_a_nested_html_artifact_runs_its_inline_script(browser, logged_pages):
    uri, experiment_id, run_id = logged_pages
    with artifact_preview(browser, uri, experiment_id, run_id, "reports/second/page.html") as frame:
        frame.get_by_text("computed 42").wait_for(timeout=30_000)
        assert frame.locator("h1").inner_text() == "second page"  # the sibling folder's page.html was not opened
        assert frame.url.startswith("blob:")
        assert frame.frame_element().get_attribute("sandbox") == "allow-scripts"
