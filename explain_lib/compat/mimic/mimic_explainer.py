"""``interpret_community.mimic.mimic_explainer``'s names."""

from ...explainers.mimic import SMALL_DATA_THRESHOLD
from .._explainers import MimicExplainer

__all__ = ["MimicExplainer", "SMALL_DATA_THRESHOLD"]
