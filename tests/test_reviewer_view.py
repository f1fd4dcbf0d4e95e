"""What a reviewer sees in the MLflow UI: experiments we create open in model-training mode, run
descriptions are ours only where nobody else wrote one, and user text in them stays text."""

from __future__ import annotations

import dataclasses
import json

import pytest
from mlflow import MlflowClient

from explain_lib.steps._data import SOURCE_URIS_ENV, source_uri
from explain_lib.steps._run import step_run
from explain_lib.tracking._ui import (
    EXPERIMENT_KIND,
    EXPERIMENT_KIND_TAG,
    NOTE_TAG,
    get_or_create_experiment,
    markdown_text,
    set_run_note,
)


@pytest.fixture(scope="module")
def client(store) -> MlflowClient:
    return MlflowClient(store)


def test_an_experiment_we_create_is_a_model_development_one_and_an_existing_one_keeps_its_tags(client):
    created = get_or_create_experiment(client, "ours")
    assert client.get_experiment(created).tags[EXPERIMENT_KIND_TAG] == EXPERIMENT_KIND
    assert get_or_create_experiment(client, "ours") == created
    theirs = client.create_experiment("theirs", tags={EXPERIMENT_KIND_TAG: "genai_development"})
    assert get_or_create_experiment(client, "theirs") == theirs
    assert client.get_experiment(theirs).tags[EXPERIMENT_KIND_TAG] == "genai_development"


def test_a_step_given_a_new_experiment_name_creates_it_as_a_model_development_one(client, monkeypatch):
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID")  # the job names its experiment instead
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "named-by-the-job")
    with step_run() as run:
        experiment_id = run.info.experiment_id
    experiment = client.get_experiment(experiment_id)
    assert experiment.name == "named-by-the-job"
    assert experiment.tags[EXPERIMENT_KIND_TAG] == EXPERIMENT_KIND


def test_step_sections_of_a_description_are_replaced_or_added_in_place(client):
    run_id = client.create_run(get_or_create_experiment(client, "notes")).info.run_id
    assert set_run_note(client, run_id, "first train", section="train")
    assert set_run_note(client, run_id, "the explanation", section="explain")
    assert set_run_note(client, run_id, "second train", section="train")
    assert client.get_run(run_id).data.tags[NOTE_TAG] == "#### train\n\nsecond train\n\n#### explain\n\nthe explanation"


def test_a_description_somebody_else_wrote_is_kept(client):
    run_id = client.create_run(get_or_create_experiment(client, "notes")).info.run_id
    client.set_tag(run_id, NOTE_TAG, "Reviewed by the risk team: approved.")
    assert not set_run_note(client, run_id, "ours", section="explain")
    assert client.get_run(run_id).data.tags[NOTE_TAG] == "Reviewed by the risk team: approved."


def test_an_overlong_description_is_cut_at_a_line_and_says_so(client):
    run_id = client.create_run(get_or_create_experiment(client, "notes")).info.run_id
    set_run_note(client, run_id, "\n".join(f"{i}. feature_{i}: 0.5" for i in range(2000)))
    note = client.get_run(run_id).data.tags[NOTE_TAG]
    assert len(note) <= 8000 and note.endswith("*(description cut: too long for a run tag)*")
    assert note.splitlines()[-3].endswith(": 0.5")


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>',
                                  "a|b [x](javascript:1)", "**bold** `code` # heading"])
def test_user_text_in_markdown_has_no_tag_link_or_markup_left(text):
    escaped = markdown_text(text)
    assert "<" not in escaped and ">" not in escaped and '"' not in escaped
    for special in "|[]()*`#":
        assert all(escaped[i - 1] == "\\" for i, char in enumerate(escaped) if char == special)


def test_a_folder_a_runner_says_is_a_copy_is_named_by_its_uri(tmp_path, monkeypatch):
    folder = tmp_path / "outputs" / "test_data"
    folder.mkdir(parents=True)
    monkeypatch.setenv(SOURCE_URIS_ENV, json.dumps({str(folder): "runs:/abc/data"}))
    assert source_uri(folder) == "runs:/abc/data"
    assert source_uri(folder / "test.parquet") == "runs:/abc/data/test.parquet"
    assert source_uri("runs:/other/model") == "runs:/other/model"
    assert source_uri(tmp_path / "elsewhere.csv") == str((tmp_path / "elsewhere.csv").resolve())


@pytest.mark.parametrize("with_dashboard", [True, False])
def test_the_pipeline_description_links_the_dashboard_only_when_the_explanation_has_one(client, tmp_path,
                                                                                        with_dashboard):
    from explanation_factories import regression

    from explain_lib import ExplanationClient
    from explain_lib.pipelines._describe import StepRecord, describe_pipeline

    experiment_id = get_or_create_experiment(client, "described")
    parent = client.create_run(experiment_id, run_name="pipeline")
    step = client.create_run(experiment_id, run_name="explain <b>", tags={"mlflow.parentRunId": parent.info.run_id})
    explanation = dataclasses.replace(regression(n_rows=20), features=("age", "<script>alert(1)</script>", "hours",
                                                                       "f3", "f4"))
    explanation_id = ExplanationClient.from_run_id(step.info.run_id).upload_model_explanation(
        explanation, plots=False, dashboard=with_dashboard)
    note = describe_pipeline(client, parent, [StepRecord("explain <b>", step.info.run_id), StepRecord("later", None)],
                             status="FAILED", pipeline_name="p", pipeline_file="/x/p.yaml")
    link = f"(#/experiments/{experiment_id}/runs/{step.info.run_id}/artifacts/explanations/{explanation_id}/" \
           "dashboard.html?workflowType=machine_learning)"
    assert note.startswith(f"**Open**: [dashboard]{link}") == with_dashboard  # straight to the file's preview
    assert f"| explain &lt;b&gt; | [explain &lt;b&gt;](#/experiments/{experiment_id}/runs/{step.info.run_id}" \
           "?workflowType=machine_learning) |" in note
    assert "| later | | not run |" in note and "FAILED" in note
    top = list(explanation.global_importance(top_k=3).index)
    assert [line.split(". ", 1)[1].rsplit(":", 1)[0] for line in note.splitlines() if line[:2] in ("1.", "2.", "3.")] \
        == [markdown_text(name) for name in top]
    assert "<script>" not in note
