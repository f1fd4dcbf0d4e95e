"""`run_pipeline` on pipelines/adult_income.yaml: real subprocess steps logging into real MLflow stores."""

from __future__ import annotations

import os
import re
from pathlib import Path

import mlflow
import pytest
import yaml
from mlflow import MlflowClient

from explain_lib.pipelines import PipelineSpecError, PipelineStepError, run_pipeline
from explain_lib.steps import read_table
from explain_lib.tracking import ExplanationClient
from explain_lib.tracking._ui import (
    NOTE_TAG,
    artifact_link,
    markdown_text,
    run_link,
)

ROOT = Path(__file__).resolve().parents[1]
ADULT = ROOT / "pipelines" / "adult_income.yaml"
FAST = {"explain_sample": 300}  # explain 300 of the ~8k held-out rows: the run stays well under a minute


def _children(client: MlflowClient, parent_id: str) -> dict[str, mlflow.entities.Run]:
    """The parent's step runs by job name (each run is named <parent run's name>/<job>)."""
    parent = client.get_run(parent_id)
    runs = client.search_runs([parent.info.experiment_id], f"tags.mlflow.parentRunId = '{parent_id}'")
    children = {run.data.tags["explain_lib.pipeline.job"]: run for run in runs}
    assert all(run.info.run_name == f"{parent.info.run_name}/{job}" for job, run in children.items())
    return children


def _artifacts(client: MlflowClient, run_id: str, path: str | None = None) -> set[str]:
    return {Path(item.path).name for item in client.list_artifacts(run_id, path)}


STORE_EXPERIMENT = "adult"


def _experiment_id() -> str:
    return os.environ["MLFLOW_EXPERIMENT_ID"]  # the module store's experiment, "adult"


@pytest.fixture(scope="module")
def adult_run(store):
    """One full run of the Adult pipeline: (client, parent run id)."""
    uri = store
    return MlflowClient(uri), run_pipeline(ADULT, overrides=FAST, experiment_name="adult")


def test_one_parent_run_with_a_finished_nested_run_per_job(adult_run):
    client, parent_id = adult_run
    parent = client.get_run(parent_id)
    assert parent.info.status == "FINISHED"
    assert parent.info.run_name == "adult-income-explain"
    assert parent.data.params["explain_sample"] == "300"
    assert parent.data.params["target"] == "income"
    assert "adult_income.yaml" in _artifacts(client, parent_id, "pipeline")
    children = _children(client, parent_id)
    assert set(children) == {"train", "explain", "scorecard"}
    assert all(run.info.status == "FINISHED" for run in children.values())
    assert children["train"].info.start_time <= children["explain"].info.start_time
    assert children["explain"].info.start_time <= children["scorecard"].info.start_time


def test_step_parameters_are_logged_on_the_nested_runs(adult_run):
    client, parent_id = adult_run
    children = _children(client, parent_id)
    train, explain = children["train"].data, children["explain"].data
    assert train.params["inputs.target"] == "income"
    assert train.params["inputs.model_type"] == "lightgbm"
    assert Path(train.params["inputs.data"]) == ROOT / "explain_lib/datasets/adult.csv.gz"
    assert explain.params["inputs.sample"] == "300"
    assert explain.params["inputs.comment"] == "adult-income"
    assert "inputs.top_k" not in explain.params  # optional and unset: dropped from the command too
    assert "--top-k" not in explain.tags["explain_lib.pipeline.command"]
    # outputs are passed as folders, recorded as the URIs their step logged them under
    assert explain.params["inputs.model"] == train.params["outputs.model"]
    assert explain.params["inputs.data"] == train.params["outputs.test_data"]
    assert train.tags["explain_lib.pipeline.component"] == "explain_lib_train:0.1.0"


def test_train_run_holds_the_model_and_explain_run_an_explanation(adult_run, store, tmp_path):
    client, parent_id = adult_run
    children = _children(client, parent_id)
    train_id, explain_id = children["train"].info.run_id, children["explain"].info.run_id
    assert "MLmodel" in _artifacts(client, train_id, "model")
    assert {"stdout.txt", "stderr.txt"} <= _artifacts(client, train_id, "logs")
    listed = ExplanationClient.from_run_id(explain_id, tracking_uri=store).list_model_explanations()
    assert len(listed) == 1
    assert listed[0]["comment"] == "adult-income"
    page = client.download_artifacts(explain_id, f"explanations/{listed[0]['id']}/dashboard.html", str(tmp_path))
    text = Path(page).read_text(encoding="utf-8")
    assert all(f'"name":"{name}"' in text for name in ("Over 40", "Women", "Long hours, no degree"))


