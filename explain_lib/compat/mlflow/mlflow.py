"""``interpret_community.mlflow.mlflow``'s functions (the module interpret-community's own tests import)."""

from .._history import get_explanation, log_explanation

__all__ = ["get_explanation", "log_explanation"]
