"""MimicExplainer's reset_index: a DataFrame's index as a feature ("reset"), as the model's alone
("reset_teacher") or dropped ("ignore"); datetime features as one number each."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from explain_lib import InvalidInputError, InvalidParameterError, MimicExplainer

LIGHT = {"n_estimators": 40}
START = pd.Timestamp("2024-01-01")


def _days(index):
    return np.asarray((index - START) / pd.Timedelta(days=1), dtype=np.float64)


class Teacher:
    """A regressor of ``weight_a * a + weight_day * days since START of the 'day' index level``; it
    records the index of every call and refuses rows whose index it cannot read."""

    def __init__(self, weight_a=0.0, weight_day=1.0):
        self.weight_a, self.weight_day, self.indexes = weight_a, weight_day, []

    def predict(self, X):
        self.indexes.append(X.index)
        days = _days(X.index.get_level_values("day")) if "day" in X.index.names else np.zeros(len(X))
        return self.weight_a * X["a"].to_numpy() + self.weight_day * days


def _rows(n=200, seed=0):
    rng = np.random.default_rng(seed)
    index = pd.date_range(START, periods=n, freq="D", name="day")
    return pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)}, index=index)


def _importance(explanation):
    return dict(zip(explanation.features, explanation.global_importance_values, strict=True))


def test_reset_makes_each_index_level_a_feature_after_the_columns():
    X = _rows()
    explainer = MimicExplainer(Teacher(), X, "lightgbm", explainable_model_args=LIGHT, reset_index="reset")
    explanation = explainer.explain_global(X)
    assert explanation.features == ("a", "b", "day")
    importance = _importance(explanation)
    assert importance["day"] > 10  # the days span 0..199
    assert importance["a"] < 0.01 * importance["day"] and importance["b"] < 0.01 * importance["day"]
    assert explainer.fidelity["r2"] > 0.95
    assert explainer.explain_global().features == ("a", "b", "day")  # the surrogate's own importances too
    assert list(explanation.data.columns) == ["a", "b", "day"]


def test_a_column_the_model_ignores_gets_no_importance():
    X = _rows()
    explainer = MimicExplainer(Teacher(weight_a=20.0, weight_day=0.5), X, "lightgbm", explainable_model_args=LIGHT,
                               reset_index="reset")
    importance = _importance(explainer.explain_global(X))
    assert importance["a"] > 1 and importance["day"] > 1
    assert importance["b"] < 0.02 * min(importance["a"], importance["day"])


@pytest.mark.parametrize("mode", ["reset", "reset_teacher", True])
def test_the_model_gets_the_rows_with_their_index(mode):
    X = _rows()
    teacher = Teacher()
    explainer = MimicExplainer(teacher, X, "lightgbm", explainable_model_args=LIGHT, reset_index=mode,
                               shap_values_output="teacher_probability")
    explanation = explainer.explain(X.iloc[:20])  # teacher_probability: the values add up to the model's output
    assert all(isinstance(index, pd.DatetimeIndex) and index.name == "day" for index in teacher.indexes)
    assert_allclose(explanation.local[0].sum(axis=1) + explanation.expected[0], _days(X.index[:20]), atol=1e-6)


def test_reset_teacher_hides_the_index_from_the_surrogate():
    X = _rows()
    explainer = MimicExplainer(Teacher(weight_a=3.0), X, "lightgbm", explainable_model_args=LIGHT,
                               reset_index="reset_teacher")
    explanation = explainer.explain_global(X)
    assert explanation.features == ("a", "b")
    assert list(explanation.data.columns) == ["a", "b"]
    assert explainer.explain_global().features == ("a", "b")


def test_ignore_gives_the_model_rows_without_their_index():
    X = _rows()
    teacher = Teacher(weight_a=3.0)
    explainer = MimicExplainer(teacher, X, "lightgbm", explainable_model_args=LIGHT, augment_data=False,
                               shap_values_output="teacher_probability")
    explainer.explain(X.iloc[:20])
    assert teacher.indexes and all(index.name is None and not isinstance(index, pd.DatetimeIndex)
                                   for index in teacher.indexes)
    assert explainer.explain_global(X).features == ("a", "b")


@pytest.mark.parametrize("surrogate", ["lightgbm", "linear"])  # native categories; one-hot beside the days
def test_multiindex_levels_with_text_are_categories_of_the_surrogate(surrogate):
    X = pd.concat([_rows(60, seed) for seed in range(3)], keys=["north", "south", "west"], names=["shop"])
    X = X.reorder_levels(["day", "shop"])

    class ShopTeacher:
        def predict(self, rows):
            assert list(rows.index.names) == ["day", "shop"]
            return np.where(rows.index.get_level_values("shop") == "south", 5.0, 0.0)

    explainer = MimicExplainer(ShopTeacher(), X, surrogate, explainable_model_args=LIGHT if surrogate == "lightgbm"
                               else None, reset_index=True, categorical_features=["shop"])
    assert explainer.fidelity["r2"] > 0.95
    importance = _importance(explainer.explain_global(X))
    assert list(importance) == ["a", "b", "day", "shop"]
    assert importance["shop"] > 1
    assert max(importance["a"], importance["b"], importance["day"]) < 0.02 * importance["shop"]


def test_features_may_name_the_index_levels_too():
    X = _rows()
    explainer = MimicExplainer(Teacher(), X, "lightgbm", explainable_model_args=LIGHT, reset_index="reset",
                               features=["first", "second", "date"])
    assert explainer.explain_global(X).features == ("first", "second", "date")


def test_a_datetime_column_is_one_numeric_feature():
    X = _rows().reset_index()  # "day" is a column now, the index ignored

    class ColumnTeacher:
        def predict(self, rows):
            return 2.0 * _days(pd.DatetimeIndex(rows["day"]))

    for surrogate in ("lightgbm", "linear"):
        explainer = MimicExplainer(ColumnTeacher(), X, surrogate, explainable_model_args=LIGHT
                                   if surrogate == "lightgbm" else None)
        explanation = explainer.explain_global(X)
        assert explanation.features == ("day", "a", "b")
        assert explainer.fidelity["r2"] > 0.95
        assert np.argmax(explanation.global_importance_values) == 0


@pytest.mark.parametrize("value", ["rest", "drop", 1, None])
def test_an_unknown_reset_index_is_refused(value):
    with pytest.raises(InvalidParameterError, match="reset_index must be one of"):
        MimicExplainer(Teacher(), _rows(), "lightgbm", reset_index=value)


def test_rows_without_the_index_are_refused_when_the_index_is_a_feature():
    X = _rows()
    explainer = MimicExplainer(Teacher(), X, "lightgbm", explainable_model_args=LIGHT, reset_index="reset")
    with pytest.raises(InvalidInputError, match=r"index levels \[None\].*by \['day'\]"):
        explainer.explain(X.reset_index(drop=True))


def test_an_index_named_like_a_column_is_refused():
    X = _rows().rename_axis("a")
    with pytest.raises(InvalidInputError, match="rename_axis"):
        MimicExplainer(Teacher(), X, "lightgbm", reset_index="reset")


def test_features_of_the_wrong_length_name_the_index_levels():
    with pytest.raises(InvalidInputError, match=r"2 columns and 1 index level\(s\) \['day'\]"):
        MimicExplainer(Teacher(), _rows(), "lightgbm", reset_index="reset", features=["a"])


def test_reset_with_transformations_is_refused():
    from sklearn.preprocessing import StandardScaler

    X = _rows()
    with pytest.raises(InvalidParameterError, match="transformations"):
        MimicExplainer(Teacher(), X, "lightgbm", reset_index="reset", transformations=StandardScaler().fit(X))
