"""The comparison report in real Chromium (standalone and in the MLflow UI), what it logs, the command
and its gate's exit codes, alone and in a pipeline run; drift over an experiment's explanations and
over a scoring explainer's logged batches."""

from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
import yaml
from comparison_cases import cases
from mlflow import MlflowClient
from mlflow_ui import artifact_preview
from numpy.testing import assert_allclose
from sklearn.linear_model import LinearRegression

import explain_lib
from explain_lib import ExplanationClient, TabularExplainer
from explain_lib.cli import main
from explain_lib.errors import InvalidInputError, InvalidParameterError, SchemaVersionError
from explain_lib.pipelines import PipelineStepError, run_pipeline
from explain_lib.report.comparison import compare_explanations, drift, log_comparison, write_html
from explain_lib.scoring import ScoringExplainer
from explain_lib.tracking._ui import NOTE_TAG

ROOT = Path(__file__).resolve().parents[1]
FAST = {"n_permutations": 499, "n_bootstrap": 100}
HOSTILE = {"x1": "<script>alert(1)</script>", "x2": '"><img src=x onerror=alert(1)>', "x3": "دخل 💰 income"}
PNG = b"\x89PNG\r\n\x1a\n"


def _renamed(explanation):
    names = tuple(HOSTILE.get(name, name) for name in explanation.features)
    return dataclasses.replace(explanation, features=names, data=explanation.data.rename(columns=HOSTILE))


@pytest.fixture(scope="module")
def comparison():
    c = cases()
    return compare_explanations(_renamed(c.base), _renamed(c.shuffled), cohorts={"x0 above 0": "x0 > 0"},
                                a_label="approved <b>v1</b>", b_label="retrained v2", **FAST)


def _rows(frame) -> list[dict]:
    """The report table as shown: feature text and every cell's full value (data-value) or None."""
    return frame.locator("#features tbody tr").evaluate_all("""rows => rows.map(row => {
        const cells = Array.from(row.cells).slice(1, 11);
        return {feature: row.cells[0].textContent, flagged: row.cells[11].textContent,
                values: cells.map(c => c.hasAttribute('data-value') ? Number(c.dataset.value) : null),
                shown: cells.map(c => c.textContent)};
    })""")


def _assert_rows_equal(rows: list[dict], table) -> None:
    columns = ["rank_a", "rank_b", "rank_shift", "importance_a", "importance_b", "delta", "delta_low", "delta_high",
               "wasserstein", "p_adjusted"]
    assert [row["feature"] for row in rows] == list(table["feature"])
    for row, expected in zip(rows, table.itertuples(), strict=True):
        for value, shown, column in zip(row["values"], row["shown"], columns, strict=True):
            number = getattr(expected, column)
            if isinstance(number, float) and math.isnan(number):
                assert value is None and shown == "\u2014"
            else:
                assert value == number, (expected.feature, column)  # the exact float, through JSON
                assert float(shown) == pytest.approx(number, rel=1e-3, abs=1e-12)  # what the reader sees
        assert (row["flagged"] == "yes") == bool(expected.flagged)


def test_the_report_renders_the_computed_numbers_and_names_as_text_offline(browser, comparison, tmp_path):
    path = write_html(comparison, tmp_path / "comparison.html")
    page = browser.new_page()
    dialogs, requests = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto(path.as_uri())
        page.wait_for_selector("body[data-ready=true]")
        _assert_rows_equal(_rows(page), comparison.features)
        assert "Top 5 features CHANGED" in page.locator("#verdict").inner_text()
        assert page.locator("#label-a").inner_text() == "approved <b>v1</b>"
        assert page.locator("#features tbody tr", has_text=HOSTILE["x1"]).count() == 1  # text, not a script
        assert page.locator("img").count() == 0 and page.locator("#chart canvas").count() >= 1
        rows_a, rows_b = comparison.cohort_rows["x0 above 0"]
        page.select_option("#view", label=f"Cohort x0 above 0 ({rows_a} rows in A, {rows_b} in B)")
        _assert_rows_equal(_rows(page), comparison.cohorts["x0 above 0"])
    finally:
        page.close()
    assert dialogs == []
    assert requests == [path.as_uri()]  # nothing but the file itself


