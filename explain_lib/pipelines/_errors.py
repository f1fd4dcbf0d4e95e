"""The errors a pipeline run raises: a bad spec, or a step that failed."""

from __future__ import annotations

from ..errors import ExplainLibError

__all__ = ["PipelineError", "PipelineSpecError", "PipelineStepError"]


class PipelineError(ExplainLibError):
    """Base class of every error :func:`~explain_lib.pipelines.run_pipeline` raises."""


class PipelineSpecError(PipelineError, ValueError):
    """The pipeline or component YAML cannot be run as written (raised before any MLflow run starts)."""


class PipelineStepError(PipelineError):
    """A pipeline job's command exited non-zero; its nested run and the parent run are marked FAILED.

    Attributes
    ----------
    job : str
        The failing job's name in the pipeline YAML.
    run_id, parent_run_id : str
        The job's nested MLflow run and the pipeline's parent run.
    returncode : int
        The command's exit code.
    error : str
        The step's error: its last ``explain-lib: error: ...`` line, else the last line of its stderr.
    stderr_tail : str
        The last lines of the step's stderr (also tagged on its run and logged as ``logs/stderr.txt``).
    """

    def __init__(self, job: str, *, run_id: str, parent_run_id: str, returncode: int, error: str,
                 stderr_tail: str) -> None:
        self.job = job
        self.run_id = run_id
        self.parent_run_id = parent_run_id
        self.returncode = returncode
        self.error = error
        self.stderr_tail = stderr_tail
        super().__init__(
            f"pipeline step {job!r} failed (exit code {returncode}, MLflow run {run_id}): {error}\n"
            f"Its full stderr is the artifact logs/stderr.txt of run {run_id}; steps before it kept their "
            f"runs and artifacts.")
