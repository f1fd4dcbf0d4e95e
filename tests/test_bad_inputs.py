"""Bad input at every public door: each case gets our error type, a message naming the problem, and
(where there is a run) leaves the run without a new artifact, metric or tag.

Silently-wrong inputs (reordered columns whose names look generated, overflowing values) have their
own tests with known answers: the explanation must equal the one of the correctly ordered rows, or
be refused.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression

from explain_lib import Explanation
from explain_lib.errors import (
    CorruptExplanationError,
    InvalidInputError,
    InvalidParameterError,
    ModelNotFittedError,
    UnsupportedModelError,
)
from explain_lib.explainers import KernelShap, LinearShap, MimicExplainer, PFIExplainer, TabularExplainer, TreeShap
from explain_lib.tracking import ExplanationExistsError, ExplanationNotFoundError, RunNotFoundError


@pytest.fixture(scope="module", autouse=True)
def _start_server(mlflow_server):
    """Boot the shared tracking server while the in-process cases run; only the last test waits for it."""
    return mlflow_server


# ----------------------------------------------------------------------------------------- tiny models
@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=["f0", "f1", "f2"])
    y_reg = 3.0 * X.f0 - 2.0 * X.f1 + 0.5 * X.f2
    y_cls = (X.f0 + X.f1 > 0).astype(int)
    return X, y_reg, y_cls


@pytest.fixture(scope="module")
def models(data):
    X, y_reg, y_cls = data
    return {
        "linear": LinearRegression().fit(X, y_reg),
        "logistic": LogisticRegression().fit(X, y_cls),
        "forest": RandomForestRegressor(n_estimators=5, max_depth=3, random_state=0).fit(X, y_reg),
        "forest_cls": RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0).fit(X, y_cls),
        "generic_names": LinearRegression().fit(X.set_axis(["Column_0", "Column_1", "Column_2"], axis=1), y_reg),
    }


def _explainers(models, X):
    """One explainer of every kind that takes rows, each built on the correctly ordered background."""
    return {
        "linear": LinearShap(models["linear"], X),
        "tree": TreeShap(models["forest"]),
        "kernel": KernelShap(models["linear"], X.iloc[:10]),
        "tabular": TabularExplainer(models["forest_cls"], X),
        "mimic": MimicExplainer(models["linear"], X, "linear"),
    }


REORDERED = ["f2", "f0", "f1"]


@pytest.mark.parametrize("kind", ["linear", "tree", "kernel", "tabular", "mimic"])
def test_reordered_generic_looking_columns_are_matched_by_name(models, data, kind):
    """f0..fN are real names sklearn stored: a reordered frame gives the same explanation as the ordered one."""
    X, _, _ = data
    explainer = _explainers(models, X)[kind]
    ordered = explainer.explain(X.iloc[:8])
    reordered = explainer.explain(X.iloc[:8][REORDERED])
    assert reordered.features == ("f0", "f1", "f2")
    assert_allclose(reordered.local, ordered.local, atol=1e-9)


def test_reordered_columns_for_pfi_are_matched_by_name(models, data):
    X, y_reg, _ = data
    explainer = PFIExplainer(models["linear"], n_repeats=2)
    ordered = explainer.explain(X, y_reg)
    reordered = explainer.explain(X[REORDERED], y_reg)
    assert reordered.features == ordered.features
    assert_allclose(reordered.global_, ordered.global_)


def test_column_n_names_are_real_names_too(models, data):
    X, _, _ = data
    named = X.set_axis(["Column_0", "Column_1", "Column_2"], axis=1)
    explainer = LinearShap(models["generic_names"], named)
    assert_allclose(explainer.explain(named[["Column_2", "Column_0", "Column_1"]]).local,
                    explainer.explain(named).local)
    with pytest.raises(InvalidInputError, match="Column_0"):
        explainer.explain(X)  # f0.. are not the names it was fitted with


@pytest.mark.parametrize("value", [np.inf, -np.inf])
@pytest.mark.parametrize("kind", ["linear", "tree", "kernel", "tabular", "mimic"])
def test_infinite_input_is_refused_naming_column_and_row(models, data, kind, value):
    X, _, _ = data
    bad = X.iloc[:6].copy()
    bad.iloc[4, 1] = value
    with pytest.raises(InvalidInputError, match=r"infinite value in column 'f1', row 4"):
        _explainers(models, X)[kind].explain(bad)


def test_overflowing_values_are_refused_not_explained(models, data):
    """1e308 is finite, but 3 * 1e308 is not: the local value overflows and must not come back as inf."""
    X, _, _ = data
    bad = X.iloc[:6].copy()
    bad.iloc[2, 0] = 1e308
    with pytest.raises(InvalidInputError, match=r"row 2, feature 'f0'"):
        LinearShap(models["linear"], X).explain(bad)


def test_infinite_importance_is_refused_at_the_door():
    with pytest.raises(InvalidInputError, match="non-finite"):
        Explanation(local=None, expected=None, features=["a", "b"], task="regression", output_space="metric",
                    method="pfi", global_=[1.0, np.inf])


# ------------------------------------------------------------------------------------ Explanation.load
@pytest.fixture(scope="module")
def saved(tmp_path_factory, models, data):
    X, _, _ = data
    folder = tmp_path_factory.mktemp("saved") / "explanation"
    LinearShap(models["linear"], X).explain(X.iloc[:5]).save(folder)
    return folder


def _damaged(saved: Path, tmp_path: Path, damage) -> Path:
    folder = tmp_path / "copy"
    folder.mkdir()
    for file in saved.iterdir():
        (folder / file.name).write_bytes(file.read_bytes())
    damage(folder)
    return folder


def _edit_meta(edit):
    def damage(folder: Path) -> None:
        meta = json.loads((folder / "explanation.json").read_text())
        edit(meta)
        (folder / "explanation.json").write_text(json.dumps(meta))
    return damage


def _truncate(folder: Path) -> None:
    text = (folder / "explanation.json").read_text()
    (folder / "explanation.json").write_text(text[: len(text) // 2])


CORRUPT = {
    "not_json": (lambda f: (f / "explanation.json").write_text("not json at all"), "explanation.json"),
    "truncated": (_truncate, "explanation.json"),
    "json_list": (lambda f: (f / "explanation.json").write_text("[1, 2, 3]"), "JSON list"),
    "missing_local": (lambda f: (f / "local.parquet").unlink(), "local.parquet"),
    "missing_data": (lambda f: (f / "data.parquet").unlink(), "data.parquet"),
    "missing_keys": (_edit_meta(lambda m: m.pop("task")), "'task'"),
    "global_shape": (_edit_meta(lambda m: m.update({"global": [1.0]})), "'global'"),
    "local_shape": (_edit_meta(lambda m: m["local"].update({"shape": [1, 99, 3]})), "local.parquet"),
    "per_class_shape": (_edit_meta(lambda m: m.update({"per_class": [[1.0]]})), "explanation.json"),
    "local_not_parquet": (lambda f: (f / "local.parquet").write_bytes(b"PAR1garbage"), "local.parquet"),
    "data_rows": (lambda f: pd.DataFrame({"f0": [1.0], "f1": [1.0], "f2": [1.0]}).to_parquet(f / "data.parquet"),
                  "data.parquet"),
    "features_not_list": (_edit_meta(lambda m: m.update({"features": "f0"})), "'features'"),
    "path_traversal_local": (_edit_meta(lambda m: m["local"].update({"file": "../../secret.parquet"})),
                             "secret.parquet"),
    "path_traversal_data": (_edit_meta(lambda m: m["data"].update({"file": "/etc/passwd"})), "/etc/passwd"),
    "task_unknown": (_edit_meta(lambda m: m.update({"task": "clustering"})), "clustering"),
}


@pytest.mark.parametrize("case", sorted(CORRUPT))
def test_load_of_a_damaged_folder_names_the_file(saved, tmp_path, case):
    damage, named = CORRUPT[case]
    folder = _damaged(saved, tmp_path, damage)
    with pytest.raises(CorruptExplanationError) as raised:
        Explanation.load(folder)
    assert named in str(raised.value)


def test_load_never_reads_a_file_outside_the_folder(saved, tmp_path):
    """A data-file name in explanation.json that points elsewhere is refused, even where that file exists."""
    outside = tmp_path / "outside.parquet"
    (saved / "local.parquet").read_bytes()
    outside.write_bytes((saved / "local.parquet").read_bytes())
    folder = _damaged(saved, tmp_path, _edit_meta(lambda m: m["local"].update({"file": "../outside.parquet"})))
    (folder / "local.parquet").unlink()
    with pytest.raises(CorruptExplanationError, match="outside.parquet"):
        Explanation.load(folder)


# ----------------------------------------------------------------------------------- the bad-input matrix
def _unfitted(kind):
    def build(ctx):
        X = ctx["X"]
        model = {"linear": LinearRegression(), "forest": RandomForestRegressor()}["forest" if kind == "tree" else
                                                                                  "linear"]
        return {
            "linear": lambda: LinearShap(model, X),
            "tree": lambda: TreeShap(model),
            "kernel": lambda: KernelShap(model, X),
            "tabular": lambda: TabularExplainer(model, X),
            "pfi": lambda: PFIExplainer(model),
            "mimic": lambda: MimicExplainer(model, X, "linear", model_task="regression"),
        }[kind]()
    return build


def _with_strings(ctx):
    frame = ctx["X"].iloc[:5].copy()
    frame["f1"] = ["a", "b", "c", "d", "e"]
    return frame


def _with_value(row, column, value):
    def build(ctx):
        frame = ctx["X"].iloc[:6].copy()
        frame.iloc[row, column] = value
        return frame
    return build


def _sparse_with_inf(ctx):
    import scipy.sparse as sp

    values = ctx["X"].iloc[:6].to_numpy().copy()
    values[5, 2] = np.inf
    return sp.csr_matrix(values)


EXPLAINER_CASES = {
    # unfitted models say "not fitted"
    **{f"unfitted_{kind}": (_unfitted(kind), ModelNotFittedError, "not fitted")
       for kind in ("linear", "tree", "kernel", "tabular", "pfi", "mimic")},
    "model_class_not_instance": (lambda c: LinearShap(LinearRegression, c["X"]), InvalidParameterError,
                                 "class LinearRegression"),
    "not_a_linear_model": (lambda c: LinearShap(c["models"]["forest"], c["X"]), UnsupportedModelError,
                           "LinearShap explains"),
    "tree_output_unknown": (lambda c: TreeShap(c["models"]["forest"], output="logit"), InvalidParameterError,
                            "output must be"),
    # rows the model cannot take
    "linear_string_column": (lambda c: LinearShap(c["models"]["linear"], c["X"]).explain(_with_strings(c)),
                             InvalidInputError, r"non-numeric columns \['f1'\]"),
    "tree_string_column": (lambda c: TreeShap(c["models"]["forest"]).explain(_with_strings(c)),
                           InvalidInputError, r"non-numeric columns \['f1'\]"),
    "kernel_string_column": (lambda c: KernelShap(c["models"]["linear"], c["X"].iloc[:5]).explain(_with_strings(c)),
                             InvalidInputError, "cannot take the rows of X"),
    "pfi_string_column": (lambda c: PFIExplainer(c["models"]["linear"]).explain(_with_strings(c), c["y_reg"][:5]),
                          InvalidInputError, "cannot take the rows of X"),
    "renamed_column": (lambda c: LinearShap(c["models"]["linear"], c["X"]).explain(
        c["X"].rename(columns={"f0": "g0"})), InvalidInputError, r"missing \['f0'\]"),
    "missing_column": (lambda c: TreeShap(c["models"]["forest"]).explain(c["X"][["f0", "f1"]]), InvalidInputError,
                       "missing"),
    "too_few_array_columns": (lambda c: KernelShap(c["models"]["linear"], c["X"].iloc[:5]).explain(
        np.zeros((2, 2))), InvalidInputError, "2 columns but the model was fitted with 3"),
    "rows_none": (lambda c: LinearShap(c["models"]["linear"], c["X"]).explain(None), InvalidInputError, "X is None"),
    "rows_1d": (lambda c: LinearShap(c["models"]["linear"], c["X"]).explain(np.zeros(3)), InvalidInputError,
                "must be 2-D"),
    "rows_empty": (lambda c: LinearShap(c["models"]["linear"], c["X"]).explain(c["X"].iloc[:0]), InvalidInputError,
                   "is empty"),
    "rows_series": (lambda c: LinearShap(c["models"]["linear"], c["X"]).explain(c["X"].iloc[0]), InvalidInputError,
                    "Series"),
    "repeated_columns": (lambda c: LinearShap(c["models"]["linear"], c["X"]).explain(
        c["X"].set_axis(["f0", "f0", "f2"], axis=1)), InvalidInputError, "repeated column names"),
    "linear_nan": (lambda c: LinearShap(c["models"]["linear"], c["X"]).explain(_with_value(1, 2, np.nan)(c)),
                   InvalidInputError, "missing values"),
    "tree_nan": (lambda c: TreeShap(c["models"]["forest"]).explain(_with_value(1, 2, np.nan)(c)), InvalidInputError,
                 "missing values"),
    "sparse_inf": (lambda c: LinearShap(c["models"]["linear"], c["X"]).explain(_sparse_with_inf(c)),
                   InvalidInputError, "infinite value in column 'f2', row 5"),
    "background_inf": (lambda c: KernelShap(c["models"]["linear"], _with_value(0, 0, -np.inf)(c)),
                       InvalidInputError, "background has an infinite value in column 'f0', row 0"),
    "kernel_overflow": (lambda c: KernelShap(c["models"]["linear"], c["X"].iloc[:5]).explain(
        _with_value(3, 0, 1e308)(c)), InvalidInputError, "non-finite"),
    "negative_background_weights": (lambda c: LinearShap(c["models"]["linear"], c["X"].iloc[:3],
                                                         background_weights=[1, -1, 1]),
                                    InvalidInputError, "non-negative"),
    "max_rows_zero": (lambda c: LinearShap(c["models"]["linear"], c["X"]).explain_global(c["X"], max_rows=0),
                      InvalidParameterError, "max_rows"),
    # true labels for permutation importance
    "pfi_y_missing": (lambda c: PFIExplainer(c["models"]["linear"]).explain(c["X"]), InvalidInputError,
                      "needs the true labels"),
    "pfi_y_text_for_regression": (lambda c: PFIExplainer(c["models"]["linear"]).explain(
        c["X"], np.array(["a"] * 60)), InvalidInputError, "must hold numbers"),
    "pfi_y_nan_regression": (lambda c: PFIExplainer(c["models"]["linear"]).explain(
        c["X"], np.where(np.arange(60) == 7, np.nan, 1.0)), InvalidInputError, "missing labels .first at row 7"),
    "pfi_y_nan_classification": (lambda c: PFIExplainer(c["models"]["logistic"]).explain(
        c["X"], np.where(np.arange(60) == 3, np.nan, 1.0)), InvalidInputError, "missing labels"),
    "pfi_y_other_label_type": (lambda c: PFIExplainer(c["models"]["logistic"]).explain(
        c["X"], np.where(c["y_cls"] == 1, "yes", "no")), InvalidInputError, "not among the model's classes"),
    "pfi_y_wrong_length": (lambda c: PFIExplainer(c["models"]["linear"]).explain(c["X"], c["y_reg"][:10]),
                           InvalidInputError, "one label per row"),
    "pfi_y_infinite": (lambda c: PFIExplainer(c["models"]["linear"]).explain(
        c["X"], np.where(np.arange(60) == 2, np.inf, 1.0)), InvalidInputError, "infinite value at row 2"),
    "pfi_unknown_metric": (lambda c: PFIExplainer(c["models"]["linear"], metric="r3"), InvalidParameterError,
                           "Unknown metric 'r3'"),
    "pfi_repeats_zero": (lambda c: PFIExplainer(c["models"]["linear"], n_repeats=0), InvalidParameterError,
                         "n_repeats"),
    # the Explanation itself
    "explanation_nan_local": (lambda c: Explanation(local=np.full((1, 2, 2), np.nan), expected=[0.0],
                                                    features=["a", "b"], task="regression", output_space="raw",
                                                    method="m"), InvalidInputError, "non-finite"),
    "explanation_inf_expected": (lambda c: Explanation(local=np.zeros((1, 2, 2)), expected=[np.inf],
                                                       features=["a", "b"], task="regression", output_space="raw",
                                                       method="m"), InvalidInputError, "non-finite"),
    "explanation_no_classes": (lambda c: Explanation(local=np.zeros((2, 2, 2)), expected=[0.0, 0.0],
                                                     features=["a", "b"], task="classification",
                                                     output_space="margin", method="m"), InvalidInputError,
                               "needs its classes"),
    "explanation_top_k_zero": (lambda c: c["explanation"].global_importance(top_k=0), InvalidParameterError, "top_k"),
    "explanation_save_float16": (lambda c: c["explanation"].save(c["tmp"] / "f16", dtype="float16"),
                                 InvalidInputError, "dtype must be"),
    "load_missing_folder": (lambda c: Explanation.load(c["tmp"] / "nothing-here"), InvalidInputError,
                            "explanation.json is missing"),
}


@pytest.fixture(scope="module")
def ctx(models, data, tmp_path_factory):
    X, y_reg, y_cls = data
    return {"X": X, "y_reg": y_reg.to_numpy(), "y_cls": y_cls.to_numpy(), "models": models,
            "explanation": LinearShap(models["linear"], X).explain(X.iloc[:5]), "tmp": tmp_path_factory.mktemp("m")}


@pytest.mark.parametrize("case", sorted(EXPLAINER_CASES))
def test_explainer_and_explanation_refuse_bad_input(ctx, case):
    call, error, message = EXPLAINER_CASES[case]
    with pytest.raises(error, match=message):
        call(ctx)


# ------------------------------------------------------------------ run history: nothing logged on refusal
@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory):
    import mlflow

    root = tmp_path_factory.mktemp("bad-input-store")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    experiment = mlflow.MlflowClient(uri).create_experiment("bad-inputs", artifact_location=(root / "art").as_uri())
    return uri, experiment


def _run_state(uri: str, run_id: str) -> tuple:
    """Everything a refused call must leave alone: artifact paths, metrics and tags of the run."""
    import mlflow

    client = mlflow.MlflowClient(uri)

    def walk(path=None):
        for item in client.list_artifacts(run_id, path):
            yield from walk(item.path) if item.is_dir else (item.path,)

    run = client.get_run(run_id)
    inputs = [item.dataset.digest for item in run.inputs.dataset_inputs]
    return sorted(walk()), dict(run.data.metrics), dict(run.data.tags), inputs


def _client(store):
    import mlflow

    from explain_lib.tracking import ExplanationClient

    uri, experiment = store
    run = mlflow.MlflowClient(uri).create_run(experiment)
    return ExplanationClient.from_run_id(run.info.run_id, tracking_uri=uri)


def _explanation(features=("f0", "f1", "f2"), rows=4):
    rng = np.random.default_rng(1)
    return Explanation(local=rng.normal(size=(1, rows, len(features))), expected=[0.5], features=features,
                       task="regression", output_space="raw", method="test")


def _uploaded_twice(client):
    explanation = _explanation()
    client.upload_model_explanation(explanation, plots=False)
    before = _run_state(client.tracking_uri, client.run_id)
    try:
        client.upload_model_explanation(explanation, plots=False, comment="again")
    finally:
        assert _run_state(client.tracking_uri, client.run_id) == before


def _with_reserved_name(client):
    features = ("__row__", "f1", "f2")
    explanation = dataclasses.replace(_explanation(), features=features, data=pd.DataFrame(np.ones((4, 3)),
                                                                                           columns=features))
    client.upload_model_explanation(explanation, plots=False, true_ys=[1, 2, 3, 4])


UPLOAD_CASES = {
    "not_an_explanation": (lambda c: c.upload_model_explanation({"a": 1}), InvalidParameterError,
                           "Expected an explain_lib Explanation"),
    "id_path_traversal": (lambda c: c.upload_model_explanation(dataclasses.replace(_explanation(), id="../../x")),
                          InvalidParameterError, "cannot name an MLflow artifact directory"),
    "comment_too_long": (lambda c: c.upload_model_explanation(_explanation(), comment="x" * 1001),
                         InvalidParameterError, "comment has 1001 characters"),
    "comment_not_text": (lambda c: c.upload_model_explanation(_explanation(), comment=42), InvalidParameterError,
                         "comment must be a string"),
    "top_k_zero": (lambda c: c.upload_model_explanation(_explanation(), top_k=0), InvalidParameterError, "top_k"),
    "visualization_points_zero": (lambda c: c.upload_model_explanation(_explanation(), visualization_points=0),
                                  InvalidParameterError, "visualization_points"),
    "true_ys_wrong_length": (lambda c: c.upload_model_explanation(_explanation(), true_ys=[1, 2]),
                             InvalidInputError, "one label per explained row"),
    "dataset_of_unknown_type": (lambda c: c.upload_model_explanation(_explanation(), init_dataset="train.csv"),
                                InvalidParameterError, "init_dataset must be"),
    "reserved_feature_name": (_with_reserved_name, InvalidInputError, "reserved"),
    "same_id_twice": (_uploaded_twice, ExplanationExistsError, "already uploaded"),
    "download_unknown_id": (lambda c: c.download_model_explanation("nope"), ExplanationNotFoundError, "'nope'"),
    "download_top_k_negative": (lambda c: c.download_model_explanation(top_k=-1), InvalidParameterError, "top_k"),
    "download_from_empty_run": (lambda c: c.download_model_explanation(), ExplanationNotFoundError,
                                "has no uploaded explanation"),
}


@pytest.mark.parametrize("case", sorted(UPLOAD_CASES))
def test_client_refuses_bad_input_and_logs_nothing(sqlite_store, case):
    call, error, message = UPLOAD_CASES[case]
    client = _client(sqlite_store)
    before = _run_state(client.tracking_uri, client.run_id)
    with pytest.raises(error, match=message):
        call(client)
    if case != "same_id_twice":  # that case checks the run between its two uploads
        assert _run_state(client.tracking_uri, client.run_id) == before


def test_client_refuses_an_unknown_run_and_a_run_id_of_another_type(sqlite_store):
    from explain_lib.tracking import ExplanationClient

    uri, _ = sqlite_store
    with pytest.raises(RunNotFoundError, match="No MLflow run 'f" + "0" * 31):
        ExplanationClient.from_run_id("f" + "0" * 31, tracking_uri=uri)
    with pytest.raises(InvalidParameterError, match="run_id must be a string"):
        ExplanationClient(123, tracking_uri=uri)


def test_a_comment_of_emoji_is_listed_whole(sqlite_store):
    """1000 emoji took 12000 characters as \\uXXXX JSON: the store cut the tag and the whole list failed."""
    client = _client(sqlite_store)
    comment = "\N{GRINNING FACE}" * 1000
    client.upload_model_explanation(_explanation(), comment=comment, plots=False)
    listed = client.list_model_explanations()
    assert [entry["comment"] for entry in listed] == [comment]
    assert client.download_model_explanation(comment=comment).n_features == 3


def test_one_damaged_marker_tag_is_skipped_with_a_warning_naming_it(sqlite_store):
    import mlflow

    client = _client(sqlite_store)
    kept = client.upload_model_explanation(_explanation(), plots=False)
    mlflow.MlflowClient(client.tracking_uri).set_tag(client.run_id, "explain_lib.explanation.broken", '{"id": "bro')
    with pytest.warns(UserWarning, match="explain_lib.explanation.broken"):
        listed = client.list_model_explanations()
    assert [entry["id"] for entry in listed] == [kept]


def test_a_tag_the_store_would_cut_is_refused_before_anything_is_written(sqlite_store, monkeypatch):
    import mlflow.utils.validation

    client = _client(sqlite_store)
    before = _run_state(client.tracking_uri, client.run_id)
    monkeypatch.setattr(mlflow.utils.validation, "MAX_TAG_VAL_LENGTH", 100)  # a store with a small limit
    with pytest.raises(InvalidParameterError, match="more than the 100"):
        client.upload_model_explanation(_explanation(), comment="a comment of some length " * 3, plots=False)
    assert _run_state(client.tracking_uri, client.run_id) == before


def test_store_limits_are_mlflows_own():
    from mlflow.utils.validation import MAX_ENTITY_KEY_LENGTH, MAX_TAG_VAL_LENGTH

    from explain_lib._keys import MAX_METRIC_KEY_LENGTH, tag_value_limit

    assert (MAX_METRIC_KEY_LENGTH, tag_value_limit()) == (MAX_ENTITY_KEY_LENGTH, MAX_TAG_VAL_LENGTH)


# ------------------------------------------------------------------------ scorecard names as metric keys
LONG_COHORT = "a cohort named at length " * 12  # 300 characters


@pytest.fixture(scope="module")
def hostile_scorecard():
    from explain_lib.report.scorecard import compute_scorecard, load_config

    rng = np.random.default_rng(0)
    data = pd.DataFrame({"age": rng.integers(20, 70, 80), "../group": rng.choice(["a", "b"], 80)})
    y_true = rng.integers(0, 2, 80)
    y_pred = np.where(rng.random(80) < 0.8, y_true, 1 - y_true)
    config = {
        "Metrics": {"accuracy_score": {"threshold": ">=0.1"}},
        "Fairness": {"metric": ["accuracy_score"], "sensitive_features": ["../group"], "threshold": "<=1"},
        "Cohorts": [
            {"name": "../../escape", "cohort_filter_list": [{"method": "greater", "arg": [40], "column": "age"}]},
            {"name": LONG_COHORT, "cohort_filter_list": [{"method": "less", "arg": [40], "column": "age"}]},
            {"name": "..?..?escape", "cohort_filter_list": [{"method": "less", "arg": [30], "column": "age"}]},
        ],
    }
    return compute_scorecard(load_config(config, data=data, task="classification"), data, y_true, y_pred,
                             task="classification", classes=[0, 1])


def test_scorecard_metric_keys_are_valid_and_distinct_for_hostile_names(hostile_scorecard):
    from mlflow.utils.validation import _validate_metric_name

    from explain_lib.report.scorecard._log import scorecard_metrics

    metrics = scorecard_metrics(hostile_scorecard)
    for key in metrics:
        _validate_metric_name(key)  # MLflow's own check
        assert len(key) <= 250
    cohort_keys = [key for key in metrics if key.startswith("scorecard.cohort.") and not key.endswith(".met")]
    assert len(cohort_keys) == 3  # "../../escape" and "..?..?escape" read the same once safe: two keys still


def test_scorecard_with_hostile_names_is_logged_whole(sqlite_store, hostile_scorecard, tmp_path):
    """Invalid metric names used to fail after the PDF and HTML were logged: a run with files and no verdict."""
    import mlflow

    from explain_lib.report.scorecard import log_scorecard
    from explain_lib.report.scorecard._log import PASSED_TAG, scorecard_metrics

    uri, experiment = sqlite_store
    run_id = mlflow.MlflowClient(uri).create_run(experiment).info.run_id
    log_scorecard(hostile_scorecard, run_id=run_id, tracking_uri=uri, output=tmp_path)
    run = mlflow.MlflowClient(uri).get_run(run_id)
    assert run.data.tags[PASSED_TAG] in ("true", "false")
    assert set(run.data.metrics) == set(scorecard_metrics(hostile_scorecard))
    html = (tmp_path / "scorecard.html").read_text(encoding="utf-8")
    assert "../../escape" in html and LONG_COHORT.strip() in html  # the report keeps the original names


def test_metric_keys_helper_keeps_names_apart_and_within_limits():
    from explain_lib._keys import MetricKeys

    keys = MetricKeys(sep="/")
    long_a, long_b = "x" * 300 + "a", "x" * 300 + "b"
    made = [keys.key("p", name) for name in ("..", ".", "", "a/b", "a_b", long_a, long_b, "a:b")]
    assert made[:5] == ["p/_", "p/__2", "p/__3", "p/a_b", "p/a_b_2"]
    assert made[5].startswith("p/xxx") and made[5] != made[6]
    assert len(set(made)) == len(made) and all(len(key) <= 250 for key in made)
    assert keys.key("p", "a/b") == "p/a_b"  # the same name gets the same key again


# ----------------------------------------------------------------------------------- command line, pipeline
@pytest.fixture
def cli_store(sqlite_store, monkeypatch):
    import mlflow

    uri, experiment = sqlite_store
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_ID", experiment)
    mlflow.set_tracking_uri(uri)
    yield uri, experiment
    mlflow.set_tracking_uri(None)


def _runs(uri: str, experiment: str) -> int:
    import mlflow

    return len(mlflow.MlflowClient(uri).search_runs([experiment], max_results=1000))


@pytest.fixture(scope="module")
def table(tmp_path_factory, data):
    X, _, y_cls = data
    path = tmp_path_factory.mktemp("table") / "table.csv"
    X.assign(label=y_cls).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(("argv", "named"), [
    (["--model", "lightgbm", "--params", '{"n_estimatorz": 5}'], "Did you mean 'n_estimators'"),
    (["--model", "random_forest", "--params", '{"max_depht": 3}'], "Did you mean 'max_depth'"),
    (["--model", "logistic_regression", "--params", '{"C": 1, "penalti": "l2"}'], "'penalti'"),
    (["--target", "no_such_column"], "no_such_column"),
])
def test_train_refuses_bad_input_before_creating_a_run(cli_store, table, capsys, argv, named):
    from explain_lib.cli import main

    argv = ["train", "--data", str(table), *(argv if "--target" in argv else ["--target", "label", *argv])]
    before = _runs(*cli_store)
    assert main(argv) == 2
    assert named in capsys.readouterr().err
    assert _runs(*cli_store) == before


def test_show_and_list_escape_terminal_control_characters(cli_store, capsys):
    from explain_lib.cli import main

    client = _client(cli_store)
    hostile = _explanation(features=("\x1b[2J\x1b[31mred", "\u202eevil", "plain"))
    client.upload_model_explanation(hostile, comment="note \x1b]0;title\x07 \u2066x\u2069", plots=False)
    assert main(["show", "--run-id", client.run_id]) == 0
    assert main(["list", "--run-id", client.run_id]) == 0
    out = capsys.readouterr().out
    for raw in ("\x1b", "\x07", "\u202e", "\u2066", "\u2069"):
        assert raw not in out
    assert "\\x1b[2J\\x1b[31mred" in out and "\\u202eevil" in out


def test_show_of_an_unknown_run_is_a_usage_error(cli_store, capsys):
    from explain_lib.cli import main

    assert main(["show", "--run-id", "0" * 32]) == 2
    assert "No MLflow run" in capsys.readouterr().err


def _pipeline(tmp_path: Path, job: str = "step", output: str = "out") -> Path:
    spec = {
        "type": "pipeline",
        "jobs": {job: {"type": "command", "component": {
            "name": "echo", "type": "command", "command": "python -c pass ${{outputs." + output + "}}",
            "outputs": {output: {"type": "uri_folder"}}}}},
    }
    path = tmp_path / "pipeline.yaml"
    path.write_text(json.dumps(spec), encoding="utf-8")
    return path


@pytest.mark.parametrize(("job", "output"), [("../escape", "out"), ("a/b", "out"), ("..", "out"),
                                             ("ok", "../../out"), (".", "out")])
def test_pipeline_job_and_output_names_must_be_folder_names(cli_store, tmp_path, job, output):
    from explain_lib.pipelines import PipelineSpecError, run_pipeline

    before = _runs(*cli_store)
    with pytest.raises(PipelineSpecError, match="cannot name a folder"):
        run_pipeline(_pipeline(tmp_path, job, output))
    assert _runs(*cli_store) == before


SCORECARD_CONFIGS = {
    "unknown_metric": ({"Metrics": {"acuracy_score": {"threshold": ">=0.5"}}}, "acuracy_score"),
    "malformed_threshold": ({"Metrics": {"accuracy_score": {"threshold": "about 0.5"}}}, "about 0.5"),
    "unknown_sensitive_feature": ({"Fairness": {"metric": ["accuracy_score"], "sensitive_features": ["sexx"]}},
                                  "sexx"),
    "cohort_on_unknown_column": ({"Cohorts": [{"name": "c", "cohort_filter_list": [
        {"method": "greater", "arg": [1], "column": "agee"}]}]}, "agee"),
    "cohort_unknown_method": ({"Cohorts": [{"name": "c", "cohort_filter_list": [
        {"method": "bigger", "arg": [1], "column": "age"}]}]}, "bigger"),
    "top_n_zero": ({"FeatureImportance": {"top_n": 0}}, "top_n"),
    "not_a_mapping": (["Metrics"], "mapping"),
}


@pytest.mark.parametrize("case", sorted(SCORECARD_CONFIGS))
def test_scorecard_config_refuses_bad_input(case):
    from explain_lib.report.scorecard import load_config

    config, named = SCORECARD_CONFIGS[case]
    data = pd.DataFrame({"age": [30, 50], "sex": ["f", "m"]})
    with pytest.raises(InvalidParameterError) as raised:  # ScorecardConfigError is one
        load_config(config, data=data, task="classification")
    assert named in str(raised.value)


def test_against_a_tracking_server_refusals_log_nothing_and_long_text_lists_whole(mlflow_server):
    import mlflow

    uri = mlflow_server.wait()
    store = (uri, mlflow.MlflowClient(uri).create_experiment("bad-inputs-server"))
    client = _client(store)
    before = _run_state(uri, client.run_id)
    for case in ("id_path_traversal", "comment_too_long", "true_ys_wrong_length", "reserved_feature_name"):
        call, error, message = UPLOAD_CASES[case]
        with pytest.raises(error, match=message):
            call(client)
    assert _run_state(uri, client.run_id) == before
    comment = "\N{GRINNING FACE}\u202e" * 500
    client.upload_model_explanation(_explanation(), comment=comment, plots=False)
    assert [entry["comment"] for entry in client.list_model_explanations()] == [comment]
