"""``azureml.interpret.scoring.scoring_explainer``'s names, so a deployed scoring script runs after the swap."""

from ...scoring import (
    DeepScoringExplainer,
    KernelScoringExplainer,
    LinearScoringExplainer,
    ScoringExplainer,
    TreeScoringExplainer,
    load,
    save,
)

__all__ = [
    "DeepScoringExplainer",
    "KernelScoringExplainer",
    "LinearScoringExplainer",
    "ScoringExplainer",
    "TreeScoringExplainer",
    "load",
    "save",
]
