"""explain-lib: MLflow-native model interpretability.

Explain a model with ``TabularExplainer(model, X_train).explain(X_test)`` (or a specific method:
``TreeShap``, ``LinearShap``, ``KernelShap``, ``DeepShap``) and get an :class:`Explanation`.
"""

from .errors import (
    CorruptExplanationError,
    ExplainLibError,
    InvalidInputError,
    InvalidParameterError,
    ModelNotFittedError,
    SchemaVersionError,
    UnsupportedModelError,
)
from .explainers import (
    DecisionTreeExplainableModel,
    DeepShap,
    Explainer,
    KernelShap,
    LGBMExplainableModel,
    LinearExplainableModel,
    LinearShap,
    MimicExplainer,
    PFIExplainer,
    SGDExplainableModel,
    TabularExplainer,
    TreeShap,
)
from .explanation import Explanation

__version__ = "0.1.0"

# The run-history layer pulls in MLflow (about a second to import): loaded on first use.
_TRACKING_NAMES = ("ExplanationClient", "log_explanation", "show")


def __getattr__(name: str):
    if name in _TRACKING_NAMES:
        from . import tracking

        return getattr(tracking, name)
    if name == "compare":  # explanation comparison (explain_lib.report.comparison), loaded on first use
        from .report.comparison import compare

        return compare
    raise AttributeError(f"module 'explain_lib' has no attribute {name!r}")

__all__ = [
    "CorruptExplanationError",
    "DecisionTreeExplainableModel",
    "Explainer",
    "ExplainLibError",
    "Explanation",
    "ExplanationClient",
    "InvalidInputError",
    "InvalidParameterError",
    "DeepShap",
    "KernelShap",
    "LGBMExplainableModel",
    "LinearExplainableModel",
    "LinearShap",
    "MimicExplainer",
    "ModelNotFittedError",
    "PFIExplainer",
    "SGDExplainableModel",
    "SchemaVersionError",
    "TabularExplainer",
    "TreeShap",
    "UnsupportedModelError",
    "__version__",
    "compare",
    "log_explanation",
    "show",
]
