"""Explanations in MLflow run history, against real stores: a sqlite store and an `mlflow server`.

The server is one subprocess for the whole session (sqlite backend, proxied artifacts, a free port on
127.0.0.1), started in the background when this module begins and waited for on first use. Tests
that take a ``store`` run once per store; pytest groups them so the sqlite ones run while the
server starts.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import subprocess
import sys
import textwrap
import time
import urllib.request
import uuid
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from pandas.testing import assert_frame_equal

from explain_lib import Explanation, InvalidInputError, InvalidParameterError
from explain_lib.errors import ExplainLibError
from explain_lib.tracking import (
    ExplanationClient,
    ExplanationExistsError,
    ExplanationNotFoundError,
    RunNotFoundError,
    TrackingServerUnreachableError,
    log_explanation,
)

FEATURES = ("age", "income", "colour", "height", "weight", "score", "city/zone", "tenure")


# ------------------------------------------------------------------------------------------ explanations
def _frame(n_rows: int, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame({
        "age": rng.integers(18, 90, n_rows),
        "income": rng.normal(50, 10, n_rows),
        "colour": pd.Categorical(rng.choice(["red", "green", "blue"], n_rows), categories=["blue", "green", "red"]),
        "height": rng.normal(170, 10, n_rows),
        "weight": rng.normal(70, 5, n_rows),
        "score": rng.random(n_rows),
        "city/zone": rng.choice(["north", "south"], n_rows),
        "tenure": rng.integers(0, 30, n_rows).astype(float),
    })


def make_explanation(kind: str, n_rows: int = 40, seed: int = 0) -> Explanation:
    """Hand-made explanations with continuous random values (no ranking ties) of every supported kind."""
    rng = np.random.default_rng(seed)
    scale = np.linspace(2.0, 0.2, len(FEATURES))
    common = {"features": FEATURES, "method": "test.method", "params": {"seed": seed, "kind": kind},
              "model_uri": f"runs:/{'a' * 32}/model"}
    if kind == "regression":
        return Explanation(local=rng.normal(size=(1, n_rows, 8)) * scale, expected=[12.5], task="regression",
                           output_space="raw", data=_frame(n_rows, rng), **common)
    if kind in ("binary", "raw", "engineered"):
        positive = rng.normal(size=(n_rows, 8)) * scale
        return Explanation(local=np.stack([-positive, positive]), expected=[0.4, -0.4], task="classification",
                           output_space="margin", classes=("no", "yes"), data=_frame(n_rows, rng),
                           is_raw=kind == "raw", is_engineered=kind == "engineered", **common)
    if kind == "multiclass":
        return Explanation(local=rng.normal(size=(3, n_rows, 8)) * scale, expected=[0.2, 0.3, 0.5],
                           task="classification", output_space="probability", classes=(3, 5, 7),
                           data=_frame(n_rows, rng), fidelity={"r2": 0.93}, **common)
    if kind == "sparse":  # CSR input: mostly zero local values, no data kept
        local = rng.normal(size=(1, n_rows, 8)) * scale * (rng.random((1, n_rows, 8)) < 0.15)
        return Explanation(local=local, expected=[0.0], task="regression", output_space="raw", data=None, **common)
    raise ValueError(kind)


KINDS = ["regression", "binary", "multiclass", "sparse", "raw", "engineered"]


def assert_same_explanation(downloaded: Explanation, original: Explanation) -> None:
    """Metadata and global values exact; local values exactly the float32 rounding of the original's."""
    for name in ("id", "method", "task", "output_space", "features", "classes", "is_raw", "is_engineered",
                 "model_uri"):
        assert getattr(downloaded, name) == getattr(original, name), name
    assert dict(downloaded.params) == dict(original.params)
    assert dict(downloaded.versions) == dict(original.versions)
    assert (None if downloaded.fidelity is None else dict(downloaded.fidelity)) == (
        None if original.fidelity is None else dict(original.fidelity))
    for name in ("expected", "global_", "per_class"):
        got, want = getattr(downloaded, name), getattr(original, name)
        assert (got is None) == (want is None), name
        if want is not None:
            assert_array_equal(got, want, err_msg=name)
    assert_array_equal(downloaded.local, original.local.astype(np.float32).astype(np.float64))
    if original.data is None:
        assert downloaded.data is None
    else:
        assert_frame_equal(downloaded.data, original.data)


