"""TabularExplainer picks its method by the model's type, and explains what it picked correctly."""

import lightgbm
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import (
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from explain_lib import KernelShap, LinearShap, TabularExplainer, TreeShap

X_CLS, Y_CLS = make_classification(n_samples=200, n_features=5, n_informative=3, random_state=0)
X_REG, Y_REG = make_regression(n_samples=200, n_features=5, random_state=0)

CHOICES = [
    (lambda: lightgbm.LGBMClassifier(n_estimators=10, verbose=-1), "cls", TreeShap),
    (lambda: RandomForestClassifier(n_estimators=5, random_state=0), "cls", TreeShap),
    (lambda: RandomForestRegressor(n_estimators=5, random_state=0), "reg", TreeShap),
    (lambda: ExtraTreesClassifier(n_estimators=5, random_state=0), "cls", TreeShap),
    (lambda: GradientBoostingClassifier(n_estimators=5, random_state=0), "cls", TreeShap),
    (lambda: HistGradientBoostingClassifier(max_iter=5), "cls", TreeShap),
    (lambda: DecisionTreeClassifier(max_depth=3, random_state=0), "cls", TreeShap),
    (lambda: LinearRegression(), "reg", LinearShap),
    (lambda: Ridge(), "reg", LinearShap),
    (lambda: LogisticRegression(), "cls", LinearShap),
    (lambda: SVC(), "cls", KernelShap),
    (lambda: MLPClassifier(hidden_layer_sizes=(8,), max_iter=300, random_state=0), "cls", KernelShap),
    (lambda: KNeighborsClassifier(), "cls", KernelShap),
    (lambda: make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(8,), max_iter=300, random_state=0)),
     "cls", KernelShap),
]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(("make_model", "task", "expected_type"), CHOICES,
                         ids=[type(c[0]()).__name__ if not hasattr(c[0](), "steps") else "Pipeline(Scaler+MLP)"
                              for c in CHOICES])
def test_choice_follows_the_model_type(make_model, task, expected_type):
    X, y = (X_CLS, Y_CLS) if task == "cls" else (X_REG, Y_REG)
    model = make_model().fit(X, y)
    explainer = TabularExplainer(model, X[:50])
    assert type(explainer.explainer) is expected_type
    assert explainer.method == expected_type.method
    explanation = explainer.explain(X[:5])
    assert explanation.method == expected_type.method
    assert explanation.local.shape == (2 if task == "cls" else 1, 5, 5)


def _adult_like(n=400, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "age": rng.integers(18, 70, n).astype(float),
        "hours": rng.integers(10, 60, n).astype(float),
        "job": rng.choice(["clerk", "exec", "sales"], n),
        "sex": rng.choice(["F", "M"], n),
    })
    logit = 0.05 * (frame.age - 40) + 0.04 * (frame.hours - 35) + (frame.job == "exec") * 1.5
    y = (logit + rng.normal(0, 0.5, n) > 0).astype(int)
    return frame, y


def test_pipeline_with_column_transformer_and_lgbm_explains_raw_features_by_default():
    X, y = _adult_like()
    pre = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), ["job", "sex"])],
                            remainder="passthrough")
    model = make_pipeline(pre, lightgbm.LGBMClassifier(n_estimators=20, verbose=-1)).fit(X, y)
    explainer = TabularExplainer(model, X)
    assert type(explainer.explainer) is TreeShap
    margin = model.predict(X[:40], raw_score=True)

    raw = explainer.explain(X[:40])
    assert raw.is_raw and not raw.is_engineered
    assert list(raw.features) == ["age", "hours", "job", "sex"]  # the raw columns, in input order
    assert_allclose(raw.local.sum(-1) + raw.expected[:, None], np.stack([-margin, margin]), atol=1e-6)
    assert raw.data["job"].tolist() == X["job"][:40].tolist()

    engineered = explainer.explain(X[:40], raw=False)
    assert engineered.is_engineered and not engineered.is_raw
    assert list(engineered.features) == list(pre.get_feature_names_out())
    assert_allclose(engineered.local.sum(-1) + engineered.expected[:, None], np.stack([-margin, margin]),
                    atol=1e-6)
    # the raw value of "job" is the sum of its one-hot columns'
    job_columns = [i for i, name in enumerate(engineered.features) if name.startswith("cat__job_")]
    assert_allclose(raw.local[..., 2], engineered.local[..., job_columns].sum(-1), atol=1e-12)


def test_pipeline_with_scaler_and_logistic_regression_uses_transformed_background_mean():
    X, y = X_CLS, Y_CLS
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    explanation = TabularExplainer(model, X).explain(X[:10])
    scaled = model[0].transform(X)
    coef = model[-1].coef_[0]
    assert_allclose(explanation.local[1], coef * (scaled[:10] - scaled.mean(0)), atol=1e-12)
    assert_allclose(explanation.local.sum(-1)[1] + explanation.expected[1], model.decision_function(X[:10]),
                    atol=1e-9)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_pipeline_with_model_agnostic_estimator_is_explained_on_raw_rows():
    X, y = _adult_like(200)
    pre = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), ["job", "sex"])],
                            remainder=StandardScaler())
    model = make_pipeline(pre, MLPClassifier(hidden_layer_sizes=(6,), max_iter=300, random_state=0)).fit(X, y)
    explainer = TabularExplainer(model, X[:30])
    assert type(explainer.explainer) is KernelShap
    explanation = explainer.explain(X[:4])
    assert explanation.is_raw
    assert list(explanation.features) == ["age", "hours", "job", "sex"]
    assert explanation.output_space == "probability"
    assert_allclose(explanation.local.sum(-1) + explanation.expected[:, None], model.predict_proba(X[:4]).T,
                    atol=1e-9)


def test_explain_global_without_local_keeps_global_importance():
    model = lightgbm.LGBMClassifier(n_estimators=10, verbose=-1).fit(X_CLS, Y_CLS)
    explainer = TabularExplainer(model, X_CLS)
    full = explainer.explain_local(X_CLS[:30])
    global_only = explainer.explain_global(X_CLS[:30], include_local=False)
    assert global_only.local is None
    assert_allclose(global_only.global_, full.global_)
    assert global_only.get_ranked_global_names() == full.get_ranked_global_names()
