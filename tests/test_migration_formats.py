"""interpret-community's explanation API and saved folder format, on our Explanation.

Accessors are checked against hand-computed answers on small explanations; the saved format against
its documented layout (interpret-community's serialization: one ``<property>.json`` per property,
``{"metadata": tag, "data": value}``, and ``explanation_metadata.json``), with fixtures written by
our own writer.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from explain_lib import Explanation, InvalidInputError, LinearShap
from explain_lib.compat import load_explanation, save_explanation
from explain_lib.errors import SchemaVersionError

FEATURES = ("a", "b", "c")


def regression() -> Explanation:
    local = np.array([[[3.0, -1.0, 0.5], [0.0, 2.0, -4.0]]])
    return Explanation(local=local, expected=[10.0], features=FEATURES, task="regression", output_space="raw",
                       method="shap.linear", data=pd.DataFrame([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], columns=FEATURES),
                       model_uri="models:/churn/3")


def binary() -> Explanation:
    positive = np.array([[0.2, -0.1, 0.05], [-0.3, 0.1, 0.0]])
    return Explanation(local=np.stack([-positive, positive]), expected=[0.6, 0.4], features=FEATURES,
                       task="classification", output_space="probability", method="shap.kernel",
                       classes=("stay", "leave"))


def pfi() -> Explanation:
    repeats = np.array([[0.3, 0.5], [0.0, 0.2], [0.1, 0.1]])
    return Explanation(local=None, expected=None, features=FEATURES, task="regression", output_space="metric",
                       method="pfi", global_=repeats.mean(axis=1), global_std=repeats.std(axis=1),
                       global_repeats=repeats, params={"metric": "mean_absolute_error"})


# ---------------------------------------------------------------------------------------------- accessors
def test_ranks_are_feature_positions_highest_first():
    exp = regression()
    # global = mean |local| = [1.5, 1.5, 2.25]: c first, then the tie a = b as interpret-community ranks it
    # (numpy's ascending argsort reversed: the later feature first); our own global_importance keeps feature order
    assert exp.global_importance_rank == [2, 1, 0]
    assert exp.get_ranked_global_names() == ["c", "b", "a"]
    assert list(exp.global_importance().index) == ["c", "a", "b"]
    assert exp.get_local_importance_rank() == [[0, 2, 1], [1, 0, 2]]
    classified = binary()
    assert classified.get_local_importance_rank() == [[[1, 2, 0], [0, 2, 1]], [[0, 2, 1], [1, 2, 0]]]
    assert classified.per_class_rank == [[0, 1, 2], [0, 1, 2]]
    assert classified.num_classes == 2 and exp.num_classes is None
    assert exp.num_features == 3 and exp.num_examples == 2


def test_expected_values_model_id_and_recovered_predictions():
    exp = regression()
    assert exp.expected_values == [10.0]
    assert exp.model_id == "churn:3"
    assert exp.eval_y_predicted == [12.5, 8.0]  # local sums + expected (additivity)
    assert exp.eval_data == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    classified = binary()
    assert_allclose(classified.eval_y_predicted_proba, [[0.45, 0.55], [0.8, 0.2]])
    assert classified.eval_y_predicted == ["leave", "stay"]
    assert classified.is_local_sparse is False


def test_raw_feature_importances_sum_engineered_columns_with_the_feature_maps():
    # raw r0 <- engineered a, b; raw r1 <- engineered c; given as two chained maps
    first = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    exp = regression()
    assert_allclose(exp.get_raw_feature_importances([first]), [3.0, 2.25])  # global [1.5, 1.5, 2.25] summed
    local_only = dataclasses.replace(exp, params={"scope": "local"})  # as explain_local() marks it
    assert_allclose(local_only.get_raw_feature_importances([first]), [[2.0, 0.5], [2.0, -4.0]])
    raw = exp.get_raw_explanation([first], raw_feature_names=["r0", "r1"])
    assert raw.features == ("r0", "r1") and raw.is_raw
    assert_allclose(raw.local_importance_values, [[2.0, 0.5], [2.0, -4.0]])
    rows = pd.DataFrame({"r0": ["u", "v"], "r1": [1.5, 2.5]})
    with_rows = exp.get_raw_explanation([first], eval_data=rows)  # the raw rows name the raw features
    assert with_rows.features == ("r0", "r1")
    pd.testing.assert_frame_equal(with_rows.data, rows)


def test_explain_local_marks_its_scope_and_a_1d_row():
    from sklearn.linear_model import LinearRegression

    X = np.array([[0.0, 0.0, 0.0], [2.0, 2.0, 2.0], [1.0, 0.0, 1.0], [0.0, 1.0, 3.0]])
    model = LinearRegression().fit(X, X @ np.array([1.0, 0.5, 0.25]))
    single = LinearShap(model, X, features=FEATURES).explain_local(X[1])
    assert single.params["scope"] == "local" and single.single_row
    assert_allclose(single.local_importance_values, (X[1] - X.mean(axis=0)) * [1.0, 0.5, 0.25], atol=1e-12)


# --------------------------------------------------------------------------------- exact float64 round trip
@pytest.mark.parametrize("make", [regression, binary, pfi])
def test_a_float64_save_round_trips_metadata_and_values_exactly(tmp_path, make):
    rng = np.random.default_rng(3)
    original = make()
    if original.local is not None:  # values no float32 can hold
        noisy = original.local * (1 + rng.normal(size=original.local.shape) * 1e-12)
        if original.task == "classification":
            noisy = np.stack([-noisy[1], noisy[1]])
        original = Explanation(**{**_fields(original), "local": noisy, "global_": None, "per_class": None})
    original.save(tmp_path / "e", dtype="float64")
    loaded = Explanation.load(tmp_path / "e")
    for name, value in _fields(original).items():
        other = getattr(loaded, name)
        if isinstance(value, np.ndarray):
            assert_array_equal(other, value, err_msg=name)
            assert other.dtype == np.float64
        elif isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(other, value)
        else:
            assert other == value, name


def _fields(explanation: Explanation) -> dict:
    return {f.name: getattr(explanation, f.name) for f in dataclasses.fields(explanation)}


def test_per_repeat_spread_is_saved_and_sliced_with_top_k(tmp_path):
    pfi().save(tmp_path / "p")
    top = Explanation.load(tmp_path / "p", top_k=2)
    assert top.features == ("a", "b")
    assert_allclose(top.global_std, [0.1, 0.1])
    assert_allclose(top.global_repeats, [[0.3, 0.5], [0.0, 0.2]])


def test_single_row_explanation_keeps_its_row_view_after_saving(tmp_path):
    single = Explanation(local=np.array([[[1.0, 2.0, 3.0]]]), expected=[0.0], features=FEATURES, task="regression",
                         output_space="raw", method="shap.linear", single_row=True)
    single.save(tmp_path / "s")
    assert Explanation.load(tmp_path / "s").local_importance_values == [1.0, 2.0, 3.0]


# -------------------------------------------------------------------------- interpret-community's folder format
DOCUMENTED_METADATA = {"explanation_id", "model_type", "data_type", "model_task", "method", "model_class", "is_raw",
                       "is_engineered", "global", "local", "num_classes", "num_examples", "num_features",
                       "is_local_sparse", "serialization_version"}


def test_our_writer_follows_the_documented_layout(tmp_path):
    save_explanation(binary(), tmp_path / "ic")
    files = {p.name for p in (tmp_path / "ic").iterdir()}
    assert files == {"explanation_metadata.json", "features.json", "local_importance_values.json",
                     "expected_values.json", "classes.json", "global_importance_rank.json",
                     "global_importance_values.json", "per_class_rank.json", "per_class_values.json",
                     "eval_y_predicted.json", "eval_y_predicted_proba.json"}
    metadata = json.loads((tmp_path / "ic" / "explanation_metadata.json").read_text())
    assert DOCUMENTED_METADATA <= set(metadata) and set(metadata) - DOCUMENTED_METADATA == {"output_space"}
    assert (metadata["model_type"], metadata["num_classes"], metadata["num_examples"]) == ("classification", 2, 2)
    assert metadata["serialization_version"] == 1 and metadata["local"] and metadata["global"]
    for name in files - {"explanation_metadata.json"}:
        saved = json.loads((tmp_path / "ic" / name).read_text())
        assert set(saved) == {"metadata", "data"} and saved["metadata"] in ("ndarray", "list", "DataFrame")
    local = json.loads((tmp_path / "ic" / "local_importance_values.json").read_text())["data"]
    assert np.shape(local) == (2, 2, 3)  # classes x rows x features
    with pytest.raises(InvalidInputError, match="exist_ok"):
        save_explanation(binary(), tmp_path / "ic")
    save_explanation(binary(), tmp_path / "ic", exist_ok=True)


@pytest.mark.parametrize("make", [regression, binary, pfi])
def test_the_folder_format_reads_back_what_was_written(tmp_path, make):
    original = make()
    save_explanation(original, tmp_path / "ic")
    loaded = load_explanation(tmp_path / "ic")
    assert (loaded.id, loaded.features, loaded.task, loaded.classes, loaded.method, loaded.output_space) == (
        original.id, original.features, original.task, original.classes, original.method, original.output_space)
    assert_array_equal(loaded.global_, original.global_)
    if original.local is not None:
        assert_array_equal(loaded.local, original.local)
        assert_array_equal(loaded.expected, original.expected)
    if original.data is not None:
        pd.testing.assert_frame_equal(loaded.data, original.data)


def test_a_folder_without_our_output_space_key_and_with_sparse_local_values(tmp_path):
    """As interpret-community writes it: no output_space; sparse local values as [data, indices, indptr, shape]."""
    original = binary()
    save_explanation(original, tmp_path / "ic")
    meta_path = tmp_path / "ic" / "explanation_metadata.json"
    metadata = json.loads(meta_path.read_text())
    del metadata["output_space"]
    metadata["is_local_sparse"] = True
    meta_path.write_text(json.dumps(metadata))
    per_class = []
    for k in range(2):
        matrix = sp.csr_matrix(original.local[k])
        per_class.append([matrix.data.tolist(), matrix.indices.tolist(), matrix.indptr.tolist(), list(matrix.shape)])
    (tmp_path / "ic" / "local_importance_values.json").write_text(json.dumps({"metadata": "sparse", "data": per_class}))
    loaded = load_explanation(tmp_path / "ic")
    assert_array_equal(loaded.local, original.local)
    assert loaded.output_space == "probability"  # the saved probabilities match the values' sums
    assert loaded.params["output_space_inferred"] is True


def test_folders_that_are_not_the_format_get_our_errors(tmp_path):
    with pytest.raises(InvalidInputError, match="explanation_metadata.json is missing"):
        load_explanation(tmp_path)
    (tmp_path / "explanation_metadata.json").write_text(json.dumps({"method": "x"}))
    with pytest.raises(SchemaVersionError, match="serialization_version"):
        load_explanation(tmp_path)
