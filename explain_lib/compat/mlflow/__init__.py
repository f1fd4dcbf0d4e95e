"""``interpret_community.mlflow``'s functions: log / get an explanation as an MLflow run artifact.

Named after the module it stands in for so that the import swap works; it is not MLflow.
"""

from .._history import get_explanation, log_explanation

__all__ = ["get_explanation", "log_explanation"]
