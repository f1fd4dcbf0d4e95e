"""Explanations in MLflow run history: :class:`ExplanationClient`, :func:`log_explanation`, scored batches.

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
                                 explanation), __index__ (the row's label: the explained DataFrame's index),
                                 the stored features' values, __prediction__ (recovered from additivity:
                                 argmax class / regression value) and __true_y__ (true_ys)
        plots/global_importance.png, plots/beeswarm.png (multiclass: beeswarm_<k>_<class>.png per class),
        plots/dependence_<rank>_<feature>.png for the top 3 features
        dashboard.html           the interactive page (explain_lib.report.dashboard) over the eval sample's
                                 rows, with the run's explanation of the other feature kind for its toggle
        interactions.json        only with interactions=: exact SHAP interaction values summarised (features,
                                 the mean |interaction| matrix over outputs and per output, each feature's
                                 strongest partner, and for the eval sample's rows each feature's strongest
                                 partner in that row with its value; see Interactions.summary)
        plots/interactions.png   its heatmap (with plots=True)
    explanations/<group>_global_importance.json
                                 a table in mlflow.log_table's format (JSON, orient="split"), listed in the
                                 run's mlflow.loggedArtifacts tag: one row per feature, ranked, with
                                 explanation_id, comment, importance and per-class columns (up to 20
                                 classes). <group> is the comment, else raw / engineered / model, so the
                                 same path in several runs lines up in the UI's run-compare table view;
                                 a later upload with the same group replaces it
    explanations/<group>_interactions.json
                                 only with interactions=: one row per pair of the chosen features (and each
                                 feature with itself: its main effect), strongest mean |interaction| first,
                                 with per-class columns; listed like the importance table

    explanation_dashboard.html, explanation_importance.png, explanation_summary.png
                                 at the artifact root: copies of the run's newest upload's dashboard, global
                                 importance and beeswarm plots (each from the newest upload that wrote one), so
                                 MLflow's Compare runs, which shows side by side only root files every run has,
                                 lines them up (:mod:`._newest`)

Run metrics ``importance/<feature>`` (``engineered_importance/<feature>`` for an engineered explanation):
the top-k global importances (top 20 when no top_k), feature names reduced to MLflow's key alphabet; short
and ending with the feature, because the UI's Charts view titles a chart with its whole key and cuts the
end. Every upload of a run logs the same keys, stamped with its upload time, so the latest values are
the newest upload's (each upload's own values stay in its explanation.json and table). Run inputs:
``init_dataset`` and ``eval_dataset`` with contexts ``explanation_init`` / ``explanation_eval``.

Run tags, written last: ``model_explanation=True`` and the commit marker
``explain_lib.explanation.<id>``, whose value is a small JSON with the listing fields (id, comment,
method, model_task, is_raw, is_engineered, num_features, num_examples, upload_time), the path of
its table and whether it wrote a dashboard and plots. Listing reads only these tags; an upload
without its marker (it died midway) is invisible and can be redone. Downloads fetch
``explanation.json`` and the parquet files it names, never plots or the eval sample.

Concurrent uploaders
--------------------
Several processes may upload to one run at once. Everything an upload writes is computed locally
first; then, before its first artifact, it *locks* its id: it creates an experiment named
``explain-lib upload lock <run id> <id> <n>`` (its tags hold a token unique to the attempt) and deletes
it at once. Experiment names are unique in database stores, deleted ones included (sqlite, PostgreSQL,
MySQL, and tracking servers on them), so of several uploads of one id exactly one wins; the others
raise :class:`ExplanationExistsError` having written nothing, and what is listed is what is stored. A
deleted experiment shows nowhere in the UI: the run's parameters stay the user's. A lock left by an
attempt that died (on this machine, by a process that is gone) is taken over with the next ``<n>``, so
a died upload can be redone. A store that refuses such names (Databricks wants workspace paths) can
lock with a run param instead: ``EXPLAIN_LIB_UPLOAD_LOCK=param``. The run's ``mlflow.loggedArtifacts``
table list, one tag every writer replaces, is repaired after each commit marker: the writer sets it to
the union of what is listed and every committed explanation's table, reads it back and repeats until
complete; the writer whose write lands last sees it complete. MLflow's file store has no atomic
insert: there the lock narrows, but does not close, the race. Details:
:mod:`explain_lib.tracking._concurrency`.

A tracking server that does not answer
--------------------------------------
An HTTP tracking server is probed once (a HEAD request, 10 s timeout) before a client, a step or a
command writes anything: a server that is down is a :class:`TrackingServerUnreachableError` naming
the URI within seconds, instead of MLflow's ~250 s of retries. While we write, MLflow's own retries
are lowered to 2 (back-off factor 1), so an upload whose server dies midway fails within seconds of
the last answer, and a dead connection is never retried as a write conflict. A slow or rate-limited
server: set ``MLFLOW_HTTP_REQUEST_TIMEOUT`` (seconds), ``MLFLOW_HTTP_REQUEST_MAX_RETRIES`` and
``MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR``; when set, the probe uses them and MLflow's values are kept.

The plots and the page are drawn by the report layer; this package asks for its writers by name
(:mod:`explain_lib._renderers`) and never imports it.

Scored batches (monitoring)
---------------------------
``ScoringExplainer.log_batch_importances(run_id, X_batch)`` appends one batch's importances to a run:
``explanation/scored_batches/*`` metrics (one step per batch) and ``scoring/batches/<step>_<id>.json``;
:mod:`._batches` documents the layout and reads it back for ``explain-lib drift --batches``.

Failures are :class:`~explain_lib.errors.ExplainLibError` subclasses: :class:`RunNotFoundError`,
:class:`ExplanationNotFoundError`, :class:`ExplanationExistsError`,
:class:`TrackingServerUnreachableError` (an HTTP server that does not answer) and
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
from ._show import show

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
    "show",
]
