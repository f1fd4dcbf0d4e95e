"""``interpret_community.mimic.models.linear_model``'s names."""

from ....explainers import LinearExplainableModel, SGDExplainableModel

__all__ = ["LinearExplainableModel", "SGDExplainableModel"]
