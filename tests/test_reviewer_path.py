"""The reviewer's path, walked in the real MLflow UI in headless Chromium: the Adult pipeline run through the
command line against an `mlflow server`, then a comparison of its explanation with a candidate model's.

Every browser page is a fresh profile (a first-time visitor), unless a test says otherwise. Set
``EXPLAIN_LIB_SCREENSHOTS=<folder>`` to keep a screenshot of each landing of the tour for checking by eye.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
import yaml
from mlflow import MlflowClient
from mlflow_ui import FIRST_PAGE_TIMEOUT_MS, STEP_TIMEOUT_MS, open_run_page
from packaging.version import Version
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from explain_lib.tracking import ExplanationClient
from explain_lib.tracking._ui import (
    EXPERIMENT_KIND,
    EXPERIMENT_KIND_TAG,
    NOTE_TAG,
    artifact_link,
    experiment_link,
    markdown_text,
    run_link,
)

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENT = "reviewer-path"
SAMPLE = 300
_PREVIEW = "iframe.mlflow-html-iframe"
TIP_TIMEOUT_MS = 10_000  # how long a first visit's tip may take to show, where the MLflow version has one (before 3.18)
_ASSISTANT_CLOSE = '[data-component-id="mlflow.assistant.chat_panel.close"]'
_EXPAND = ("button[data-component-id='codegen_mlflow_app_src_experiment-tracking_components_experiment-page_components_"
           "runs_cells_runnamecellrenderer.tsx_46']")


def _cli(uri: str, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri, "MLFLOW_DISABLE_TELEMETRY": "true"}
    for name in ("MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_RUN_ID"):
        env.pop(name, None)
    return subprocess.run([sys.executable, "-m", "explain_lib.cli", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=600)


def _children(client: MlflowClient, parent_id: str) -> dict[str, mlflow.entities.Run]:
    parent = client.get_run(parent_id)
    runs = client.search_runs([parent.info.experiment_id], f"tags.mlflow.parentRunId = '{parent_id}'")
    return {run.data.tags["explain_lib.pipeline.job"]: run for run in runs}


@pytest.fixture(scope="module")
def demo(mlflow_server, tmp_path_factory):
    """`explain-lib pipeline run pipelines/adult_income.yaml` against the server, as the README says."""
    uri = mlflow_server.wait()
    result = _cli(uri, tmp_path_factory.mktemp("demo"), "pipeline", "run", str(ROOT / "pipelines/adult_income.yaml"),
                  "--set", f"explain_sample={SAMPLE}", "--experiment", EXPERIMENT)
    assert result.returncode == 0, result.stderr[-3000:]
    client = MlflowClient(uri)
    parent_id = result.stdout.strip().splitlines()[-1]
    parent = client.get_run(parent_id)
    return {"uri": uri, "client": client, "experiment_id": parent.info.experiment_id, "parent": parent,
            "children": _children(client, parent_id), "stdout": result.stdout, "stderr": result.stderr}


@pytest.fixture(scope="module")
def candidate(demo, tmp_path_factory):
    """A candidate model of the same data (other hyperparameters) explained on the demo's test rows, and a pipeline
    that compares its explanation with the demo's: ``(parent run, compare run, candidate run id)``."""
    import lightgbm

    from explain_lib import TabularExplainer

    client, uri = demo["client"], demo["uri"]
    train = demo["children"]["train"]
    test = pd.read_parquet(client.download_artifacts(train.info.run_id, "data/test.parquet",
                                                     str(tmp_path_factory.mktemp("test-split"))))
    everything = pd.read_csv(ROOT / "explain_lib/datasets/adult.csv.gz", skipinitialspace=True)
    fit_rows = everything.drop(index=test.index)  # the test split keeps its row numbers in the input file
    features = [c for c in everything.columns if c != "income"]
    for frame in (fit_rows, test):
        for column in features:
            if not pd.api.types.is_numeric_dtype(frame[column]):
                frame[column] = frame[column].astype(pd.CategoricalDtype(sorted(everything[column].unique())))
    model = lightgbm.LGBMClassifier(n_estimators=40, num_leaves=4, random_state=1, verbose=-1)
    model.fit(fit_rows[features], fit_rows["income"])
    rows = test.sample(SAMPLE, random_state=1)
    explanation = TabularExplainer(model, fit_rows[features].sample(500, random_state=0)).explain(rows[features])
    run = client.create_run(demo["experiment_id"], run_name="candidate")
    client.log_metric(run.info.run_id, "test_accuracy", float((model.predict(test[features]) == test["income"]).mean()))
    ExplanationClient.from_run_id(run.info.run_id, tracking_uri=uri).upload_model_explanation(
        explanation, true_ys=rows["income"], model_uri=f"runs:/{run.info.run_id}/model", comment="candidate")
    client.set_terminated(run.info.run_id)
    spec = {"type": "pipeline", "display_name": "candidate-comparison",
            "inputs": {"approved": f"runs:/{demo['children']['explain'].info.run_id}",
                       "candidate": f"runs:/{run.info.run_id}"},
            "jobs": {"compare": {"type": "command", "component": str(ROOT / "components/compare/component.yaml"),
                                 "inputs": {"baseline": "${{parent.inputs.approved}}",
                                            "candidate": "${{parent.inputs.candidate}}", "n_permutations": 499},
                                 "outputs": {"comparison": {"type": "uri_folder"}}}}}
    folder = tmp_path_factory.mktemp("candidate")
    (folder / "compare.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    result = _cli(uri, folder, "pipeline", "run", str(folder / "compare.yaml"), "--experiment", EXPERIMENT)
    assert result.returncode == 0, result.stderr[-3000:]
    parent = client.get_run(result.stdout.strip().splitlines()[-1])
    return parent, _children(client, parent.info.run_id)["compare"], run.info.run_id


# ------------------------------------------------------------------------------------------- browser helpers
def _page(browser, width: int = 1400):
    """A page in a fresh browser profile: nothing stored from an earlier visit."""
    return browser.new_page(viewport={"width": width, "height": 1000})


def _shot(page, name: str) -> None:
    folder = os.environ.get("EXPLAIN_LIB_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _close_assistant(page) -> None:
    """Close what MLflow opens over a first visit: the assistant panel and the GenAI overview's tip."""
    tip = page.get_by_role("button", name="Got it")  # its overlay takes every click until it is dismissed
    if tip.count() and tip.first.is_visible():
        tip.first.click()
    button = page.locator(_ASSISTANT_CLOSE)
    if button.count() and button.first.is_visible():
        button.first.click()
        button.first.wait_for(state="detached", timeout=STEP_TIMEOUT_MS)


def _preview(page):
    """The artifact preview's frame, once the page in it has drawn."""
    iframe = page.locator(_PREVIEW).first
    iframe.wait_for(state="attached", timeout=FIRST_PAGE_TIMEOUT_MS)
    frame = iframe.element_handle().content_frame()
    frame.wait_for_selector("body[data-rendered], body[data-ready=true]", timeout=STEP_TIMEOUT_MS)
    return frame


def _query(url: str) -> dict[str, list[str]]:
    return urllib.parse.parse_qs(urllib.parse.urlparse(url.split("#", 1)[-1]).query)


# ---------------------------------------------------------------------------------------------- the tour
def test_a_first_time_reviewer_walks_from_the_experiments_list_to_a_rows_waterfall(browser, demo):
    """experiments list -> experiment -> Model training -> parent run -> one click to the dashboard -> waterfall."""
    uri, parent = demo["uri"], demo["parent"]
    explain = demo["children"]["explain"]
    page = _page(browser)
    try:
        page.goto(f"{uri}/#/experiments", wait_until="load", timeout=FIRST_PAGE_TIMEOUT_MS)
        row = page.locator("[role=row]", has_text=EXPERIMENT).first
        row.wait_for(timeout=FIRST_PAGE_TIMEOUT_MS)
        assert "Model training view: [open the runs]" in row.inner_text()  # the list's Description column, as text
        _shot(page, "1-experiments-list")
        row.get_by_role("link", name=EXPERIMENT, exact=True).click()
        page.wait_for_url(f"**/experiments/{demo['experiment_id']}/**", timeout=STEP_TIMEOUT_MS)
        # MLflow 3.17 opens an experiment in GenAI for a first-time visitor whatever its tags say; the first line
        # of the description we gave the experiment is a link to its runs in Model training.
        link = page.get_by_role("link", name="open the runs", exact=True).first
        link.wait_for(timeout=FIRST_PAGE_TIMEOUT_MS)
        assert _query(page.url).get("workflowType") == ["genai"]
        if Version(mlflow.__version__) < Version("3.18"):
            try:  # MLflow 3.17 puts a tip over the GenAI overview (its overlay takes clicks); 3.18 does not
                page.get_by_role("button", name="Got it").first.wait_for(timeout=TIP_TIMEOUT_MS)
            except PlaywrightTimeoutError:
                pass
        _close_assistant(page)
        _shot(page, "2-experiment-genai-overview")
        with page.expect_popup() as opened:  # MLflow opens description links in a new tab
            link.click()
        runs = opened.value
        runs.get_by_role("link", name=parent.info.run_name, exact=True).first.wait_for(timeout=FIRST_PAGE_TIMEOUT_MS)
        assert _query(runs.url).get("workflowType") == ["machine_learning"]
        assert runs.get_by_text("Training runs", exact=True).count() == 0  # no GenAI side menu: Model training
        _close_assistant(runs)
        _shot(runs, "3-runs-model-training")
        runs.get_by_role("link", name=parent.info.run_name, exact=True).first.click()
        description = runs.get_by_text("Verdict").first
        description.wait_for(timeout=FIRST_PAGE_TIMEOUT_MS)
        # (the UI's own link to a run drops workflowType: a first-time visitor is back in GenAI, on the same run page)
        assert f"/runs/{parent.info.run_id}" in runs.url
        _close_assistant(runs)
        dashboard = runs.get_by_role("link", name="dashboard", exact=True).first
        assert dashboard.is_visible()  # before "Show more": the way to the dashboard and the verdict come first
        _shot(runs, "4-parent-run")
        with runs.expect_popup() as opened:
            dashboard.click()
        preview = opened.value
        assert f"/runs/{explain.info.run_id}/artifacts/explanations/" in preview.url
        frame = _preview(preview)
        _shot(preview, "5-dashboard")
        frame.click("nav button[data-tab=individual]")
        frame.locator("#rows-table tbody tr").first.click()
        frame.wait_for_selector("#waterfall-chart canvas")
        assert frame.locator("[data-role=detail-title]").inner_text().startswith("row ")
        _shot(preview, "6-waterfall")
        preview.close()
        runs.close()
    except BaseException:
        for number, opened_page in enumerate(page.context.pages):
            _shot(opened_page, f"tour-failure-{number}")
        raise
    finally:
        page.close()


def test_the_links_the_command_prints_land_in_model_training_and_on_the_dashboard(browser, demo):
    printed = {line.split()[0].rstrip(":"): line.split()[1] for line in demo["stderr"].splitlines()
               if line.startswith("  ") and line.split()[0] in ("run:", "dashboard:")}
    parent, explain = demo["parent"], demo["children"]["explain"]
    assert printed["run"] == f"{demo['uri']}/{run_link(demo['experiment_id'], parent.info.run_id)}"
    assert "View run" not in demo["stdout"] + demo["stderr"]  # MLflow's own lines, which land on GenAI
    page = _page(browser)
    try:
        page.goto(printed["run"], wait_until="load", timeout=FIRST_PAGE_TIMEOUT_MS)
        page.get_by_text("Verdict").first.wait_for(timeout=FIRST_PAGE_TIMEOUT_MS)
        assert _query(page.url).get("workflowType") == ["machine_learning"]
        page.goto(printed["dashboard"], wait_until="load")
        frame = _preview(page)
        listed = ExplanationClient.from_run_id(explain.info.run_id, tracking_uri=demo["uri"]).list_model_explanations()
        assert frame.locator("header").inner_text().count(listed[0]["id"]) == 1
    finally:
        page.close()


def test_the_experiment_description_links_its_runs_in_model_training(demo):
    experiment = demo["client"].get_experiment(demo["experiment_id"])
    assert experiment.tags[EXPERIMENT_KIND_TAG] == EXPERIMENT_KIND  # for UIs that read it; 3.17's does not
    assert {job: run.info.status for job, run in demo["children"].items()} == {
        "train": "FINISHED", "explain": "FINISHED", "scorecard": "FINISHED"}
    note = experiment.tags[NOTE_TAG]
    assert note.startswith(f"Model training view: [open the runs]({experiment_link(demo['experiment_id'])}).")


# --------------------------------------------------------------------------------------- summary and runs
def test_the_parent_summary_is_never_softer_than_the_reports(demo, candidate):
    client = demo["client"]
    scorecard = demo["children"]["scorecard"]
    verdict = json.loads(Path(client.download_artifacts(scorecard.info.run_id, "scorecard/verdict.json")).read_text())
    below = len(verdict["cohorts_below_target"])
    cohort_misses = [key for key, value in scorecard.data.metrics.items()
                     if key.startswith("scorecard.cohort.") and key.endswith(".met") and value == 0]
    assert below == len(cohort_misses) > 0  # the Adult scorecard has cohorts below target: the case to get right
    first = demo["parent"].data.tags[NOTE_TAG].splitlines()[0]
    assert f"**{below} cohort values below target**" in first
    for item in verdict["cohorts_below_target"]:
        assert markdown_text(f"{item['cohort']} {item['label']}") in demo["parent"].data.tags[NOTE_TAG]

    parent, compare_run, _ = candidate
    summary = json.loads(Path(client.download_artifacts(compare_run.info.run_id,
                                                        "comparison/comparison.json")).read_text())
    flagged = summary["flagged"]
    assert flagged, "the candidate model must differ beyond noise for this test to say anything"
    note = parent.data.tags[NOTE_TAG]
    assert f"**{len(flagged)} features changed beyond noise**" in note.splitlines()[0]
    assert ", ".join(markdown_text(name) for name in flagged) in note
    assert f"largest rank shift {summary['max_rank_shift']}" in note


def test_step_runs_are_named_after_the_pipeline_and_the_parent_carries_the_headline_figures(demo):
    parent, children = demo["parent"], demo["children"]
    assert {job: run.info.run_name for job, run in children.items()} == {
        job: f"adult-income-explain/{job}" for job in ("train", "explain", "scorecard")}
    metrics = parent.data.metrics
    train, explain, scorecard = (children[job].data.metrics for job in ("train", "explain", "scorecard"))
    assert {key: metrics[key] for key in train if key.startswith("test_")} == {
        key: value for key, value in train.items() if key.startswith("test_")}
    top5 = dict(sorted(((k, v) for k, v in explain.items() if k.startswith("importance/")), key=lambda kv: -kv[1])[:5])
    assert {key: value for key, value in metrics.items() if key.startswith("importance/")} == top5
    assert metrics["scorecard.passed"] == scorecard["scorecard.passed"]
    assert metrics["scorecard.cohort_values_below_target"] == sum(
        1 for key, value in scorecard.items() if key.startswith("scorecard.cohort.") and key.endswith(".met")
        and value == 0)


def test_the_runs_parameters_are_the_users_only(browser, demo):
    """No bookkeeping among the parameters a reviewer reads (and Compare runs charts)."""
    explain = demo["children"]["explain"]
    assert all(key.startswith(("inputs.", "outputs.")) for key in explain.data.params)
    page = open_run_page(browser, demo["uri"], demo["experiment_id"], explain.info.run_id, ready_text="Description")
    try:
        table = page.locator("[role=table]", has_text="inputs.model").first
        table.wait_for(timeout=STEP_TIMEOUT_MS)
        names = table.locator("[role=row] [role=cell]:first-child").all_inner_texts()
        assert sorted(names) == sorted(explain.data.params) and page.get_by_text(f"Parameters ({len(names)})").count()
        assert "claim" not in page.inner_text("body")
    finally:
        page.close()


def test_importance_chart_titles_keep_the_feature_and_legends_name_the_pipeline(browser, demo):
    """The experiment's Charts view at 1600 px (three charts a row): each importance chart's title is whole."""
    page = _page(browser, width=1600)
    try:
        page.goto(f"{demo['uri']}/#/experiments/{demo['experiment_id']}/runs?workflowType=machine_learning"
                  "&compareRunsMode=CHART", wait_until="load", timeout=FIRST_PAGE_TIMEOUT_MS)
        page.locator(_EXPAND).first.wait_for(timeout=FIRST_PAGE_TIMEOUT_MS)
        _close_assistant(page)
        for index in range(page.locator(_EXPAND).count()):  # open each pipeline run's step runs
            page.locator(_EXPAND).nth(index).click()
        titles = page.locator("h4", has_text="importance/")
        titles.first.wait_for(timeout=STEP_TIMEOUT_MS)
        _shot(page, "7-charts")
        shown = titles.evaluate_all("hs => hs.map(h => [h.textContent, h.scrollWidth <= h.clientWidth])")
        explain_metrics = {key for key in demo["children"]["explain"].data.metrics if key.startswith("importance/")}
        assert len(shown) >= 6 and {text for text, _ in shown} <= explain_metrics  # the charts drawn so far
        assert all(whole for _, whole in shown), [text for text, whole in shown if not whole]
        assert "adult-income-explain/explain" in page.inner_text("body")  # the legends name pipeline and step
    finally:
        page.close()


def test_compare_runs_shows_both_runs_dashboards_side_by_side(browser, demo, candidate):
    explain_id, candidate_id = demo["children"]["explain"].info.run_id, candidate[2]
    query = urllib.parse.urlencode({"runs": json.dumps([explain_id, candidate_id]),
                                    "experiments": json.dumps([demo["experiment_id"]])})
    page = _page(browser)
    try:
        page.goto(f"{demo['uri']}/#/compare-runs?{query}&workflowType=machine_learning", wait_until="load",
                  timeout=FIRST_PAGE_TIMEOUT_MS)
        item = page.get_by_text("explanation_dashboard.html", exact=True).first
        item.wait_for(timeout=FIRST_PAGE_TIMEOUT_MS)
        _close_assistant(page)
        item.click()
        page.wait_for_function(f"document.querySelectorAll('{_PREVIEW}').length === 2", timeout=STEP_TIMEOUT_MS)
        headers = []
        for index in range(2):
            frame = page.locator(_PREVIEW).nth(index).element_handle().content_frame()
            frame.wait_for_selector("body[data-rendered]", timeout=STEP_TIMEOUT_MS)
            headers.append(frame.locator("header").inner_text())
        _shot(page, "8-compare-runs")
        ids = [ExplanationClient.from_run_id(run, tracking_uri=demo["uri"]).list_model_explanations()[0]["id"]
               for run in (explain_id, candidate_id)]
        assert sorted(sum(header.count(i) for header in headers) for i in ids) == [1, 1]
    finally:
        page.close()


# ------------------------------------------------------------------------------- the dashboard of the demo
def test_the_demo_dashboard_names_rows_by_their_row_in_the_input_file_with_exact_values(browser, demo, tmp_path):
    """A row's label is its row number in adult.csv.gz, its values are that row's, its probability the model's."""
    explain, train = demo["children"]["explain"], demo["children"]["train"]
    explanation_id = ExplanationClient.from_run_id(explain.info.run_id,
                                                   tracking_uri=demo["uri"]).list_model_explanations()[0]["id"]
    everything = pd.read_csv(ROOT / "explain_lib/datasets/adult.csv.gz", skipinitialspace=True)
    logged = demo["client"].search_logged_models([demo["experiment_id"]],
                                                 filter_string=f"source_run_id = '{train.info.run_id}'")[0]
    model = mlflow.sklearn.load_model(mlflow.artifacts.download_artifacts(
        artifact_uri=logged.artifact_location, dst_path=str(tmp_path), tracking_uri=demo["uri"]))
    page = _page(browser)
    try:
        path = f"explanations/{explanation_id}/dashboard.html"
        link = artifact_link(demo["experiment_id"], explain.info.run_id, path)
        page.goto(f"{demo['uri']}/{link}", wait_until="load", timeout=FIRST_PAGE_TIMEOUT_MS)
        frame = _preview(page)
        assert frame.locator("[data-role=rows]").inner_text() == \
            f"{SAMPLE} of 8,141 rows of test.parquet (a seeded sample, stratified by prediction)"
        frame.click("nav button[data-tab=individual]")
        for index in (0, 7):
            row = frame.locator("#rows-table tbody tr").nth(index)
            row.click()
            label = int(row.get_attribute("data-row"))
            frame.wait_for_selector("#waterfall-table", state="attached")
            shown = dict(frame.eval_on_selector_all("#waterfall-table tbody tr", "rows => rows.map(r => "
                                                    "[r.dataset.feature, r.querySelector('[data-role=feature-value]')"
                                                    ".textContent])"))
            source = everything.loc[label]
            assert shown == {name: str(source[name]) for name in shown}  # 34568, never 34570
            probability = float(frame.get_attribute("[data-role=probability]", "data-value"))
            expected = model.predict_proba(source.drop("income").to_frame().T.infer_objects())[0, 1]
            assert probability == pytest.approx(expected, abs=1e-5)
    finally:
        page.close()


def test_the_comparison_names_its_runs_and_the_change_in_the_models_metrics(browser, demo, candidate):
    _, compare_run, candidate_id = candidate
    client = demo["client"]
    explain, train = demo["children"]["explain"], demo["children"]["train"]
    page = _page(browser)
    try:
        link = artifact_link(demo["experiment_id"], compare_run.info.run_id, "comparison/comparison.html")
        page.goto(f"{demo['uri']}/{link}", wait_until="load", timeout=FIRST_PAGE_TIMEOUT_MS)
        frame = _preview(page)
        _shot(page, "9-comparison")
        assert frame.locator("#name-a").inner_text() == explain.info.run_name
        assert frame.locator("#name-b").inner_text() == "candidate"
        assert frame.locator("#date-a").inner_text().endswith(" UTC")
        cells = dict(frame.eval_on_selector_all("#model-metrics tbody tr[data-metric=test_accuracy] td[data-value]",
                                                "cells => cells.map((c, i) => [i, Number(c.dataset.value)])"))
        a, b = train.data.metrics["test_accuracy"], client.get_run(candidate_id).data.metrics["test_accuracy"]
        assert [cells[0], cells[1]] == [a, b] and cells[2] == pytest.approx(b - a, abs=1e-15)
        assert frame.locator("#glossary dt").all_inner_texts() == ["delta (B \u2212 A)", "95% band", "Wasserstein",
                                                                   "p (Holm)", "changed"]
        rows = frame.eval_on_selector_all("#features tbody tr", "rows => rows.map(r => [r.cells[7].dataset.value, "
                                          "r.cells[8].dataset.value, r.cells[10].dataset.value, "
                                          "r.cells[11].textContent, r.cells[12].textContent])")
        for low, high, p, changed, why in rows:
            excludes = low is not None and high is not None and (float(low) > 0 or float(high) < 0)
            if changed == "yes":
                assert why.startswith("changed:")
            elif excludes and p is not None and not math.isnan(float(p)):
                assert why.startswith("not flagged: the band excludes 0, but p (Holm)")
    finally:
        page.close()


def test_the_dashboard_of_a_run_opens_from_the_explain_steps_own_description(browser, demo):
    explain = demo["children"]["explain"]
    page = open_run_page(browser, demo["uri"], demo["experiment_id"], explain.info.run_id, ready_text="Dashboard")
    try:
        with page.expect_popup() as opened:
            page.get_by_role("link", name="dashboard.html").first.click()
        preview = opened.value
        _preview(preview)
        assert "/artifacts/explanations/" in preview.url and preview.url.split("?")[0].endswith("/dashboard.html")
        preview.close()
    finally:
        page.close()


def test_row_values_in_the_page_come_from_the_data(demo):
    """The explanation keeps each row's label: the explain step's rows are the test split's, with its labels."""
    explain = demo["children"]["explain"]
    explanation = ExplanationClient.from_run_id(explain.info.run_id, tracking_uri=demo["uri"]) \
        .download_model_explanation()
    everything = pd.read_csv(ROOT / "explain_lib/datasets/adult.csv.gz", skipinitialspace=True)
    rows = everything.loc[explanation.data.index, list(explanation.features)]
    pd.testing.assert_frame_equal(explanation.data.astype(object), rows.astype(object), check_names=False)
    assert np.all(explanation.data.index.to_numpy() >= 0)
