"""TabularExplainer: picks the best SHAP method for a model by explicit checks of its type."""

from __future__ import annotations

import dataclasses
from typing import Any

from ..explanation import Explanation
from ..models import is_linear_model, split_pipeline, tree_family
from ._base import Explainer
from .kernel import KernelShap
from .linear import LinearShap
from .tree import TreeShap

__all__ = ["TabularExplainer"]


def _engineered_names(transformer: Any) -> list[str] | None:
    if hasattr(transformer, "get_feature_names_out"):
        return [str(n) for n in transformer.get_feature_names_out()]
    return None


class TabularExplainer(Explainer):
    """Explain any tabular model with the best-suited SHAP method, chosen by the model's type.

    * tree ensembles (LightGBM, XGBoost, scikit-learn trees, forests, boosting) -> :class:`TreeShap`
    * scikit-learn linear models -> :class:`LinearShap`
    * anything else with predict / predict_proba -> :class:`KernelShap`

    For a scikit-learn ``Pipeline`` the final estimator decides. When it is a tree or linear model,
    the earlier steps transform the data and the explanation is over the engineered features they
    output (``is_engineered=True``); otherwise the whole pipeline is explained on the rows as given
    (``is_raw=True``). ``.explainer`` is the chosen explainer and ``.method`` its method name.

    Parameters
    ----------
    model : the fitted model or Pipeline.
    initialization_examples : array-like
        Background rows (the training data or a sample of it), as the model takes them.
    """

    method = "auto"

    def __init__(self, model: Any, initialization_examples: Any, *, features: Any = None, classes: Any = None,
                 model_task: str = "auto", n_background: int = 100, random_state: int | None = 0):
        self.model = model
        self.transform, estimator = split_pipeline(model)
        if tree_family(estimator) is not None:
            self.explainer: Explainer = TreeShap(
                estimator, features=self._features(features), classes=classes, model_task=model_task,
                random_state=random_state,
            )
        elif is_linear_model(estimator):
            self.explainer = LinearShap(
                estimator, self._transformed(initialization_examples), features=self._features(features),
                classes=classes, model_task=model_task, random_state=random_state,
            )
        else:
            self.transform = None
            self.explainer = KernelShap(
                model, initialization_examples, features=features, classes=classes, model_task=model_task,
                n_background=n_background, random_state=random_state,
            )
        self.method = self.explainer.method
        self.task = self.explainer.task
        self.classes = self.explainer.classes
        self.model_task = model_task

    def _features(self, features: Any) -> Any:
        if self.transform is None or features is not None:
            return features
        return _engineered_names(self.transform)

    def _transformed(self, X: Any) -> Any:
        return X if self.transform is None else self.transform.transform(X)

    def explain(self, X: Any, y: Any = None) -> Explanation:
        explanation = self.explainer.explain(self._transformed(X), y)
        if self.transform is not None:
            return dataclasses.replace(explanation, is_engineered=True)
        if isinstance(self.explainer, KernelShap) and split_pipeline(self.model)[0] is not None:
            return dataclasses.replace(explanation, is_raw=True)
        return explanation

    def __repr__(self) -> str:
        return f"TabularExplainer(model={type(self.model).__name__}, explainer={type(self.explainer).__name__})"
