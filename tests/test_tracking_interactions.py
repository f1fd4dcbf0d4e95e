"""Exact interaction values logged with their explanation, against real stores (sqlite, an `mlflow server`):
interactions.json, the heatmap PNG, the pairs table listed for the UI, and bad input refused before any write."""

from __future__ import annotations

import json
from pathlib import Path

import lightgbm
import mlflow
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from explain_lib import TreeShap
from explain_lib.report.plots import plot_interactions
from explain_lib.tracking import ExplanationClient, log_explanation


@pytest.fixture(scope="module")
def fitted(numeric):
    X, y, _ = numeric
    model = lightgbm.LGBMClassifier(n_estimators=30, num_leaves=8, verbose=-1, n_jobs=1).fit(X, y)
    explainer = TreeShap(model)
    return explainer, X, explainer.explain(X), explainer.interactions(X, top_k=3)


def _new_run(store: tuple[str, str]) -> ExplanationClient:
    uri, experiment = store
    return ExplanationClient.from_run_id(mlflow.MlflowClient(uri).create_run(experiment).info.run_id, tracking_uri=uri)


def test_interactions_are_logged_as_json_heatmap_and_listed_table(tracking_store, fitted, tmp_path):
    _, _, explanation, interactions = fitted
    client = _new_run(tracking_store)
    client.upload_model_explanation(explanation, comment="with pairs", interactions=interactions,
                                    visualization_points=50, dashboard=False)
    mlflow_client = mlflow.MlflowClient(client.tracking_uri)
    folder = Path(mlflow_client.download_artifacts(client.run_id, f"explanations/{explanation.id}", str(tmp_path)))
    payload = json.loads((folder / "interactions.json").read_text())
    assert payload["features"] == list(interactions.features) and payload["n_rows"] == 300
    assert_allclose(payload["matrix"], interactions.global_, rtol=0, atol=0)
    [positive] = payload["per_output"]  # binary: class 1 (class 0 mirrors it)
    assert positive["class"] == 1 and len(payload["rows"]) == 50
    shown = interactions.summary(rows=payload["rows"], cls=1)
    assert positive["row_partner"] == shown["row_partner"] and positive["row_value"] == shown["row_value"]
    assert (folder / "plots" / "interactions.png").read_bytes()[:4] == b"\x89PNG"
    meta = json.loads((folder / "explanation.json").read_text())
    assert meta["upload"]["interactions"] == {"file": "interactions.json", "features": list(interactions.features),
                                              "plot": "plots/interactions.png"}

    table_file = mlflow_client.download_artifacts(client.run_id, "explanations/with_pairs_interactions.json",
                                                  str(tmp_path))
    table = pd.read_json(table_file, orient="split")
    assert len(table) == 6  # 3 features: 3 pairs and 3 main effects
    assert table["mean_abs_interaction"].is_monotonic_decreasing
    first = table.iloc[0]
    i, j = interactions.features.index(first["feature"]), interactions.features.index(first["partner"])
    assert first["mean_abs_interaction"] == pytest.approx(interactions.global_[i, j], rel=1e-9)  # JSON: 10 digits
    listed = json.loads(mlflow_client.get_run(client.run_id).data.tags["mlflow.loggedArtifacts"])
    assert {"path": "explanations/with_pairs_interactions.json", "type": "table"} in listed
    assert {"path": "explanations/with_pairs_global_importance.json", "type": "table"} in listed


def test_log_explanation_takes_interactions_in_the_active_run(store, fitted):
    _, _, explanation, interactions = fitted
    with mlflow.start_run() as run:
        uri = log_explanation(explanation, interactions=interactions, plots=False, dashboard=False)
    assert uri.endswith(f"explanations/{explanation.id}")
    listed = mlflow.MlflowClient().list_artifacts(run.info.run_id, f"explanations/{explanation.id}")
    names = {a.path.rsplit("/", 1)[-1] for a in listed}
    assert "interactions.json" in names and "plots" not in names


def test_the_heatmap_shows_the_mean_matrix_in_the_chosen_order(fitted):
    _, _, _, interactions = fitted
    figure = plot_interactions(interactions)
    axes = figure.axes[0]
    assert [label.get_text() for label in axes.get_yticklabels()] == list(interactions.features)
    assert_allclose(axes.images[0].get_array(), interactions.global_)
    cells = {text.get_text() for text in axes.texts}
    assert f"{interactions.global_[0, 1]:.3g}" in cells
