"""The MLflow run a step logs into, and its progress messages."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import mlflow

from .._progress import status
from ..tracking._http import bounded_retries, check_reachable

__all__ = ["progress", "step_run"]


@contextmanager
def step_run() -> Iterator[mlflow.ActiveRun]:
    """The active MLflow run, else one started here (and ended here, FAILED on an exception).

    ``mlflow.start_run()`` resumes the run named by ``MLFLOW_RUN_ID`` and honours
    ``MLFLOW_EXPERIMENT_NAME`` / ``MLFLOW_TRACKING_URI``, so a remote job logs into the run it is given.
    A tracking server that does not answer is reported before any run is started, and MLflow's HTTP
    retries stay bounded while the step logs (see :mod:`explain_lib.tracking._http`).
    """
    tracking_uri = mlflow.get_tracking_uri()
    check_reachable(tracking_uri)
    with bounded_retries(tracking_uri):
        active = mlflow.active_run()
        if active is not None:
            yield active
            return
        run = mlflow.start_run()
        try:
            yield run
        except BaseException:
            mlflow.end_run(status="FAILED")
            raise
        mlflow.end_run()


@contextmanager
def progress(message: str) -> Iterator[None]:
    """Print ``message ...`` on stderr, then ``done in N s`` when the block finishes."""
    start = time.monotonic()
    status(f"{message} ...")
    yield
    status(f"{message}: done in {time.monotonic() - start:.1f} s")
