"""interpret-community and azureml-interpret names, so existing code migrates with an import swap.

One ``sed`` moves a notebook over (see docs/migration.md)::

    interpret.ext.blackbox / greybox / glassbox  ->  explain_lib.compat.blackbox / greybox / glassbox
    interpret_community                          ->  explain_lib.compat
    azureml.interpret                            ->  explain_lib.compat

The explainers are explain-lib's own (``TabularExplainer``, ``PFIExplainer``, the surrogates), which take
interpret-community's arguments; ``KernelExplainer``, ``TreeExplainer``, ``LinearExplainer`` translate its
keyword names; ``MimicExplainer`` trains its surrogate as interpret-community does; ``save_explanation`` /
``load_explanation`` read and write its saved folder format; ``ExplanationClient`` keeps run history in
MLflow, and ``MimicWrapper`` (azureml-interpret's) explains and uploads in one call.
``compat.scoring.scoring_explainer`` holds the scoring explainers of :mod:`explain_lib.scoring`.
"""

from ..explainers import (
    DecisionTreeExplainableModel,
    LGBMExplainableModel,
    LinearExplainableModel,
    PFIExplainer,
    SGDExplainableModel,
    TabularExplainer,
)
from ._explainers import (
    DeepExplainer,
    KernelExplainer,
    LinearExplainer,
    MimicExplainer,
    ModelTask,
    ShapValuesOutput,
    TreeExplainer,
)
from ._saved import load_explanation, save_explanation

# Run history pulls in MLflow (about a second to import): loaded on first use.
_HISTORY_NAMES = ("ExplanationClient", "get_explanation", "log_explanation")


def __getattr__(name: str):
    if name in _HISTORY_NAMES:
        from . import _history

        return getattr(_history, name)
    if name == "MimicWrapper":
        from .mimic_wrapper import MimicWrapper

        return MimicWrapper
    raise AttributeError(f"module 'explain_lib.compat' has no attribute {name!r}")


__all__ = [
    "DecisionTreeExplainableModel",
    "DeepExplainer",
    "ExplanationClient",
    "KernelExplainer",
    "LGBMExplainableModel",
    "LinearExplainableModel",
    "LinearExplainer",
    "MimicExplainer",
    "MimicWrapper",
    "ModelTask",
    "PFIExplainer",
    "SGDExplainableModel",
    "ShapValuesOutput",
    "TabularExplainer",
    "TreeExplainer",
    "get_explanation",
    "load_explanation",
    "log_explanation",
    "save_explanation",
]
