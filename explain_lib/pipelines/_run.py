"""Run a pipeline locally on MLflow: a parent run, one nested run per job, each job a subprocess."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from .._progress import status
from ..steps._data import SOURCE_URIS_ENV
from ..steps._run import OUTPUT_URIS_TAG
from ..tracking._ui import get_or_create_experiment, set_run_note
from ._describe import StepRecord, describe_pipeline, headline_metrics
from ._errors import PipelineStepError
from ._spec import Job, OutputRef, Pipeline, load_pipeline, render_command

__all__ = ["run_pipeline"]

logger = logging.getLogger(__name__)

PARENT_TAG = "mlflow.parentRunId"
TAG_PREFIX = "explain_lib.pipeline"
STDERR_TAIL_CHARS = 4000
PARAM_VALUE_CHARS = 6000


def _executable(argv: list[str]) -> list[str]:
    """Resolve a leading ``explain-lib`` next to this interpreter first, then on PATH, else ``python -m``."""
    if not argv or argv[0] != "explain-lib":
        return argv
    beside = Path(sys.executable).parent / "explain-lib"
    if beside.exists():
        return [str(beside), *argv[1:]]
    on_path = shutil.which("explain-lib")
    return [on_path, *argv[1:]] if on_path else [sys.executable, "-m", "explain_lib.cli", *argv[1:]]


def _step_error(stderr: str, returncode: int) -> str:
    """The step's own error line: its last ``explain-lib: error:`` line, else stderr's last non-empty line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("explain-lib: error:")]
    if errors:
        return errors[-1].removeprefix("explain-lib: error:").strip()
    return lines[-1] if lines else f"exit code {returncode} and nothing on stderr"


def _plan(pipeline: Pipeline, work_dir: Path) -> dict[str, tuple[dict[str, str | None], dict[str, str], list[str]]]:
    """Every job's resolved inputs, output folders and argument list, before any run starts."""
    folders = {(job.name, output): str(work_dir / job.name / output) for job in pipeline.jobs for output in job.outputs}
    plan = {}
    for job in pipeline.jobs:
        inputs = {name: folders[(value.job, value.output)] if isinstance(value, OutputRef) else value
                  for name, value in job.inputs.items()}
        outputs = {output: folders[(job.name, output)] for output in job.outputs}
        plan[job.name] = (inputs, outputs, render_command(job.component.command, inputs, outputs))
    return plan


def _stream(argv: list[str], env: Mapping[str, str], *, stdout: IO[bytes], label: str) -> tuple[int, str]:
    """Run ``argv`` to its end: stdout into the file ``stdout``, each stderr line echoed live on our stderr.

    An echoed line reads ``  <label> | <line>``. Returns the exit code and the whole of the command's
    stderr. The command is killed if we are interrupted while it runs.
    """
    lines: list[str] = []
    with subprocess.Popen(argv, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True, errors="replace") as process:
        try:
            for line in process.stderr:
                lines.append(line)
                print(f"  {label} | {line.rstrip()}", file=sys.stderr, flush=True)
        except BaseException:
            process.kill()
            raise
    return process.returncode, "".join(lines)


def _create_job_run(client: Any, job: Job, plan: tuple[dict[str, str | None], dict[str, str], list[str]], *,
                    experiment_id: str, parent_run_id: str, parent_name: str, source_uris: Mapping[str, str]) -> str:
    """The job's nested run, named ``<parent run's name>/<job>``, tagged and with its inputs as params; its output
    folders made.

    An input that is an earlier job's output folder is recorded as the URI that job logged it under
    (``source_uris``), not as the temporary folder.
    """
    inputs, outputs, argv = plan
    run = client.create_run(experiment_id, run_name=f"{parent_name}/{job.name}", tags={
        PARENT_TAG: parent_run_id,
        f"{TAG_PREFIX}.job": job.name,
        f"{TAG_PREFIX}.component": f"{job.component.name}:{job.component.version}",
        f"{TAG_PREFIX}.command": " ".join(argv)[:PARAM_VALUE_CHARS],
    })
    run_id = run.info.run_id
    for folder in outputs.values():
        Path(folder).mkdir(parents=True, exist_ok=True)
    params = {f"inputs.{name}": source_uris.get(str(value), value) for name, value in inputs.items()
              if value is not None}
    for key, value in params.items():
        client.log_param(run_id, key, str(value)[:PARAM_VALUE_CHARS])
    return run_id


