"""Checks of arguments that every layer shares, each written once, raising explain-lib's own errors."""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import InvalidParameterError

__all__ = ["check_int", "check_positive_int"]


def check_positive_int(value: Any, name: str, *, allow_none: bool = True) -> int | None:
    """``value`` as an ``int`` when it is a positive integer (Python or numpy; never a bool).

    None passes through when ``allow_none``; anything else raises :class:`InvalidParameterError`
    naming the argument and what came.
    """
    return check_int(value, name, minimum=1, allow_none=allow_none)


def check_int(value: Any, name: str, *, minimum: int, allow_none: bool = False) -> int | None:
    """``value`` as an ``int`` when it is an integer >= ``minimum`` (Python or numpy; never a bool)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        expected = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise InvalidParameterError(f"{name} must be {expected}{' or None' if allow_none else ''}, got {value!r}.")
    return int(value)
