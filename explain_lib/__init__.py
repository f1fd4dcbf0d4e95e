"""explain-lib: MLflow-native model interpretability.

Explain a model with ``TabularExplainer(model, X_train).explain(X_test)``, which picks one of the
explainers by the model's type — ``TreeShap``, ``LinearShap``, ``KernelShap``, ``DeepShap`` — or use
one directly, or ``MimicExplainer`` (a surrogate) and ``PFIExplainer`` (permutation importance), and
get an :class:`Explanation`. ``ExplanationClient`` / ``log_explanation`` keep explanations in MLflow
run history (with plots and a dashboard page), ``compare`` compares two of them.

This module is the top of the package's layers: it re-exports public names, and it hands the report
layer's writers (plots, dashboard) to :mod:`explain_lib._renderers`, where the upload and
:meth:`Explanation.to_html` find them.
"""

from . import _renderers
from ._version import __version__
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


def _plot_writer():
    from .report.plots import save_plots

    return save_plots


def _dashboard_writer():
    from .report.dashboard import write_dashboard

    return write_dashboard


_renderers.register("plots", _plot_writer)
_renderers.register("dashboard", _dashboard_writer)

# The run-history layer pulls in MLflow (about a second to import): loaded on first use.
_TRACKING_NAMES = ("ExplanationClient", "log_explanation")


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
]
