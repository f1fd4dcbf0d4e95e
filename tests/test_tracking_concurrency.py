"""Uploads that die, collide or race, against real stores (a sqlite store and an `mlflow server`): an upload
killed before its commit marker, the same id uploaded twice, the upload lock, and processes uploading to one
run at once."""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import uuid
from pathlib import Path

import mlflow
import pytest
from tracking_cases import assert_same_explanation, make_explanation, new_run, run_script

from explain_lib import Explanation
from explain_lib.errors import ExplainLibError
from explain_lib.tracking import ExplanationClient, ExplanationExistsError, ExplanationNotFoundError

pytestmark = pytest.mark.usefixtures("mlflow_server")  # the shared server starts as this module starts


DYING_UPLOAD = """
    import os, sys
    import mlflow
    from explain_lib import Explanation
    from explain_lib.tracking import ExplanationClient

    uri, run_id, saved = sys.argv[1:4]
    real_log_batch = mlflow.MlflowClient.log_batch

    def log_batch_then_die_at_the_commit_marker(self, run_id, metrics=(), params=(), tags=(), **kwargs):
        if any(tag.key.startswith("explain_lib.explanation.") for tag in tags):
            os._exit(17)  # the process dies: every file is written, the marker is not
        return real_log_batch(self, run_id, metrics, params, tags, **kwargs)

    mlflow.MlflowClient.log_batch = log_batch_then_die_at_the_commit_marker
    ExplanationClient.from_run_id(run_id, tracking_uri=uri).upload_model_explanation(Explanation.load(saved))
"""


def test_upload_that_dies_before_its_commit_marker_is_not_listed_and_can_be_redone(tracking_store, tmp_path):
    client = new_run(tracking_store)
    original = make_explanation("binary")
    original.save(tmp_path / "saved", dtype="float64")
    child = run_script(DYING_UPLOAD, client.tracking_uri, client.run_id, str(tmp_path / "saved"))
    output, _ = child.communicate(timeout=120)
    assert child.returncode == 17, output

    folder = f"explanations/{original.id}"
    written = {a.path for a in mlflow.MlflowClient(client.tracking_uri).list_artifacts(client.run_id, folder)}
    assert f"{folder}/explanation.json" in written and f"{folder}/local.parquet" in written
    assert client.list_model_explanations() == []
    with pytest.raises(ExplanationNotFoundError):
        client.download_model_explanation(original.id)
    with pytest.raises(ExplanationNotFoundError, match="no uploaded explanation"):
        client.download_model_explanation()

    assert client.upload_model_explanation(original) == original.id
    assert [e["id"] for e in client.list_model_explanations()] == [original.id]
    assert_same_explanation(client.download_model_explanation(), original)


def test_uploading_the_same_id_twice_is_refused(sqlite_store):
    client = new_run(sqlite_store)
    original = make_explanation("regression")
    client.upload_model_explanation(original)
    with pytest.raises(ExplanationExistsError, match="new id"):
        client.upload_model_explanation(original, comment="again")
    renamed = dataclasses.replace(original, id=uuid.uuid4().hex)
    client.upload_model_explanation(renamed, comment="again")
    assert [e["comment"] for e in client.list_model_explanations()] == ["again", None]


def test_the_lock_is_a_deleted_experiment_and_nothing_the_ui_shows_names_the_host(sqlite_store):
    import socket

    client = new_run(sqlite_store)
    original = make_explanation("regression")
    client.upload_model_explanation(original, plots=False)
    store = mlflow.MlflowClient(client.tracking_uri)
    run = store.get_run(client.run_id)
    assert run.data.params == {}
    shown = json.dumps([run.data.tags, [d.dataset.source for d in run.inputs.dataset_inputs]])
    assert socket.gethostname() not in shown and str(os.getpid()) not in shown
    lock = f"explain-lib upload lock {client.run_id} {original.id} 1"
    assert lock not in [e.name for e in store.search_experiments()]  # hidden from the experiments list
    assert store.get_experiment_by_name(lock).lifecycle_stage == "deleted"  # but its name stays taken


def test_the_param_lock_a_store_without_experiment_locks_can_choose(sqlite_store, monkeypatch):
    monkeypatch.setenv("EXPLAIN_LIB_UPLOAD_LOCK", "param")
    client = new_run(sqlite_store)
    original = make_explanation("regression")
    client.upload_model_explanation(original, plots=False)
    params = mlflow.MlflowClient(client.tracking_uri).get_run(client.run_id).data.params
    assert list(params) == [f"explain_lib.claim.{original.id}.1"]
    with pytest.raises(ExplanationExistsError, match="new id"):
        client.upload_model_explanation(original, plots=False)
    monkeypatch.setenv("EXPLAIN_LIB_UPLOAD_LOCK", "table")
    with pytest.raises(ExplainLibError, match="EXPLAIN_LIB_UPLOAD_LOCK='table'"):
        client.upload_model_explanation(dataclasses.replace(original, id=uuid.uuid4().hex), plots=False)


def _upload_at_once(script: str, client: ExplanationClient, originals: list[Explanation], tmp_path: Path,
                    label: str) -> list[str]:
    """Save each explanation, start one process per explanation running ``script`` (comment "<label> <n>"), all
    waiting at one barrier before they upload, and return the last line each printed, in order."""
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    children = []
    for n, original in enumerate(originals):
        original.save(tmp_path / f"saved{n}", dtype="float64")
        children.append(run_script(script, client.tracking_uri, client.run_id, str(tmp_path / f"saved{n}"),
                                   f"{label} {n}", str(barrier), str(len(originals))))
    lines = []
    for child in children:
        output, _ = child.communicate(timeout=180)
        assert child.returncode == 0, output
        lines.append(output.strip().splitlines()[-1])
    return lines


