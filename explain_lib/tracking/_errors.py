"""The errors of the run-history layer, all under :class:`explain_lib.errors.ExplainLibError`."""

from __future__ import annotations

from ..errors import ExplainLibError

__all__ = [
    "ExplanationExistsError",
    "ExplanationNotFoundError",
    "RunNotFoundError",
    "TrackingError",
    "TrackingServerUnreachableError",
]


class TrackingError(ExplainLibError):
    """Explanations could not be written to or read from MLflow run history."""


class RunNotFoundError(TrackingError, LookupError):
    """The MLflow run does not exist (or was deleted) in the tracking store."""


class ExplanationNotFoundError(TrackingError, LookupError):
    """No uploaded explanation of the run has the requested id or matches the filters."""


class ExplanationExistsError(TrackingError):
    """An explanation with this id is already uploaded to the run."""


class TrackingServerUnreachableError(TrackingError, ConnectionError):
    """The MLflow tracking server did not answer within the bounded retries."""
