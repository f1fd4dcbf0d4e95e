"""Run Azure ML pipeline-job YAML locally on MLflow.

:func:`run_pipeline` reads a pipeline such as ``pipelines/adult_income.yaml`` (Azure ML pipeline-job
format whose jobs are command components calling the ``explain-lib`` CLI) and runs it here: one
parent MLflow run, one nested run per job, each job's ``command:`` executed as a subprocess with
``MLFLOW_RUN_ID`` set to its nested run, exactly as a remote job would run it. azure-ai-ml is not
needed at run time: the YAML is read with PyYAML.
"""

from ._errors import PipelineError, PipelineSpecError, PipelineStepError
from ._run import run_pipeline
from ._spec import Job, Pipeline, load_pipeline, render_command

__all__ = [
    "run_pipeline",
    "load_pipeline",
    "render_command",
    "Pipeline",
    "Job",
    "PipelineError",
    "PipelineSpecError",
    "PipelineStepError",
]
