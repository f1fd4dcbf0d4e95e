"""Explain data that does not fit in memory: chunked, parallel and resumable on one machine; Spark beyond it.

``explain_chunked(explainer, data, chunk_rows=, workers=, job_dir=, resume=)`` runs any explainer with
local values over a DataFrame, an array, or Parquet / CSV files, chunk by chunk on every core, writing
each chunk's values as a Parquet part as it finishes; a killed job resumes from its finished parts.
``explain_spark(explainer, spark_frame, output_uri)`` runs the same explainer on a Spark DataFrame, on a
classic session or Spark Connect.
``interactions_chunked(tree_explainer, data, top_k=)`` computes exact interaction values chunk by chunk into
memory-mapped arrays.
"""

from ._errors import ExecutorEnvironmentError, JobMismatchError, SchemaDriftError
from ._interactions import interactions_chunked
from ._local import explain_chunked
from ._spark import explain_spark

__all__ = ["ExecutorEnvironmentError", "JobMismatchError", "SchemaDriftError", "explain_chunked", "explain_spark",
           "interactions_chunked"]
