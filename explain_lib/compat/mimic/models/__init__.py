"""``interpret_community.mimic.models``'s surrogate names."""

from ....explainers import (
    DecisionTreeExplainableModel,
    LGBMExplainableModel,
    LinearExplainableModel,
    SGDExplainableModel,
)

__all__ = ["DecisionTreeExplainableModel", "LGBMExplainableModel", "LinearExplainableModel", "SGDExplainableModel"]
