"""``interpret_community.shap.tree_explainer``'s name."""

from .._explainers import TreeExplainer

__all__ = ["TreeExplainer"]
