"""``interpret_community.mimic.models.tree_model``'s name."""

from ....explainers import DecisionTreeExplainableModel

__all__ = ["DecisionTreeExplainableModel"]
