"""TabularExplainer: picks the best SHAP method for a model by explicit checks of its type."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ExplainLibError, InvalidParameterError
from ..explanation import Explanation
from ..features import FeatureMap, feature_map, raw_feature_names, transformer_of
from ..models import check_fitted, infer_task, is_linear_model, prediction_function, split_pipeline, tree_family
from ._base import Explainer
from .kernel import KernelShap
from .linear import LinearShap
from .tree import TreeShap

__all__ = ["TabularExplainer"]


class TabularExplainer(Explainer):
    """Explain any tabular model with the best-suited SHAP method, chosen by the model's type.

    * tree ensembles (LightGBM, XGBoost, scikit-learn trees, forests, boosting) -> :class:`TreeShap`
    * scikit-learn linear models -> :class:`LinearShap`
    * anything else with predict / predict_proba -> :class:`KernelShap`

    For a scikit-learn ``Pipeline`` the final estimator decides and the earlier steps transform
    the data; ``transformations=`` (a fitted ColumnTransformer or a list of (columns, transformer)
    tuples) does the same for a model fitted on transformed data, the examples being raw.

    With transformations, ``features`` names the raw columns (by default the DataFrame's).
    Raw and engineered features: a tree or linear model is explained over the engineered features
    it sees, then mapped to raw features (each raw value is the sum of its engineered columns' —
    SHAP values add, so additivity holds for raw values too). ``explain(X)`` returns the raw
    explanation whenever the transformations can be mapped, ``explain(X, raw=False)`` the
    engineered one. A model-agnostic estimator is explained directly on the raw rows (exact raw
    values). Explicit feature maps (matrices) take engineered examples and map them to raw.

    ``.explainer`` is the chosen explainer and ``.method`` its method name.

    Parameters
    ----------
    model : the fitted model or Pipeline.
    initialization_examples : array-like
        Background rows (the training data or a sample of it), raw.
    """

    method = "auto"

    def __init__(self, model: Any, initialization_examples: Any, *, features: Any = None, classes: Any = None,
                 transformations: Any = None, allow_all_transformations: bool = False, model_task: str = "auto",
                 n_background: int = 100, random_state: int | None = 0):
        check_fitted(model)
        self.model = model
        prefix, estimator = split_pipeline(model)
        if prefix is not None and transformations is not None:
            raise InvalidParameterError(
                "The model is a Pipeline whose first steps already transform the data; pass either the Pipeline "
                "or the final model with transformations=, not both."
            )
        self.transform = prefix if prefix is not None else transformer_of(transformations)
        self.feature_map: FeatureMap | None = None
        self.raw_unavailable: str | None = None
        mapping_source = prefix if prefix is not None else transformations
        # with a transformation, features= names the raw columns (else the examples' columns do)
        raw_names = None if self.transform is None else raw_feature_names(features, initialization_examples)
        if mapping_source is not None:
            try:
                self.feature_map = feature_map(mapping_source, raw_names,
                                               allow_all_transformations=allow_all_transformations)
            except ExplainLibError as error:
                self.raw_unavailable = str(error)
        engineered = None if self.feature_map is None else list(self.feature_map.engineered_features)
        if self.transform is None:
            engineered = features if features is not None else engineered
        task = infer_task(estimator, model_task)

        if tree_family(estimator) is not None:
            self.explainer: Explainer = TreeShap(
                estimator, features=engineered, classes=classes, model_task=model_task, random_state=random_state,
            )
        elif is_linear_model(estimator):
            self.explainer = LinearShap(
                estimator, self._transformed(initialization_examples), features=engineered, classes=classes,
                model_task=model_task, random_state=random_state,
            )
        else:
            target, output_space = model, None
            if transformations is not None and self.transform is not None:
                predict, output_space = prediction_function(estimator, task)
                transform = self.transform.transform

                def target(rows: Any) -> np.ndarray:
                    return predict(transform(rows))
            raw_features = features if self.transform is not None else (features or engineered)
            self.explainer = KernelShap(
                target, initialization_examples, features=raw_features, classes=classes,
                model_task=task or model_task, n_background=n_background, random_state=random_state,
            )
            if output_space is not None:  # a function of raw rows: its space is the estimator's
                self.explainer.output_space = output_space
        self.model_agnostic = isinstance(self.explainer, KernelShap)
        self.method = self.explainer.method
        self.task = self.explainer.task
        self.classes = self.explainer.classes
        self.model_task = model_task

    def _prediction_scores(self, X: Any) -> np.ndarray:
        if self.model_agnostic:
            return self.explainer._prediction_scores(X)
        return self.explainer._prediction_scores(self._transformed(X))

    def _transformed(self, X: Any) -> Any:
        return X if self.transform is None else self.transform.transform(X)

    def explain(self, X: Any, y: Any = None, *, raw: bool | None = None) -> Explanation:
        """Explain ``X`` (raw rows); ``raw=False`` gives the engineered-feature explanation."""
        if self.model_agnostic:
            if raw is False:
                raise InvalidParameterError(
                    "This model is explained model-agnostically on its raw rows; there is no engineered explanation."
                )
            explanation = self.explainer.explain(X, y)
            is_raw = self.transform is not None or self.feature_map is not None
            return dataclasses.replace(explanation, is_raw=True) if is_raw else explanation
        explanation = self.explainer.explain(self._transformed(X), y)
        if self.feature_map is None:
            if raw:
                raise InvalidParameterError(
                    f"Raw-feature explanations need a mappable transformation: {self.raw_unavailable or 'none given'}"
                )
            if self.transform is not None:
                explanation = dataclasses.replace(explanation, is_engineered=True)
            return explanation
        explanation = dataclasses.replace(explanation, is_engineered=True)
        if raw is False:
            return explanation
        raw_data = X if isinstance(X, pd.DataFrame) and self.transform is not None else None
        return explanation.to_raw(self.feature_map, raw_data=raw_data)

    def __repr__(self) -> str:
        return f"TabularExplainer(model={type(self.model).__name__}, explainer={type(self.explainer).__name__})"
