"""explain-lib: MLflow-native model interpretability.

Explain a model with ``TabularExplainer(model, X_train).explain(X_test)`` (or a specific method:
``TreeShap``, ``LinearShap``, ``KernelShap``) and get an :class:`Explanation`.
"""

from .errors import (
    ExplainLibError,
    InvalidInputError,
    InvalidParameterError,
    SchemaVersionError,
    UnsupportedModelError,
)
from .explainers import (
    DecisionTreeExplainableModel,
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

__all__ = [
    "DecisionTreeExplainableModel",
    "Explainer",
    "ExplainLibError",
    "Explanation",
    "InvalidInputError",
    "InvalidParameterError",
    "KernelShap",
    "LGBMExplainableModel",
    "LinearExplainableModel",
    "LinearShap",
    "MimicExplainer",
    "PFIExplainer",
    "SGDExplainableModel",
    "SchemaVersionError",
    "TabularExplainer",
    "TreeShap",
    "UnsupportedModelError",
    "__version__",
]
