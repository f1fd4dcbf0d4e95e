"""Explainers: one class per method, one verb, ``explain(X, y=None) -> Explanation``."""

from ._base import Explainer
from ._surrogates import (
    DecisionTreeExplainableModel,
    ExplainableModel,
    LGBMExplainableModel,
    LinearExplainableModel,
    SGDExplainableModel,
)
from .deep import DeepShap
from .kernel import KernelShap
from .linear import LinearShap
from .mimic import MimicExplainer
from .pfi import PFIExplainer
from .tabular import TabularExplainer
from .tree import TreeShap

__all__ = [
    "DecisionTreeExplainableModel",
    "DeepShap",
    "ExplainableModel",
    "Explainer",
    "KernelShap",
    "LGBMExplainableModel",
    "LinearExplainableModel",
    "LinearShap",
    "MimicExplainer",
    "PFIExplainer",
    "SGDExplainableModel",
    "TabularExplainer",
    "TreeShap",
]
