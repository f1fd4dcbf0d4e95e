"""MLflow models: scoring explainers as pyfunc models, the ``model_evaluator`` plugin, explanations out of URIs.

``log_scoring_explainer(explainer, name=..., model=..., input_example=...)`` logs a pyfunc model
whose ``predict`` returns, for each row, the model's prediction and the local importances of the
(raw) features (columns documented in :mod:`explain_lib.scoring._frame`), with a signature, so

* ``mlflow models serve -m <uri> --env-manager local`` answers ``/invocations`` with them,
* ``mlflow.pyfunc.spark_udf(spark, uri, result_type=spark_result_type(uri))`` scales it out, on Spark
  Connect too (``env_manager="local"``: each executor's Python loads the model from ``uri`` through the
  client's tracking URI, so the executors must reach that tracking server and artifact store),
* ``load_scoring_explainer(uri)`` gives the :class:`~explain_lib.scoring.ScoringExplainer` back.

``load_explanation(uri)`` is the inverse of :func:`explain_lib.tracking.log_explanation`.
The ``mlflow.model_evaluator`` plugin named ``explain_lib`` lives in :mod:`._evaluator`: with it,
``mlflow.models.evaluate(..., evaluators=["default", "explain_lib"])`` uploads an explanation of the
evaluated model to the evaluation run. Scored batches' importances (``ScoringExplainer.
log_batch_importances``, for drift over time) are run history: :mod:`explain_lib.tracking._batches`.

The model folder (MLflow's pyfunc layout)::

    MLmodel, requirements.txt, python_env.yaml, input_example.json, ...
    artifacts/scoring_explainer/   ScoringExplainer.save(): scoring_explainer.json + .pkl
    artifacts/model.pkl            the predicting model (cloudpickle), or
    artifacts/model/               an MLflow model folder, when ``model=`` was a model URI
"""

from __future__ import annotations

import re
import tempfile
import warnings
from pathlib import Path
from typing import Any

from ..errors import InvalidParameterError
from ..explanation import Explanation

__all__ = [
    "FLAVOR_NAME",
    "load_explanation",
    "load_scoring_explainer",
    "log_scoring_explainer",
    "save_scoring_explainer",
    "spark_result_type",
]

FLAVOR_NAME = "explain_lib"
DEFAULT_NAME = "scoring_explainer"
_ARTIFACT_URI = re.compile(r"/(?P<run_id>[0-9a-f]{32})/artifacts/explanations/(?P<explanation_id>[A-Za-z0-9_-]+)/?$")
_RUNS_URI = re.compile(r"^runs:/(?P<run_id>[^/]+)(?:/explanations/(?P<explanation_id>[A-Za-z0-9_-]+))?/?$")


