"""Folders written by the real interpret-community 0.32 (tests/data/interpret_community, made by
scripts/interpret_community_interop.py), read by ``explain_lib.compat.load_explanation``.

Each kind is checked against the files themselves: every value we read equals the value it wrote, the
SHAP values add up to the model's own outputs (saved beside each folder), and saving what we read gives
back every file it wrote with the same bytes (the metadata file: every key it wrote, with its value).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from explain_lib.compat import load_explanation, save_explanation

FIXTURES = Path(__file__).parent / "data" / "interpret_community"
KINDS = sorted(path.name for path in FIXTURES.iterdir() if path.is_dir())
SHAP_KINDS = [kind for kind in KINDS if kind.startswith(("tree", "kernel", "linear", "local"))]


def _saved(kind: str, name: str):
    path = FIXTURES / kind / f"{name}.json"
    return json.loads(path.read_text())["data"] if path.is_file() else None


def _metadata(folder: Path) -> dict:
    return json.loads((folder / "explanation_metadata.json").read_text())


def test_every_kind_interpret_community_writes_is_here():
    assert set(KINDS) == {"global_only", "kernel_multiclass", "linear_binary", "linear_binary_sparse",
                          "linear_regression", "local_only", "mimic_global_only", "mimic_multiclass", "pfi",
                          "tree_binary", "tree_regression"}


@pytest.mark.parametrize("kind", KINDS)
def test_what_we_read_is_what_it_wrote(kind):
    explanation = load_explanation(FIXTURES / kind)
    metadata = _metadata(FIXTURES / kind)
    assert explanation.id == metadata["explanation_id"]
    assert explanation.task == metadata["model_type"]
    assert [str(f) for f in _saved(kind, "features")] == list(explanation.features)
    assert explanation.method.replace(".", "_") == metadata["method"].replace(".", "_")
    if _saved(kind, "classes") is not None:
        assert list(explanation.classes) == _saved(kind, "classes")
    local = _saved(kind, "local_importance_values")
    if local is not None:
        ours = np.asarray(explanation.local_importance_values)
        assert_array_equal(ours, local)
        assert explanation.get_local_importance_rank() == np.argsort(local)[..., ::-1].tolist()
    expected = _saved(kind, "expected_values")
    if expected is not None:
        assert explanation.expected_values == expected
        if len(expected) == 1 and explanation.task == "classification":  # a binary linear model's log-odds
            assert explanation.expected.tolist() == [-expected[0], expected[0]]
    for name in ("global_importance_values", "global_importance_rank", "per_class_values", "per_class_rank",
                 "eval_y_predicted", "eval_y_predicted_proba"):
        if _saved(kind, name) is not None:
            assert getattr(explanation, name) == _saved(kind, name), name
    if _saved(kind, "init_data") is not None:
        assert explanation.init_data == _saved(kind, "init_data")
    eval_data = _saved(kind, "eval_data")
    if eval_data is not None and json.loads((FIXTURES / kind / "eval_data.json").read_text())["metadata"] != "sparse":
        assert_array_equal(explanation.eval_data, eval_data)


@pytest.mark.parametrize("kind", SHAP_KINDS)
def test_shap_values_add_up_to_the_models_own_output(kind):
    explanation = load_explanation(FIXTURES / kind)
    outputs = json.loads((FIXTURES / f"{kind}.outputs.json").read_text())
    sums = explanation.local.sum(axis=-1) + explanation.expected[:, None]
    if explanation.task == "regression":
        model = np.asarray(outputs["predict"])[None]
    elif explanation.output_space == "probability":
        model = np.asarray(outputs["predict_proba"]).T
    else:  # log-odds: a binary model's decision function is the positive class's
        margin = np.asarray(outputs["decision_function"])
        model = np.stack([-margin, margin])
    assert_allclose(sums, model, rtol=0, atol=1e-9)


def test_a_binary_linear_explanation_reads_in_log_odds():
    for kind in ("linear_binary", "linear_binary_sparse"):
        explanation = load_explanation(FIXTURES / kind)
        assert explanation.output_space == "margin" and explanation.classes == (0, 1)
        assert explanation.expected[0] == -explanation.expected[1]


@pytest.mark.parametrize("kind", KINDS)
def test_saving_what_we_read_gives_back_every_file(tmp_path, kind):
    save_explanation(load_explanation(FIXTURES / kind), tmp_path / kind)
    written = {path.name for path in (FIXTURES / kind).iterdir()}
    for name in written - {"explanation_metadata.json"}:
        assert (tmp_path / kind / name).read_bytes() == (FIXTURES / kind / name).read_bytes(), name
    theirs, ours = _metadata(FIXTURES / kind), _metadata(tmp_path / kind)
    assert {key: ours[key] for key in theirs} == theirs
    assert set(ours) - set(theirs) == {"output_space"}


def test_a_folder_read_saved_and_read_again_is_the_same_explanation(tmp_path):
    first = load_explanation(FIXTURES / "kernel_multiclass")
    save_explanation(first, tmp_path / "again")
    second = load_explanation(tmp_path / "again")
    assert (second.method, second.output_space, second.classes) == ("shap.kernel", "probability", first.classes)
    assert_array_equal(second.local, first.local)
    assert second.eval_y_predicted == first.eval_y_predicted and second.init_data == first.init_data