# --------------------------------------------------------------------------------------------- stores
@pytest.fixture(scope="module", autouse=True)
def server(mlflow_server, killable_mlflow_server):
    """Start the shared server (and the one a test kills) as soon as this module starts; tests wait for them only
    when they need them."""
    return mlflow_server


def new_run(store: tuple[str, str]) -> ExplanationClient:
    uri, experiment = store
    run = mlflow.MlflowClient(uri).create_run(experiment)
    return ExplanationClient.from_run_id(run.info.run_id, tracking_uri=uri)


def run_script(script: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(script), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


# ------------------------------------------------------------------------------------------ round trips
@pytest.mark.parametrize("kind", KINDS)
def test_upload_list_download_round_trip(tracking_store, kind):
    client = new_run(tracking_store)
    original = make_explanation(kind)
    init = sp.random(30, 8, density=0.2, format="csr", random_state=0) if kind == "sparse" else original.data
    explanation_id = client.upload_model_explanation(original, comment=f"{kind} run", init_dataset=init)
    assert explanation_id == original.id

    [entry] = client.list_model_explanations()
    upload_time = entry.pop("upload_time")
    assert entry == {"id": original.id, "comment": f"{kind} run", "method": "test.method",
                     "model_task": original.task, "is_raw": kind == "raw", "is_engineered": kind == "engineered",
                     "num_features": 8, "num_examples": 40}
    assert abs(pd.Timestamp(upload_time) - pd.Timestamp.now(tz="UTC")) < pd.Timedelta(minutes=5)

    assert_same_explanation(client.download_model_explanation(), original)
    assert_same_explanation(client.download_model_explanation(original.id), original)


def test_artifact_layout_metrics_table_and_lineage(tracking_store, tmp_path):
    client = new_run(tracking_store)
    original = make_explanation("binary", n_rows=50)
    true_ys = np.where(np.random.default_rng(1).random(50) < 0.5, "yes", "no")
    client.upload_model_explanation(original, comment="lgbm v2", true_ys=true_ys, init_dataset=original.data,
                                    eval_dataset=original.data.to_numpy(dtype=object)[:, [0, 1, 3]].astype(float),
                                    visualization_points=20, model_uri="models:/churn/3")
    assert client.download_model_explanation().model_uri == "models:/churn/3"
    mlflow_client = mlflow.MlflowClient(client.tracking_uri)
    folder = f"explanations/{original.id}"
    files = {a.path.removeprefix(folder + "/") for a in mlflow_client.list_artifacts(client.run_id, folder)}
    assert files == {"explanation.json", "local.parquet", "data.parquet", "eval_sample.parquet", "plots",
                     "dashboard.html"}
    plots = {a.path.rsplit("/", 1)[1] for a in mlflow_client.list_artifacts(client.run_id, f"{folder}/plots")}
    top3 = [name.replace("/", "_") for name in original.get_ranked_global_names(3)]
    dependence = {f"dependence_{rank}_{name}.png" for rank, name in enumerate(top3, start=1)}
    assert plots == {"global_importance.png", "beeswarm.png", *dependence}

    local_dir = Path(mlflow_client.download_artifacts(client.run_id, folder, str(tmp_path)))
    meta = json.loads((local_dir / "explanation.json").read_text())
    assert meta["schema_version"] == 1 and meta["upload"]["comment"] == "lgbm v2"
    assert meta["upload"]["ranked"]["features"] == original.get_ranked_global_names()
    sample = pd.read_parquet(local_dir / "eval_sample.parquet")
    assert len(sample) == 20 and sample["__row__"].is_monotonic_increasing
    outputs = original.local.sum(-1) + original.expected[:, None]
    rows = sample["__row__"].to_numpy()
    assert list(sample["__prediction__"]) == list(np.array(["no", "yes"])[outputs.argmax(0)][rows])
    assert list(sample["__true_y__"]) == list(true_ys[rows])
    assert_frame_equal(sample[list(FEATURES)], original.data.iloc[rows].reset_index(drop=True))
    assert list(sample["__index__"]) == list(original.data.index[rows])  # each row's label, beside its position
    for png in (local_dir / "plots").iterdir():
        assert png.read_bytes()[:4] == b"\x89PNG"

    run = mlflow_client.get_run(client.run_id)
    assert run.data.tags["model_explanation"] == "True"
    top = original.global_importance(top_k=20)
    expected_keys = {f"importance/{name.replace('/', '_')}" for name in top.index}
    assert set(run.data.metrics) == expected_keys
    assert run.data.metrics["importance/age"] == pytest.approx(top["age"], rel=1e-12)
    assert set(run.data.params) == set()  # the lock leaves the user's parameters alone
    # (MlflowClient.load_table searches the global tracking URI, not the client's: read the file itself)
    table_path = mlflow_client.download_artifacts(client.run_id, "explanations/lgbm_v2_global_importance.json",
                                                  str(tmp_path))
    table = pd.read_json(table_path, orient="split")
    assert list(table["feature"]) == list(top.index)
    assert {"path": "explanations/lgbm_v2_global_importance.json", "type": "table"} in json.loads(
        run.data.tags["mlflow.loggedArtifacts"])
    inputs = {(d.dataset.name, d.tags[0].value) for d in run.inputs.dataset_inputs}
    assert inputs == {("init_dataset", "explanation_init"), ("eval_dataset", "explanation_eval")}
    assert [d["context"] for d in meta["upload"]["datasets"]] == ["explanation_init", "explanation_eval"]


def test_download_reads_only_the_explanation_files_not_plots_or_eval_sample(sqlite_store):
    client = new_run(sqlite_store)
    original = make_explanation("binary")
    client.upload_model_explanation(original, true_ys=np.zeros(40))
    artifact_uri = mlflow.MlflowClient(client.tracking_uri).get_run(client.run_id).info.artifact_uri
    folder = Path(urllib.request.url2pathname(artifact_uri.removeprefix("file://"))) / "explanations" / original.id
    (folder / "eval_sample.parquet").unlink()
    for png in (folder / "plots").iterdir():
        png.unlink()
    assert_same_explanation(client.download_model_explanation(), original)


def test_a_deleted_file_of_an_upload_is_named_in_our_words(sqlite_store):
    from explain_lib.errors import CorruptExplanationError

    client = new_run(sqlite_store)
    original = make_explanation("binary")
    client.upload_model_explanation(original, plots=False, dashboard=False)
    artifact_uri = mlflow.MlflowClient(client.tracking_uri).get_run(client.run_id).info.artifact_uri
    folder = Path(urllib.request.url2pathname(artifact_uri.removeprefix("file://"))) / "explanations" / original.id
    (folder / "local.parquet").unlink()
    with pytest.raises(CorruptExplanationError, match=r"damaged: its file local\.parquet is missing.*again") as info:
        client.download_model_explanation()
    assert "Failed to download" not in str(info.value)


# ------------------------------------------------------------------------------------ filters and top-k
def test_comment_and_raw_filters_and_newest_by_default(sqlite_store):
    client = new_run(sqlite_store)
    first = make_explanation("raw", seed=1)
    second = make_explanation("engineered", seed=2)
    third = make_explanation("binary", seed=3)
    client.upload_model_explanation(first, comment="a")
    client.upload_model_explanation(second, comment="b")
    client.upload_model_explanation(third, comment="a")

    assert [e["id"] for e in client.list_model_explanations()] == [third.id, second.id, first.id]
    assert [e["id"] for e in client.list_model_explanations(comment="a")] == [third.id, first.id]
    assert [e["id"] for e in client.list_model_explanations(raw=True)] == [first.id]
    assert [e["id"] for e in client.list_model_explanations(raw=False, engineered=False)] == [third.id]
    assert [e["id"] for e in client.list_model_explanations(comment="c")] == []
    assert client.download_model_explanation().id == third.id
    assert client.download_model_explanation(comment="a", raw=True).id == first.id
    assert client.download_model_explanation(engineered=True).id == second.id


@pytest.mark.parametrize("kind", ["multiclass", "sparse"])
def test_download_top_k_returns_exactly_the_top_k_ranked_features(sqlite_store, kind):
    client = new_run(sqlite_store)
    original = make_explanation(kind)
    client.upload_model_explanation(original)
    top = client.download_model_explanation(top_k=3)
    names = original.get_ranked_global_names(3)
    assert list(top.features) == names
    keep = [original.features.index(name) for name in names]
    assert_array_equal(top.local, original.local[:, :, keep].astype(np.float32).astype(np.float64))
    assert_array_equal(top.global_, original.global_[keep])


def test_upload_with_top_k_stores_only_top_k_values_but_every_importance(sqlite_store):
    client = new_run(sqlite_store)
    original = make_explanation("multiclass")
    client.upload_model_explanation(original, top_k=3)
    folder = Path(mlflow.MlflowClient(client.tracking_uri).download_artifacts(
        client.run_id, f"explanations/{original.id}"))
    assert sorted(pq.read_schema(folder / "local.parquet").names) == sorted(original.get_ranked_global_names(3))
    ranked = json.loads((folder / "explanation.json").read_text())["upload"]["ranked"]
    assert ranked["features"] == original.get_ranked_global_names()
    assert ranked["global"] == original.get_ranked_global_values()
    assert ranked["per_class"]["features"] == original.get_ranked_per_class_names()
    assert ranked["per_class"]["values"] == original.get_ranked_per_class_values()

    downloaded = client.download_model_explanation()
    assert list(downloaded.features) == [f for f in original.features if f in original.get_ranked_global_names(3)]
    assert client.list_model_explanations()[0]["num_features"] == 8
    assert len(mlflow.MlflowClient(client.tracking_uri).get_run(client.run_id).data.metrics) == 3


def test_metric_keys_are_sanitized_and_unique(sqlite_store):
    client = new_run(sqlite_store)
    features = ("a:b", "a?b", "naïve", "..", "x/y", "ok name")
    exp = Explanation(local=np.random.default_rng(0).normal(size=(1, 5, 6)), expected=[0.0], features=features,
                      task="regression", output_space="raw", method="m")
    client.upload_model_explanation(exp, plots=False)
    keys = set(mlflow.MlflowClient(client.tracking_uri).get_run(client.run_id).data.metrics)
    stems = {key.removeprefix("importance/") for key in keys}
    assert stems == {"a_b", "a_b_2", "na_ve", "_", "x_y", "ok name"}


# ----------------------------------------------------------------------------------- commit and conflicts
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


def test_root_copies_of_the_newest_dashboard_and_plots_line_runs_up_for_compare(sqlite_store, tmp_path):
    client = new_run(sqlite_store)
    store = mlflow.MlflowClient(client.tracking_uri)
    first, second = make_explanation("binary", seed=1), make_explanation("multiclass", seed=2)
    client.upload_model_explanation(first)
    client.upload_model_explanation(second)
    root = {a.path for a in store.list_artifacts(client.run_id) if not a.is_dir}
    assert root == {"explanation_dashboard.html", "explanation_importance.png", "explanation_summary.png"}

    def same(copy: str, original: str, explanation_id: str) -> bool:
        got = Path(store.download_artifacts(client.run_id, copy, str(tmp_path / "copy"))).read_bytes()
        want = Path(store.download_artifacts(client.run_id, f"explanations/{explanation_id}/{original}",
                                             str(tmp_path / "original"))).read_bytes()
        return got == want

    beeswarm = min(a.path.rsplit("/", 1)[1] for a in store.list_artifacts(client.run_id,
                                                                          f"explanations/{second.id}/plots")
                   if "beeswarm" in a.path)
    assert same("explanation_dashboard.html", "dashboard.html", second.id)
    assert same("explanation_importance.png", "plots/global_importance.png", second.id)
    assert same("explanation_summary.png", f"plots/{beeswarm}", second.id)
    third = make_explanation("regression", seed=3)
    client.upload_model_explanation(third, dashboard=False)  # the newest without a page: the last page stays
    assert same("explanation_dashboard.html", "dashboard.html", second.id)
    assert same("explanation_importance.png", "plots/global_importance.png", third.id)


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
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    children = []
    for n, original in enumerate(originals):
        original.save(tmp_path / f"saved{n}", dtype="float64")
        children.append(run_script(CONCURRENT_UPLOAD, client.tracking_uri, client.run_id, str(tmp_path / f"saved{n}"),
                                   f"process {n}", str(barrier), str(len(originals))))
    intervals = []
    for child in children:
        output, _ = child.communicate(timeout=180)
        assert child.returncode == 0, output
        intervals.append([float(t) for t in output.strip().splitlines()[-1].split()])
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
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    children = []
    for n, original in enumerate(originals):
        original.save(tmp_path / f"saved{n}", dtype="float64")
        children.append(run_script(SAME_ID_UPLOAD, client.tracking_uri, client.run_id, str(tmp_path / f"saved{n}"),
                                   f"upload {n}", str(barrier), str(len(originals))))
    outcomes = []
    for child in children:
        output, _ = child.communicate(timeout=180)
        assert child.returncode == 0, output
        outcomes.append(output.strip().splitlines()[-1])
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


# -------------------------------------------------------------------------------------------------- errors
def test_unknown_explanation_id_says_which_ids_exist(sqlite_store):
    client = new_run(sqlite_store)
    original = make_explanation("regression")
    client.upload_model_explanation(original, plots=False)
    typo = original.id[:-1] + ("0" if original.id[-1] != "0" else "1")
    with pytest.raises(ExplanationNotFoundError, match=f"Did you mean '{original.id}'"):
        client.download_model_explanation(typo)
    with pytest.raises(ExplanationNotFoundError, match="comment='other'"):
        client.download_model_explanation(comment="other")


@pytest.mark.parametrize("run_id", ["0123456789abcdef0123456789abcdef", "not a run"])
def test_unknown_run_id_is_a_clear_error(tracking_store, run_id):
    uri, _ = tracking_store
    with pytest.raises(RunNotFoundError, match="No MLflow run") as error:
        ExplanationClient.from_run_id(run_id, tracking_uri=uri)
    assert isinstance(error.value, ExplainLibError) and uri.split("///")[-1] in str(error.value)


def test_unreachable_server_fails_fast_naming_the_uri(unused_port):
    uri = f"http://127.0.0.1:{unused_port}"
    start = time.monotonic()
    with pytest.raises(TrackingServerUnreachableError, match=f"{uri} did not answer \\(1 attempt") as error:
        ExplanationClient.from_run_id("0123456789abcdef0123456789abcdef", tracking_uri=uri)
    assert time.monotonic() - start < 15
    assert "MLFLOW_HTTP_REQUEST_TIMEOUT" in str(error.value)


def test_mlflow_retry_settings_make_the_probe_wait_longer(unused_port, monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")  # waits of 1 s and 2 s between the 3 attempts
    start = time.monotonic()
    with pytest.raises(TrackingServerUnreachableError, match="3 attempts"):
        ExplanationClient.from_run_id("0123456789abcdef0123456789abcdef", tracking_uri=f"http://127.0.0.1:{unused_port}")
    assert time.monotonic() - start >= 3


def test_upload_whose_server_dies_midway_fails_within_seconds(killable_mlflow_server, monkeypatch):
    """The server is killed (SIGKILL) after the artifacts, as the metrics are written: a dead connection is not a
    write conflict to retry, and MLflow's own retries stay bounded."""
    uri, retries = killable_mlflow_server.wait(), os.environ.get("MLFLOW_HTTP_REQUEST_MAX_RETRIES")
    client = new_run((uri, mlflow.MlflowClient(uri).create_experiment("dies midway")))
    real_log_batch, killed_at = mlflow.MlflowClient.log_batch, []

    def kill_the_server_then_log_batch(self, run_id, metrics=(), params=(), tags=(), **kwargs):
        if metrics and not killed_at:
            killable_mlflow_server.kill()
            killed_at.append(time.monotonic())
        return real_log_batch(self, run_id, metrics=metrics, params=params, tags=tags, **kwargs)

    monkeypatch.setattr(mlflow.MlflowClient, "log_batch", kill_the_server_then_log_batch)
    with pytest.raises(TrackingServerUnreachableError, match=f"server at {uri} stopped answering"):
        client.upload_model_explanation(make_explanation("binary"), plots=False)
    assert killed_at and time.monotonic() - killed_at[0] < 20
    assert os.environ.get("MLFLOW_HTTP_REQUEST_MAX_RETRIES") == retries  # the bounded retries were put back


def test_invalid_upload_arguments_are_refused_before_writing(sqlite_store):
    client = new_run(sqlite_store)
    original = make_explanation("binary")
    with pytest.raises(InvalidInputError, match="one label per explained row"):
        client.upload_model_explanation(original, true_ys=[0, 1])
    with pytest.raises(InvalidParameterError, match="top_k"):
        client.upload_model_explanation(original, top_k=0)
    with pytest.raises(InvalidParameterError, match="artifact directory"):
        client.upload_model_explanation(dataclasses.replace(original, id="../escape"))
    with pytest.raises(InvalidParameterError, match="init_dataset"):
        client.upload_model_explanation(original, init_dataset="data.csv")
    assert mlflow.MlflowClient(client.tracking_uri).list_artifacts(client.run_id) == []


# ------------------------------------------------------------------------------ other stores, fluent API
def test_default_local_store_and_log_explanation_for_the_active_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    original = make_explanation("binary")
    with mlflow.start_run() as run:
        uri = log_explanation(original, comment="fluent", plots=False)
        client = ExplanationClient()  # the active run, MLflow's default store
    assert uri == f"{run.info.artifact_uri}/explanations/{original.id}"
    assert (tmp_path / "mlflow.db").is_file() and client.tracking_uri.startswith("sqlite:")
    assert client.run_id == run.info.run_id
    assert_same_explanation(ExplanationClient.from_run(run).download_model_explanation(comment="fluent"), original)


def test_file_store_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    uri = (tmp_path / "mlruns").as_uri()
    run = mlflow.MlflowClient(uri).create_run("0")
    client = ExplanationClient.from_run(run, tracking_uri=uri)
    original = make_explanation("multiclass")
    client.upload_model_explanation(original, comment="file store", top_k=5)
    assert [e["comment"] for e in client.list_model_explanations()] == ["file store"]
    assert list(client.download_model_explanation(top_k=2).features) == original.get_ranked_global_names(2)


def test_client_without_run_id_outside_a_run_says_how_to_fix():
    assert mlflow.active_run() is None
    with pytest.raises(InvalidParameterError, match="start_run"):
        ExplanationClient()
