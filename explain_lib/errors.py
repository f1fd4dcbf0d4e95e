"""The exceptions explain-lib raises.

One small hierarchy rooted at :class:`ExplainLibError`, so callers can catch everything we raise
with one ``except``. Each message says what was expected, what came, and how to fix it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "ExplainLibError",
    "InvalidInputError",
    "InvalidParameterError",
    "UnsupportedModelError",
    "SchemaVersionError",
    "CorruptExplanationError",
    "MissingLabelsError",
    "ModelNotFittedError",
    "ValuesNotAvailableError",
    "did_you_mean",
]


class ExplainLibError(Exception):
    """Base class of every error explain-lib raises on purpose."""


class InvalidInputError(ExplainLibError, ValueError):
    """The data handed to an explainer cannot be explained as given (shape, columns, NaN, empty)."""


class MissingLabelsError(InvalidInputError, TypeError):
    """A method that scores predictions against true labels (permutation importance) was called without them.

    Also a ``TypeError``, as a missing required argument is: interpret-community's
    ``PFIExplainer.explain_global(evaluation_examples, true_labels)`` takes them positionally.
    """


class InvalidParameterError(ExplainLibError, ValueError):
    """An option has a value outside what it accepts."""


class UnsupportedModelError(ExplainLibError, TypeError):
    """The model cannot be explained by the requested method."""


class ValuesNotAvailableError(InvalidParameterError, AttributeError):
    """The explanation does not hold the values asked for (local values of a global-only explanation).

    Also an ``AttributeError``, as interpret-community's explanations simply lack the attribute, so
    ``hasattr(explanation, "local_importance_values")`` is False for a global-only explanation.
    """


class SchemaVersionError(ExplainLibError):
    """A saved explanation was written in a format this version cannot read."""


class CorruptExplanationError(ExplainLibError):
    """A saved explanation's files are damaged: not JSON, truncated, missing parts, or disagreeing shapes."""


class ModelNotFittedError(ExplainLibError, ValueError):
    """The model has not been fitted yet, so there is nothing to explain."""


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest choice (else the shortest choice that ``name`` of
    three or more characters begins, ``hours`` -> ``hours_per_week``), or an empty string."""
    choices = [str(c) for c in choices]
    close = difflib.get_close_matches(str(name), choices, n=1, cutoff=0.6)
    if not close and len(str(name)) >= 3:
        close = sorted((c for c in choices if c.lower().startswith(str(name).lower())), key=len)[:1]
    return f" Did you mean {close[0]!r}?" if close else ""
