"""``interpret_community.mimic.mimic_explainer``'s name."""

from ...explainers import MimicExplainer

__all__ = ["MimicExplainer"]
