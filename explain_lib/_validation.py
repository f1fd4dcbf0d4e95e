"""Checks of arguments that every layer shares, each written once, raising explain-lib's own errors."""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import InvalidParameterError, did_you_mean

__all__ = ["check_int", "check_positive_int", "output_index"]


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


def output_index(task: str, classes: tuple | None, cls: Any) -> int:
    """Position of class label ``cls`` among a result's outputs; None means the regression output or a
    binary classifier's positive class (a multiclass result needs ``cls``)."""
    if task == "regression":
        if cls is not None:
            raise InvalidParameterError("cls applies to classification explanations only; pass cls=None.")
        return 0
    if cls is None:
        if len(classes) == 2:
            return 1
        raise InvalidParameterError(
            f"This explanation has {len(classes)} classes; pass cls= one of {list(classes)}."
        )
    label = cls.item() if isinstance(cls, np.generic) else cls
    matches = [i for i, known in enumerate(classes) if known == label]
    if not matches:
        raise InvalidParameterError(
            f"Unknown class {cls!r}; the classes are {list(classes)}." + did_you_mean(str(cls), map(str, classes))
        )
    return matches[0]
