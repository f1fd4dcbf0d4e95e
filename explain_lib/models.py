"""What explain-lib needs to know about a model, found by explicit checks of its type.

Nothing here imports LightGBM or XGBoost unless the model already comes from them: a model's class
is matched by its module and name first, so an uninstalled package is never imported.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InvalidInputError, InvalidParameterError, ModelNotFittedError, UnsupportedModelError

__all__ = [
    "ModelInput",
    "call_model",
    "check_fitted",
    "model_input",
    "infer_task",
    "task_from_labels",
    "model_classes",
    "split_pipeline",
    "native_booster",
    "tree_family",
    "is_linear_model",
    "predict_scores",
    "prediction_function",
    "torch_network",
    "NetworkModel",
]

_TASKS = ("classification", "regression")


def _type_path(obj: Any) -> set[str]:
    """'module.Class' for the object's class and its bases."""
    return {f"{c.__module__}.{c.__qualname__}" for c in type(obj).__mro__}


def _is_lightgbm(model: Any) -> bool:
    return any(p.startswith("lightgbm.") for p in _type_path(model)) and (
        "lightgbm.basic.Booster" in _type_path(model) or "lightgbm.sklearn.LGBMModel" in _type_path(model)
    )


def _is_xgboost(model: Any) -> bool:
    paths = _type_path(model)
    return "xgboost.core.Booster" in paths or "xgboost.sklearn.XGBModel" in paths


def native_booster(model: Any) -> Any:
    """The LightGBM or XGBoost ``Booster`` of a model (the model itself when it is one); None for others."""
    if _is_lightgbm(model):
        return model.booster_ if hasattr(model, "booster_") else model
    if _is_xgboost(model):
        return model.get_booster() if hasattr(model, "get_booster") else model
    return None


@functools.cache
def _sklearn_tree_classes() -> tuple[tuple[type, str], ...]:
    """scikit-learn's tree models, each with the output space of its trees for classification."""
    from sklearn import ensemble, tree

    return (
        (tree.DecisionTreeClassifier, "probability"), (ensemble.RandomForestClassifier, "probability"),
        (ensemble.ExtraTreesClassifier, "probability"), (ensemble.GradientBoostingClassifier, "margin"),
        (ensemble.HistGradientBoostingClassifier, "margin"),
        (tree.DecisionTreeRegressor, "raw"), (ensemble.RandomForestRegressor, "raw"),
        (ensemble.ExtraTreesRegressor, "raw"), (ensemble.GradientBoostingRegressor, "raw"),
        (ensemble.HistGradientBoostingRegressor, "raw"),
    )  # ExtraTreeClassifier / ExtraTreeRegressor are subclasses of the decision trees


@functools.cache
def _sklearn_linear_classes() -> tuple[type, ...]:
    """scikit-learn's linear models whose decision function is X @ coef_.T + intercept_."""
    from sklearn import linear_model, svm

    names = (
        "LinearRegression", "Ridge", "RidgeCV", "Lasso", "LassoCV", "ElasticNet", "ElasticNetCV", "Lars", "LarsCV",
        "LassoLars", "LassoLarsCV", "LassoLarsIC", "OrthogonalMatchingPursuit", "BayesianRidge", "ARDRegression",
        "HuberRegressor", "QuantileRegressor", "TheilSenRegressor", "SGDRegressor", "PassiveAggressiveRegressor",
        "LogisticRegression", "LogisticRegressionCV", "RidgeClassifier", "RidgeClassifierCV", "SGDClassifier",
        "Perceptron", "PassiveAggressiveClassifier",
    )
    return (*(getattr(linear_model, name) for name in names if hasattr(linear_model, name)), svm.LinearSVC,
            svm.LinearSVR)


def _sklearn_tree_space(model: Any) -> str | None:
    if not type(model).__module__.startswith("sklearn."):
        return None  # not a scikit-learn model: scikit-learn is not even imported for it
    return next((space for cls, space in _sklearn_tree_classes() if isinstance(model, cls)), None)