# ---------------------------------------------------------------------------------------- internals
def _default_pip_requirements() -> list[str]:
    import importlib.metadata

    from .._version import __version__

    pins = [f"explain-lib=={__version__}"]
    for package in ("mlflow", "cloudpickle", "scikit-learn", "shap", "lightgbm", "pandas", "numpy"):
        try:
            pins.append(f"{package}=={importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return pins


def _scoring_explainer(explainer: Any) -> Any:
    from ..scoring import ScoringExplainer

    return explainer if isinstance(explainer, ScoringExplainer) else ScoringExplainer(explainer)


def _prepare(explainer: Any, model: Any, input_example: Any, classes: Any, get_raw: bool | None,
             folder: Path) -> tuple[Any, dict[str, str], Any, Any]:
    """Check everything and write the artifacts: (python model, artifacts, signature, example)."""
    import cloudpickle
    import mlflow
    import pandas as pd
    from mlflow.models import infer_signature

    from ..scoring._frame import check_classes
    from ._pyfunc import EXPLAINER_ARTIFACT, MODEL_ARTIFACT, MODEL_PICKLE, ScoringExplainerModel, load_predictor

    scoring = _scoring_explainer(explainer)
    if not isinstance(input_example, pd.DataFrame) or input_example.empty:
        raise InvalidParameterError(
            "input_example must be a non-empty pandas DataFrame of a few rows as the served model receives them: "
            "it names the input columns and gives the model its signature."
        )
    example = input_example.reset_index(drop=True)
    classes = check_classes(classes, scoring.task or "regression", scoring.classes)
    if model is None:
        model = scoring.model
        if model is None:
            raise InvalidParameterError(
                f"This scoring explainer ({scoring.method}) does not hold the model that predicts (a MimicExplainer "
                "keeps only its surrogate); pass model= (the fitted model or its MLflow model URI)."
            )
    scoring.save(folder / EXPLAINER_ARTIFACT)
    if isinstance(model, str):
        local = mlflow.artifacts.download_artifacts(artifact_uri=model, dst_path=str(folder / MODEL_ARTIFACT))
        artifacts, kind = {MODEL_ARTIFACT: local}, "mlflow"
    else:
        if not callable(getattr(model, "predict", None)):
            raise InvalidParameterError(
                f"model must have predict() or be an MLflow model URI, got {type(model).__name__}.")
        with open(folder / MODEL_PICKLE, "wb") as stream:
            cloudpickle.dump(model, stream)
        artifacts, kind = {MODEL_ARTIFACT: str(folder / MODEL_PICKLE)}, "pickle"
    python_model = ScoringExplainerModel(classes=classes, get_raw=get_raw,
                                         input_columns=[str(c) for c in example.columns], model_kind=kind)
    # Run it once on the example (the served code path) before anything is logged.
    output = python_model.attach(scoring, load_predictor(artifacts[MODEL_ARTIFACT], kind)).predict(None, example)
    python_model.attach(None, None)
    with warnings.catch_warnings():  # the hint about integer columns is about the user's data, shown by their tools
        warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer", category=UserWarning)
        signature = infer_signature(example, output)
    return python_model, {EXPLAINER_ARTIFACT: str(folder / EXPLAINER_ARTIFACT), **artifacts}, signature, example


# ------------------------------------------------------------------------------------------ public
def save_scoring_explainer(explainer: Any, path: str, *, model: Any = None, input_example: Any = None,
                           classes: Any = None, get_raw: bool | None = None, pip_requirements: list[str] | None = None,
                           ) -> None:
    """Save the scoring explainer as an MLflow model folder at ``path`` (options as :func:`log_scoring_explainer`)."""
    import mlflow

    with tempfile.TemporaryDirectory(prefix="explain-lib-scoring-") as tmp:
        python_model, artifacts, signature, example = _prepare(explainer, model, input_example, classes, get_raw,
                                                               Path(tmp))
        mlflow.pyfunc.save_model(path, python_model=python_model, artifacts=artifacts, signature=signature,
                                 input_example=example,
                                 pip_requirements=pip_requirements or _default_pip_requirements())


def log_scoring_explainer(explainer: Any, name: str = DEFAULT_NAME, *, model: Any = None, input_example: Any = None,
                          classes: Any = None, get_raw: bool | None = None, registered_model_name: str | None = None,
                          pip_requirements: list[str] | None = None) -> Any:
    """Log a scoring explainer as a pyfunc model to the active run (started if there is none).

    Parameters
    ----------
    explainer
        A :class:`~explain_lib.scoring.ScoringExplainer`, or a fitted explainer of ours (wrapped in one).
    name
        The logged model's name.
    model
        What predicts the ``prediction`` column: a fitted model (cloudpickled with the explainer) or
        an MLflow model URI (copied into the model folder). By default the model the explainer
        holds; required for a MimicExplainer (its teacher is not kept).
    input_example
        A few input rows (DataFrame): the signature's inputs, and the rows the output is checked on
        before anything is logged.
    classes
        Classification: ``"predicted"`` (default: each row's predicted class), ``"all"``, or a list
        of class labels (one set of importance columns per class).
    get_raw
        Raw or engineered features, as :meth:`ScoringExplainer.explain_local`.

    Returns
    -------
    mlflow.models.model.ModelInfo
        Its ``model_uri`` serves, loads and feeds ``spark_udf``.
    """
    import mlflow
    from mlflow.utils.autologging_utils import disable_autologging

    with tempfile.TemporaryDirectory(prefix="explain-lib-scoring-") as tmp, disable_autologging():
        python_model, artifacts, signature, example = _prepare(explainer, model, input_example, classes, get_raw,
                                                               Path(tmp))
        return mlflow.pyfunc.log_model(
            name=name, python_model=python_model, artifacts=artifacts, signature=signature, input_example=example,
            pip_requirements=pip_requirements or _default_pip_requirements(),
            registered_model_name=registered_model_name,
        )


def load_scoring_explainer(model_uri: str) -> Any:
    """The :class:`~explain_lib.scoring.ScoringExplainer` of a model logged by :func:`log_scoring_explainer`."""
    import mlflow

    from ._pyfunc import ScoringExplainerModel

    loaded = mlflow.pyfunc.load_model(model_uri)
    try:
        python_model = loaded.unwrap_python_model()
    except Exception as error:  # MLflow raises several types for a non-PythonModel flavor
        raise InvalidParameterError(f"{model_uri} is not a scoring explainer logged by explain-lib: {error}") from error
    if not isinstance(python_model, ScoringExplainerModel):
        raise InvalidParameterError(
            f"{model_uri} is a {type(python_model).__name__}, not a scoring explainer logged by "
            "explain_lib.mlflow.log_scoring_explainer."
        )
    return python_model.scoring_explainer


def spark_result_type(model_uri: str) -> Any:
    """The Spark ``StructType`` of the model's output columns (from its signature), for ``spark_udf``."""
    try:
        from pyspark.sql.types import StructField, StructType
    except ImportError as error:
        raise ImportError('spark_result_type needs pyspark: pip install "explain-lib[spark]"') from error
    from mlflow.models import get_model_info

    outputs = get_model_info(model_uri).signature.outputs
    return StructType([StructField(spec.name, spec.type.to_spark()) for spec in outputs.inputs])


def load_explanation(uri: str, *, top_k: int | None = None, tracking_uri: str | None = None) -> Explanation:
    """The explanation an URI names: the inverse of :func:`explain_lib.tracking.log_explanation`.

    * ``runs:/<run_id>`` — the run's newest uploaded explanation;
    * ``runs:/<run_id>/explanations/<id>`` — that one;
    * the artifact URI ``log_explanation`` returned (``.../<run_id>/artifacts/explanations/<id>``);
    * ``models:/<name>/<version>``, ``models:/<name>@<alias>`` or ``models:/<model_id>`` — the newest
      explanation of the run that produced the model.
    """
    import mlflow

    from ..tracking import ExplanationClient

    if not isinstance(uri, str):
        raise InvalidParameterError(f"uri must be a string, got {type(uri).__name__}.")
    match = _RUNS_URI.match(uri) or _ARTIFACT_URI.search(uri)
    if match:
        run_id, explanation_id = match.group("run_id"), match.group("explanation_id")
    elif uri.startswith("models:/"):
        run_id, explanation_id = _model_run_id(uri, tracking_uri), None
    else:
        raise InvalidParameterError(
            f"Cannot find an explanation at {uri!r}: pass runs:/<run_id>, runs:/<run_id>/explanations/<id>, the URI "
            "log_explanation returned, or a models:/ URI."
        )
    client = ExplanationClient.from_run_id(run_id, tracking_uri=tracking_uri or mlflow.get_tracking_uri())
    return client.download_model_explanation(explanation_id, top_k=top_k)


def _model_run_id(uri: str, tracking_uri: str | None) -> str:
    """The id of the run that produced the model a ``models:/`` URI names."""
    import mlflow
    from mlflow.exceptions import MlflowException

    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    body = uri[len("models:/"):].strip("/")
    try:
        if "@" in body:
            name, alias = body.split("@", 1)
            run_id = client.get_model_version_by_alias(name, alias).run_id
        elif "/" in body:
            name, version = body.split("/", 1)
            run_id = client.get_model_version(name, version).run_id
        else:
            run_id = client.get_logged_model(body).source_run_id
    except MlflowException as error:
        raise InvalidParameterError(f"No MLflow model at {uri!r}: {error.message}") from error
    if not run_id:
        raise InvalidParameterError(f"The model {uri!r} was not logged from a run, so it has no explanations.")
    return run_id
