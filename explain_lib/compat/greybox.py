"""``interpret.ext.greybox``'s names."""

from ._explainers import DeepExplainer, LinearExplainer, TreeExplainer

__all__ = ["DeepExplainer", "LinearExplainer", "TreeExplainer"]
