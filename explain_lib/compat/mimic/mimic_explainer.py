"""``interpret_community.mimic.mimic_explainer``'s names."""

from ...explainers import MimicExplainer
from ...explainers.mimic import SMALL_DATA_THRESHOLD

__all__ = ["MimicExplainer", "SMALL_DATA_THRESHOLD"]