@pytest.fixture(scope="module")
def logged(mlflow_server, comparison):
    uri = mlflow_server.wait()
    client = MlflowClient(uri)
    experiment_id = client.create_experiment("comparisons")
    run_id = client.create_run(experiment_id, run_name="compare").info.run_id
    report = log_comparison(comparison, run_id=run_id, gate="top5_unchanged", tracking_uri=uri)
    client.set_terminated(run_id)
    return uri, experiment_id, run_id, report


def test_the_logged_report_renders_inside_the_mlflow_ui(browser, logged, comparison):
    uri, experiment_id, run_id, _ = logged
    with artifact_preview(browser, uri, experiment_id, run_id, "comparison/comparison.html") as frame:
        frame.wait_for_selector("body[data-ready=true]", timeout=30_000)
        assert "Top 5 features CHANGED" in frame.locator("#verdict").inner_text()
        _assert_rows_equal(_rows(frame), comparison.features)


def test_the_run_gets_files_metrics_the_verdict_and_a_description(logged, comparison, tmp_path):
    uri, _, run_id, report = logged
    client = MlflowClient(uri)
    run = client.get_run(run_id)
    assert report == f"runs:/{run_id}/comparison"
    assert {Path(item.path).name for item in client.list_artifacts(run_id, "comparison")} == {
        "comparison.html", "comparison.png", "comparison.json"}
    png = Path(client.download_artifacts(run_id, "comparison/comparison.png", str(tmp_path)))
    assert png.read_bytes()[:8] == PNG
    metrics = run.data.metrics
    tested = comparison.features[comparison.features["tested"]]
    shifts = {key: value for key, value in metrics.items() if key.endswith(".rank_shift")}
    assert sorted(shifts.values()) == sorted(float(value) for value in tested["rank_shift"])
    assert metrics["compare.x0.rank_shift"] == tested.set_index("feature").at["x0", "rank_shift"]
    assert metrics["compare.max_rank_shift"] == comparison.max_rank_shift
    assert metrics["compare.top5_unchanged"] == 0.0 and metrics["compare.passed"] == 0.0
    assert run.data.tags["compare.gate"] == "top5_unchanged" and run.data.tags["compare.passed"] == "false"
    assert "#### compare" in run.data.tags[NOTE_TAG] and "gate top5\\_unchanged **failed**" in run.data.tags[NOTE_TAG]


STORE_EXPERIMENT = "retrains"


@pytest.fixture(scope="module")
def retrains(store):
    """The module's store with the approved, re-explained and retrained explanations uploaded:
    ``(uri, experiment id, {run name: run id})``."""
    client = MlflowClient(store)
    experiment_id = os.environ["MLFLOW_EXPERIMENT_ID"]
    runs = {}
    c = cases()
    for name, explanation in (("approved", c.base), ("again", c.base_again), ("retrained", c.shuffled)):
        run_id = client.create_run(experiment_id, run_name=name).info.run_id
        ExplanationClient.from_run_id(run_id).upload_model_explanation(explanation, plots=False)
        client.set_terminated(run_id)
        runs[name] = run_id
    return store, experiment_id, runs


