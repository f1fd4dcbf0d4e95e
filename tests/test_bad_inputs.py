"""Bad input at every public door: each case gets our error type, a message naming the problem, and
(where there is a run) leaves the run without a new artifact, metric or tag.

Silently-wrong inputs (reordered columns whose names look generated, overflowing values) have their
own tests with known answers: the explanation must equal the one of the correctly ordered rows, or
be refused.
"""

from __future__ import annotations

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
)
from explain_lib.explainers import KernelShap, LinearShap, MimicExplainer, PFIExplainer, TabularExplainer, TreeShap


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
