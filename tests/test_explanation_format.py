"""Explanation.save / load: the versioned on-disk format, round trips and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from explanation_factories import (
    FEATURES,
    binary,
    frame_with_categories,
    local_values,
    multiclass,
    regression,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import LinearRegression

from explain_lib import Explanation, InvalidInputError, LinearShap, SchemaVersionError
from explain_lib.errors import CorruptExplanationError, ExplainLibError


# ------------------------------------------------------------------------------------------ save / load
def read_json(directory) -> dict:
    return json.loads((directory / "explanation.json").read_text())


def assert_same_metadata(loaded: Explanation, exp: Explanation) -> None:
    assert loaded.id == exp.id
    assert loaded.method == exp.method
    assert loaded.task == exp.task
    assert loaded.output_space == exp.output_space
    assert loaded.features == exp.features
    assert loaded.classes == exp.classes
    if exp.classes is not None:
        assert [type(c) for c in loaded.classes] == [type(c) for c in exp.classes]
    assert dict(loaded.params) == dict(exp.params)
    assert dict(loaded.versions) == dict(exp.versions)
    assert loaded.is_raw == exp.is_raw
    assert loaded.is_engineered == exp.is_engineered
    for name in ("expected", "global_", "per_class"):
        if getattr(exp, name) is None:
            assert getattr(loaded, name) is None
        else:
            assert_array_equal(getattr(loaded, name), getattr(exp, name))


PARAMS = {"n_background": 10, "estimator": "exact", "ratio": 0.1, "nested": {"seeds": [1, 2]}, "none": None}

CASES = {
    "regression": lambda: regression(params=PARAMS, is_raw=True),
    "binary-int": lambda: binary(classes=(0, 1), params=PARAMS, is_engineered=True),
    "binary-str": lambda: binary(classes=("<=50K", ">50K"), params=PARAMS),
    "multiclass-str": lambda: multiclass(classes=("a", "b", "c"), params=PARAMS),
    "multiclass-int": lambda: multiclass(classes=(2, 5, 9, 11), params=PARAMS),
}


@pytest.mark.parametrize("case", list(CASES))
def test_save_load_keeps_metadata_exactly_and_local_within_float32(tmp_path, case):
    exp = CASES[case]()
    exp.save(tmp_path)
    loaded = Explanation.load(tmp_path)
    assert_same_metadata(loaded, exp)
    assert loaded.local.shape == exp.local.shape
    assert_allclose(loaded.local, exp.local, rtol=1e-6, atol=0)
    assert read_json(tmp_path)["local"]["dtype"] == "float32"


@pytest.mark.parametrize("case", list(CASES))
def test_save_load_with_float64_keeps_local_exactly(tmp_path, case):
    exp = CASES[case]()
    exp.save(tmp_path, dtype="float64")
    loaded = Explanation.load(tmp_path)
    assert_same_metadata(loaded, exp)
    assert_array_equal(loaded.local, exp.local)


def test_symmetric_binary_is_stored_once_and_restored_negated(tmp_path):
    exp = binary(n_rows=5)
    exp.save(tmp_path, dtype="float64")
    meta = read_json(tmp_path)
    assert meta["local"]["binary_symmetric"] is True
    stored = pd.read_parquet(tmp_path / "local.parquet")
    assert len(stored) == 5  # one class's rows only
    loaded = Explanation.load(tmp_path)
    assert_array_equal(loaded.local[1], exp.local[1])
    assert_array_equal(loaded.local[0], -exp.local[1])


def test_asymmetric_binary_stores_both_classes(tmp_path):
    local = local_values(2, 5, len(FEATURES))
    exp = Explanation(local=local, expected=np.array([0.4, 0.6]), features=FEATURES, task="classification",
                      output_space="probability", method="m", classes=(0, 1))
    exp.save(tmp_path, dtype="float64")
    assert read_json(tmp_path)["local"]["binary_symmetric"] is False
    assert_array_equal(Explanation.load(tmp_path).local, local)


@pytest.mark.parametrize("n_outputs", [1, 2, 3])
def test_mostly_zero_local_values_are_stored_as_coo_and_round_trip(tmp_path, n_outputs):
    rng = np.random.default_rng(3)
    local = np.zeros((n_outputs, 20, len(FEATURES)))
    positions = rng.choice(local.size, size=local.size // 10, replace=False)
    local.flat[positions] = rng.normal(size=positions.size)
    task = "regression" if n_outputs == 1 else "classification"
    classes = None if n_outputs == 1 else tuple(f"class{k}" for k in range(n_outputs))
    exp = Explanation(local=local, expected=np.zeros(n_outputs), features=FEATURES, task=task,
                      output_space="margin", method="m", classes=classes)
    exp.save(tmp_path)
    assert read_json(tmp_path)["local"]["layout"] == "coo"
    loaded = Explanation.load(tmp_path)
    assert_same_metadata(loaded, exp)
    assert_allclose(loaded.local, local, rtol=1e-6, atol=0)
    assert_array_equal(loaded.local == 0, local == 0)


def test_dense_local_values_are_stored_dense(tmp_path):
    multiclass().save(tmp_path)
    assert read_json(tmp_path)["local"]["layout"] == "dense"


def test_data_with_category_and_float_columns_round_trips(tmp_path):
    data = frame_with_categories(6)
    exp = regression(n_rows=6, data=data)
    exp.save(tmp_path)
    loaded = Explanation.load(tmp_path)
    assert isinstance(loaded.data[FEATURES[0]].dtype, pd.CategoricalDtype)
    pd.testing.assert_frame_equal(loaded.data, data)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "coo"])
def test_float_value_columns_are_plain_encoded_and_smaller_than_with_a_dictionary(tmp_path, sparse):
    import pyarrow.parquet as pq

    local = local_values(1, 3000, len(FEATURES), seed=4).astype(np.float32)
    if sparse:
        local[np.random.default_rng(5).random(local.shape) < 0.9] = 0
    exp = Explanation(local=local, expected=np.array([1.5]), features=FEATURES, task="regression", output_space="raw",
                      method="test.method", data=pd.DataFrame(local_values(1, 3000, len(FEATURES), seed=6)[0],
                                                              columns=FEATURES))
    exp.save(tmp_path / "saved")
    assert read_json(tmp_path / "saved")["local"]["layout"] == ("coo" if sparse else "dense")
    for name in ("local.parquet", "data.parquet"):
        path = tmp_path / "saved" / name
        metadata = pq.ParquetFile(path).metadata
        for j in range(metadata.num_columns):
            column = metadata.row_group(0).column(j)
            dictionary = any("DICTIONARY" in encoding for encoding in column.encodings)
            assert dictionary == (column.physical_type not in ("FLOAT", "DOUBLE")), (name, column.path_in_schema)
        table = pq.read_table(path)
        pq.write_table(table, tmp_path / "dictionary.parquet", compression="zstd")  # pyarrow's default encoding
        assert path.stat().st_size < (tmp_path / "dictionary.parquet").stat().st_size
    assert_allclose(Explanation.load(tmp_path / "saved").local, local, rtol=0, atol=0)


def test_global_only_explanation_round_trips(tmp_path):
    exp = Explanation(local=None, expected=None, features=FEATURES, task="regression", output_space="metric",
                      method="permutation", global_=np.array([0.5, 0.1, 0.0, 2.0, 1e-300]))
    exp.save(tmp_path)
    loaded = Explanation.load(tmp_path)
    assert loaded.local is None
    assert_same_metadata(loaded, exp)


@pytest.mark.parametrize("layout", ["dense", "coo"])
def test_load_top_k_reads_exactly_the_highest_global_features(tmp_path, layout):
    n_rows = 20
    local = local_values(3, n_rows, len(FEATURES), seed=5)
    if layout == "coo":
        local = np.where(np.random.default_rng(6).random(local.shape) < 0.15, local, 0.0)
    data = frame_with_categories(n_rows)
    exp = Explanation(local=local, expected=np.zeros(3), features=FEATURES, task="classification",
                      output_space="margin", method="m", classes=(0, 1, 2), data=data)
    exp.save(tmp_path)
    assert read_json(tmp_path)["local"]["layout"] == layout
    loaded = Explanation.load(tmp_path, top_k=3)
    top = np.argsort(-exp.global_)[:3]
    top_names = [FEATURES[j] for j in top]
    assert list(loaded.features) == top_names
    assert_array_equal(loaded.global_, exp.global_[top])
    assert list(loaded.global_importance().index) == top_names
    assert_array_equal(loaded.per_class, exp.per_class[:, top])
    assert_allclose(loaded.local, local[:, :, top], rtol=1e-6, atol=0)
    pd.testing.assert_frame_equal(loaded.data, data[top_names])


@st.composite
def explanations(draw):
    n_outputs = draw(st.sampled_from([1, 2, 3]))
    n_rows = draw(st.integers(1, 20))
    n_features = draw(st.integers(1, 8))
    sparse = draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    local = rng.normal(size=(n_outputs, n_rows, n_features)) * 10.0 ** rng.integers(-3, 4)
    if sparse:
        local = np.where(rng.random(local.shape) < 0.1, local, 0.0)
    if n_outputs == 2 and draw(st.booleans()):
        local[0] = -local[1]
    features = tuple(f"feature {j}" for j in range(n_features))
    if n_outputs == 1:
        task, classes = "regression", None
    else:
        task = "classification"
        classes = draw(st.sampled_from([tuple(range(n_outputs)), tuple(f"c{k}" for k in range(n_outputs))]))
    return Explanation(local=local, expected=rng.normal(size=n_outputs), features=features, task=task,
                       output_space="margin", method="prop", classes=classes, params={"seed": seed})


@settings(max_examples=30, deadline=None)
@given(exp=explanations(), dtype=st.sampled_from(["float32", "float64"]))
def test_save_load_round_trip_property(tmp_path_factory, exp, dtype):
    directory = tmp_path_factory.mktemp("roundtrip")
    exp.save(directory, dtype=dtype)
    loaded = Explanation.load(directory)
    assert_same_metadata(loaded, exp)
    assert loaded.local.shape == exp.local.shape
    if dtype == "float64":
        assert_array_equal(loaded.local, exp.local)
    else:
        assert_allclose(loaded.local, exp.local, rtol=1e-6, atol=0)


# -------------------------------------------------------------------------------------- loading errors
def test_newer_schema_version_raises_schema_version_error_suggesting_upgrade(tmp_path):
    regression().save(tmp_path)
    meta = read_json(tmp_path)
    meta["schema_version"] = 99
    (tmp_path / "explanation.json").write_text(json.dumps(meta))
    with pytest.raises(SchemaVersionError, match="(?i)upgrade") as info:
        Explanation.load(tmp_path)
    assert "99" in str(info.value)
    assert isinstance(info.value, ExplainLibError)


def test_a_schema_version_written_as_text_names_the_field_and_what_it_should_be(tmp_path):
    regression().save(tmp_path)
    meta = read_json(tmp_path)
    meta["schema_version"] = "1"
    (tmp_path / "explanation.json").write_text(json.dumps(meta))
    with pytest.raises(SchemaVersionError, match=r"'schema_version' '1' \(str\).*whole number, 1") as info:
        Explanation.load(tmp_path)
    assert "format" not in str(info.value).split("schema_version")[0]


def test_local_values_shorter_than_the_metadata_says_name_both_sizes(tmp_path):
    import pyarrow.parquet as pq

    regression().save(tmp_path)
    table = pq.read_table(tmp_path / "local.parquet")
    pq.write_table(table.slice(0, table.num_rows - 1), tmp_path / "local.parquet")
    with pytest.raises(CorruptExplanationError, match=rf"holds {table.num_rows - 1} rows .* says {table.num_rows}") \
            as info:
        Explanation.load(tmp_path)
    assert "broadcast" not in str(info.value)


def test_json_of_another_format_raises_schema_version_error(tmp_path):
    (tmp_path / "explanation.json").write_text(json.dumps({"hello": "world"}))
    with pytest.raises(SchemaVersionError):
        Explanation.load(tmp_path)


def test_directory_without_explanation_json_raises_invalid_input_error(tmp_path):
    with pytest.raises(InvalidInputError, match="explanation.json"):
        Explanation.load(tmp_path)


def test_missing_directory_raises_invalid_input_error(tmp_path):
    with pytest.raises(InvalidInputError):
        Explanation.load(tmp_path / "does-not-exist")


@pytest.mark.parametrize("dtype", ["float16", "int64", "not-a-dtype"])
def test_save_with_invalid_dtype_raises_invalid_input_error_and_writes_nothing(tmp_path, dtype):
    target = tmp_path / "out"
    with pytest.raises(InvalidInputError):
        regression().save(target, dtype=dtype)
    assert not (target / "explanation.json").exists()


def test_extra_metadata_blocks_are_written_beside_the_format_and_ignored_on_load(tmp_path):
    explanation = regression()
    explanation.save(tmp_path / "e", extra={"upload": {"comment": "v1"}})
    meta = json.loads((tmp_path / "e" / "explanation.json").read_text())
    assert meta["upload"] == {"comment": "v1"}
    loaded = Explanation.load(tmp_path / "e")
    assert loaded.id == explanation.id
    assert_array_equal(loaded.global_, explanation.global_)
    with pytest.raises(InvalidInputError, match="features"):
        explanation.save(tmp_path / "clash", extra={"features": []})
    assert not (tmp_path / "clash").exists()  # refused before anything was written


# ------------------------------------------------------------------------------------ Explanation.load
@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A linear model's explanation of 5 rows of features f0-f2, with its data, saved."""
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(60, 3)), columns=["f0", "f1", "f2"])
    model = LinearRegression().fit(X, 3.0 * X.f0 - 2.0 * X.f1 + 0.5 * X.f2)
    folder = tmp_path_factory.mktemp("saved") / "explanation"
    LinearShap(model, X).explain(X.iloc[:5]).save(folder)
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