def test_the_command_exits_0_3_or_2_as_the_gate_and_the_input_say(retrains, capsys):
    uri, _, runs = retrains
    fast = ["--n-permutations", "499", "--n-bootstrap", "50"]
    assert main(["compare", runs["approved"], f"runs:/{runs['again']}", "--gate", "top5_unchanged", *fast]) == 0
    assert capsys.readouterr().out.strip().startswith("runs:/")
    assert main(["compare", f"runs:/{runs['approved']}", f"runs:/{runs['retrained']}", "--gate", "top5_unchanged",
                 *fast]) == 3
    captured = capsys.readouterr()
    assert "gate failed" in captured.err and "top 5 CHANGED" in captured.err
    assert main(["compare", runs["approved"], runs["retrained"], "--gate", "top5_unchangd"]) == 2
    assert "Did you mean 'top5_unchanged'" in capsys.readouterr().err
    assert main(["compare", runs["approved"], runs["again"], "--candidate", runs["retrained"]]) == 2
    assert "Give the candidate explanation once" in capsys.readouterr().err


def test_a_client_compares_its_run_with_another(retrains):
    _, _, runs = retrains
    comparison = explain_lib.compare(ExplanationClient.from_run_id(runs["approved"]), f"runs:/{runs['retrained']}",
                                     **FAST)
    assert comparison.flagged[0] == "x1"
    assert comparison.a_label.startswith(f"runs:/{runs['approved']}/explanations/")


def test_a_pipeline_stops_with_exit_code_3_where_the_gate_fails(retrains, tmp_path):
    """explain the retrained model -> a gate that passes (exit 0) -> the gate against the approved one (exit 3)."""
    uri, experiment_id, runs = retrains
    c = cases()
    model_folder, data_folder = tmp_path / "model", tmp_path / "data"
    mlflow.sklearn.save_model(c.shuffled_model, str(model_folder), serialization_format="cloudpickle")
    data_folder.mkdir()
    c.X_eval.to_parquet(data_folder / "rows.parquet", index=False)
    compare_component = str(ROOT / "components/compare/component.yaml")
    gate = {"gate": "top5_unchanged", "n_permutations": 499, "n_bootstrap": 50}
    spec = {
        "type": "pipeline", "display_name": "retrain-gate",
        "inputs": {"model": {"type": "mlflow_model", "path": str(model_folder)},
                   "data": {"type": "uri_folder", "path": str(data_folder)}, "approved": f"runs:/{runs['approved']}"},
        "jobs": {
            "explain": {"type": "command", "component": str(ROOT / "components/explain/component.yaml"),
                        "inputs": {"model": "${{parent.inputs.model}}", "data": "${{parent.inputs.data}}"},
                        "outputs": {"explanation": {"type": "uri_folder"}}},
            "same": {"type": "command", "component": compare_component,
                     "inputs": {"baseline": "${{parent.jobs.explain.outputs.explanation}}",
                                "candidate": "${{parent.jobs.explain.outputs.explanation}}", **gate},
                     "outputs": {"comparison": {"type": "uri_folder"}}},
            "against_approved": {"type": "command", "component": compare_component,
                                 "inputs": {"baseline": "${{parent.inputs.approved}}",
                                            "candidate": "${{parent.jobs.explain.outputs.explanation}}", **gate},
                                 "outputs": {"comparison": {"type": "uri_folder"}}},
        },
    }
    spec["jobs"]["against_approved"]["inputs"]["n_permutations"] = 499
    path = tmp_path / "pipeline.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    with pytest.raises(PipelineStepError, match="'against_approved' failed.*gate top5_unchanged") as raised:
        run_pipeline(path, experiment_name="retrains")
    assert raised.value.returncode == 3
    client = MlflowClient(uri)
    children = {run.data.tags["explain_lib.pipeline.job"]: run for run in client.search_runs(
        [experiment_id], f"tags.mlflow.parentRunId = '{raised.value.parent_run_id}'")}
    assert {run.info.run_name for run in children.values()} == {"retrain-gate/explain", "retrain-gate/same",
                                                                "retrain-gate/against_approved"}
    assert {name: run.info.status for name, run in children.items()} == {
        "explain": "FINISHED", "same": "FINISHED", "against_approved": "FAILED"}
    gated = children["against_approved"]
    explain_run = children["explain"].info.run_id
    assert gated.data.tags["compare.passed"] == "false" and gated.data.metrics["compare.top5_unchanged"] == 0
    assert gated.data.params["inputs.candidate"].startswith(f"runs:/{explain_run}/explanations/")
    assert children["same"].data.tags["compare.passed"] == "true"
    assert "**Comparison**" in client.get_run(raised.value.parent_run_id).data.tags[NOTE_TAG]


