"""``interpret_community.permutation.permutation_importance``'s name."""

from ...explainers import PFIExplainer

__all__ = ["PFIExplainer"]
