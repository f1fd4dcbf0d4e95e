"""Errors of the chunked and Spark engines, inside explain-lib's hierarchy."""

from __future__ import annotations

from ..errors import ExplainLibError, InvalidInputError, InvalidParameterError

__all__ = ["ExecutorEnvironmentError", "JobMismatchError", "SchemaDriftError"]


class SchemaDriftError(InvalidInputError):
    """A chunk's columns differ from the first chunk's (e.g. one file of a folder has other columns)."""


class JobMismatchError(InvalidParameterError):
    """A job directory holds another job (other input, explainer or chunk size) than the one asked to resume."""


class ExecutorEnvironmentError(ExplainLibError):
    """The Spark executors' Python cannot run the explainer: a module it needs is not installed there."""
