"""ExplanationClient: explanations in one MLflow run, and ``log_explanation`` for the active run."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import functools
import hashlib
import json
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.entities import DatasetInput, InputTag, Metric, RunTag
from mlflow.exceptions import MlflowException
from mlflow.utils.autologging_utils import disable_autologging
from mlflow.utils.mlflow_tags import MLFLOW_DATASET_CONTEXT

from .._format import DATA_FILE, LOCAL_FILE, META_FILE, read_meta
from .._keys import check_tags, tag_json
from .._sample import check_true_ys
from .._validation import check_positive_int
from ..errors import CorruptExplanationError, InvalidParameterError, did_you_mean
from ..explanation import Explanation
from ..interactions import Interactions, check_interactions
from . import _artifacts as art
from ._concurrency import Claim, register_tables, retry_conflicts
from ._errors import ExplanationNotFoundError, RunNotFoundError, TrackingError, TrackingServerUnreachableError
from ._http import bounded_retries, check_reachable, display_uri, is_connection_failure
from ._newest import publish_newest

__all__ = ["ExplanationClient", "log_explanation"]

INIT_DATASET_CONTEXT = "explanation_init"
EVAL_DATASET_CONTEXT = "explanation_eval"
_MISSING_RUN_CODES = ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE")


# ---------------------------------------------------------------------------------------------- helpers
@contextlib.contextmanager
def _mlflow_errors(action: str, tracking_uri: str) -> Iterator[None]:
    """Re-raise MLflow's errors as TrackingError saying what we were doing and where."""
    try:
        yield
    except MlflowException as error:
        if is_connection_failure(error):
            raise TrackingServerUnreachableError(
                f"Could not {action}: the MLflow tracking server at {display_uri(tracking_uri)} stopped answering "
                f"({error.message}). Nothing is listed until an upload's last write, so upload again once the "
                "server is back; for a slow server raise MLFLOW_HTTP_REQUEST_MAX_RETRIES / MLFLOW_HTTP_REQUEST_TIMEOUT."
            ) from error
        raise TrackingError(f"Could not {action} in the MLflow store {display_uri(tracking_uri)}: {error.message}") \
            from error


def _sparse_digest(matrix: Any) -> str:
    csr = matrix.tocsr()
    digest = hashlib.sha256(repr(csr.shape).encode())
    for part in (csr.data, csr.indices, csr.indptr):
        digest.update(np.ascontiguousarray(part).tobytes())
    return digest.hexdigest()[:8]


def _dataset_input(dataset: Any, name: str, context: str) -> DatasetInput | None:
    """An MLflow dataset input (name, digest, context) for an mlflow Dataset, DataFrame, array or CSR matrix."""
    if dataset is None:
        return None
    import scipy.sparse as sp
    from mlflow.data.dataset import Dataset

    if isinstance(dataset, (pd.DataFrame, np.ndarray)):
        with warnings.catch_warnings():
            # MLflow's schema inference hints at model signatures (integer columns and NaN); it does not
            # apply to a lineage record.
            warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer", category=UserWarning)
            if isinstance(dataset, pd.DataFrame):
                entity = mlflow.data.from_pandas(dataset, name=name)._to_mlflow_entity()
            else:
                entity = mlflow.data.from_numpy(dataset, name=name)._to_mlflow_entity()
    elif isinstance(dataset, Dataset):
        entity = dataset._to_mlflow_entity()
    elif sp.issparse(dataset):
        profile = {"num_rows": dataset.shape[0], "num_cols": dataset.shape[1], "num_nonzero": int(dataset.nnz)}
        entity = mlflow.entities.Dataset(name=name, digest=_sparse_digest(dataset), source_type="code",
                                         source=json.dumps({}), profile=json.dumps(profile))
    else:
        raise InvalidParameterError(
            f"{name} must be an mlflow.data Dataset, a pandas DataFrame, a numpy array or a scipy sparse matrix, "
            f"got {type(dataset).__name__}. For data known by a URI, pass mlflow.data.from_pandas(df, source=uri)."
        )
    return DatasetInput(dataset=entity, tags=[InputTag(key=MLFLOW_DATASET_CONTEXT, value=context)])


