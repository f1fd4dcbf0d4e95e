"""Explanations in MLflow run history: :class:`ExplanationClient` and :func:`log_explanation`.

``ExplanationClient.from_run_id(run_id)`` uploads, lists and downloads the explanations of one run,
through ``mlflow.MlflowClient`` only: MLflow's default local store, a sqlite or file store and a
tracking server over HTTP (with its artifact proxy) behave the same, and nothing else is contacted.

What one upload writes to the run
---------------------------------
::

    explanations/<id>/
        explanation.json         Explanation.save() metadata (schema-versioned, see explain_lib._format)
                                 plus an "upload" block: comment, top_k, upload_time, run_id,
                                 num_features / num_examples of the full explanation, "ranked" (every
                                 feature's global importance, highest first, and per class: names and
                                 values ranked per class), datasets (name, digest, context), the eval
                                 sample's columns and the plot files
        local.parquet            local values, float32 (only the top-k features when uploaded with top_k)
        data.parquet             the explained rows' feature values (same features), if the explanation has them
        eval_sample.parquet      at most visualization_points seeded-random rows: __row__ (position in the
                                 explanation), the stored features' values, __prediction__ (recovered from
                                 additivity: argmax class / regression value) and __true_y__ (true_ys)
        plots/global_importance.png, plots/beeswarm.png (multiclass: beeswarm_<k>_<class>.png per class),
        plots/dependence_<rank>_<feature>.png for the top 3 features
    explanations/<group>_global_importance.json
                                 a table in mlflow.log_table's format (JSON, orient="split"), listed in the
                                 run's mlflow.loggedArtifacts tag: one row per feature, ranked, with
                                 explanation_id, comment, importance and per-class columns (up to 20
                                 classes). <group> is the comment, else raw / engineered / model, so the
                                 same path in several runs lines up in the UI's run-compare table view;
                                 a later upload with the same group replaces it

Run metrics ``explanation/<group>/importance/<feature>``: the top-k global importances (top 20 when no
top_k), feature names reduced to MLflow's key alphabet. Run inputs: ``init_dataset`` and
``eval_dataset`` with contexts ``explanation_init`` / ``explanation_eval``.

Run tags, written last: ``model_explanation=True`` and the commit marker
``explain_lib.explanation.<id>``, whose value is a small JSON with the listing fields (id, comment,
method, model_task, is_raw, is_engineered, num_features, num_examples, upload_time). Listing reads
only these tags; an upload without its marker (it died midway) is invisible and can be redone.
Downloads fetch ``explanation.json`` and the parquet files it names, never plots or the eval sample.

Failures are :class:`~explain_lib.errors.ExplainLibError` subclasses: :class:`RunNotFoundError`,
:class:`ExplanationNotFoundError`, :class:`ExplanationExistsError`,
:class:`TrackingServerUnreachableError` (an HTTP server that does not answer within ~30 s) and
:class:`TrackingError` (anything else MLflow refused, with the store named).
"""

from ._client import EVAL_DATASET_CONTEXT, INIT_DATASET_CONTEXT, ExplanationClient, log_explanation
from ._errors import (
    ExplanationExistsError,
    ExplanationNotFoundError,
    RunNotFoundError,
    TrackingError,
    TrackingServerUnreachableError,
)

__all__ = [
    "EVAL_DATASET_CONTEXT",
    "INIT_DATASET_CONTEXT",
    "ExplanationClient",
    "ExplanationExistsError",
    "ExplanationNotFoundError",
    "RunNotFoundError",
    "TrackingError",
    "TrackingServerUnreachableError",
    "log_explanation",
]
