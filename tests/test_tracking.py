"""Explanations in MLflow run history, against real stores: a sqlite store and an `mlflow server`.

The server is one subprocess for the whole session (sqlite backend, proxied artifacts, a free port on
127.0.0.1), started in the background when this module begins and waited for on first use. Tests
that take a ``store`` run once per store; pytest groups them so the sqlite ones run while the
server starts. Uploads that die, collide or race are in test_tracking_concurrency.py; the explanations
and checks both use are in tracking_cases.py.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
import urllib.request
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from pandas.testing import assert_frame_equal
from tracking_cases import FEATURES, KINDS, assert_same_explanation, make_explanation, new_run

from explain_lib import Explanation, InvalidInputError, InvalidParameterError
from explain_lib.errors import ExplainLibError
from explain_lib.tracking import (
    ExplanationClient,
    ExplanationNotFoundError,
    RunNotFoundError,
    TrackingServerUnreachableError,
    log_explanation,
)

# the shared server (and the one a test kills) start as this module starts; tests wait for them on first use
pytestmark = pytest.mark.usefixtures("mlflow_server", "killable_mlflow_server")


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
