"""Explainers: one class per method, one verb, ``explain(X, y=None) -> Explanation``."""

from ._base import Explainer
from .kernel import KernelShap
from .linear import LinearShap
from .tabular import TabularExplainer
from .tree import TreeShap

__all__ = ["Explainer", "KernelShap", "LinearShap", "TabularExplainer", "TreeShap"]
