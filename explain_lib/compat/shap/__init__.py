"""``interpret_community.shap``'s names (aliases of explain-lib's SHAP explainers, not the shap package)."""

from .._explainers import DeepExplainer, GPUKernelExplainer, KernelExplainer, LinearExplainer, TreeExplainer

__all__ = ["DeepExplainer", "GPUKernelExplainer", "KernelExplainer", "LinearExplainer", "TreeExplainer"]
