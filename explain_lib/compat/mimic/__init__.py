"""``interpret_community.mimic``'s names."""

from ...explainers import MimicExplainer

__all__ = ["MimicExplainer"]
