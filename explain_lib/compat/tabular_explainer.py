"""``interpret_community.tabular_explainer``'s name."""

from ..explainers import TabularExplainer

__all__ = ["TabularExplainer"]
