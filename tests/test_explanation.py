"""The Explanation result object, built from hand-made arrays whose answers are known."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from explanation_factories import (
    FEATURES,
    binary,
    frame_with_categories,
    hand_per_class,
    local_values,
    multiclass,
    regression,
)
from numpy.testing import assert_allclose, assert_array_equal

from explain_lib import Explanation, InvalidInputError, InvalidParameterError


# ------------------------------------------------------------------------------------------ aggregation
@pytest.mark.parametrize("n_classes", [2, 3, 4])
def test_per_class_is_mean_abs_local_and_global_is_mean_over_classes(n_classes):
    local = local_values(n_classes, 7, len(FEATURES), seed=n_classes)
    exp = Explanation(local=local, expected=np.zeros(n_classes), features=FEATURES, task="classification",
                      output_space="margin", method="m", classes=tuple(range(n_classes)))
    per_class = hand_per_class(local)
    assert_allclose(exp.per_class, per_class, rtol=1e-12)
    assert_allclose(exp.global_, per_class.sum(axis=0) / n_classes, rtol=1e-12)


def test_regression_has_no_per_class_and_global_is_mean_abs_local():
    exp = regression()
    assert exp.per_class is None
    assert exp.per_class_values is None
    assert_allclose(exp.global_, hand_per_class(exp.local)[0], rtol=1e-12)


def test_given_global_and_per_class_are_kept_rather_than_recomputed():
    local = local_values(2, 4, len(FEATURES))
    global_ = np.arange(5.0)
    per_class = np.arange(10.0).reshape(2, 5)
    exp = Explanation(local=local, expected=None, features=FEATURES, task="classification",
                      output_space="margin", method="m", classes=(0, 1), global_=global_, per_class=per_class)
    assert_array_equal(exp.global_, global_)
    assert_array_equal(exp.per_class, per_class)


# ------------------------------------------------------------------------------------------- accessors
@pytest.mark.parametrize("top_k", [1, 3, 5])
def test_global_importance_is_sorted_highest_first_with_exactly_top_k_entries(top_k):
    exp = multiclass()
    series = exp.global_importance(top_k)
    assert len(series) == top_k
    assert np.all(np.diff(series.to_numpy()) <= 0)
    order = sorted(range(len(FEATURES)), key=lambda j: -exp.global_[j])[:top_k]
    assert list(series.index) == [FEATURES[j] for j in order]
    assert_allclose(series.to_numpy(), [exp.global_[j] for j in order], rtol=0)


def test_global_importance_without_top_k_lists_every_feature():
    exp = regression()
    series = exp.global_importance()
    assert sorted(series.index) == sorted(FEATURES)
    assert_allclose(series[list(FEATURES)].to_numpy(), exp.global_, rtol=0)


def test_global_importance_of_one_class_uses_that_class_per_class_values():
    exp = multiclass()
    series = exp.global_importance(2, cls="c")
    per_c = hand_per_class(exp.local)[2]
    order = np.argsort(-per_c)[:2]
    assert list(series.index) == [FEATURES[j] for j in order]
    assert_allclose(series.to_numpy(), per_c[order], rtol=1e-12)


@pytest.mark.parametrize("bad_top_k", [0, -1, 1.5, True, "3"])
def test_global_importance_rejects_top_k_that_is_not_a_positive_integer(bad_top_k):
    with pytest.raises(InvalidParameterError):
        regression().global_importance(bad_top_k)


def test_local_frame_of_regression_is_rows_by_features():
    exp = regression(n_rows=6)
    frame = exp.local_frame()
    assert frame.shape == (6, len(FEATURES))
    assert list(frame.columns) == list(FEATURES)
    assert_array_equal(frame.to_numpy(), exp.local[0])


def test_local_frame_of_binary_is_the_positive_class_by_default():
    exp = binary(n_rows=4)
    assert exp.local_frame().shape == (4, len(FEATURES))
    assert_array_equal(exp.local_frame().to_numpy(), exp.local[1])
    assert_array_equal(exp.local_frame(cls=0).to_numpy(), exp.local[0])


def test_local_frame_of_multiclass_picks_the_class_by_label():
    exp = multiclass(n_rows=5)
    assert_array_equal(exp.local_frame(cls="b").to_numpy(), exp.local[1])
    assert_array_equal(exp.local_frame(cls="c").to_numpy(), exp.local[2])


def test_local_frame_of_multiclass_needs_a_class():
    with pytest.raises(InvalidParameterError):
        multiclass().local_frame()


def test_local_frame_unknown_class_suggests_the_closest_label():
    exp = multiclass(classes=("setosa", "versicolor", "virginica"))
    with pytest.raises(InvalidParameterError, match="Did you mean 'setosa'"):
        exp.local_frame(cls="setsa")


def test_local_frame_all_classes_has_class_row_multiindex():
    exp = multiclass(n_rows=5)
    frame = exp.local_frame(cls="all")
    assert frame.shape == (3 * 5, len(FEATURES))
    assert isinstance(frame.index, pd.MultiIndex)
    assert list(frame.index.names) == ["class", "row"]
    for k, label in enumerate(exp.classes):
        for row in range(5):
            assert_array_equal(frame.loc[(label, row)].to_numpy(), exp.local[k, row])


@pytest.mark.parametrize("make", [regression, binary, multiclass])
def test_cohort_by_boolean_mask_recomputes_importance_from_the_subset(make):
    n_rows = 8
    data = frame_with_categories(n_rows)
    exp = make(n_rows=n_rows, data=data)
    mask = np.array([True, False, True, True, False, False, True, False])
    sub = exp.cohort(mask)
    subset = exp.local[:, mask]
    assert sub.n_rows == mask.sum()
    assert_array_equal(sub.local, subset)
    per_class = hand_per_class(subset)
    assert_allclose(sub.global_, per_class.mean(axis=0), rtol=1e-12)
    if exp.task == "classification":
        assert_allclose(sub.per_class, per_class, rtol=1e-12)
    else:
        assert sub.per_class is None
    pd.testing.assert_frame_equal(sub.data, data[mask])  # the rows keep their labels
    assert sub.id != exp.id


def test_cohort_by_integer_positions_recomputes_importance_and_takes_those_rows():
    n_rows = 8
    data = frame_with_categories(n_rows)
    exp = multiclass(n_rows=n_rows, data=data)
    positions = [6, 1, 3]
    sub = exp.cohort(positions)
    assert_array_equal(sub.local, exp.local[:, positions])
    per_class = hand_per_class(exp.local[:, positions])
    assert_allclose(sub.per_class, per_class, rtol=1e-12)
    assert_allclose(sub.global_, per_class.mean(axis=0), rtol=1e-12)
    pd.testing.assert_frame_equal(sub.data, data.iloc[positions])


def test_cohort_by_pandas_boolean_series_matches_the_numpy_mask():
    exp = binary(n_rows=5)
    mask = np.array([False, True, True, False, True])
    assert_array_equal(exp.cohort(pd.Series(mask)).local, exp.cohort(mask).local)


@pytest.mark.parametrize("mask", [[True, False], [0, 99], [0.5, 1.5]])
def test_cohort_rejects_masks_that_do_not_fit_the_rows(mask):
    with pytest.raises(InvalidInputError):
        regression(n_rows=6).cohort(mask)


# -------------------------------------------------------------------- interpret-community compatibility
def test_local_importance_values_is_rows_by_features_for_regression():
    exp = regression(n_rows=6)
    assert np.shape(exp.local_importance_values) == (6, len(FEATURES))
    assert_array_equal(np.asarray(exp.local_importance_values), exp.local[0])


@pytest.mark.parametrize("make, n_classes", [(binary, 2), (multiclass, 3)])
def test_local_importance_values_is_classes_by_rows_by_features_for_classification(make, n_classes):
    exp = make(n_rows=6)
    assert np.shape(exp.local_importance_values) == (n_classes, 6, len(FEATURES))
    assert_array_equal(np.asarray(exp.local_importance_values), exp.local)


def test_expected_values_is_a_list_for_regression_and_per_class_for_classification():
    reg = regression()
    assert reg.expected_values == [1.5]  # interpret-community's ExpectedValuesMixin: always a list
    cls = multiclass()
    assert isinstance(cls.expected_values, list)
    assert_allclose(cls.expected_values, np.linspace(0.1, 0.5, 3), rtol=0)


def test_global_and_per_class_values_are_plain_lists_of_the_importances():
    exp = multiclass()
    assert isinstance(exp.global_importance_values, list)
    assert_array_equal(exp.global_importance_values, exp.global_)
    assert np.shape(exp.per_class_values) == (3, len(FEATURES))
    assert_allclose(exp.per_class_values, hand_per_class(exp.local), rtol=1e-12)


def test_feature_importance_dict_holds_the_top_k_global_features():
    exp = multiclass()
    top = exp.get_feature_importance_dict(top_k=2)
    order = np.argsort(-exp.global_)[:2]
    assert list(top) == [FEATURES[j] for j in order]
    assert_allclose(list(top.values()), exp.global_[order], rtol=0)


def test_ranked_global_names_and_values_are_sorted_highest_first():
    exp = binary()
    order = np.argsort(-exp.global_)
    assert exp.get_ranked_global_names() == [FEATURES[j] for j in order]
    assert_allclose(exp.get_ranked_global_values(), exp.global_[order], rtol=0)
    assert exp.get_ranked_global_names(top_k=3) == [FEATURES[j] for j in order[:3]]
    assert_allclose(exp.get_ranked_global_values(top_k=3), exp.global_[order[:3]], rtol=0)


def test_ranked_per_class_names_and_values_are_classes_by_top_k_sorted_per_class():
    exp = multiclass()
    names = exp.get_ranked_per_class_names(top_k=2)
    values = exp.get_ranked_per_class_values(top_k=2)
    assert np.shape(names) == (3, 2)
    assert np.shape(values) == (3, 2)
    per_class = hand_per_class(exp.local)
    for k in range(3):
        expected_values = sorted(per_class[k], reverse=True)[:2]
        assert_allclose(values[k], expected_values, rtol=1e-12)
        ranked = [per_class[k][FEATURES.index(n)] for n in names[k]]
        assert_allclose(ranked, expected_values, rtol=1e-12)


def test_ranked_per_class_needs_classification():
    with pytest.raises(InvalidParameterError):
        regression().get_ranked_per_class_names()


def test_ranked_local_of_regression_is_rows_by_top_k_sorted_by_signed_value():
    exp = regression(n_rows=6)
    names = exp.get_ranked_local_names(top_k=3)
    values = exp.get_ranked_local_values(top_k=3)
    assert np.shape(names) == (6, 3)
    assert np.shape(values) == (6, 3)
    for row in range(6):
        expected_values = sorted(exp.local[0, row], reverse=True)[:3]
        assert_allclose(values[row], expected_values, rtol=0)
        assert [exp.local[0, row, FEATURES.index(n)] for n in names[row]] == expected_values


@pytest.mark.parametrize("make, n_classes", [(binary, 2), (multiclass, 3)])
def test_ranked_local_of_classification_is_classes_by_rows_by_top_k_sorted_by_signed_value(make, n_classes):
    exp = make(n_rows=4)
    names = exp.get_ranked_local_names(top_k=2)
    values = exp.get_ranked_local_values(top_k=2)
    assert np.shape(names) == (n_classes, 4, 2)
    assert np.shape(values) == (n_classes, 4, 2)
    for k in range(n_classes):
        for row in range(4):
            expected_values = sorted(exp.local[k, row], reverse=True)[:2]
            assert_allclose(values[k][row], expected_values, rtol=0)
            assert [exp.local[k, row, FEATURES.index(n)] for n in names[k][row]] == expected_values


def test_ranked_local_without_top_k_lists_every_feature():
    exp = regression(n_rows=3)
    assert np.shape(exp.get_ranked_local_names()) == (3, len(FEATURES))


def test_descriptive_attributes_follow_interpret_community_names():
    exp = multiclass(n_rows=6)
    assert exp.features == FEATURES
    assert exp.classes == ("a", "b", "c")
    assert exp.method == "test.method"
    assert exp.model_task == "classification"
    assert regression().model_task == "regression"
    assert exp.num_features == len(FEATURES)
    assert exp.num_examples == 6
    assert isinstance(exp.id, str) and exp.id
    assert exp.id != multiclass(n_rows=6).id


def test_string_class_labels_are_kept_and_usable():
    exp = binary(classes=("no", "yes"))
    assert exp.classes == ("no", "yes")
    assert_array_equal(exp.local_frame(cls="yes").to_numpy(), exp.local[1])
    assert_allclose(exp.global_importance(cls="no").sort_index().to_numpy(), exp.per_class[0], rtol=0)


def test_numpy_class_labels_become_plain_python():
    exp = binary(classes=np.array([3, 7]))
    assert exp.classes == (3, 7)
    assert all(type(c) is int for c in exp.classes)


def test_regression_rejects_a_class_argument():
    with pytest.raises(InvalidParameterError):
        regression().local_frame(cls=1)


def test_global_only_explanation_refuses_local_accessors_with_a_clear_error():
    exp = Explanation(local=None, expected=None, features=FEATURES, task="regression", output_space="metric",
                      method="permutation", global_=np.arange(5.0))
    assert exp.n_rows is None
    with pytest.raises(InvalidParameterError, match="global only"):
        exp.local_frame()
    with pytest.raises(InvalidParameterError):
        exp.cohort([0])


# -------------------------------------------------------------------------------------------- frozen
@pytest.mark.parametrize("name", ["local", "method", "features", "global_", "id", "classes"])
def test_assigning_a_field_raises_frozen_instance_error(name):
    exp = multiclass()
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(exp, name, getattr(exp, name))


@pytest.mark.parametrize("name", ["local", "expected", "global_", "per_class"])
def test_arrays_are_read_only(name):
    exp = multiclass()
    array = getattr(exp, name)
    assert not array.flags.writeable
    with pytest.raises(ValueError):
        array[(0,) * array.ndim] = 123.0


def test_params_cannot_be_changed_in_place():
    exp = regression(params={"n": 1})
    with pytest.raises(TypeError):
        exp.params["n"] = 2


def test_explanation_does_not_change_when_the_caller_mutates_its_input_arrays():
    local = local_values(1, 4, len(FEATURES))
    expected = np.array([2.0])
    before_local = local.copy()
    exp = Explanation(local=local, expected=expected, features=FEATURES, task="regression",
                      output_space="raw", method="m")
    before_global = exp.global_.copy()
    local[...] = 0.0
    expected[...] = 0.0
    assert_array_equal(exp.local, before_local)
    assert_array_equal(exp.expected, [2.0])
    assert_array_equal(exp.global_, before_global)


# ------------------------------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"local": np.zeros((2, 4, 5))}, id="local-outputs-vs-3-classes"),
        pytest.param({"local": np.zeros((3, 4, 4))}, id="local-features-vs-5-names"),
        pytest.param({"local": np.zeros((4, 5))}, id="local-2d"),
        pytest.param({"expected": np.zeros(2)}, id="expected-vs-3-classes"),
        pytest.param({"classes": ("a", "b")}, id="classes-vs-3-outputs"),
        pytest.param({"features": FEATURES[:4]}, id="features-vs-local"),
        pytest.param({"features": ("f0", "f1", "f1", "f3", "f4")}, id="duplicate-features"),
        pytest.param({"global_": np.zeros(4)}, id="global-length"),
        pytest.param({"per_class": np.zeros((2, 5))}, id="per-class-shape"),
        pytest.param({"classes": None}, id="classification-without-classes"),
        pytest.param({"data": pd.DataFrame(np.zeros((4, 5)), columns=list("abcde"))}, id="data-columns"),
    ],
)
def test_inconsistent_shapes_raise_invalid_input_error(kwargs):
    base = dict(local=np.zeros((3, 4, 5)), expected=np.zeros(3), features=FEATURES, task="classification",
                output_space="probability", method="m", classes=("a", "b", "c"))
    with pytest.raises(InvalidInputError):
        Explanation(**{**base, **kwargs})


def test_explanation_without_local_or_global_values_is_rejected():
    with pytest.raises(InvalidInputError):
        Explanation(local=None, expected=None, features=FEATURES, task="regression", output_space="raw",
                    method="m")


@pytest.mark.parametrize("kwargs", [{"task": "ranking"}, {"output_space": "logits"}])
def test_unknown_task_or_output_space_is_rejected(kwargs):
    base = dict(local=np.zeros((1, 2, 5)), expected=None, features=FEATURES, task="regression",
                output_space="raw", method="m")
    with pytest.raises(InvalidParameterError):
        Explanation(**{**base, **kwargs})


def test_versions_name_each_loaded_package_and_are_looked_up_once_per_process():
    import importlib.metadata
    import sys

    from explain_lib.explanation import _installed_version, _library_versions

    exp = Explanation(local=local_values(2, 3, len(FEATURES), seed=0), expected=np.zeros(2), features=FEATURES,
                      task="classification", output_space="margin", method="m", classes=(0, 1))
    assert exp.versions["numpy"] == importlib.metadata.version("numpy") == np.__version__
    assert exp.versions["explain-lib"] == importlib.metadata.version("explain-lib")
    assert ("scikit-learn" in exp.versions) == ("sklearn" in sys.modules)
    lookups = _installed_version.cache_info().misses
    assert _library_versions() == dict(exp.versions)
    assert _installed_version.cache_info().misses == lookups  # no second read of the package metadata


def test_an_explanation_pickles_and_deep_copies_to_an_equal_frozen_one():
    import copy
    import pickle

    original = multiclass(n_rows=5, data=frame_with_categories(5), fidelity={"r2": 0.9},
                          params={"sampling": {"n": 5}})
    for twin in (pickle.loads(pickle.dumps(original)), copy.deepcopy(original)):
        for field in dataclasses.fields(Explanation):
            mine, theirs = getattr(original, field.name), getattr(twin, field.name)
            if isinstance(mine, np.ndarray):
                assert_array_equal(theirs, mine)
                assert not theirs.flags.writeable  # frozen again
            elif isinstance(mine, pd.DataFrame):
                pd.testing.assert_frame_equal(theirs, mine)
            else:
                assert theirs == mine, field.name
        with pytest.raises(TypeError):
            twin.params["sampling"] = None  # the mappings stay read-only
        with pytest.raises(dataclasses.FrozenInstanceError):
            twin.method = "other"
        assert twin.data(key=-1)["overall"] == original.data(key=-1)["overall"]
