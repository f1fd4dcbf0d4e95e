"""The version of explain-lib, in one place (the package root and MLflow model requirements read it)."""

__version__ = "0.1.0"
