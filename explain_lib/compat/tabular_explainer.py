"""``interpret_community.tabular_explainer``'s names."""

from __future__ import annotations

from ..explainers import TabularExplainer
from ._explainers import DeepExplainer, GPUKernelExplainer, KernelExplainer, LinearExplainer, TreeExplainer

__all__ = ["TabularExplainer"]


def _get_uninitialized_explainers(use_gpu: bool) -> list[type]:
    """The explainers ``TabularExplainer`` can choose, in the order it checks the model for them.

    interpret-community tries its list one explainer after another; ``TabularExplainer`` here checks the
    model's type, in the same order: a tree ensemble, a PyTorch network, a linear model, else Kernel SHAP.
    There is no GPU explainer (``use_gpu=True`` lists ``GPUKernelExplainer``, which refuses to be built).
    """
    if use_gpu:
        return [GPUKernelExplainer]
    return [TreeExplainer, DeepExplainer, LinearExplainer, KernelExplainer]
