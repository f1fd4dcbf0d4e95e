"""``interpret_community.permutation``'s name."""

from ...explainers import PFIExplainer

__all__ = ["PFIExplainer"]
