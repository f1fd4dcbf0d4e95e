"""``interpret_community.mimic``'s names."""

from .._explainers import MimicExplainer

__all__ = ["MimicExplainer"]
