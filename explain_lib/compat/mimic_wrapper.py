"""azureml-interpret's ``MimicWrapper``: a MimicExplainer and its upload to run history in one object.

``MimicWrapper(workspace, model, explainable_model, ...)`` builds a :class:`~explain_lib.MimicExplainer`
(``explainer_kwargs`` are its keyword options); ``explain(["local", "global"], eval_dataset=...)``
explains, maps to raw features through ``feature_maps`` when ``get_raw=True``, and uploads through
:class:`~explain_lib.compat.ExplanationClient` to an MLflow run.

What differs from azureml-interpret, and why:

- ``workspace`` is accepted for the call form and otherwise unused: run history, models and data
  live in MLflow, not in an Azure ML workspace. The one thing read from it is its MLflow tracking
  URI, when it has ``get_mlflow_tracking_uri()`` (an Azure ML Workspace does).
- ``run`` is an MLflow run (``mlflow.start_run()``) or a run id. Without one, ``explain(upload=True)``
  uploads to the active run, else to a new run of experiment ``experiment_name``.
- A model given as a string is an MLflow model (``name:3``, ``models:/name/3`` or ``runs:/<id>/model``),
  loaded with its scikit-learn flavour. Azure ML dataset ids (a string ``init_dataset`` or
  ``eval_dataset``) cannot be resolved and are refused: pass the rows.
"""

from __future__ import annotations

from typing import Any

import mlflow
from mlflow.exceptions import MlflowException

from ..errors import InvalidParameterError
from ..explanation import Explanation
from ._explainers import MimicExplainer
from ._history import ExplanationClient, model_uri_of

__all__ = ["MimicWrapper"]

_TYPES = ("local", "global")


def _refuse_dataset_id(name: str, value: Any) -> None:
    if isinstance(value, str):
        raise InvalidParameterError(
            f"{name}={value!r} looks like an Azure ML dataset id, which MLflow cannot resolve; pass the rows "
            "themselves (a DataFrame, array or sparse matrix)."
        )


def _run_id_of(run: Any) -> str | None:
    if run is None:
        return None
    if isinstance(run, str):
        return run
    if hasattr(run, "info"):
        return run.info.run_id
    raise InvalidParameterError(
        f"run= takes an MLflow run (mlflow.start_run()) or a run id, got {type(run).__name__}."
    )


def _load_model(model_id: str, tracking_uri: str | None) -> Any:
    import mlflow.sklearn

    uri = model_uri_of(model_id)
    try:
        local = mlflow.artifacts.download_artifacts(artifact_uri=uri, tracking_uri=tracking_uri)
        return mlflow.sklearn.load_model(local)
    except MlflowException as error:
        raise InvalidParameterError(
            f"Could not load model {model_id!r} ({uri}) as a scikit-learn MLflow model: {error.message} "
            "Pass the fitted model object instead."
        ) from error


