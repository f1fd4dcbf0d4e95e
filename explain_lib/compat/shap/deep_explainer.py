"""``interpret_community.shap.deep_explainer``'s name."""

from .._explainers import DeepExplainer

__all__ = ["DeepExplainer"]