def _record_outputs(client: Any, run_id: str, outputs: Mapping[str, str], source_uris: dict[str, str]) -> None:
    """Log the job's ``outputs.*`` params: the URI the step logged each output folder under (its
    ``explain_lib.output_uris`` tag), else the folder; add the URIs to ``source_uris``."""
    try:
        recorded = json.loads(client.get_run(run_id).data.tags.get(OUTPUT_URIS_TAG) or "{}")
    except json.JSONDecodeError:
        recorded = {}
    for name, folder in outputs.items():
        uri = recorded.get(str(Path(folder).resolve()))
        if uri:
            source_uris[folder] = uri
        client.log_param(run_id, f"outputs.{name}", str(uri or folder)[:PARAM_VALUE_CHARS])


def _run_job(client: Any, job: Job, plan: tuple[dict[str, str | None], dict[str, str], list[str]], *,
             experiment_id: str, parent_run_id: str, parent_name: str, tracking_uri: str, log_dir: Path,
             position: str, label: str, source_uris: dict[str, str], started: list[StepRecord]) -> str:
    """Create the job's nested run, run its command with MLFLOW_RUN_ID set, and close the run.

    Prints ``position job (run id) ...`` when it starts and ``done in N s`` or ``FAILED after N s``
    when it ends; the command's stderr lines are echoed meanwhile, prefixed with ``label``. The
    command learns which URI each input folder is a copy of from ``EXPLAIN_LIB_SOURCE_URIS``, and
    MLflow's artifact download bars are off (its stderr is for our progress lines and warnings).
    """
    start = time.monotonic()
    run_id = _create_job_run(client, job, plan, experiment_id=experiment_id, parent_run_id=parent_run_id,
                             parent_name=parent_name, source_uris=source_uris)
    started.append(StepRecord(job.name, run_id))
    status(f"{position} {job.name} (run {run_id}) ...")
    argv = plan[2]
    env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri, "MLFLOW_RUN_ID": run_id,
           "MLFLOW_EXPERIMENT_ID": experiment_id, "MLFLOW_DISABLE_TELEMETRY": "true",
           "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false", SOURCE_URIS_ENV: json.dumps(source_uris)}
    env.pop("MLFLOW_EXPERIMENT_NAME", None)
    logger.info("pipeline job %r (run %s): %s", job.name, run_id, " ".join(argv))
    logs = log_dir / job.name
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / "stdout.txt", "wb") as stdout:
        returncode, stderr = _stream(_executable(argv), env, stdout=stdout, label=label)
    (logs / "stderr.txt").write_text(stderr, encoding="utf-8")
    client.log_artifacts(run_id, str(logs), artifact_path="logs")
    _record_outputs(client, run_id, plan[1], source_uris)
    if returncode == 0:
        client.set_terminated(run_id, "FINISHED")
        status(f"{position} {job.name}: done in {time.monotonic() - start:.1f} s")
        return run_id
    tail = stderr[-STDERR_TAIL_CHARS:]
    error = _step_error(stderr, returncode)
    client.set_tag(run_id, f"{TAG_PREFIX}.error", error[:STDERR_TAIL_CHARS])
    client.set_tag(run_id, f"{TAG_PREFIX}.stderr_tail", tail)
    client.set_terminated(run_id, "FAILED")
    status(f"{position} {job.name}: FAILED after {time.monotonic() - start:.1f} s: {error}")
    raise PipelineStepError(job.name, run_id=run_id, parent_run_id=parent_run_id, returncode=returncode,
                            error=error, stderr_tail=tail)


def _describe(client: Any, parent_id: str, pipeline: Pipeline, started: list[StepRecord], *, outcome: str) -> None:
    """Write the parent run's headline metrics and description (``mlflow.note.content``); a failure to is a
    warning, not an error."""
    from mlflow.entities import Metric

    ran = {record.name: record for record in started}
    steps = [ran.get(job.name, StepRecord(job.name, None)) for job in pipeline.jobs]
    try:
        now = int(time.time() * 1000)
        metrics = [Metric(key, value, now, 0) for key, value in headline_metrics(client, steps).items()]
        if metrics:
            client.log_batch(parent_id, metrics=metrics)
        note = describe_pipeline(client, client.get_run(parent_id), steps, status=outcome,
                                 pipeline_name=pipeline.display_name or pipeline.path.stem,
                                 pipeline_file=str(pipeline.path))
        set_run_note(client, parent_id, note)
    except Exception as error:  # noqa: BLE001 - the runs are logged; a missing description must not fail them
        status(f"warning: could not write the description of run {parent_id}: {type(error).__name__}: {error}")


def _parent_name(client: Any, experiment_id: str, name: str) -> str:
    """``name``, or ``name #<n>`` for the n-th run of that pipeline in the experiment (names tell runs apart in
    the UI's charts and tables; the step runs are named after it)."""
    runs = client.search_runs([experiment_id], f"tags.`{TAG_PREFIX}.name_key` = '{_name_key(name)}'",
                              max_results=50_000)
    return name if not runs else f"{name} #{len(runs) + 1}"


