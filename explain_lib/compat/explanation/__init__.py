"""``interpret_community.explanation``: its saved folder format."""

from .._saved import load_explanation, save_explanation

__all__ = ["load_explanation", "save_explanation"]
