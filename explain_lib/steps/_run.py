"""The MLflow run a step logs into, what it records about its outputs, and its progress messages."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import mlflow

from .._progress import status
from ..tracking._http import bounded_retries, check_reachable

__all__ = ["OUTPUT_URIS_TAG", "describe_run", "progress", "record_outputs", "step_run"]

OUTPUT_URIS_TAG = "explain_lib.output_uris"  # {local output folder: the MLflow URI it is a copy of}


@contextmanager
def step_run() -> Iterator[mlflow.ActiveRun]:
    """The active MLflow run, else one started here (and ended here, FAILED on an exception).

    ``mlflow.start_run()`` resumes the run named by ``MLFLOW_RUN_ID`` and honours
    ``MLFLOW_EXPERIMENT_NAME`` / ``MLFLOW_TRACKING_URI``, so a remote job logs into the run it is given.
    An experiment named by ``MLFLOW_EXPERIMENT_NAME`` that does not exist yet is created here, as a
    model-development experiment (see :mod:`explain_lib.tracking._ui`). A tracking server that does not
    answer is reported before any run is started, and MLflow's HTTP retries stay bounded while the step
    logs (see :mod:`explain_lib.tracking._http`).
    """
    from ..tracking._ui import get_or_create_experiment

    tracking_uri = mlflow.get_tracking_uri()
    check_reachable(tracking_uri)
    with bounded_retries(tracking_uri):
        active = mlflow.active_run()
        if active is not None:
            yield active
            return
        name = os.environ.get("MLFLOW_EXPERIMENT_NAME")
        if name and not os.environ.get("MLFLOW_RUN_ID") and not os.environ.get("MLFLOW_EXPERIMENT_ID"):
            get_or_create_experiment(mlflow.MlflowClient(), name)
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


def record_outputs(run_id: str, outputs: Mapping[str | Path, str]) -> None:
    """Say which MLflow URI each local output folder is a copy of (the run tag ``explain_lib.output_uris``),
    so whoever passes the folder on (a pipeline runner) can record the URI instead of a temporary path."""
    client = mlflow.MlflowClient()
    recorded = json.loads(client.get_run(run_id).data.tags.get(OUTPUT_URIS_TAG) or "{}")
    recorded.update({str(Path(folder).resolve()): uri for folder, uri in outputs.items()})
    client.set_tag(run_id, OUTPUT_URIS_TAG, json.dumps(recorded))


def describe_run(run_id: str, section: str, lines: list[str]) -> None:
    """Write the step's ``#### section`` of the run's description (kept when somebody else wrote one)."""
    from ..tracking._ui import set_run_note

    set_run_note(mlflow.MlflowClient(), run_id, "\n".join(lines), section=section)
