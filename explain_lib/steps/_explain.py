"""The ``explain`` step: load an MLflow model, explain it on a table, upload the explanation."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._progress import quiet_artifact_transfers
from .._validation import check_positive_int
from ..errors import InvalidInputError, InvalidParameterError, UnsupportedModelError, did_you_mean
from ..explanation import Explanation
from ..models import is_linear_model, split_pipeline, tree_family
from ..tracking._ui import artifact_link, markdown_text
from ._data import SOURCE_FILE_ATTR, read_table, source_uri, split_target
from ._run import describe_run, progress, record_outputs, step_run

__all__ = ["METHODS", "explain"]

METHODS = ("auto", "tree", "linear", "kernel", "mimic", "pfi")
ENGINES = ("local", "spark")
EXPLANATION_ID_FILE = "explanation_id.txt"
ENGINE_MIN_ROWS = 200_000  # from this many rows on, the local engine explains in chunks (bounded memory, all cores)
ENGINE_CHUNK_ROWS = 50_000


def _load_model(model_uri: str) -> tuple[Any, Any]:
    """``(model, input column names or None)``: the sklearn object when the model has that flavor,
    else the pyfunc's predict as a plain function of a DataFrame."""
    import mlflow
    from mlflow.exceptions import MlflowException

    uri = str(model_uri)
    try:
        # Model.load reads the MLmodel file only; get_model_info would also look the model id up in the
        # tracking store, which fails for a model folder copied from another store (a remote job's input).
        with quiet_artifact_transfers():
            info = mlflow.models.Model.load(uri)
            columns = None if info.signature is None or info.signature.inputs is None \
                else info.signature.inputs.input_names()
            if "sklearn" in info.flavors:
                return mlflow.sklearn.load_model(uri), columns
            pyfunc = mlflow.pyfunc.load_model(uri)
    except (MlflowException, OSError) as error:
        message = getattr(error, "message", str(error))
        raise InvalidInputError(
            f"Could not load the MLflow model {uri!r} (tracking URI {mlflow.get_tracking_uri()!r}): {message}. "
            "Give runs:/<run_id>/model, models:/<name>/<version> or a local MLflow model folder."
        ) from error

    def predict(rows: Any) -> np.ndarray:
        frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows, columns=columns)
        return np.asarray(pyfunc.predict(frame))

    return predict, columns


def _features(frame: pd.DataFrame, target: str | None, model: Any, columns: list[str] | None,
              uri: str) -> tuple[pd.DataFrame, pd.Series | None]:
    """The model's input columns of ``frame`` and the labels (when ``target`` is given)."""
    labels = None
    if target is not None:
        frame, labels = split_target(frame, target, uri=uri)
    expected = columns if columns is not None else getattr(model, "feature_names_in_", None)
    if expected is not None:
        missing = [str(c) for c in expected if str(c) not in frame.columns]
        if missing:
            raise InvalidInputError(
                f"{uri} lacks the model's input columns {missing[:20]}; it has {list(frame.columns)[:30]}."
                + did_you_mean(missing[0], [str(c) for c in frame.columns])
            )
        frame = frame[[str(c) for c in expected]]
    return frame, labels


def _explainer(model: Any, background: pd.DataFrame, method: str, n_background: int, random_state: int) -> Any:
    from ..explainers import KernelShap, MimicExplainer, PFIExplainer, TabularExplainer

    estimator = split_pipeline(model)[1]
    if method == "tree" and tree_family(estimator) is None:
        raise UnsupportedModelError(f"method='tree' needs a tree model (LightGBM, XGBoost, scikit-learn trees); the "
                                    f"model is a {type(estimator).__name__}. Use method='auto' or 'kernel'.")
    if method == "linear" and not is_linear_model(estimator):
        raise UnsupportedModelError(f"method='linear' needs a scikit-learn linear model; the model is a "
                                    f"{type(estimator).__name__}. Use method='auto' or 'kernel'.")
    if method in ("auto", "tree", "linear"):
        if callable(model) and not hasattr(model, "predict"):
            return KernelShap(model, background, n_background=n_background, random_state=random_state)
        return TabularExplainer(model, background, n_background=n_background, random_state=random_state)
    if method == "kernel":
        return KernelShap(model, background, n_background=n_background, random_state=random_state)
    if method == "mimic":
        return MimicExplainer(model, background, "lightgbm", random_state=random_state)
    return PFIExplainer(model, random_state=random_state)