CONCURRENT_UPLOAD = """
    import sys, time
    from pathlib import Path
    import pandas as pd
    from explain_lib import Explanation
    from explain_lib.tracking import ExplanationClient

    uri, run_id, saved, comment, barrier, n_processes = sys.argv[1:7]
    explanation = Explanation.load(saved)
    client = ExplanationClient.from_run_id(run_id, tracking_uri=uri)
    (Path(barrier) / comment).touch()  # ready; wait for the others, then all upload at once
    while len(list(Path(barrier).iterdir())) < int(n_processes):
        time.sleep(0.01)
    started = time.time()
    background = pd.DataFrame({"x": range(100)})  # the same dataset in both: one row in the store, two writers
    client.upload_model_explanation(explanation, comment=comment, init_dataset=background, plots=False)
    print(started, time.time())
"""


def test_two_processes_uploading_to_one_run_at_once(tracking_store, tmp_path):
    client = new_run(tracking_store)
    originals = [make_explanation("multiclass", n_rows=300, seed=11), make_explanation("binary", n_rows=300, seed=12)]
    intervals = [[float(t) for t in line.split()]
                 for line in _upload_at_once(CONCURRENT_UPLOAD, client, originals, tmp_path, "process")]
    assert max(start for start, _ in intervals) < min(end for _, end in intervals), "the uploads did not overlap"

    listed = client.list_model_explanations()
    assert sorted(e["id"] for e in listed) == sorted(o.id for o in originals)
    for original in originals:
        assert_same_explanation(client.download_model_explanation(original.id), original)
    run = mlflow.MlflowClient(client.tracking_uri).get_run(client.run_id)
    # The run's metrics are its newest upload's, stamped with the upload's time in milliseconds. Uploads that
    # start in the same millisecond (likely here: both leave the barrier together) tie, and MLflow keeps the
    # larger value of each metric.
    importances = {o.id: {f"importance/{name.replace('/', '_')}": value
                          for name, value in o.global_importance(top_k=20).items()} for o in originals}
    stamps = {e["id"]: datetime.datetime.fromisoformat(e["upload_time"]).timestamp() * 1000 for e in listed}
    newest, older = listed[0]["id"], listed[1]["id"]
    if int(stamps[newest]) > int(stamps[older]):
        assert run.data.metrics == pytest.approx(importances[newest])
    else:
        assert run.data.metrics == pytest.approx({key: max(value, importances[older].get(key, value))
                                                  for key, value in importances[newest].items()} |
                                                 {key: value for key, value in importances[older].items()
                                                  if key not in importances[newest]})
    tables = {entry["path"] for entry in json.loads(run.data.tags["mlflow.loggedArtifacts"])}
    assert tables == {"explanations/process_0_global_importance.json", "explanations/process_1_global_importance.json"}
    assert [d.dataset.name for d in run.inputs.dataset_inputs] == ["init_dataset"]


SAME_ID_UPLOAD = """
    import sys, time
    from pathlib import Path
    from explain_lib import Explanation
    from explain_lib.tracking import ExplanationClient, ExplanationExistsError

    uri, run_id, saved, comment, barrier, n_processes = sys.argv[1:7]
    explanation = Explanation.load(saved)
    client = ExplanationClient.from_run_id(run_id, tracking_uri=uri)
    (Path(barrier) / comment).touch()
    while len(list(Path(barrier).iterdir())) < int(n_processes):
        time.sleep(0.01)
    try:
        client.upload_model_explanation(explanation, comment=comment, plots=False)
        print("won")
    except ExplanationExistsError as error:
        print("exists", error)
"""


def test_uploads_of_one_id_from_four_processes_at_once_one_wins_and_list_matches_store(tracking_store, tmp_path):
    client = new_run(tracking_store)
    shared_id = uuid.uuid4().hex
    originals = [dataclasses.replace(make_explanation("binary", n_rows=200, seed=20 + n), id=shared_id)
                 for n in range(4)]
    outcomes = _upload_at_once(SAME_ID_UPLOAD, client, originals, tmp_path, "upload")
    winners = [n for n, outcome in enumerate(outcomes) if outcome == "won"]
    assert len(winners) == 1, outcomes
    assert all(outcome.startswith("exists") and "new id" in outcome
               for n, outcome in enumerate(outcomes) if n != winners[0]), outcomes

    listed = client.list_model_explanations()
    assert [(e["id"], e["comment"]) for e in listed] == [(shared_id, f"upload {winners[0]}")]
    downloaded = client.download_model_explanation(shared_id)
    assert_same_explanation(downloaded, originals[winners[0]])  # the listed upload's values, not another's
    run = mlflow.MlflowClient(client.tracking_uri).get_run(client.run_id)
    assert run.data.metrics == pytest.approx({f"importance/{name.replace('/', '_')}": value for name, value
                                              in originals[winners[0]].global_importance(top_k=20).items()})
    assert run.data.params == {}
    tables = [entry["path"] for entry in json.loads(run.data.tags["mlflow.loggedArtifacts"])]
    assert tables == [f"explanations/upload_{winners[0]}_global_importance.json"]
    with pytest.raises(ExplanationExistsError, match="already uploaded"):
        client.upload_model_explanation(originals[winners[0]], plots=False)