def test_drift_logs_each_top_feature_over_the_experiments_explanations(retrains, tmp_path):
    uri, experiment_id, runs = retrains
    c = cases()
    table, report = drift("retrains", top_k=3)
    approved = table[table["run_id"] == runs["approved"]].iloc[0]
    assert approved["x1"] == c.base.global_importance()["x1"]
    assert len(table) >= 3 and list(table["upload_time"]) == sorted(table["upload_time"])
    run_id = report.split("/")[1]
    client = MlflowClient(uri)
    history = client.get_metric_history(run_id, "drift.x0.importance")
    assert [m.value for m in sorted(history, key=lambda m: m.step)] == list(table["x0"])
    png = Path(client.download_artifacts(run_id, "drift/importance_over_runs.png", str(tmp_path)))
    assert png.read_bytes()[:8] == PNG
    assert client.get_run(run_id).info.run_name == "importance-drift"


def test_a_top_k_upload_is_compared_on_what_it_stored_without_calling_the_rest_vanished(retrains):
    uri, experiment_id, runs = retrains
    client = MlflowClient(uri)
    run_id = client.create_run(experiment_id, run_name="top-k").info.run_id
    ExplanationClient.from_run_id(run_id).upload_model_explanation(cases().shuffled, top_k=4, plots=False)
    comparison = explain_lib.compare(ExplanationClient.from_run_id(runs["approved"]), run_id, **FAST)
    assert len(comparison.vanished) == 0 and len(comparison.features) == 4
    assert any("B was uploaded with only its top 4 of 10 features" in note for note in comparison.notes)


# ------------------------------------------------------------------- drift over a run's scored batches
BATCH_FEATURES = ["x0", "x1", "x2"]