class _TabularRows:
    """A TabularExplainer with its raw / engineered choice fixed, so the engine can call ``explain(X)``."""

    def __init__(self, explainer: Any, raw: bool | None):
        self.explainer, self.raw = explainer, raw

    def settled_for_rows(self, n_rows: int | None) -> _TabularRows:
        """The same choice over the explainer settled for the job (see ``Explainer.settled_for_rows``)."""
        return _TabularRows(self.explainer.settled_for_rows(n_rows), self.raw)

    def explain(self, X: Any) -> Explanation:
        return self.explainer.explain(X, raw=self.raw)


def _scaled(explainer: Any, model_uri: str, data: str | Path | pd.DataFrame, rows: pd.DataFrame, raw: bool, engine: str,
            chunk_rows: int | None, workers: int | None, resume: bool, output: str | Path | None,
            local_values_uri: str | None) -> Explanation:
    """Explain ``rows`` with the chunked local engine or, for ``engine="spark"``, on Spark."""
    import hashlib
    import shutil
    import tempfile

    from ..engine import explain_chunked, explain_spark
    from ..explainers import TabularExplainer

    if isinstance(explainer, TabularExplainer):
        explainer = _TabularRows(explainer, raw if explainer.feature_map is not None else None)
    if engine == "spark":
        from ..engine._spark import active_session

        uri = local_values_uri
        if uri is None:  # next to the saved explanation: this machine's file system, shared with the cluster
            target = str(output).rstrip("/") + "/local_values"
            uri = target if "://" in target or target.startswith("dbfs:") else Path(target).absolute().as_uri()
        spark = active_session()
        return explain_spark(explainer, spark.createDataFrame(rows), uri, mode="overwrite")
    # One job folder per (model, data, chunk size): a rerun with resume continues it, one without starts over.
    key = hashlib.sha256(repr((model_uri, str(data) if not isinstance(data, pd.DataFrame) else id(data),
                               rows.shape, chunk_rows)).encode()).hexdigest()[:16]
    job = Path(tempfile.gettempdir(), "explain-lib-jobs", key)
    if not resume:
        shutil.rmtree(job, ignore_errors=True)
    return explain_chunked(explainer, rows, chunk_rows=chunk_rows or ENGINE_CHUNK_ROWS, workers=workers,
                           job_dir=job, resume=job.exists(), progress=None)


def _explain_rows(explainer: Any, features: pd.DataFrame, labels: pd.Series | None, sample: int | None,
                  raw: bool) -> tuple[Explanation, pd.DataFrame, np.ndarray | None]:
    """Explain (a stratified sample of) the rows: the explanation, the explained rows and their labels."""

    from ..explainers import TabularExplainer

    rows, row_labels = features, labels
    sampling = None
    if sample is not None and sample < len(features):
        rows, row_labels, sampling = explainer.stratified_sample(features, labels, sample, 0)
    if isinstance(explainer, TabularExplainer):
        explanation = explainer.explain(rows, row_labels, raw=raw if explainer.feature_map is not None else None)
    else:
        explanation = explainer.explain(rows, row_labels)
    if sampling is not None:
        explanation = dataclasses.replace(explanation, params={**explanation.params, "sampling": sampling})
    return explanation, rows, None if row_labels is None else np.asarray(row_labels)


def _description(explanation: Explanation, run: Any, model_source: str, data_source: str) -> list[str]:
    """The explain step's section of its run's description: the dashboard's link first (when the upload wrote
    one), then what was explained and the top features."""
    import mlflow

    run_id, experiment_id = run.info.run_id, run.info.experiment_id
    top = explanation.global_importance(top_k=5)
    rows = f"{explanation.n_rows} rows" if explanation.local is not None else "global importance"
    folder = f"explanations/{explanation.id}"
    lines = []
    if any(Path(item.path).name == "dashboard.html" for item in mlflow.MlflowClient().list_artifacts(run_id, folder)):
        page = f"{folder}/dashboard.html"
        lines += [f"**Dashboard**: [{markdown_text(page)}]({artifact_link(experiment_id, run_id, page)})", ""]
    lines += [f"Explained {markdown_text(model_source)} on {markdown_text(data_source)} with "
              f"{markdown_text(explanation.method)} ({rows}, {markdown_text(explanation.output_space)} space): "
              f"explanation `{explanation.id}` under `runs:/{run_id}/{folder}`.", "", "Top features:", ""]
    lines += [f"{rank}. {markdown_text(name)}: {value:.4g}" for rank, (name, value) in enumerate(top.items(), start=1)]
    return lines


