"""``interpret_community.mimic.models.lightgbm_model``'s name."""

from ....explainers import LGBMExplainableModel

__all__ = ["LGBMExplainableModel"]