def _name_key(name: str) -> str:
    import hashlib

    return hashlib.sha256(name.encode()).hexdigest()[:16]


def run_pipeline(path: str | Path, *, overrides: Mapping[str, Any] | None = None,
                 experiment_name: str | None = None) -> str:
    """Run an Azure ML pipeline-job YAML locally, logging into the current MLflow tracking store.

    Steps::

        read the pipeline and its components (PyYAML), apply overrides, order jobs topologically
        render every job's command (outputs -> fresh folders, downstream inputs -> those folders)
        parent run (experiment: experiment_name, else the YAML's experiment_name, else the file name)
        for each job: nested run (tag mlflow.parentRunId), params inputs.* (earlier outputs as the
                      URIs their steps logged them under), subprocess with MLFLOW_TRACKING_URI and
                      MLFLOW_RUN_ID = the nested run, stdout/stderr logged as logs/*.txt, params
                      outputs.* (URIs); non-zero exit -> job and parent FAILED
        nested runs are named <parent run's name>/<job>; the parent is named after the pipeline
                      (display_name, "#<n>" from its second run in the experiment)
        parent metrics: the steps' headline figures (held-out metrics, top features' importance,
                      scorecard and comparison verdicts)
        parent description (mlflow.note.content): the verdict and the dashboard first, each step
                      run linked, top features, the reports

    Progress goes to stderr as it happens: ``explain-lib: [i/n] job (run id) ...`` when a job
    starts, each line of its stderr as ``  job | line``, then ``[i/n] job: done in N s`` (or
    ``FAILED after N s: error``).

    Parameters
    ----------
    path : str or Path
        The pipeline YAML, e.g. ``pipelines/adult_income.yaml``.
    overrides : mapping, optional
        Pipeline input values replacing the YAML's, e.g. ``{"explain_sample": 500}``.
    experiment_name : str, optional
        MLflow experiment of the parent and nested runs.

    Returns
    -------
    str
        The parent run's id.

    Raises
    ------
    PipelineSpecError
        If the YAML cannot be run as written (nothing is logged then).
    PipelineStepError
        If a job exits non-zero: its run and the parent are FAILED, earlier jobs' runs keep their
        artifacts, and later jobs do not run.
    """
    import mlflow
    from mlflow import MlflowClient

    from ..tracking._http import check_reachable

    pipeline = load_pipeline(path, overrides=overrides)
    tracking_uri = mlflow.get_tracking_uri()
    check_reachable(tracking_uri)  # a server that is down: one clear error before the parent run
    client = MlflowClient(tracking_uri=tracking_uri)
    with tempfile.TemporaryDirectory(prefix="explain-lib-pipeline-") as tmp:
        work_dir = Path(tmp)
        plan = _plan(pipeline, work_dir / "outputs")
        experiment_id = get_or_create_experiment(
            client, experiment_name or pipeline.experiment_name or pipeline.path.stem)
        base_name = pipeline.display_name or pipeline.path.stem
        parent = client.create_run(experiment_id, run_name=_parent_name(client, experiment_id, base_name), tags={
            f"{TAG_PREFIX}.file": str(pipeline.path),
            f"{TAG_PREFIX}.jobs": json.dumps([job.name for job in pipeline.jobs]),
            f"{TAG_PREFIX}.name_key": _name_key(base_name),
        })
        parent_id = parent.info.run_id
        started: list[StepRecord] = []
        source_uris: dict[str, str] = {}
        try:
            for name, value in pipeline.inputs.items():
                if value is not None:
                    client.log_param(parent_id, name, str(value)[:PARAM_VALUE_CHARS])
            client.log_artifact(parent_id, str(pipeline.path), artifact_path="pipeline")
            width = max(len(job.name) for job in pipeline.jobs)
            for index, job in enumerate(pipeline.jobs, start=1):
                _run_job(client, job, plan[job.name], experiment_id=experiment_id, parent_run_id=parent_id,
                         parent_name=parent.info.run_name, tracking_uri=tracking_uri, log_dir=work_dir / "logs",
                         position=f"[{index}/{len(pipeline.jobs)}]", label=job.name.ljust(width),
                         source_uris=source_uris, started=started)
        except PipelineStepError as error:
            client.set_tag(parent_id, f"{TAG_PREFIX}.failed_job", error.job)
            client.set_tag(parent_id, f"{TAG_PREFIX}.error", f"{error.job}: {error.error}"[:STDERR_TAIL_CHARS])
            _describe(client, parent_id, pipeline, started, outcome="FAILED")
            client.set_terminated(parent_id, "FAILED")
            raise
        except BaseException:
            client.set_terminated(parent_id, "FAILED")
            raise
        _describe(client, parent_id, pipeline, started, outcome="FINISHED")
        client.set_terminated(parent_id, "FINISHED")
    return parent_id