def check_fitted(model: Any) -> None:
    """Refuse an unfitted scikit-learn, LightGBM or XGBoost estimator (or Pipeline) with "not fitted".

    Only estimators that follow scikit-learn's fitted-state convention are checked (their class comes
    from those packages, or defines ``__sklearn_is_fitted__``); other models and plain functions pass.
    """
    if isinstance(model, type):
        raise InvalidParameterError(
            f"Got the class {model.__name__}, not a fitted model; pass an instance fitted on your data."
        )
    root = type(model).__module__.split(".")[0]
    if root not in ("sklearn", "lightgbm", "xgboost") and not hasattr(model, "__sklearn_is_fitted__"):
        return
    if not hasattr(model, "fit"):  # boosters and other already-trained objects
        return
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(model)
    except NotFittedError as error:
        raise ModelNotFittedError(
            f"{type(model).__name__} is not fitted yet, so there is nothing to explain. Call "
            f"model.fit(X, y) first and pass the fitted model."
        ) from error


def call_model(function: Callable[[Any], Any], rows: Any, *, name: str = "X") -> Any:
    """``function(rows)``, with the model's own complaint about the rows turned into an error of ours.

    A model raises ValueError / TypeError for input it cannot take (strings where it expects numbers,
    an unknown category); the message keeps the model's words and says how to fix the input.
    """
    try:
        return function(rows)
    except (ValueError, TypeError) as error:
        if isinstance(error, (InvalidInputError, InvalidParameterError)):
            raise
        raise InvalidInputError(
            f"The model cannot take the rows of {name}: {type(error).__name__}: {error}. Pass the columns and "
            "types it was fitted on (strings and categories need the model's own encoder, e.g. a scikit-learn "
            "Pipeline with a OneHotEncoder)."
        ) from error


def torch_network(model: Any) -> Any | None:
    """The ``torch.nn.Module`` a model is, or holds as ``module_`` (skorch-style wrappers); else None.

    torch is never imported here: a model can only be a network if torch is already loaded.
    """
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    if isinstance(model, torch.nn.Module):
        return model
    wrapped = getattr(model, "module_", None)
    return wrapped if isinstance(wrapped, torch.nn.Module) else None


def tree_family(model: Any) -> str | None:
    """'lightgbm', 'xgboost' or 'sklearn' for a tree ensemble TreeShap can explain, else None."""
    if _is_lightgbm(model):
        return "lightgbm"
    if _is_xgboost(model):
        return "xgboost"
    if _sklearn_tree_space(model) is not None:
        return "sklearn"
    return None


def sklearn_tree_output_space(model: Any) -> str:
    """The output space of a scikit-learn tree model's trees for classification (``tree_family == 'sklearn'``)."""
    space = _sklearn_tree_space(model)
    if space is None:
        raise UnsupportedModelError(f"{type(model).__name__} is not a scikit-learn tree model.")
    return space


def is_linear_model(model: Any) -> bool:
    """A fitted scikit-learn linear model whose decision function is X @ coef_.T + intercept_."""
    return (type(model).__module__.startswith("sklearn.") and isinstance(model, _sklearn_linear_classes())
            and hasattr(model, "coef_"))


def is_pipeline(obj: Any) -> bool:
    """A scikit-learn ``Pipeline`` (or a subclass, such as imbalanced-learn's)."""
    from sklearn.pipeline import Pipeline

    return isinstance(obj, Pipeline)


def is_column_transformer(obj: Any) -> bool:
    """A scikit-learn ``ColumnTransformer`` (or a subclass).

    sklearn.compose is never imported here (~60 ms in a fresh process): an object can only be a
    ColumnTransformer if that module is already loaded."""
    compose = sys.modules.get("sklearn.compose")
    return compose is not None and isinstance(obj, compose.ColumnTransformer)


def split_pipeline(model: Any) -> tuple[Any | None, Any]:
    """(the steps before the final estimator, or None; the final estimator) of an sklearn Pipeline."""
    if is_pipeline(model):
        if len(model.steps) == 1:
            return None, model.steps[-1][1]
        return model[:-1], model.steps[-1][1]
    return None, model