def test_scorecard_run_holds_the_scorecard_of_the_trained_model_and_its_explanation(adult_run, tmp_path):
    client, parent_id = adult_run
    children = _children(client, parent_id)
    scorecard = children["scorecard"]
    assert scorecard.data.params["inputs.model"] == children["train"].data.params["outputs.model"]
    assert scorecard.data.params["inputs.explanation"] == children["explain"].data.params["outputs.explanation"]
    assert Path(scorecard.data.params["inputs.config"]) == ROOT / "pipelines/scorecards/adult_income.yaml"
    assert {"scorecard.pdf", "scorecard.html", "config.yaml"} <= _artifacts(client, scorecard.info.run_id, "scorecard")
    assert scorecard.data.tags["scorecard.passed"] in ("true", "false")
    assert scorecard.data.metrics["scorecard.passed"] == float(scorecard.data.tags["scorecard.passed"] == "true")
    config = yaml.safe_load((ROOT / "pipelines/scorecards/adult_income.yaml").read_text(encoding="utf-8"))
    for metric in config["Metrics"]:
        assert f"scorecard.{metric}" in scorecard.data.metrics
    explanation = ExplanationClient.from_run_id(children["explain"].info.run_id).download_model_explanation()
    top = list(explanation.global_importance(top_k=config["FeatureImportance"]["top_n"]).index)
    html = Path(mlflow.artifacts.download_artifacts(run_id=scorecard.info.run_id,
                                                    artifact_path="scorecard/scorecard.html",
                                                    dst_path=str(tmp_path))).read_text(encoding="utf-8")
    assert all(f">{name}<" in html for name in top)


def _pipeline_copy(tmp_path: Path, edit) -> Path:
    """A copy of the Adult pipeline in tmp_path (paths made absolute), changed by ``edit(spec)``."""
    spec = yaml.safe_load(ADULT.read_text(encoding="utf-8"))
    spec["inputs"]["adult_data"]["path"] = str(ROOT / "explain_lib/datasets/adult.csv.gz")
    config = spec["inputs"]["scorecard_config"]
    config["path"] = str((ADULT.parent / config["path"]).resolve())
    for job in spec["jobs"].values():
        job["component"] = str((ADULT.parent / job["component"]).resolve())
    edit(spec)
    path = tmp_path / "pipeline.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def test_a_failing_step_fails_its_run_and_the_parent_and_keeps_earlier_artifacts(store, tmp_path):
    uri = store
    client = MlflowClient(uri)
    path = _pipeline_copy(tmp_path, lambda spec: spec["jobs"]["explain"]["inputs"].update(target="no_such_column"))
    with pytest.raises(PipelineStepError, match="'explain' failed") as raised:
        run_pipeline(path, overrides=FAST, experiment_name="adult")
    error = raised.value
    assert "no_such_column" in error.error
    parent = client.get_run(error.parent_run_id)
    assert parent.info.status == "FAILED"
    assert parent.data.tags["explain_lib.pipeline.failed_job"] == "explain"
    assert "no_such_column" in parent.data.tags["explain_lib.pipeline.error"]
    children = _children(client, error.parent_run_id)
    assert children["explain"].info.run_id == error.run_id
    assert children["explain"].info.status == "FAILED"
    assert "no_such_column" in children["explain"].data.tags["explain_lib.pipeline.stderr_tail"]
    assert "no_such_column" in Path(mlflow.artifacts.download_artifacts(
        run_id=error.run_id, artifact_path="logs/stderr.txt", tracking_uri=uri)).read_text()
    assert children["train"].info.status == "FINISHED"
    assert "MLmodel" in _artifacts(client, children["train"].info.run_id, "model")


def test_a_missed_target_stops_the_pipeline_when_it_gates(store, tmp_path):
    client = MlflowClient(store)
    config = yaml.safe_load((ROOT / "pipelines/scorecards/adult_income.yaml").read_text(encoding="utf-8"))
    config["Metrics"] = {"accuracy_score": {"threshold": ">=0.999"}}
    (tmp_path / "strict.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")

    def strict(spec):
        spec["inputs"]["scorecard_config"]["path"] = str(tmp_path / "strict.yaml")

    with pytest.raises(PipelineStepError, match="'scorecard' failed.*Accuracy") as raised:
        run_pipeline(_pipeline_copy(tmp_path, strict), overrides={"explain_sample": 50, "fail_on_missed_target": True},
                     experiment_name="adult")
    assert raised.value.returncode == 3
    children = _children(client, raised.value.parent_run_id)
    assert {name: run.info.status for name, run in children.items()} == {
        "train": "FINISHED", "explain": "FINISHED", "scorecard": "FAILED"}
    gated = children["scorecard"]
    assert gated.data.tags["scorecard.passed"] == "false" and gated.data.metrics["scorecard.accuracy_score.met"] == 0
    assert "scorecard.pdf" in _artifacts(client, gated.info.run_id, "scorecard")


