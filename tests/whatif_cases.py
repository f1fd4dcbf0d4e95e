"""Model kinds the dashboard carries for what-if, each with an explanation, three edits and the ground truth.

A helper for tests, not a test file. Each case is a fitted model, its explanation of a few rows (with
the explainer that made it, to explain edited rows the same way), the model's own margin and
probability functions, and three edits (a number, a category or ``None`` for missing) the page's
form makes. Data are small and seeded.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

N_ROWS = 600
PAGE_ROWS = 60


@dataclass
class Case:
    name: str
    model: Any
    explainer: Any  # explains rows of ``frame``'s columns, as the explanation was made
    X: pd.DataFrame  # the training rows; the explanation is of the first PAGE_ROWS
    margin: Callable[[pd.DataFrame], np.ndarray]  # (n, n_outputs): the explanation's output space
    probability: Callable[[pd.DataFrame], np.ndarray] | None
    edits: list[tuple[str, Any]]
    explain_options: dict = field(default_factory=dict)
    page_options: dict = field(default_factory=dict)
    tolerance: float = 1e-9  # relative, on local values against the explainer's
    ice_feature: str = "a"

    def explanation(self) -> Any:
        return self.explainer.explain(self.X.iloc[:PAGE_ROWS], **self.explain_options)


def _data(seed: int = 0, missing: bool = True, category: bool = True) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=N_ROWS), "b": rng.normal(size=N_ROWS), "c": rng.uniform(0, 10, N_ROWS),
                      "d": rng.integers(0, 5, N_ROWS).astype(float)})
    if category:
        X["colour"] = pd.Categorical(rng.choice(["red", "green", "blue", "grey"], N_ROWS))
    score = X.a - 0.8 * X.b + 0.3 * (X.c - 5) * (X.d > 2) + (X["colour"] == "red" if category else 0) * 1.2
    if missing:
        X.loc[rng.random(N_ROWS) < 0.1, "a"] = np.nan
        score = score.fillna(0.5)
    y = (score + rng.normal(scale=0.3, size=N_ROWS) > 0).astype(int).to_numpy()
    y3 = np.where(X.c.to_numpy() > 7, 2, y)
    return X, y, y3


def _two(margin: np.ndarray) -> np.ndarray:
    margin = np.asarray(margin, dtype=np.float64)
    return np.stack([-margin, margin], axis=1) if margin.ndim == 1 else margin


@functools.cache
def _lightgbm(kind: str) -> Any:
    import lightgbm as lgb

    X, y, y3 = _data(category=kind != "numeric")
    options = dict(n_estimators=40, num_leaves=15, min_data_per_group=5, cat_smooth=1, verbose=-1, random_state=0)
    if kind == "regression":
        return lgb.LGBMRegressor(**options).fit(X, X.c.to_numpy() * 2 + y), X
    return lgb.LGBMClassifier(**options).fit(X, y3 if kind == "multiclass" else y), X


def _lightgbm_case(name: str) -> Case:
    from explain_lib import TreeShap

    if name == "lightgbm-interventional":  # TreeShap(output="probability") takes numeric columns
        model, X = _lightgbm("numeric")
        return Case(name, model, TreeShap(model, X.iloc[100:300], output="probability", n_background=40), X,
                    model.predict_proba, model.predict_proba, [("a", -1.75), ("d", 0.0), ("c", 0.5)],
                    page_options={"background": X.iloc[100:300]}, tolerance=2e-6)  # shap's is single precision
    model, X = _lightgbm(name.split("-")[1])
    if name == "lightgbm-regression":
        return Case(name, model, TreeShap(model), X, lambda F: model.predict(F, raw_score=True)[:, None], None,
                    [("c", 9.5), ("a", None), ("d", 1.0)], ice_feature="c")
    if name == "lightgbm-multiclass":
        return Case(name, model, TreeShap(model), X, lambda F: model.predict(F, raw_score=True), model.predict_proba,
                    [("c", 2.5), ("colour", "blue"), ("a", None)])
    return Case(name, model, TreeShap(model), X, lambda F: _two(model.predict(F, raw_score=True)), model.predict_proba,
                [("a", None), ("colour", "red"), ("c", 8.25)])


def _xgboost_case(name: str) -> Case:
    import xgboost as xgb

    from explain_lib import TreeShap

    X, y, _ = _data(category=False)
    model = xgb.XGBClassifier(n_estimators=30, max_depth=4, random_state=0).fit(X, y)
    # XGBoost's own TreeSHAP is single precision; the float64 reference is our tabulated one
    return Case(name, model, TreeShap(model, algorithm="fast"), X, lambda F: _two(model.predict(F, output_margin=True)),
                model.predict_proba, [("a", None), ("b", 1.125), ("d", 4.0)])


def _sklearn_tree_case(name: str) -> Case:
    from sklearn import ensemble

    from explain_lib import TreeShap

    X, y, y3 = _data(missing=False, category=False)
    if name == "random-forest":
        model = ensemble.RandomForestClassifier(n_estimators=15, max_depth=6, random_state=0).fit(X, y3)
        return Case(name, model, TreeShap(model), X, model.predict_proba, model.predict_proba,
                    [("a", 0.75), ("c", 9.0), ("d", 0.0)])
    if name == "extra-trees":
        model = ensemble.ExtraTreesRegressor(n_estimators=15, max_depth=6, random_state=0).fit(X, X.c + y)
        return Case(name, model, TreeShap(model), X, lambda F: model.predict(F)[:, None], None,
                    [("b", -1.5), ("c", 3.25), ("d", 3.0)], ice_feature="c")
    if name == "gradient-boosting":
        model = ensemble.GradientBoostingClassifier(n_estimators=30, max_depth=3, random_state=0).fit(X, y)
    else:
        model = ensemble.HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(X, y)
    return Case(name, model, TreeShap(model), X, lambda F: _two(model.decision_function(F)), model.predict_proba,
                [("a", 1.5), ("b", 0.25), ("c", 6.0)])


def _linear_case(name: str) -> Case:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from explain_lib import LinearShap, TabularExplainer

    X, y, y3 = _data(missing=False, category=False)
    if name == "logistic":
        model = LogisticRegression(max_iter=500).fit(X, y3)
        return Case(name, model, LinearShap(model, X), X, model.decision_function, model.predict_proba,
                    [("a", 2.5), ("b", -0.125), ("d", 1.0)])
    if name == "linear-regression":
        model = LinearRegression().fit(X, X.c * 2 - X.a + y)
        return Case(name, model, LinearShap(model, X), X, lambda F: model.predict(F)[:, None], None,
                    [("a", -3.0), ("c", 7.75), ("d", 2.0)], ice_feature="c")
    raw, yr, _ = _data(seed=1)
    raw["colour"] = raw["colour"].astype(object)
    pre = ColumnTransformer([
        ("numbers", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]),
         ["a", "b", "c"]),
        ("colour", OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["colour"])], remainder="passthrough")
    model = Pipeline([("pre", pre), ("model", LogisticRegression(max_iter=500))]).fit(raw, yr)
    return Case(name, model, TabularExplainer(model, raw), raw, lambda F: _two(model.decision_function(F)),
                model.predict_proba, [("colour", "red"), ("a", None), ("c", 4.5)], explain_options={"raw": True})


BUILDERS = {
    "lightgbm-binary": _lightgbm_case, "lightgbm-multiclass": _lightgbm_case, "lightgbm-regression": _lightgbm_case,
    "lightgbm-interventional": _lightgbm_case, "xgboost": _xgboost_case, "random-forest": _sklearn_tree_case,
    "extra-trees": _sklearn_tree_case, "gradient-boosting": _sklearn_tree_case,
    "hist-gradient-boosting": _sklearn_tree_case, "logistic": _linear_case, "linear-regression": _linear_case,
    "pipeline": _linear_case,
}


def case(name: str) -> Case:
    """The case called ``name`` (see ``BUILDERS``), its model fitted now."""
    return BUILDERS[name](name)


def edited_frame(case: Case, row: int, explanation: Any) -> pd.DataFrame:
    """The explained row ``row`` with the case's edits, as the model takes it."""
    frame = explanation.data.iloc[[row]].copy()
    for name, value in case.edits:
        column = frame[name]
        if value is None:
            frame[name] = pd.Series([np.nan if column.dtype != object else None], index=frame.index, dtype=column.dtype)
        elif isinstance(value, str):
            frame[name] = pd.Series([value], index=frame.index, dtype=column.dtype)
        else:
            frame[name] = pd.Series([float(value)], index=frame.index, dtype=np.float64)
    return frame