def _table(dataset: Any) -> Any:
    """The rows of ``init_dataset`` when they are a table (the dashboard's background), else None."""
    return dataset if isinstance(dataset, (pd.DataFrame, np.ndarray)) else None


def _matches(entry: dict[str, Any], comment: str | None, raw: bool | None, engineered: bool | None) -> bool:
    return ((comment is None or entry.get("comment") == comment)
            and (raw is None or entry.get("is_raw") == raw)
            and (engineered is None or entry.get("is_engineered") == engineered))


def _describe_filters(comment: str | None, raw: bool | None, engineered: bool | None) -> str:
    given = {"comment": comment, "raw": raw, "engineered": engineered}
    parts = [f"{key}={value!r}" for key, value in given.items() if value is not None]
    return f" matching {', '.join(parts)}" if parts else ""


# ----------------------------------------------------------------------------------------- the client
class ExplanationClient:
    """Upload, list and download the explanations of one MLflow run.

    Every call goes through ``mlflow.MlflowClient(tracking_uri)`` with this run's id, so it works the
    same on MLflow's default local store, a sqlite or file store, and a tracking server over HTTP
    with its artifact proxy; it contacts nothing else. The artifact layout is documented in
    :mod:`explain_lib.tracking`.

    Parameters
    ----------
    run_id
        The run; None means the active run (``mlflow.active_run()``).
    tracking_uri
        The tracking store; None means MLflow's current one (``mlflow.get_tracking_uri()``), resolved
        now and kept.

    Raises
    ------
    RunNotFoundError
        The run does not exist in the store, or was deleted.
    TrackingServerUnreachableError
        An HTTP tracking server did not answer its probe (about 10 s; see ``MLFLOW_HTTP_REQUEST_TIMEOUT``).

    Examples
    --------
    >>> import mlflow
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from explain_lib import ExplanationClient, LinearShap
    >>> X = np.random.default_rng(0).normal(size=(100, 3))
    >>> explanation = LinearShap(LinearRegression().fit(X, X @ [2.0, -1.0, 0.0]), X).explain(X[:20])
    >>> with mlflow.start_run() as run:
    ...     client = ExplanationClient.from_run(run)
    ...     explanation_id = client.upload_model_explanation(explanation, comment="first look")
    >>> [entry["comment"] for entry in client.list_model_explanations()]
    ['first look']
    >>> downloaded = client.download_model_explanation(explanation_id)
    >>> downloaded.get_ranked_global_names() == explanation.get_ranked_global_names()
    True
    """

    def __init__(self, run_id: str | None = None, *, tracking_uri: str | None = None) -> None:
        if run_id is None:
            active = mlflow.active_run()
            if active is None:
                raise InvalidParameterError(
                    "ExplanationClient() without a run_id needs an active MLflow run; call it inside "
                    "`with mlflow.start_run():` or pass run_id= (ExplanationClient.from_run_id(run_id))."
                )
            run_id = active.info.run_id
        if not isinstance(run_id, str):
            raise InvalidParameterError(f"run_id must be a string, got {type(run_id).__name__}.")
        self._tracking_uri = tracking_uri or mlflow.get_tracking_uri()
        self._run_id = run_id
        check_reachable(self._tracking_uri)
        self._client = mlflow.MlflowClient(tracking_uri=self._tracking_uri)
        self._get_run()

    @classmethod
    def from_run(cls, run: mlflow.entities.Run, *, tracking_uri: str | None = None) -> ExplanationClient:
        """The client of an ``mlflow.entities.Run`` (or the ``ActiveRun`` of ``mlflow.start_run()``)."""
        return cls(run.info.run_id, tracking_uri=tracking_uri)

    @classmethod
    def from_run_id(cls, run_id: str, *, tracking_uri: str | None = None) -> ExplanationClient:
        """The client of the run with this id."""
        return cls(run_id, tracking_uri=tracking_uri)

    @property
    def run_id(self) -> str:
        return self._run_id

    @property
    def tracking_uri(self) -> str:
        return self._tracking_uri

    def __repr__(self) -> str:
        return f"ExplanationClient(run_id={self._run_id!r}, tracking_uri={display_uri(self._tracking_uri)!r})"

    # ------------------------------------------------------------------------------------- internals
    def _get_run(self) -> mlflow.entities.Run:
        uri = display_uri(self._tracking_uri)
        try:
            with bounded_retries(self._tracking_uri):
                run = self._client.get_run(self._run_id)
        except MlflowException as error:
            if error.error_code in _MISSING_RUN_CODES:
                raise RunNotFoundError(
                    f"No MLflow run {self._run_id!r} in the tracking store {uri}. Check the run id "
                    "(run.info.run_id, or the id in the run page's URL) and that tracking_uri / "
                    "MLFLOW_TRACKING_URI name the store it was logged to."
                ) from error
            raise TrackingError(f"Could not read run {self._run_id!r} from {uri}: {error.message}") from error
        if run.info.lifecycle_stage == "deleted":
            raise RunNotFoundError(
                f"MLflow run {self._run_id!r} in {uri} is deleted. Restore it first: "
                f"mlflow.MlflowClient().restore_run({self._run_id!r})."
            )
        return run

    def _entries(self, comment: str | None, raw: bool | None, engineered: bool | None) -> list[dict[str, Any]]:
        """Committed uploads (from the run's tags only), filtered, newest first."""
        check_reachable(self._tracking_uri)
        entries = []
        for key, value in self._get_run().data.tags.items():
            if not key.startswith(art.TAG_PREFIX):
                continue
            try:
                entry = json.loads(value)
            except json.JSONDecodeError:
                entry = None
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                # one damaged marker must not hide the run's other explanations
                warnings.warn(
                    f"Skipping run tag {key!r} of run {self._run_id!r}: it is not the JSON explain-lib writes "
                    "(edited or cut by the store?). Delete the tag (MlflowClient().delete_tag) to silence this.",
                    UserWarning, stacklevel=3,
                )
                continue
            if _matches(entry, comment, raw, engineered):
                entries.append(entry)
        entries.sort(key=lambda entry: (entry.get("upload_time") or "", entry.get("id") or ""), reverse=True)
        return entries

    # ---------------------------------------------------------------------------------------- public
    def upload_model_explanation(
        self,
        explanation: Explanation,
        *,
        comment: str | None = None,
        top_k: int | None = None,
        true_ys: Any = None,
        model_uri: str | None = None,
        init_dataset: Any = None,
        eval_dataset: Any = None,
        visualization_points: int = 5000,
        plots: bool = True,
        dashboard: bool = True,
        cohorts: Any = None,
        interactions: Interactions | None = None,
        model: Any = None,
        what_if: bool = True,
        ice_features: int | Sequence[str] = 10,
        grid_size: int = 20,
    ) -> str:
        """Upload ``explanation`` to the run under ``explanations/<explanation.id>/``.

        Files first, then the importances as metrics and a table, the datasets as run inputs, and
        last the run tag ``explain_lib.explanation.<id>`` that lists it: an upload that dies midway is
        never listed, and uploading the same explanation again then works.

        Parameters
        ----------
        explanation
            What to upload; its ``id`` becomes the explanation id.
        comment
            A short label (at most 1000 characters) to find it again with ``comment=``.
        top_k
            Keep the local values (and data) of only the ``top_k`` most important features; the full
            ranked global and per-class importances are kept in ``explanation.json`` either way.
        true_ys
            True labels of the explained rows, stored in the eval sample next to the predictions.
        model_uri
            The explained model (``runs:/...``, ``models:/...``); overrides ``explanation.model_uri``.
        init_dataset, eval_dataset
            Background and evaluation data (mlflow Dataset, DataFrame, array or CSR matrix), logged as
            run inputs with contexts ``explanation_init`` / ``explanation_eval`` for lineage.
        visualization_points
            At most this many rows in the eval sample and the plots (a seeded random sample).
        plots
            Draw the PNG plots (global bar, beeswarm, dependence of the top 3 features).
        dashboard
            Write ``dashboard.html``, the interactive page the MLflow UI previews (up to
            ``visualization_points`` rows). When the run already holds an explanation of the other
            kind (raw vs engineered), the newest one is included for the page's toggle.
        cohorts
            Predefined cohorts for the dashboard: a scorecard config (file, mapping or
            ``ScorecardConfig``) whose ``Cohorts`` use the Responsible AI dashboard's filter format.
        interactions
            Exact interaction values of the same rows (``TreeShap(model).interactions(X)``): logged as
            ``interactions.json`` (mean |interaction| matrices, strongest partners, and per eval-sample row
            each feature's strongest partner), the heatmap ``plots/interactions.png`` and the table
            ``explanations/<group>_interactions.json`` (one row per pair, strongest first).
        model
            The explained model (or Pipeline): the dashboard gets a what-if form and ICE / partial
            dependence curves (see :func:`explain_lib.report.dashboard.dashboard_html`). ``init_dataset``,
            when it is a table, is the background an interventional TreeSHAP explanation is re-run against.
        what_if, ice_features, grid_size
            Carry the model into the page for exact what-if; ICE curves for this many top features (or
            these names); grid points per numeric feature.

        Returns
        -------
        str
            The explanation id.

        Raises
        ------
        ExplanationExistsError
            An explanation with this id is already uploaded to the run.
        """
        if not isinstance(explanation, Explanation):
            raise InvalidParameterError(f"Expected an explain_lib Explanation, got {type(explanation).__name__}.")
        explanation_id = art.check_explanation_id(explanation.id)
        comment = art.check_comment(comment)
        top_k = check_positive_int(top_k, "top_k")
        points = check_positive_int(visualization_points, "visualization_points", allow_none=False)
        labels = check_true_ys(explanation, true_ys)
        interactions = check_interactions(explanation, interactions)
        if model_uri is not None:
            explanation = dataclasses.replace(explanation, model_uri=str(model_uri))
        inputs = [entry for entry in (_dataset_input(init_dataset, "init_dataset", INIT_DATASET_CONTEXT),
                                      _dataset_input(eval_dataset, "eval_dataset", EVAL_DATASET_CONTEXT)) if entry]
        lineage = [{"name": i.dataset.name, "digest": i.dataset.digest, "context": i.tags[0].value} for i in inputs]

        check_reachable(self._tracking_uri)
        others = self._other_kind(explanation) if dashboard else ()
        upload_time = art.utc_now()
        group = art.label(explanation, comment)
        table_name = f"{group.replace(' ', '_')}_global_importance.json"
        table_path = f"{art.ARTIFACT_ROOT}/{table_name}"
        entry = {**art.list_entry(explanation, comment=comment, upload_time=upload_time), "table": table_path,
                 "dashboard": bool(dashboard), "plots": bool(plots)}
        pairs_name = f"{group.replace(' ', '_')}_interactions.json"
        if interactions is not None:
            entry["interaction_table"] = f"{art.ARTIFACT_ROOT}/{pairs_name}"
        commit_tags = check_tags({art.MODEL_EXPLANATION_TAG: "True", art.TAG_PREFIX + explanation_id: tag_json(entry)},
                                 what=f"upload of explanation {explanation_id!r}")
        with tempfile.TemporaryDirectory(prefix="explain-lib-upload-") as tmp, disable_autologging(), \
                bounded_retries(self._tracking_uri), \
                _mlflow_errors(f"upload explanation {explanation_id!r} to run {self._run_id!r}", self._tracking_uri):
            # Everything is computed before the first write, so bad input leaves the run untouched.
            files, table = Path(tmp, "files"), Path(tmp, table_name)
            files.mkdir()
            art.write_upload(files, explanation, comment=comment, top_k=top_k, true_ys=labels,
                             datasets=lineage, visualization_points=points, plots=plots,
                             upload_time=upload_time, run_id=self._run_id, dashboard=dashboard, others=others,
                             cohorts=cohorts, interactions=interactions, run_name=self._get_run().info.run_name,
                             model=model, what_if=what_if, ice_features=ice_features, grid_size=grid_size,
                             background=_table(init_dataset))
            # mlflow.log_table's format (JSON, orient="split"); the tag that lists it is set by register_tables,
            # which survives concurrent uploads.
            art.importance_table(explanation, comment).to_json(table, orient="split", index=False)
            tables = [table]
            if interactions is not None:
                tables.append(Path(tmp, pairs_name))
                art.interaction_table(interactions, explanation_id, comment).to_json(tables[-1], orient="split",
                                                                                     index=False)
            # stamped with the upload's time: the run's latest values are its newest upload's, whoever writes last
            timestamp = int(datetime.datetime.fromisoformat(upload_time).timestamp() * 1000)
            metrics = [Metric(key, value, timestamp, 0)
                       for key, value in art.metric_entries(explanation, top_k).items()]
            with Claim(self._client, self._run_id, explanation_id):  # ExplanationExistsError when another won
                self._client.log_artifacts(self._run_id, str(files), f"{art.ARTIFACT_ROOT}/{explanation_id}")
                for path in tables:
                    self._client.log_artifact(self._run_id, str(path), art.ARTIFACT_ROOT)
                if metrics:  # MlflowClient.log_batch splits them into batches of the store's size
                    retry_conflicts(functools.partial(self._client.log_batch, self._run_id, metrics=metrics))
                if inputs:
                    retry_conflicts(functools.partial(self._client.log_inputs, self._run_id, datasets=inputs))
                # The commit marker: written last, in one request with model_explanation=True.
                commit = [RunTag(key, value) for key, value in commit_tags.items()]
                retry_conflicts(functools.partial(self._client.log_batch, self._run_id, tags=commit))
            register_tables(self._client, self._run_id)
            publish_newest(self._client, self._run_id, explanation_id, files)
        return explanation_id

    def _other_kind(self, explanation: Explanation) -> tuple[Explanation, ...]:
        """The run's newest explanation of the other feature kind (raw vs engineered), for the dashboard's toggle."""
        if not (explanation.is_raw or explanation.is_engineered):
            return ()
        entries = self._entries(None, None, True) if explanation.is_raw else self._entries(None, True, None)
        return (self.download_model_explanation(entries[0]["id"]),) if entries else ()

    def list_model_explanations(
        self, *, comment: str | None = None, raw: bool | None = None, engineered: bool | None = None
    ) -> list[dict[str, Any]]:
        """The run's uploaded explanations, newest first, read from run tags only (no downloads).

        Each is a dict with keys ``id, comment, method, model_task, is_raw, is_engineered,
        num_features, num_examples, upload_time`` (ISO 8601, UTC). ``comment`` matches exactly;
        ``raw`` / ``engineered`` keep only explanations whose ``is_raw`` / ``is_engineered`` is that.
        """
        return [{key: entry.get(key) for key in art.LIST_KEYS} for entry in self._entries(comment, raw, engineered)]

    def download_model_explanation(
        self,
        explanation_id: str | None = None,
        *,
        comment: str | None = None,
        raw: bool | None = None,
        engineered: bool | None = None,
        top_k: int | None = None,
    ) -> Explanation:
        """Download one uploaded explanation: by id, else the newest one matching the filters.

        Only ``explanation.json``, ``local.parquet`` and ``data.parquet`` are fetched (never plots or the
        eval sample); with ``top_k`` only those features' columns are read, ranked highest first.
        An explanation uploaded with ``top_k`` holds only its top features' values: asking for more
        returns those.

        Raises
        ------
        ExplanationNotFoundError
            No committed upload has that id or matches the filters.
        """
        check_positive_int(top_k, "top_k")
        entries = self._entries(comment, raw, engineered)
        filters = _describe_filters(comment, raw, engineered)
        if explanation_id is None:
            if not entries:
                raise ExplanationNotFoundError(
                    f"Run {self._run_id!r} has no uploaded explanation{filters}. "
                    "list_model_explanations() shows what it has."
                )
            explanation_id = entries[0]["id"]
        elif explanation_id not in {entry["id"] for entry in entries}:
            known = [entry["id"] for entry in self._entries(None, None, None)]
            raise ExplanationNotFoundError(
                f"Run {self._run_id!r} has no uploaded explanation with id {explanation_id!r}{filters}; it has "
                f"{len(known)}: {known[:10]}." + did_you_mean(str(explanation_id), known)
            )
        folder = f"{art.ARTIFACT_ROOT}/{explanation_id}"
        with tempfile.TemporaryDirectory(prefix="explain-lib-download-") as tmp, bounded_retries(self._tracking_uri), \
                _mlflow_errors(f"download explanation {explanation_id!r} of run {self._run_id!r}", self._tracking_uri):
            meta_path = Path(self._download_part(folder, META_FILE, tmp))
            meta = read_meta(meta_path.parent)  # the fixed file names only: no name from the file is followed
            for block, name in (("local", LOCAL_FILE), ("data", DATA_FILE)):
                if meta.get(block):
                    self._download_part(folder, name, tmp)
            return Explanation.load(meta_path.parent, top_k=top_k)

    def _download_part(self, folder: str, name: str, directory: str) -> str:
        """One file of an uploaded explanation; one the run's artifacts lack is a damaged upload, said in our words."""
        try:
            return self._client.download_artifacts(self._run_id, f"{folder}/{name}", directory)
        except MlflowException as error:
            if is_connection_failure(error):
                raise
            raise CorruptExplanationError(
                f"The uploaded explanation {folder.rsplit('/', 1)[-1]!r} of run {self._run_id!r} is damaged: its file "
                f"{name} is missing from the run's artifacts ({folder}/{name}), though the upload was committed. "
                "Upload the explanation again."
            ) from error


