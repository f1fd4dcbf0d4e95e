"""Raw-feature explanations: feature maps read off transformers, additivity through the mapping."""

import lightgbm
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import KBinsDiscretizer, OneHotEncoder, StandardScaler

from explain_lib import Explanation, InvalidInputError, InvalidParameterError, TabularExplainer
from explain_lib.datasets import ADULT_CATEGORICAL, load_adult
from explain_lib.features import feature_map


@pytest.fixture(scope="module")
def adult_sample():
    X, y = load_adult(as_category=False)
    X = X.sample(3000, random_state=0).reset_index(drop=True)
    y = y.loc[X.index]
    X[list(ADULT_CATEGORICAL)] = X[list(ADULT_CATEGORICAL)].fillna("missing")
    return X, load_adult()[1].sample(3000, random_state=0).to_numpy()


def _adult_preprocessor():
    numeric = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
    return ColumnTransformer([
        ("categorical", OneHotEncoder(drop="first", handle_unknown="ignore"), list(ADULT_CATEGORICAL)),
        ("numeric", StandardScaler(), numeric),
    ])


@pytest.mark.parametrize("make_classifier", [
    lambda: LogisticRegression(max_iter=500),
    lambda: lightgbm.LGBMClassifier(n_estimators=30, verbose=-1),
], ids=["logistic_regression", "lightgbm"])
def test_adult_raw_local_values_sum_to_output_minus_expected(adult_sample, make_classifier):
    X, y = adult_sample
    model = make_pipeline(_adult_preprocessor(), make_classifier()).fit(X, y)
    explanation = TabularExplainer(model, X).explain(X.iloc[:300])
    assert explanation.is_raw
    assert sorted(explanation.features) == sorted(X.columns)
    if hasattr(model[-1], "decision_function"):
        margin = model.decision_function(X.iloc[:300])
    else:
        margin = model.predict(X.iloc[:300], raw_score=True)
    assert_allclose(explanation.local[1].sum(-1), margin - explanation.expected[1], atol=1e-6)
    assert_allclose(explanation.local[0].sum(-1), -margin - explanation.expected[0], atol=1e-6)


def test_one_hot_with_drop_first_maps_each_category_column_to_its_raw_feature(adult_sample):
    X, _ = adult_sample
    pre = _adult_preprocessor().fit(X)
    mapping = feature_map(pre)
    matrix = mapping.matrix.toarray()
    assert matrix.shape == (14, len(pre.get_feature_names_out()))
    assert_allclose(matrix.sum(axis=0), 1.0)
    for raw_index, raw_name in enumerate(mapping.raw_features):
        columns = [mapping.engineered_features[j] for j in np.flatnonzero(matrix[raw_index])]
        prefix = "categorical__" if raw_name in ADULT_CATEGORICAL else "numeric__"
        assert columns and all(c.startswith(prefix + raw_name) for c in columns)
    encoder = pre.named_transformers_["categorical"]
    sex = mapping.raw_features.index("sex")
    assert matrix[sex].sum() == len(encoder.categories_[list(ADULT_CATEGORICAL).index("sex")]) - 1


def test_tuple_transformations_with_a_model_fitted_on_engineered_data():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"color": rng.choice(["red", "green", "blue"], 300), "size": rng.normal(size=300),
                      "weight": rng.normal(size=300)})
    y = ((X.color == "red") * 1.0 + X["size"] > 0.5).astype(int)
    encoder = OneHotEncoder().fit(X[["color"]])
    scaler = StandardScaler().fit(X[["size", "weight"]])
    transformations = [(["color"], encoder), (["size", "weight"], scaler)]
    engineered = np.hstack([encoder.transform(X[["color"]]).toarray(), scaler.transform(X[["size", "weight"]])])
    model = LogisticRegression().fit(engineered, y)
    explanation = TabularExplainer(model, X, transformations=transformations).explain(X.iloc[:20])
    assert explanation.features == ("color", "size", "weight")
    assert_allclose(explanation.local[1].sum(-1) + explanation.expected[1],
                    model.decision_function(engineered[:20]), atol=1e-9)


def test_explicit_sparse_feature_map_sums_engineered_columns():
    local = np.arange(2 * 3 * 4, dtype=float).reshape(2, 3, 4) - 10
    explanation = Explanation(local=local, expected=[0.5, -0.5], features=["e0", "e1", "e2", "e3"],
                              task="classification", output_space="margin", method="m", classes=[0, 1])
    matrix = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], dtype=float))
    raw = explanation.to_raw(matrix, raw_features=["a", "b", "c"])
    assert raw.features == ("a", "b", "c") and raw.is_raw and not raw.is_engineered
    assert_allclose(raw.local[..., 0], local[..., 0] + local[..., 1])
    assert_allclose(raw.local[..., 1:], local[..., 2:])
    assert_allclose(raw.global_, np.abs(raw.local).mean(axis=1).mean(axis=0))
    assert raw.params["engineered_explanation_id"] == explanation.id


def test_feature_map_whose_columns_do_not_sum_to_one_is_refused():
    explanation = Explanation(local=np.ones((1, 2, 2)), expected=[0.0], features=["e0", "e1"],
                              task="regression", output_space="raw", method="m")
    with pytest.raises(InvalidInputError, match="sum"):
        explanation.to_raw(np.array([[1.0, 1.0], [1.0, 0.0]]), raw_features=["a", "b"])


def test_many_to_many_transformer_is_refused_unless_allowed():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 4)), columns=list("abcd"))
    y = (X.a + X.b > 0).astype(int)
    model = make_pipeline(ColumnTransformer([("pca", PCA(2), ["a", "b", "c"]), ("keep", "passthrough", ["d"])]),
                          LogisticRegression()).fit(X, y)
    with pytest.raises(InvalidParameterError, match="many-to-many.*allow_all_transformations"):
        TabularExplainer(model, X)  # refused up front: never an engineered explanation in place of a raw one
    allowed = TabularExplainer(model, X, allow_all_transformations=True).explain(X.iloc[:5])
    assert allowed.is_raw and allowed.features == ("a", "b", "c", "d")
    assert_allclose(allowed.local[1].sum(-1) + allowed.expected[1], model.decision_function(X.iloc[:5]),
                    atol=1e-9)
    assert_allclose(allowed.local[1, :, 0], allowed.local[1, :, 1])  # PCA outputs split equally


def test_imputer_indicator_and_binning_map_to_their_columns():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    X.loc[::7, "b"] = np.nan
    pre = ColumnTransformer([
        ("impute", SimpleImputer(add_indicator=True), ["a", "b"]),
        ("bins", KBinsDiscretizer(n_bins=4, encode="onehot", quantile_method="averaged_inverted_cdf"), ["c"]),
    ]).fit(X)
    mapping = feature_map(pre).matrix.toarray()
    names = list(pre.get_feature_names_out())
    indicator = names.index("impute__missingindicator_b")
    assert mapping[1, indicator] == 1.0 and mapping[:, indicator].sum() == 1.0
    assert mapping[2].sum() == 4