class MimicWrapper:
    """azureml-interpret's wrapper: a :class:`~explain_lib.MimicExplainer` that uploads what it explains.

    Parameters
    ----------
    workspace
        Accepted for azureml-interpret's call form; only its ``get_mlflow_tracking_uri()`` is used, if any.
    model
        The fitted model, or an MLflow model id / URI (scikit-learn flavour).
    explainable_model
        The surrogate class (``LGBMExplainableModel``, ...).
    explainer_kwargs
        Further keyword options of :class:`~explain_lib.MimicExplainer` (``explainable_model_args``, ...).
    init_dataset
        The rows the surrogate learns from (required).
    run
        The MLflow run (or run id) uploads go to.
    features, classes, model_task, explain_subset, transformations, allow_all_transformations
        As :class:`~explain_lib.MimicExplainer`.
    feature_maps
        Raw -> engineered maps for ``explain(get_raw=True)`` (a list of matrices applied in order).
    """

    def __init__(self, workspace: Any, model: Any, explainable_model: Any, explainer_kwargs: dict | None = None,
                 init_dataset: Any = None, run: Any = None, features: Any = None, classes: Any = None,
                 model_task: Any = "unknown", explain_subset: Any = None, transformations: Any = None,
                 feature_maps: Any = None, allow_all_transformations: bool | None = None):
        if transformations is not None and feature_maps is not None:
            raise InvalidParameterError(
                "Pass transformations= or feature_maps=, not both: each maps engineered features to raw ones."
            )
        _refuse_dataset_id("init_dataset", init_dataset)
        if init_dataset is None:
            raise InvalidParameterError("MimicWrapper needs init_dataset= (the rows the surrogate learns from).")
        if explainer_kwargs is not None and not isinstance(explainer_kwargs, dict):
            raise InvalidParameterError(f"explainer_kwargs must be a dict, got {type(explainer_kwargs).__name__}.")
        self.workspace = workspace
        getter = getattr(workspace, "get_mlflow_tracking_uri", None)
        self.tracking_uri = getter() if callable(getter) else None
        self.run_id = _run_id_of(run)
        self.model_id = model if isinstance(model, str) else None
        if self.model_id is not None:
            model = _load_model(self.model_id, self.tracking_uri)
        task = getattr(model_task, "value", model_task)
        self.feature_maps = feature_maps
        self._explainer = MimicExplainer(
            model, init_dataset, explainable_model, features=features, classes=classes,
            model_task="auto" if task in (None, "unknown") else task, explain_subset=explain_subset,
            transformations=transformations, allow_all_transformations=bool(allow_all_transformations),
            **(explainer_kwargs or {}))

    @property
    def explainer(self) -> MimicExplainer:
        """The MimicExplainer inside (for ``TreeScoringExplainer(wrapper.explainer, ...)``)."""
        return self._explainer

    def _explain_engineered(self, types: list[str], eval_dataset: Any) -> Explanation:
        if "global" in types:
            return self._explainer.explain_global(eval_dataset, include_local="local" in types)
        if eval_dataset is None:
            raise InvalidParameterError("A local explanation needs eval_dataset= (the rows to explain).")
        return self._explainer.explain_local(eval_dataset)

    def _client(self, experiment_name: str) -> ExplanationClient:
        if self.run_id is None:
            active = mlflow.active_run()
            if active is not None:
                self.run_id = active.info.run_id
            else:
                client = mlflow.MlflowClient(self.tracking_uri)
                experiment = client.get_experiment_by_name(experiment_name)
                experiment_id = (experiment.experiment_id if experiment is not None
                                 else client.create_experiment(experiment_name))
                run = client.create_run(experiment_id, run_name="mimic-wrapper")
                client.set_terminated(run.info.run_id)
                self.run_id = run.info.run_id
        return ExplanationClient(self.run_id, tracking_uri=self.tracking_uri)

    def explain(self, explanation_types: Any, eval_dataset: Any = None, top_k: int | None = None,
                upload: bool = True, upload_datasets: bool = False, tag: str = "", get_raw: bool = False,
                raw_feature_names: Any = None, experiment_name: str = "explain_model",
                raw_eval_dataset: Any = None, true_ys: Any = None) -> Explanation:
        """Explain, optionally over raw features, and upload (``upload=True``) with ``tag`` as the comment.

        ``explanation_types``: ``["local", "global"]``, ``["global"]`` (without ``eval_dataset``: the
        surrogate's own importances) or ``["local"]``. ``get_raw=True`` maps through the constructor's
        ``feature_maps`` (naming raw features ``raw_feature_names``, keeping ``raw_eval_dataset`` as the
        explained rows); with ``transformations=`` the explanation is raw already.
        """
        types = [explanation_types] if isinstance(explanation_types, str) else list(explanation_types or [])
        unknown = [kind for kind in types if kind not in _TYPES]
        if not types or unknown:
            raise InvalidParameterError(
                f"explanation_types must list 'local' and/or 'global', got {explanation_types!r}."
            )
        _refuse_dataset_id("eval_dataset", eval_dataset)
        _refuse_dataset_id("raw_eval_dataset", raw_eval_dataset)
        if get_raw and self.feature_maps is None and self._explainer.feature_map is None:
            raise InvalidParameterError(
                "get_raw=True needs feature_maps= (or transformations=) on the MimicWrapper to map engineered "
                "features to raw ones."
            )
        explanation = self._explain_engineered(types, eval_dataset)
        if get_raw and self.feature_maps is not None:
            explanation = explanation.get_raw_explanation(self.feature_maps, raw_feature_names=raw_feature_names,
                                                          eval_data=raw_eval_dataset)
        if upload:
            self._client(experiment_name).upload_model_explanation(
                explanation, top_k=top_k, comment=tag or None, upload_datasets=upload_datasets,
                model_id=self.model_id, true_ys=true_ys)
        return explanation
