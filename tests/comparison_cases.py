"""Seeded models and explanations with known differences, shared by the comparison tests.

Ten independent standard-normal features; the label depends on x0..x4 with falling weights, so
x1 is the second most important feature. ``shuffled`` is the same model retrained with x1's
column shuffled (it can no longer use x1); ``extended`` is retrained on the same rows plus a new
feature ``x_new`` that enters the label. Everything is seeded: the cases are the same every run.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from explain_lib import Explanation, TreeShap

N_TRAIN, N_EVAL = 1200, 300
FEATURES = [f"x{i}" for i in range(10)]
WEIGHTS = {"x0": 1.0, "x1": 0.8, "x2": 0.6, "x3": 0.4, "x4": 0.3}


@dataclass(frozen=True)
class Cases:
    X: pd.DataFrame
    y: pd.Series
    X_eval: pd.DataFrame
    X_eval_other: pd.DataFrame
    model: object
    shuffled_model: object
    extended_model: object
    base: Explanation  # model on X_eval
    base_again: Explanation  # model on X_eval, explained a second time
    base_other_rows: Explanation  # model on other rows of the same distribution
    shuffled: Explanation  # shuffled_model on X_eval
    extended: Explanation  # extended_model on X_eval plus x_new


def _model(X: pd.DataFrame, y: pd.Series) -> object:
    import lightgbm

    return lightgbm.LGBMClassifier(n_estimators=40, num_leaves=8, random_state=0, verbose=-1).fit(X, y)


@functools.lru_cache(maxsize=1)
def cases() -> Cases:
    rng = np.random.default_rng(7)
    n = N_TRAIN + 2 * N_EVAL
    X_all = pd.DataFrame(rng.normal(size=(n, len(FEATURES))), columns=FEATURES)
    new = pd.Series(rng.normal(size=n), name="x_new")
    noise = 0.3 * rng.normal(size=n)
    score = sum(weight * X_all[name] for name, weight in WEIGHTS.items()) + noise
    y_all = (score > 0).astype(int)
    y_new = (score + 1.2 * new > 0).astype(int)
    X, y = X_all.iloc[:N_TRAIN], y_all.iloc[:N_TRAIN]
    X_eval = X_all.iloc[N_TRAIN:N_TRAIN + N_EVAL].reset_index(drop=True)
    X_eval_other = X_all.iloc[N_TRAIN + N_EVAL:].reset_index(drop=True)
    shuffled_X = X.assign(x1=rng.permutation(X["x1"].to_numpy()))
    extended_X = X.assign(x_new=new.iloc[:N_TRAIN].to_numpy())
    model, shuffled_model = _model(X, y), _model(shuffled_X, y)
    extended_model = _model(extended_X, y_new.iloc[:N_TRAIN])
    extended_eval = X_eval.assign(x_new=new.iloc[N_TRAIN:N_TRAIN + N_EVAL].to_numpy())
    return Cases(
        X=X, y=y, X_eval=X_eval, X_eval_other=X_eval_other, model=model, shuffled_model=shuffled_model,
        extended_model=extended_model,
        base=TreeShap(model).explain(X_eval), base_again=TreeShap(model).explain(X_eval),
        base_other_rows=TreeShap(model).explain(X_eval_other), shuffled=TreeShap(shuffled_model).explain(X_eval),
        extended=TreeShap(extended_model).explain(extended_eval),
    )