@dataclass(frozen=True)
class ModelInput:
    """What a fitted model expects as input: column count and names (when it recorded real ones)."""

    n_features: int | None
    feature_names: tuple[str, ...] | None
    allow_nan: bool
    column_key: Callable[[str], str] | None = None  # how the model spells a column name it was given


def _lightgbm_name(name: str) -> str:
    """LightGBM stores feature names with spaces replaced by underscores."""
    return re.sub(r"\s", "_", name)


def _names(names: Any) -> tuple[str, ...] | None:
    if names is None:
        return None
    names = tuple(str(n) for n in names)
    return names or None


def _lightgbm_names(model: Any, booster: Any) -> tuple[str, ...] | None:
    """The names a LightGBM model was fitted with; None when it was fitted on unnamed columns.

    A booster fitted on an array names its columns ``Column_0, Column_1, ...`` itself. The
    scikit-learn wrapper records a DataFrame's own names as ``feature_names_in_`` (even names that
    look generated), so only a bare Booster is judged by its names.
    """
    if hasattr(model, "booster_"):
        return _names(getattr(model, "feature_names_in_", None))
    names = _names(booster.feature_name())
    if names is not None and names == tuple(f"Column_{i}" for i in range(len(names))):
        return None
    return names


def model_input(model: Any) -> ModelInput:
    """Read the input contract off a fitted model; unknown parts are None."""
    if _is_lightgbm(model):
        booster = native_booster(model)
        return ModelInput(booster.num_feature(), _lightgbm_names(model, booster), True, _lightgbm_name)
    if _is_xgboost(model):
        booster = native_booster(model)
        return ModelInput(booster.num_features(), _names(booster.feature_names), True)  # None when unnamed
    n_features = getattr(model, "n_features_in_", None)
    names = getattr(model, "feature_names_in_", None)
    return ModelInput(n_features, _names(names), _allows_nan(model))


def _allows_nan(step: Any) -> bool:
    """Whether rows with NaN may reach ``step``: a Pipeline's first step decides (scikit-learn's tags say
    False for every Pipeline and ColumnTransformer), a ColumnTransformer's parts decide together."""
    if isinstance(step, str):  # "passthrough": what follows decides, and it says so itself
        return True
    if is_pipeline(step):
        steps = [s for _, s in step.steps if s is not None and not (isinstance(s, str) and s == "passthrough")]
        return _allows_nan(steps[0]) if steps else True
    if is_column_transformer(step):
        parts = getattr(step, "transformers_", step.transformers)
        return all(_allows_nan(transformer) for _, transformer, _ in parts)
    if hasattr(step, "__sklearn_tags__"):
        from sklearn.utils import get_tags

        try:
            return bool(get_tags(step).input_tags.allow_nan)
        except (AttributeError, TypeError):  # third-party estimators with partial tag support
            return True
    return True


def _lightgbm_objective(booster: Any) -> str:
    return str(booster.params.get("objective") or booster.dump_model(num_iteration=1)["objective"]).split()[0]


def _xgboost_objective(booster: Any) -> str:
    import json

    return json.loads(booster.save_config())["learner"]["objective"]["name"]


