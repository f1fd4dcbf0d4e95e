"""Explanations at inference time: scoring explainers (azureml-interpret's names).

``ScoringExplainer(explainer)`` keeps what a fitted explainer needs to explain new rows (never its
training data); ``explain(X, get_raw=None)`` returns local importances as azureml-interpret did
(nested lists: ``(n_rows, n_features)``, or one such matrix per class), ``explain_local`` the full
:class:`~explain_lib.Explanation`; ``save(directory)`` / ``ScoringExplainer.load(directory)``
(and the module functions ``save`` / ``load``) store it. ``TreeScoringExplainer``,
``LinearScoringExplainer``, ``KernelScoringExplainer`` and ``DeepScoringExplainer`` are
azureml-interpret's constructors. :func:`scoring_frame` lays predictions and importances side by
side, as the MLflow model of :func:`explain_lib.mlflow.log_scoring_explainer` returns them.
"""

from ._explainer import (
    DeepScoringExplainer,
    KernelScoringExplainer,
    LinearScoringExplainer,
    ScoringExplainer,
    TreeScoringExplainer,
    load,
    save,
)
from ._frame import scoring_frame

__all__ = [
    "DeepScoringExplainer",
    "KernelScoringExplainer",
    "LinearScoringExplainer",
    "ScoringExplainer",
    "TreeScoringExplainer",
    "load",
    "save",
    "scoring_frame",
]