def test_a_bad_target_fails_the_first_step_and_no_later_step_runs(store):
    client = MlflowClient(store)
    with pytest.raises(PipelineStepError, match="'train' failed.*no_such_column") as raised:
        run_pipeline(ADULT, overrides={"target": "no_such_column"}, experiment_name="adult")
    assert client.get_run(raised.value.parent_run_id).info.status == "FAILED"
    children = _children(client, raised.value.parent_run_id)
    assert set(children) == {"train"}
    assert children["train"].info.status == "FAILED"


def test_a_bad_spec_starts_no_run(store, tmp_path):
    client = MlflowClient(store)
    before = len(client.search_runs([_experiment_id()]))
    with pytest.raises(PipelineSpecError, match="has inputs"):
        run_pipeline(ADULT, overrides={"no_such_input": 1}, experiment_name="adult")
    with pytest.raises(PipelineSpecError, match="accepts only"):
        run_pipeline(ADULT, overrides={"explain_method": "no-such-method"}, experiment_name="adult")
    with pytest.raises(PipelineSpecError, match="does not exist"):
        run_pipeline(tmp_path / "missing.yaml", experiment_name="adult")
    with pytest.raises(PipelineSpecError, match="input 'sample' of component 'explain_lib_explain' is 'abc'.*integer"):
        run_pipeline(ADULT, overrides={"explain_sample": "abc"}, experiment_name="adult")
    with pytest.raises(PipelineSpecError, match="declares min 1"):
        run_pipeline(ADULT, overrides={"explain_sample": "0"}, experiment_name="adult")
    with pytest.raises(PipelineSpecError, match="type boolean"):
        run_pipeline(ADULT, overrides={"fail_on_missed_target": "maybe"}, experiment_name="adult")
    assert len(client.search_runs([_experiment_id()])) == before


def _write_cycle(folder: Path) -> Path:
    """A pipeline whose two jobs each take the other's output."""
    component = folder / "component.yaml"
    component.write_text(yaml.safe_dump({"type": "command", "command": "echo ${{inputs.x}} ${{outputs.y}}",
                                         "inputs": {"x": {"type": "uri_folder"}}, "outputs": {"y": {}}}))
    jobs = {name: {"type": "command", "component": "component.yaml",
                   "inputs": {"x": f"${{{{parent.jobs.{other}.outputs.y}}}}"}}
            for name, other in (("a", "b"), ("b", "a"))}
    path = folder / "cycle.yaml"
    path.write_text(yaml.safe_dump({"type": "pipeline", "jobs": jobs}))
    return path


def test_bad_pipeline_usage_or_input_exits_2_before_any_run(store, tmp_path, capsys):
    from explain_lib.cli import main

    client = MlflowClient(store)
    before = len(client.search_runs([_experiment_id()]))
    malformed = tmp_path / "malformed.yaml"
    malformed.write_text("jobs: [unclosed")
    cases = [
        ([str(tmp_path / "missing.yaml")], "does not exist"),
        ([str(malformed)], "not valid YAML"),
        ([str(ADULT), "--set", "no_such_input=1"], "has inputs"),
        ([str(ADULT), "--set", "explain_sample"], "name=value"),
        ([str(ADULT), "--set", "explain_sample=abc"], "declares type integer"),
        ([str(_write_cycle(tmp_path))], r"cycle \((a -> b -> a|b -> a -> b)\)"),
    ]
    for arguments, message in cases:
        assert main(["pipeline", "run", *arguments, "--experiment", "adult"]) == 2, arguments
        assert re.search(message, capsys.readouterr().err), arguments
    assert len(client.search_runs([_experiment_id()])) == before


def test_jobs_run_in_dependency_order_ties_in_yaml_order(tmp_path):
    from explain_lib.pipelines import load_pipeline

    component = tmp_path / "component.yaml"
    component.write_text(yaml.safe_dump({"type": "command", "command": "echo $[[${{inputs.x}}]] ${{outputs.y}}",
                                         "inputs": {"x": {"type": "uri_folder", "optional": True}},
                                         "outputs": {"y": {}}}))
    after = {"d": "c", "b": "c", "a": None, "c": None}  # YAML order d, b, a, c; d and b need c
    jobs = {name: {"type": "command", "component": "component.yaml",
                   "inputs": {} if upstream is None else {"x": f"${{{{parent.jobs.{upstream}.outputs.y}}}}"}}
            for name, upstream in after.items()}
    path = tmp_path / "order.yaml"
    path.write_text(yaml.safe_dump({"type": "pipeline", "jobs": jobs}, sort_keys=False))
    assert [job.name for job in load_pipeline(path).jobs] == ["a", "c", "d", "b"]


