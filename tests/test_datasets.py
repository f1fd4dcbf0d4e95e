"""The bundled data: the UCI Adult table as ``explain_lib.datasets.load_adult`` gives it."""

from __future__ import annotations

import gzip
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

# ----------------------------------------------------------------------------------------------- adult
ADULT_CATEGORICAL = ["workclass", "education", "marital_status", "occupation", "relationship", "race", "sex",
                     "native_country"]
ADULT_NUMERIC = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]


@pytest.fixture(scope="module")
def adult_source() -> pd.DataFrame:
    """The shipped CSV read as plain strings, "?" untouched."""
    path = resources.files("explain_lib.datasets").joinpath("adult.csv.gz")
    with path.open("rb") as handle, gzip.open(handle, "rt") as text:
        return pd.read_csv(text, dtype=str, keep_default_na=False, skipinitialspace=True)


def test_adult_has_32561_rows_and_14_features(adult):
    X, y = adult
    assert X.shape == (32561, 14)
    assert len(y) == 32561
    assert sorted(X.columns) == sorted(ADULT_CATEGORICAL + ADULT_NUMERIC)


def test_adult_target_is_0_1_with_about_a_quarter_ones(adult, adult_source):
    _, y = adult
    assert set(np.unique(y)) == {0, 1}
    assert 0.23 < y.mean() < 0.25
    assert (y == 1).sum() == adult_source["income"].str.strip().eq(">50K").sum()


def test_adult_categorical_columns_have_category_dtype_and_numeric_ones_are_integers(adult):
    X, _ = adult
    for column in ADULT_CATEGORICAL:
        assert isinstance(X[column].dtype, pd.CategoricalDtype), column
    for column in ADULT_NUMERIC:
        assert pd.api.types.is_integer_dtype(X[column].dtype), column


def test_adult_question_marks_become_nan(adult, adult_source):
    X, _ = adult
    for column in X.columns:
        source_missing = adult_source[column].str.strip().eq("?").to_numpy()
        assert_allclose(X[column].isna().to_numpy(), source_missing, err_msg=column)
    assert X[["workclass", "occupation", "native_country"]].isna().any().all()
    for column in ADULT_CATEGORICAL:
        assert "?" not in X[column].cat.categories