def log_explanation(
    explanation: Explanation,
    *,
    comment: str | None = None,
    top_k: int | None = None,
    true_ys: Any = None,
    model_uri: str | None = None,
    init_dataset: Any = None,
    eval_dataset: Any = None,
    visualization_points: int = 5000,
    plots: bool = True,
    dashboard: bool = True,
    cohorts: Any = None,
    interactions: Interactions | None = None,
    model: Any = None,
    what_if: bool = True,
    ice_features: int | Sequence[str] = 10,
    grid_size: int = 20,
) -> str:
    """Upload ``explanation`` to the active MLflow run (started if there is none), like ``mlflow.shap``.

    The options are those of :meth:`ExplanationClient.upload_model_explanation`.

    Returns
    -------
    str
        The artifact URI of the explanation's folder, ``<run artifact uri>/explanations/<id>``.
    """
    run = mlflow.active_run() or mlflow.start_run()
    client = ExplanationClient(run.info.run_id, tracking_uri=mlflow.get_tracking_uri())
    explanation_id = client.upload_model_explanation(
        explanation, comment=comment, top_k=top_k, true_ys=true_ys, model_uri=model_uri, init_dataset=init_dataset,
        eval_dataset=eval_dataset, visualization_points=visualization_points, plots=plots, dashboard=dashboard,
        cohorts=cohorts, interactions=interactions, model=model, what_if=what_if, ice_features=ice_features,
        grid_size=grid_size,
    )
    return f"{run.info.artifact_uri.rstrip('/')}/{art.ARTIFACT_ROOT}/{explanation_id}"