def infer_task(model: Any, model_task: str = "auto") -> str | None:
    """'classification' or 'regression' from the model (or the override); None when it cannot tell."""
    model_task = getattr(model_task, "value", model_task)  # interpret-community's ModelTask enum
    if model_task not in ("auto", "unknown"):
        if model_task not in _TASKS:
            raise InvalidParameterError(
                f"model_task must be 'auto', 'classification' or 'regression', got {model_task!r}."
            )
        return model_task
    _, estimator = split_pipeline(model)
    if _is_lightgbm(estimator):
        objective = _lightgbm_objective(native_booster(estimator))
        classifying = objective.startswith(("binary", "multiclass", "softmax", "multiclassova", "ova"))
        return "classification" if classifying else "regression"
    if _is_xgboost(estimator):
        if hasattr(estimator, "classes_") or "xgboost.sklearn.XGBClassifier" in _type_path(estimator):
            return "classification"
        if hasattr(estimator, "get_booster") or "xgboost.core.Booster" in _type_path(estimator):
            objective = _xgboost_objective(native_booster(estimator))
            return "classification" if objective.startswith(("binary:", "multi:")) else "regression"
    if hasattr(model, "__sklearn_tags__"):
        from sklearn.base import is_classifier, is_regressor

        try:
            if is_classifier(model):
                return "classification"
            if is_regressor(model):
                return "regression"
        except AttributeError:  # a Pipeline whose final step is no scikit-learn estimator (it has no tags)
            pass
    if callable(getattr(estimator, "predict_proba", None)):
        return "classification"
    if callable(getattr(model, "predict", None)):
        return "regression"
    return None  # a plain function: the shape of its output decides


MAX_CLASSES = 20  # more distinct whole-number labels than this read as a regression target


def task_from_labels(labels: Any) -> str:
    """'classification' or 'regression' from the labels alone, for when no model says (the one rule).

    Classification: text, categories or booleans, or at most ``MAX_CLASSES`` distinct whole numbers
    (``0/1``, ``1.0/2.0/3.0``); anything else is regression.
    """
    import pandas as pd

    values = pd.Series(np.asarray(labels).ravel()) if not isinstance(labels, pd.Series) else labels
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return "classification"
    present = values.dropna()
    whole = bool(np.all(np.mod(present.to_numpy(dtype=np.float64), 1) == 0))
    return "classification" if whole and present.nunique() <= MAX_CLASSES else "regression"


def model_classes(model: Any) -> tuple[Any, ...] | None:
    """The class labels, in the order of the model's outputs, if the model records them."""
    _, estimator = split_pipeline(model)
    classes = getattr(model, "classes_", None)
    if classes is None:
        classes = getattr(estimator, "classes_", None)
    if classes is not None:
        return tuple(np.asarray(classes).tolist())
    if _is_lightgbm(estimator):
        k = native_booster(estimator).num_model_per_iteration()
        return tuple(range(2 if k == 1 else k))
    if _is_xgboost(estimator):
        import json

        config = json.loads(native_booster(estimator).save_config())
        k = int(config["learner"]["learner_model_param"]["num_class"])
        return tuple(range(max(k, 2)))
    return None


def predict_scores(model: Any, X: Any, task: str | None) -> np.ndarray:
    """The model's predicted probabilities / scores (classification) or values (regression).

    Boosters answer through their own predict (probabilities for classifiers); other models
    through :func:`prediction_function`.
    """
    _, estimator = split_pipeline(model)
    if estimator is model and (_is_lightgbm(model) or _is_xgboost(model)) and not hasattr(model, "predict_proba"):
        if _is_xgboost(model) and "xgboost.core.Booster" in _type_path(model):
            import xgboost

            X = xgboost.DMatrix(X)
        return np.asarray(model.predict(X))
    predict, _ = prediction_function(model, task)
    return np.asarray(predict(X))


_NO_SCALE = ("{name} is a classifier without predict_proba or decision_function, and its predict returns labels, "
             "so its output has no numeric scale to explain. Fit it with probability estimates (e.g. "
             "SVC(probability=True)), wrap it so predict returns one probability per class, or pass "
             "model_task='regression' to explain predict().")


def _network_outputs(network: Any, task: str | None, X: Any) -> np.ndarray:
    """A PyTorch network's outputs on rows (numbers), without gradients; a classifier's single column (a
    sigmoid's probability of the positive class) becomes both classes' probabilities."""
    import torch

    rows = X.to_numpy(dtype=np.float32) if hasattr(X, "to_numpy") else np.asarray(X, dtype=np.float32)
    with torch.no_grad():
        output = network(torch.as_tensor(rows)).detach().cpu().numpy().astype(np.float64)
    if task == "classification" and output.ndim == 2 and output.shape[1] == 1:
        return np.hstack([1 - output, output])
    return output.reshape(len(rows)) if task != "classification" and output.ndim == 2 and output.shape[1] == 1 \
        else output