def explain(
    model_uri: str | Path,
    data: str | Path | pd.DataFrame,
    *,
    target: str | None = None,
    method: str = "auto",
    comment: str | None = None,
    top_k: int | None = None,
    raw: bool = True,
    n_background: int = 100,
    sample: int | None = None,
    explanation_output: str | Path | None = None,
    cohorts: str | Path | None = None,
    chunk_rows: int | None = None,
    workers: int | None = None,
    resume: bool = False,
    engine: str = "local",
    local_values_uri: str | None = None,
    what_if: bool = True,
    ice_features: int | list[str] = 10,
    grid_size: int = 20,
) -> str:
    """Explain an MLflow model on a table and upload the explanation to the active MLflow run.

    ::

        model = mlflow.sklearn.load_model(model_uri)   # sklearn flavor; else the pyfunc's predict
        X, y = data without / with its target column (the model's input columns only)
        explainer = method's explainer(model, background=X)
        explanation = explainer.explain_global(X, y, max_rows=sample)
        ExplanationClient.from_run_id(active run).upload_model_explanation(explanation, ...)

    Parameters
    ----------
    model_uri
        ``runs:/<run_id>/model``, ``models:/<name>/<version>``, or a local MLflow model folder.
    data
        The rows to explain (typically the test split of :func:`train`); see :func:`read_table`.
    target
        The label column of ``data``: dropped from the features and stored as true labels; needed by ``pfi``.
    method
        ``auto`` (TabularExplainer picks by model type), ``tree`` (TreeShap), ``linear`` (LinearShap),
        ``kernel`` (KernelShap, model-agnostic), ``mimic`` (a LightGBM surrogate), ``pfi`` (permutation
        feature importance, global only).
    comment
        A label stored with the upload, to find it again.
    top_k
        Keep local values of only the top_k features in the upload (global importances are kept in full).
    raw
        Explain a Pipeline over its raw input columns (True) or the engineered ones (False).
    n_background
        Background rows (k-means centres or a sample of ``data``) for KernelShap.
    sample
        Explain at most this many rows (a seeded sample stratified by the model's prediction).
    explanation_output
        A folder to also save the explanation to (``Explanation.save``), with ``explanation_id.txt``.
    cohorts
        A scorecard config (YAML / JSON) whose ``Cohorts`` become the dashboard's predefined cohorts.
    chunk_rows
        Explain in chunks of this many rows with :mod:`explain_lib.engine` (local values on disk, every
        core). By default the engine takes over from 200,000 rows, in chunks of 50,000.
    workers
        Processes of the chunked engine; None uses every core.
    resume
        Continue the chunked job that an earlier, interrupted run of the same step left behind.
    engine
        ``local`` (this machine) or ``spark`` (the active Spark session, classic or Connect; else the Spark
        Connect server ``SPARK_REMOTE`` names, else pyspark's default session; the local values go to
        ``local_values_uri``, else ``explanation_output``/local_values, as Parquet; the upload carries the
        importances).
    local_values_uri
        Where ``engine="spark"`` writes the local values: a location the cluster's executors and driver
        reach (``s3a://``, ``abfss://``, ``dbfs:/``, ``/Volumes/...`` on Databricks). Needed when the cluster
        does not share this machine's file system (a remote Spark Connect server).
    what_if
        Carry the model into the dashboard for exact what-if (tree ensembles and linear models, also
        behind a ColumnTransformer); False leaves the page with ICE curves computed at upload.
    ice_features
        ICE and partial dependence curves for this many of the most important features (0: none), or
        for the features named.
    grid_size
        Grid points of a numeric feature's ICE curves.

    Returns
    -------
    str
        The explanation id.

    Raises
    ------
    InvalidInputError, InvalidParameterError, UnsupportedModelError
        Unreadable data or model, a missing column, a method the model does not support; raised
        before anything is logged.
    """
    from ..tracking import ExplanationClient

    if method not in METHODS:
        raise InvalidParameterError(f"Unknown method {method!r}; choose one of {list(METHODS)}." +
                                    did_you_mean(method, METHODS))
    for name, value in (("top_k", top_k), ("sample", sample), ("n_background", n_background)):
        check_positive_int(value, name)
    if method == "pfi" and target is None:
        raise InvalidParameterError("method='pfi' measures how much a metric drops, so it needs the true labels: "
                                    "give target (--target), the label column of the data.")
    if engine not in ENGINES:
        raise InvalidParameterError(f"Unknown engine {engine!r}; choose one of {list(ENGINES)}." +
                                    did_you_mean(engine, ENGINES))
    if engine == "spark" and local_values_uri is None and explanation_output is None:
        raise InvalidParameterError("engine='spark' writes the local values where the cluster can reach them: give "
                                    "local_values_uri (--local-values-uri: s3a://, abfss://, dbfs:/, /Volumes/...), "
                                    "or explanation_output (--explanation-output) to write them under its "
                                    "local_values/ when the cluster shares this machine's file system.")
    if local_values_uri is not None and engine != "spark":
        raise InvalidParameterError("local_values_uri (--local-values-uri) is where engine='spark' writes the local "
                                    "values; the local engine keeps them with the explanation. Give engine='spark' "
                                    "or drop it.")
    chunk_rows, workers = check_positive_int(chunk_rows, "chunk_rows"), check_positive_int(workers, "workers")
    if method == "pfi" and (chunk_rows is not None or engine == "spark"):
        raise InvalidParameterError("method='pfi' gives global importances only; the chunked and Spark engines "
                                    "explain rows. Drop --chunk-rows / --engine spark, or choose another method.")
    if not raw and method not in ("auto", "tree", "linear"):
        raise InvalidParameterError("raw=False (engineered features) applies to method 'auto', 'tree' or 'linear'.")
    from ..report.dashboard._ice import check_ice_features

    check_positive_int(grid_size, "grid_size", allow_none=False)
    ice_features = check_ice_features(ice_features)
    if cohorts is not None and not Path(cohorts).is_file():
        raise InvalidParameterError(f"cohorts names {str(cohorts)!r}, which is not a file; give the scorecard config "
                                    "(YAML or JSON) whose Cohorts the dashboard should offer.")
    source = source_uri(data)
    frame = read_table(data)
    model, columns = _load_model(str(model_uri))
    features, labels = _features(frame, target, model, columns, source)
    if len(features) == 0:
        raise InvalidInputError(f"{source} has no rows to explain.")
    model_source = source_uri(model_uri)
    if isinstance(ice_features, list) and raw:  # the explanation's features are the table's columns
        unknown = [name for name in ice_features if name not in features.columns]
        if unknown:
            raise InvalidParameterError(f"ice_features names {unknown[:10]}, which {source} does not have."
                                        + did_you_mean(unknown[0], [str(c) for c in features.columns]))
    explainer = _explainer(model, features, method, n_background, 0)

    with step_run() as run:
        n_rows = len(features) if sample is None else min(sample, len(features))
        scaled = method != "pfi" and (engine == "spark" or chunk_rows is not None or n_rows >= ENGINE_MIN_ROWS)
        with progress(f"explaining {n_rows} rows with {type(explainer).__name__}"
                      + (f" ({engine} engine)" if scaled else "")):
            if scaled:
                rows, row_labels = features, labels
                if sample is not None and sample < len(features):
                    rows, row_labels, _ = explainer.stratified_sample(features, labels, sample, 0)
                    rows = pd.DataFrame(rows, columns=features.columns) if not isinstance(rows, pd.DataFrame) \
                        else rows.reset_index(drop=True)
                explanation = _scaled(explainer, str(model_uri), data, rows, raw, engine, chunk_rows, workers, resume,
                                      explanation_output, local_values_uri)
                row_labels = None if row_labels is None else np.asarray(row_labels)
            else:
                explanation, rows, row_labels = _explain_rows(explainer, features, labels, sample, raw)
        data_params = {"uri": source, "file": frame.attrs.get(SOURCE_FILE_ATTR), "rows": len(features)}
        explanation = dataclasses.replace(explanation, params={**explanation.params, "data": data_params})
        client = ExplanationClient.from_run_id(run.info.run_id)
        with progress("uploading the explanation"):
            explanation_id = client.upload_model_explanation(
                explanation, comment=comment, top_k=top_k, true_ys=None if explanation.local is None else row_labels,
                model_uri=model_source, init_dataset=features, eval_dataset=rows, cohorts=cohorts,
                model=model, what_if=what_if, ice_features=ice_features, grid_size=grid_size,
            )
        if explanation_output is not None:
            folder = Path(explanation_output)
            explanation.save(folder)
            (folder / EXPLANATION_ID_FILE).write_text(explanation_id + "\n")
            record_outputs(run.info.run_id, {folder: f"runs:/{run.info.run_id}/explanations/{explanation_id}"})
        describe_run(run.info.run_id, "explain", _description(explanation, run, model_source, source))
    return explanation_id
