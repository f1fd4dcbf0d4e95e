"""``azureml.interpret.scoring``'s names: the scoring explainers of :mod:`explain_lib.scoring`."""

from ...scoring import (
    DeepScoringExplainer,
    KernelScoringExplainer,
    LinearScoringExplainer,
    TreeScoringExplainer,
    load,
    save,
)

__all__ = [
    "DeepScoringExplainer",
    "KernelScoringExplainer",
    "LinearScoringExplainer",
    "TreeScoringExplainer",
    "load",
    "save",
]