def _probabilities_from_predict(model: Any, X: Any) -> np.ndarray:
    """``model.predict(X)`` when it is a matrix of class probabilities (one row per row of X, a column per class)."""
    output = np.asarray(model.predict(X))
    if output.ndim != 2 or output.shape[1] < 2 or output.dtype.kind not in "fiu":
        raise UnsupportedModelError(_NO_SCALE.format(name=type(model).__name__)
                                    + f" (predict gave shape {output.shape})")
    return output


def prediction_function(model: Any, task: str | None) -> tuple[Callable[[Any], np.ndarray], str]:
    """The function a model-agnostic explainer explains, and its output space.

    Classification: ``predict_proba`` ("probability"), else ``decision_function`` ("margin"), else a
    ``predict`` that returns one probability per class ("probability"; one that returns labels is refused
    when called).
    Regression: ``predict`` ("raw"). A plain callable is used as it is ("raw" for 1-D outputs,
    "probability" for classification).
    """
    has = {name: callable(getattr(model, name, None)) for name in ("predict", "predict_proba", "decision_function")}
    if not any(has.values()):
        network = torch_network(model)
        if network is not None:  # a PyTorch network: rows in as a float tensor, its outputs out as an array
            import copy

            twin = copy.deepcopy(network).eval()  # dropout off; the model's own mode is never switched
            return functools.partial(_network_outputs, twin, task), "probability" if task == "classification" \
                else "raw"
        if callable(model) and not isinstance(model, type):
            return model, "probability" if task == "classification" else "raw"
        raise UnsupportedModelError(
            f"{type(model).__name__} has neither predict nor predict_proba, and is not callable. "
            "Pass a fitted model or a function that maps a 2-D array of rows to predictions."
        )
    if task == "classification":
        if has["predict_proba"]:  # getattr() respects sklearn's available_if (SVC(probability=False))
            return model.predict_proba, "probability"
        if has["decision_function"]:
            return model.decision_function, "margin"
        if has["predict"]:  # a wrapper whose predict returns the class probabilities (as interpret-community takes)
            return functools.partial(_probabilities_from_predict, model), "probability"
        raise UnsupportedModelError(_NO_SCALE.format(name=type(model).__name__))
    if not has["predict"]:
        raise UnsupportedModelError(
            f"{type(model).__name__} has no predict(), so it cannot be explained as a regressor; pass "
            "model_task='classification' to explain predict_proba()."
        )
    return model.predict, "raw"


class NetworkModel:
    """A PyTorch network with scikit-learn's prediction methods, as interpret-community hands a network to its
    explainers (wrapped by ml-wrappers): ``predict`` gives class labels for a classifier (a single sigmoid
    output above 0.5 is class 1) and values for a regressor; ``predict_proba`` one probability per class
    (classifiers only). The network itself is ``module_``, as skorch names it.

    Examples
    --------
    >>> import torch
    >>> network = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Sigmoid())
    >>> with torch.no_grad():
    ...     _ = network[0].weight.fill_(1.0), network[0].bias.fill_(0.0)
    >>> wrapped = NetworkModel(network, "classification", classes=["no", "yes"])
    >>> wrapped.predict(np.array([[-2.0], [3.0]])).tolist()
    ['no', 'yes']
    """

    def __init__(self, network: Any, task: str, classes: Any = None):
        self.module_ = network
        self.task = task
        self.classes_ = None if classes is None else np.asarray(list(classes))
        self._outputs, _ = prediction_function(network, task)

    @property
    def predict_proba(self) -> Callable[[Any], np.ndarray]:
        if self.task != "classification":
            raise AttributeError("a regression network has no predict_proba; use predict")
        return self._outputs

    def predict(self, X: Any) -> np.ndarray:
        outputs = np.asarray(self._outputs(X))
        if self.task != "classification":
            return outputs
        positions = outputs.argmax(axis=1)
        return positions if self.classes_ is None else self.classes_[positions]
