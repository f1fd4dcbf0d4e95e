"""``interpret_community.common.constants``' enums that notebooks pass as options."""

from .._explainers import ModelTask, ShapValuesOutput

__all__ = ["ModelTask", "ShapValuesOutput"]
