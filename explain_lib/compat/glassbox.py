"""``interpret.ext.glassbox``'s names: the surrogates MimicExplainer distils into."""

from ..explainers import (
    DecisionTreeExplainableModel,
    LGBMExplainableModel,
    LinearExplainableModel,
    SGDExplainableModel,
)

__all__ = ["DecisionTreeExplainableModel", "LGBMExplainableModel", "LinearExplainableModel", "SGDExplainableModel"]
