"""TabularExplainer: picks the best SHAP method for a model by explicit checks of its type."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidParameterError
from ..explanation import Explanation
from ..features import FeatureMap, feature_map, names_of, raw_feature_names, transformer_of
from ..models import (
    check_fitted,
    infer_task,
    is_linear_model,
    prediction_function,
    split_pipeline,
    torch_network,
    tree_family,
)
from ._background import unwrap_summary
from ._base import Explainer, keep_subset
from .deep import DeepShap
from .kernel import KernelShap
from .linear import LinearShap
from .tree import TreeShap

__all__ = ["TabularExplainer"]

_log = logging.getLogger(__name__)
_DEFAULT_BACKGROUND = 10  # interpret-community's k-means summary: what a notebook can afford


class TabularExplainer(Explainer):
    """Explain any tabular model with the best-suited SHAP method, chosen by the model's type.

    * tree ensembles (LightGBM, XGBoost, scikit-learn trees, forests, boosting) -> :class:`TreeShap`
    * PyTorch networks (``torch.nn.Module``, or a wrapper holding one as ``module_``, like skorch's)
      -> :class:`DeepShap` (needs ``explain-lib[torch]``) when it propagates through every layer
      (``DeepShap.supports``), else KernelShap; a function wrapping a network is a plain function,
      explained by KernelShap
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
        Background rows (the training data or a sample of it), raw; or a shap ``DenseData``
        (``shap.kmeans(X, k)``), used with its weights.
    n_background : int, optional
        Model-agnostic models only: KernelShap summarizes a larger background to this many weighted
        k-means centres. Default 10, interpret-community's choice, which a notebook can afford (the
        cost of each explained row grows with it); a log line says so, and ``n_background=100`` or
        more buys accuracy. ``params["n_background"]`` records what was used. DeepShap (PyTorch
        networks) summarizes to this many centres too, default 100.
    allow_all_transformations : bool
        Map transformations that mix several input columns into each output (PCA, ...) by
        splitting each output equally among its inputs; without it they are refused with an error.
    explain_subset : list, optional
        interpret-community's option: keep only these columns' values, by position or feature name (every
        column is explained; the kept values no longer add up to the model output).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from explain_lib import TabularExplainer
    >>> X = np.random.default_rng(0).normal(size=(300, 3))
    >>> forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, (X[:, 0] > 0).astype(int))
    >>> explainer = TabularExplainer(forest, X)
    >>> type(explainer.explainer).__name__, explainer.method
    ('TreeShap', 'shap.tree')
    >>> explanation = explainer.explain(X[:4])
    >>> explanation.output_space, explanation.classes
    ('probability', (0, 1))
    >>> probabilities = explanation.local.sum(axis=-1).T + explanation.expected
    >>> bool(np.allclose(probabilities, forest.predict_proba(X[:4])))
    True
    """

    method = "auto"

    def __init__(self, model: Any, initialization_examples: Any, *, features: Any = None, classes: Any = None,
                 transformations: Any = None, allow_all_transformations: bool = False, model_task: str = "auto",
                 n_background: int | None = None, random_state: int | None = 0, explain_subset: Any = None):
        check_fitted(model)
        self.model = model
        self.explain_subset = explain_subset
        features = names_of(features, "features")
        prefix, estimator = split_pipeline(model)
        if prefix is not None and transformations is not None:
            raise InvalidParameterError(
                "The model is a Pipeline whose first steps already transform the data; pass either the Pipeline "
                "or the final model with transformations=, not both."
            )
        initialization_examples, background_weights, _ = unwrap_summary(initialization_examples, None)
        self.transform = prefix if prefix is not None else transformer_of(transformations)
        self.feature_map: FeatureMap | None = None
        mapping_source = prefix if prefix is not None else transformations
        # with a transformation, features= names the raw columns (else the examples' columns do)
        raw_names = None if self.transform is None else raw_feature_names(features, initialization_examples)
        network = torch_network(estimator)
        if network is not None and not DeepShap.supports(network):
            network = None  # a layer Deep SHAP cannot propagate through: explained model-agnostically
        model_agnostic = tree_family(estimator) is None and not is_linear_model(estimator) and network is None
        if mapping_source is not None and not model_agnostic:
            # tree and linear models are explained on engineered columns, then mapped to raw ones: a
            # transformation that cannot be mapped is refused here (never explained engineered silently)
            self.feature_map = feature_map(mapping_source, raw_names, sample=initialization_examples,
                                           allow_all_transformations=allow_all_transformations)
        engineered = None if self.feature_map is None else list(self.feature_map.engineered_features)
        if self.transform is None:
            engineered = features if features is not None else engineered
        task = infer_task(estimator, model_task)

        if tree_family(estimator) is not None:
            self.explainer: Explainer = TreeShap(
                estimator, features=engineered, classes=classes, model_task=model_task, random_state=random_state,
            )
        elif network is not None:
            self.explainer = DeepShap(
                estimator, self._transformed(initialization_examples), background_weights=background_weights,
                features=engineered, classes=classes, model_task=model_task, random_state=random_state,
                n_background=100 if n_background is None else n_background,
            )
        elif is_linear_model(estimator):
            self.explainer = LinearShap(
                estimator, self._transformed(initialization_examples), background_weights=background_weights,
                features=engineered, classes=classes, model_task=model_task, random_state=random_state,
            )
        else:
            target, output_space = model, None
            if transformations is not None and self.transform is not None:
                predict, output_space = prediction_function(estimator, task)
                transform = self.transform.transform

                def target(rows: Any) -> np.ndarray:
                    return predict(transform(rows))
            raw_features = features if self.transform is not None or features is not None else engineered
            self.explainer = KernelShap(
                target, initialization_examples, background_weights=background_weights, features=raw_features,
                classes=classes, model_task=task or model_task,
                n_background=_DEFAULT_BACKGROUND if n_background is None else n_background, random_state=random_state,
            )
            if n_background is None and self.explainer.summary in ("kmeans", "sample"):
                _log.warning(
                    "TabularExplainer: KernelShap summarizes the background to %d weighted %s, as "
                    "interpret-community does; for more accurate values pass n_background=100 (or more), at "
                    "about n_background/%d times the run time.", self.explainer.background.n_rows,
                    "k-means centres" if self.explainer.summary == "kmeans" else "sampled rows", _DEFAULT_BACKGROUND)
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

    def settled_for_rows(self, n_rows: int | None) -> TabularExplainer:
        """This explainer with the chosen one settled for a job of ``n_rows`` rows
        (:meth:`Explainer.settled_for_rows`)."""
        return self._with_settled("explainer", n_rows)

    def explain(self, X: Any, y: Any = None, *, raw: bool | None = None) -> Explanation:
        """Explain ``X`` (raw rows); ``raw=False`` gives the engineered-feature explanation. With
        ``explain_subset``, only those columns' values are kept."""
        return keep_subset(self._explain(X, y, raw), self.explain_subset)

    def _explain(self, X: Any, y: Any, raw: bool | None) -> Explanation:
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
                    "raw=True needs transformations (or a Pipeline) to map engineered features to raw ones; "
                    "none was given."
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
