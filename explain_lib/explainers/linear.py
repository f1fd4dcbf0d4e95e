"""SHAP values of linear models in closed form."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..data import Tabular, as_weights
from ..errors import InvalidParameterError, UnsupportedModelError
from ..explanation import Explanation
from ..models import check_fitted, is_linear_model
from ._background import sample_rows
from ._base import Explainer, binary_pair

__all__ = ["LinearShap"]

_PERTURBATIONS = ("interventional", "correlation_dependent")


class LinearShap(Explainer):
    """Exact SHAP values of a linear model ``f(x) = coef . x + intercept``.

    Interventional (features independent), the closed form against the background mean ``mu``::

        local[k, i, j] = coef[k, j] * (x[i, j] - mu[j])
        expected[k]    = coef[k] . mu + intercept[k]

    ``feature_perturbation="correlation_dependent"`` instead accounts for correlated features
    through shap's ``LinearExplainer`` with an ``Impute`` masker (the conditional expectation under
    a Gaussian fit of the background; Aas et al. 2019); it needs a background with more rows than
    features.

    Classifiers are explained in margin space (their ``decision_function``); regressors in the
    units of ``predict``. Sparse CSR input is multiplied without densifying the input.

    Parameters
    ----------
    model : a fitted scikit-learn linear model (LinearRegression, Ridge, Lasso, ElasticNet,
        LogisticRegression, SGD*, LinearSVC, ...).
    background : array-like
        Reference rows; their (weighted) mean is the baseline.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from explain_lib import LinearShap
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> model = LinearRegression().fit(X, 2 * X[:, 0] - X[:, 1])
    >>> explanation = LinearShap(model, X).explain(X[:2])
    >>> bool(np.allclose(explanation.local[0], model.coef_ * (X[:2] - X.mean(axis=0))))  # the closed form
    True
    """

    method = "shap.linear"

    def __init__(self, model: Any, background: Any, *, feature_perturbation: str = "interventional",
                 background_weights: Any = None, features: Any = None, classes: Any = None,
                 model_task: str = "auto", random_state: int | None = 0):
        check_fitted(model)
        if not is_linear_model(model):
            raise UnsupportedModelError(
                f"LinearShap explains fitted scikit-learn linear models, not {type(model).__name__}. "
                "Use TreeShap for tree ensembles, KernelShap for anything else, or TabularExplainer to choose."
            )
        if feature_perturbation not in _PERTURBATIONS:
            raise InvalidParameterError(
                f"feature_perturbation must be one of {_PERTURBATIONS}, got {feature_perturbation!r}."
            )
        super().__init__(model, features=features, classes=classes, model_task=model_task)
        coef = np.atleast_2d(np.asarray(model.coef_, dtype=np.float64))
        intercept = np.broadcast_to(np.asarray(model.intercept_, dtype=np.float64), (coef.shape[0],)).copy()
        if self.task == "regression" and coef.shape[0] > 1:
            raise UnsupportedModelError(
                "LinearShap does not explain multi-target regressors; fit one target at a time."
            )
        self.coef, self.intercept = coef, intercept
        self.feature_perturbation = feature_perturbation
        self.random_state = random_state
        tab = self._check_rows(background, name="background", allow_nan=False, numeric=True)
        self.background = tab
        self.background_weights = as_weights(background_weights, tab.n_rows)
        if tab.is_sparse:
            self.mean = np.asarray(tab.values.T @ self.background_weights).reshape(-1)
        else:
            self.mean = self.background_weights @ tab.to_numpy().astype(np.float64)
        if feature_perturbation == "correlation_dependent" and tab.n_rows <= tab.n_features:
            raise InvalidParameterError(
                f"feature_perturbation='correlation_dependent' estimates the features' covariance and needs "
                f"more background rows ({tab.n_rows}) than features ({tab.n_features})."
            )

    def _interventional(self, tab: Tabular) -> tuple[np.ndarray, np.ndarray]:
        local = np.empty((self.coef.shape[0], tab.n_rows, tab.n_features))
        for k, coef in enumerate(self.coef):
            scaled = tab.values.multiply(coef).toarray() if tab.is_sparse else tab.to_numpy().astype(np.float64) * coef
            local[k] = scaled - coef * self.mean
        return local, self.coef @ self.mean + self.intercept

    def _correlation_dependent(self, tab: Tabular) -> tuple[np.ndarray, np.ndarray]:
        import shap

        rows = sample_rows(self.background, self.background_weights, self.background.n_rows, self.random_state)
        masker = shap.maskers.Impute(rows.to_numpy().astype(np.float64))
        X = tab.to_numpy().astype(np.float64)
        local, expected = [], []
        # shap samples feature orders from numpy's global generator: seed it, then put it back.
        state = np.random.get_state()
        np.random.seed(self.random_state)
        try:
            for coef, intercept in zip(self.coef, self.intercept, strict=True):
                explainer = shap.LinearExplainer((coef, intercept), masker)
                local.append(np.asarray(explainer.shap_values(X), dtype=np.float64))
                expected.append(float(np.asarray(explainer.expected_value).reshape(-1)[0]))
        finally:
            np.random.set_state(state)
        return np.stack(local), np.asarray(expected)

    def explain(self, X: Any, y: Any = None) -> Explanation:
        tab = self._check_rows(X, allow_nan=False, numeric=True)
        if self.feature_perturbation == "interventional":
            local, expected = self._interventional(tab)
        else:
            local, expected = self._correlation_dependent(tab)
        if self.task == "classification" and len(self.classes) == 2:
            local, expected = binary_pair(local[0], float(expected[0]), 0.0)
        output_space = "margin" if self.task == "classification" else "raw"
        params = {"feature_perturbation": self.feature_perturbation, "n_background": self.background.n_rows}
        return self._explanation(tab, local, expected, output_space=output_space, params=params)