def _batch(n_rows: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    X = pd.DataFrame(np.random.default_rng(seed).normal(size=(n_rows, 3)), columns=BATCH_FEATURES)
    X["x0"] += shift
    return X


@pytest.fixture(scope="module")
def scored(retrains):
    """A run of the store's experiment holding three scored batches; the third has x0 shifted by 4."""
    uri, experiment_id, _ = retrains
    client = MlflowClient(uri)
    background = _batch(200, 0)
    model = LinearRegression().fit(background, background @ np.array([1.0, 2.0, 0.1]))
    scoring = ScoringExplainer(TabularExplainer(model, background))
    batches = {"mon": _batch(60, 1), "tue": _batch(70, 2), "wed": _batch(50, 3, shift=4.0)}
    run_id = client.create_run(experiment_id, run_name="scoring").info.run_id
    for batch_id, rows in batches.items():
        scoring.log_batch_importances(run_id, rows, batch_id=batch_id)
    client.set_terminated(run_id)
    return uri, experiment_id, run_id, scoring, batches


@pytest.fixture(scope="module")
def batch_drift(scored):
    run_id = scored[2]
    table, report = drift(batches=run_id, top_k=2)
    return table, report.split("/")[1]


def test_the_batches_line_up_with_an_offline_explain_of_each(scored, batch_drift):
    _, _, run_id, scoring, batches = scored
    table, _ = batch_drift
    assert list(table["batch_id"]) == ["mon", "tue", "wed"] and list(table["step"]) == [0, 1, 2]
    assert list(table["n_rows"]) == [60, 70, 50] and set(table["run_id"]) == {run_id}
    for row, rows in zip(table.itertuples(index=False), batches.values(), strict=True):
        offline = scoring.explain_local(rows).global_importance()
        assert_allclose([getattr(row, name) for name in BATCH_FEATURES], offline[BATCH_FEATURES].to_numpy(),
                        rtol=1e-12)
    x0, x1 = table["x0"].to_numpy(), table["x1"].to_numpy()
    assert x0[2] > 3 * max(x0[0], x0[1])  # the shifted batch: x0's importance jumps
    assert np.ptp(x1) < 0.3 * x1.mean()  # the untouched feature stays put


def test_the_plot_table_and_metrics_are_logged_per_batch(scored, batch_drift, tmp_path):
    uri, experiment_id, run_id, _, _ = scored
    table, drift_run = batch_drift
    client = MlflowClient(uri)
    for feature in ("x0", "x1"):  # the top 2 by mean importance
        history = sorted(client.get_metric_history(drift_run, f"drift.{feature}.importance"), key=lambda m: m.step)
        assert [m.step for m in history] == [0, 1, 2]
        assert [m.value for m in history] == list(table[feature])
    assert client.get_metric_history(drift_run, "drift.x2.importance") == []
    png = Path(client.download_artifacts(drift_run, "drift/importance_over_batches.png", str(tmp_path)))
    assert png.read_bytes()[:8] == PNG
    logged_table = json.loads(Path(client.download_artifacts(
        drift_run, "drift/importance_over_batches.json", str(tmp_path))).read_text(encoding="utf-8"))
    assert logged_table["columns"] == ["run_id", "batch_id", "step", "logged_at", "n_rows", "x0", "x1"]
    assert [row[1] for row in logged_table["data"]] == ["mon", "tue", "wed"]
    drift_info = client.get_run(drift_run).info
    assert (drift_info.run_name, drift_info.experiment_id, drift_info.status) == (
        "importance-drift", experiment_id, "FINISHED")
    assert drift_run != run_id


def test_the_command_plots_a_runs_batches_and_refuses_a_run_without_any(scored, capsys):
    uri, experiment_id, run_id, _, _ = scored
    assert main(["drift", "--batches", run_id, "--top-k", "1"]) == 0
    captured = capsys.readouterr()
    assert "3 scored batches of run" in captured.err
    drift_run = captured.out.strip().split("/")[1]
    client = MlflowClient(uri)
    assert set(client.get_run(drift_run).data.metrics) == {"drift.x0.importance"}
    drift_runs = len(client.search_runs([experiment_id], "attributes.run_name = 'importance-drift'"))
    empty = client.create_run(experiment_id, run_name="nothing scored").info.run_id
    assert main(["drift", "--batches", empty]) == 2
    assert "log_batch_importances" in capsys.readouterr().err
    assert main(["drift", "--batches", "no-such-run"]) == 2
    assert "No MLflow run 'no-such-run'" in capsys.readouterr().err
    assert len(client.search_runs([experiment_id], "attributes.run_name = 'importance-drift'")) == drift_runs
    with pytest.raises(SystemExit):  # one source only
        main(["drift", "--batches", run_id, "--experiment", "retrains"])
    assert client.list_artifacts(empty) == []


def test_bad_arguments_are_refused_before_anything_is_logged(scored):
    _, _, run_id, _, _ = scored
    with pytest.raises(InvalidParameterError, match="exactly one of experiment"):
        drift("retrains", batches=run_id)
    with pytest.raises(InvalidParameterError, match="exactly one of experiment"):
        drift()
    with pytest.raises(InvalidParameterError, match="scored batches have no comment"):
        drift(batches=run_id, comment="monday")
    with pytest.raises(InvalidInputError, match="holds no scored batches"):
        drift(batches=MlflowClient().create_run(scored[1]).info.run_id)
    future = MlflowClient().create_run(scored[1]).info.run_id
    MlflowClient().log_text(future, json.dumps({"schema_version": 99}), "scoring/batches/000000_later.json")
    with pytest.raises(SchemaVersionError, match="000000_later.json .* schema version 99"):
        drift(batches=future)