def test_step_runs_record_their_inputs_as_the_uris_earlier_steps_logged_them_under(adult_run):
    client, parent_id = adult_run
    children = _children(client, parent_id)
    train_id, explain_id = children["train"].info.run_id, children["explain"].info.run_id
    explanation_id = ExplanationClient.from_run_id(explain_id).list_model_explanations()[0]["id"]
    explain, scorecard = children["explain"].data.params, children["scorecard"].data.params
    assert explain["inputs.model"] == scorecard["inputs.model"] == f"runs:/{train_id}/model"
    assert explain["inputs.data"] == scorecard["inputs.data"] == f"runs:/{train_id}/data"
    assert scorecard["inputs.explanation"] == f"runs:/{explain_id}/explanations/{explanation_id}"
    assert len(read_table(explain["inputs.data"])) > 300  # the URI outlives the pipeline's folders
    explanation = ExplanationClient.from_run_id(explain_id).download_model_explanation()
    assert explanation.model_uri == f"runs:/{train_id}/model"
    for run in children.values():
        recorded = " ".join([*run.data.params.values(), run.data.tags[NOTE_TAG]])
        assert "explain-lib-pipeline-" not in recorded, f"{run.info.run_name} names a temporary folder"


def test_parent_run_description_links_each_step_and_gives_top_features_and_verdict(adult_run):
    client, parent_id = adult_run
    parent = client.get_run(parent_id)
    note = parent.data.tags[NOTE_TAG]
    children = _children(client, parent_id)
    for run in children.values():
        assert f"[{markdown_text(run.info.run_name)}]({run_link(parent.info.experiment_id, run.info.run_id)})" in note
    explanation = ExplanationClient.from_run_id(children["explain"].info.run_id).download_model_explanation()
    listed = [line.split(". ", 1)[1].rsplit(": ", 1)[0] for line in note.splitlines() if line[:2] in ("1.", "2.", "3.")]
    assert listed == [markdown_text(name) for name in explanation.global_importance(top_k=3).index]
    scorecard = children["scorecard"]
    verdict = "**passed**: all" if scorecard.data.tags["scorecard.passed"] == "true" else "**not passed**"
    first = note.splitlines()[0]  # the links to the reports, then the verdict: all in the first paragraph
    assert first.startswith("**Open**: [dashboard](") and "**Verdict**. Scorecard: " + verdict in first
    assert f"**Scorecard** (step [{markdown_text(scorecard.info.run_name)}]" \
           f"({run_link(parent.info.experiment_id, scorecard.info.run_id)})): {verdict}" in note
    link = artifact_link(parent.info.experiment_id, scorecard.info.run_id, "scorecard/scorecard.html")
    assert f"[scorecard/scorecard\\.html]({link})" in note and "scorecard/scorecard\\.pdf" in note
    assert "#### explain" in children["explain"].data.tags[NOTE_TAG]
    assert "| Accuracy |" in scorecard.data.tags[NOTE_TAG]


def test_a_job_log_holds_progress_lines_and_no_artifact_download_bars(adult_run, tmp_path):
    client, parent_id = adult_run
    train_id = _children(client, parent_id)["train"].info.run_id  # it copies the logged model: a download
    log = Path(client.download_artifacts(train_id, "logs/stderr.txt", str(tmp_path))).read_text(encoding="utf-8")
    assert "explain-lib: training lightgbm" in log and "explain-lib: logging the model: done" in log
    assert "Downloading artifacts" not in log and "it/s]" not in log


def test_no_third_party_warning_or_log_line_reaches_a_step_log(adult_run, tmp_path):
    """What each step printed (its stderr, which `pipeline run` relays to the terminal) is ours alone: no
    MLflow schema hint, pickle warning or table-creation lines."""
    client, parent_id = adult_run
    for name, run in _children(client, parent_id).items():
        folder = tmp_path / name
        log = Path(client.download_artifacts(run.info.run_id, "logs/stderr.txt", str(folder))).read_text("utf-8")
        foreign = [line for line in log.splitlines() if line.strip() and not line.startswith("explain-lib: ")]
        assert foreign == [], f"step {name} printed {foreign}"
