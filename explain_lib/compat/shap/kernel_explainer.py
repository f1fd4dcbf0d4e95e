"""``interpret_community.shap.kernel_explainer``'s name."""

from .._explainers import KernelExplainer

__all__ = ["KernelExplainer"]
