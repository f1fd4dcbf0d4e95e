"""Bounded waits on an HTTP tracking server: one probe before anything is written, few retries after.

MLflow retries a request to a server that does not answer ``MLFLOW_HTTP_REQUEST_MAX_RETRIES`` times
(default 7) with exponential back-off (``MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR``, default 2): about
250 s before an error, per request. So:

* :func:`check_reachable` sends one HEAD request (``_DEFAULT_PROBE_TIMEOUT`` s) before a command,
  a step or a client starts writing, and raises :class:`TrackingServerUnreachableError` naming the
  URI: a server that is down is reported within ~10 s, before any run is started.
* :func:`bounded_retries` lowers MLflow's own retries to ``_DEFAULT_RETRIES`` with back-off factor
  1 (waits of 1 s and 2 s) while we write, so an upload whose server dies midway fails within
  seconds of the last answer instead of minutes.

Both only apply defaults: when the user sets ``MLFLOW_HTTP_REQUEST_MAX_RETRIES``,
``MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR`` or ``MLFLOW_HTTP_REQUEST_TIMEOUT`` (a slow or rate-limited
server), the probe retries and waits as they say and MLflow's settings are left alone.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import urllib.parse
from collections.abc import Iterator

from mlflow.exceptions import MlflowException

from ._errors import TrackingServerUnreachableError

__all__ = ["bounded_retries", "check_reachable", "display_uri", "is_connection_failure"]

_RETRIES_VAR = "MLFLOW_HTTP_REQUEST_MAX_RETRIES"
_BACKOFF_VAR = "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"
_TIMEOUT_VAR = "MLFLOW_HTTP_REQUEST_TIMEOUT"
_DEFAULT_PROBE_TIMEOUT = 10.0
_DEFAULT_RETRIES = "2"
_DEFAULT_BACKOFF = "1"
_lock = threading.Lock()
_depth = 0  # blocks running now
_owned: tuple[str, ...] = ()  # the variables the outermost block set (and removes)


def display_uri(uri: str) -> str:
    """The tracking URI without credentials (user:password@, query strings), for messages."""
    parsed = urllib.parse.urlparse(uri)
    if not parsed.netloc:
        return uri
    return parsed._replace(netloc=parsed.netloc.rpartition("@")[2], query="", fragment="").geturl()


def _is_http(uri: str) -> bool:
    return urllib.parse.urlparse(uri).scheme in ("http", "https")


def _env_number(name: str, default: float) -> float:
    text = os.environ.get(name)
    if text is None or not text.strip():
        return default
    try:
        return float(text)
    except ValueError:
        return default  # MLflow itself will refuse the malformed value with its own message


def check_reachable(tracking_uri: str) -> None:
    """Raise :class:`TrackingServerUnreachableError` when an HTTP tracking server does not answer.

    One HEAD request with a ``_DEFAULT_PROBE_TIMEOUT`` s timeout; ``MLFLOW_HTTP_REQUEST_TIMEOUT``
    replaces the timeout and ``MLFLOW_HTTP_REQUEST_MAX_RETRIES`` adds retries (waits of
    ``MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR * 2**n`` s). Any HTTP answer, even an error status, means
    the server is there; TLS problems are left to MLflow's own settings. Other stores: nothing to do.
    """
    if not _is_http(tracking_uri):
        return
    import requests

    timeout = _env_number(_TIMEOUT_VAR, _DEFAULT_PROBE_TIMEOUT)
    retries = max(0, int(_env_number(_RETRIES_VAR, 0)))
    backoff = _env_number(_BACKOFF_VAR, 2.0)
    last_error: Exception | None = None
    for attempt in range(retries + 1):
        try:
            requests.head(tracking_uri, timeout=timeout, allow_redirects=False)
            return
        except requests.exceptions.SSLError:
            return
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as error:
            last_error = error
            if attempt < retries:
                time.sleep(backoff * 2**attempt)
    tries = f"{retries + 1} attempts" if retries else "1 attempt"
    raise TrackingServerUnreachableError(
        f"The MLflow tracking server at {display_uri(tracking_uri)} did not answer ({tries}, {timeout:g} s timeout): "
        f"{type(last_error).__name__}. Check that the server is running and that MLFLOW_TRACKING_URI (or "
        f"--tracking-uri / tracking_uri=) names it; for a slow server raise {_TIMEOUT_VAR} (seconds) and "
        f"{_RETRIES_VAR}."
    ) from last_error


@contextlib.contextmanager
def bounded_retries(tracking_uri: str) -> Iterator[None]:
    """MLflow's HTTP retries lowered to a few seconds inside the block, unless the user set them.

    The settings are environment variables MLflow reads at every request, so they apply to the
    whole process while the block runs (nested and concurrent blocks share one setting).
    """
    global _depth, _owned
    if not _is_http(tracking_uri):
        yield
        return
    with _lock:
        if _depth == 0:
            _set = {name: value for name, value in ((_RETRIES_VAR, _DEFAULT_RETRIES), (_BACKOFF_VAR, _DEFAULT_BACKOFF))
                    if name not in os.environ}
            os.environ.update(_set)
            _owned = tuple(_set)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                for name in _owned:
                    os.environ.pop(name, None)
                _owned = ()


def is_connection_failure(error: MlflowException) -> bool:
    """Whether MLflow gave up on a request because the server did not answer (not a store's refusal).

    MLflow reports both a dead connection and a store conflict as INTERNAL_ERROR; the first wraps a
    ``requests`` exception ("API request to ... failed with exception ...").
    """
    import requests

    cause = error.__cause__ or error.__context__
    return isinstance(cause, requests.exceptions.RequestException) or str(error.message).startswith("API request to")
