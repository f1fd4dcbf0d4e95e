"""``interpret_community.shap.linear_explainer``'s name."""

from .._explainers import LinearExplainer

__all__ = ["LinearExplainer"]
