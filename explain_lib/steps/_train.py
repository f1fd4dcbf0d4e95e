"""The ``train`` step: fit a scikit-learn Pipeline on a table and log it to the active MLflow run."""

from __future__ import annotations

import json
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from .._keys import check_tags
from .._progress import quiet_artifact_transfers, quiet_logger
from ..errors import InvalidInputError, InvalidParameterError, did_you_mean
from ..metrics import metric_function
from ..models import task_from_labels
from ..tracking._ui import markdown_text
from ._data import read_table, source_uri, split_target
from ._run import describe_run, progress, record_outputs, step_run

__all__ = ["MODELS", "TEST_DATA_ARTIFACT", "TEST_DATA_TAG", "TARGET_TAG", "train"]

TEST_DATA_ARTIFACT = "data/test.parquet"
TEST_DATA_TAG = "explain_lib.test_data_uri"
TARGET_TAG = "explain_lib.target"
MODEL_ARTIFACT = "model"
MODEL_FORMAT = "cloudpickle"


def _lightgbm(task: str, params: dict[str, Any], seed: int) -> Any:
    import lightgbm

    estimator = lightgbm.LGBMClassifier if task == "classification" else lightgbm.LGBMRegressor
    return estimator(**{"random_state": seed, "verbose": -1, **params})


def _sklearn(classifier: str | None, regressor: str | None, seeded: bool = True) -> Callable[..., Any]:
    def build(task: str, params: dict[str, Any], seed: int) -> Any:
        import importlib

        path = classifier if task == "classification" else regressor
        if path is None:
            kind = "classifier" if regressor is None else "regressor"
            raise InvalidParameterError(f"This model is a {kind} only; the target asks for {task}.")
        module, name = path.rsplit(".", 1)
        defaults = {"random_state": seed} if seeded else {}
        return getattr(importlib.import_module(module), name)(**{**defaults, **params})

    return build


MODELS: dict[str, Callable[[str, dict[str, Any], int], Any]] = {
    "lightgbm": _lightgbm,
    "random_forest": _sklearn("sklearn.ensemble.RandomForestClassifier", "sklearn.ensemble.RandomForestRegressor"),
    "gradient_boosting": _sklearn("sklearn.ensemble.HistGradientBoostingClassifier",
                                  "sklearn.ensemble.HistGradientBoostingRegressor"),
    "decision_tree": _sklearn("sklearn.tree.DecisionTreeClassifier", "sklearn.tree.DecisionTreeRegressor"),
    "logistic_regression": _sklearn("sklearn.linear_model.LogisticRegression", None),
    "linear_regression": _sklearn(None, "sklearn.linear_model.LinearRegression", seeded=False),
}
_LINEAR = {"logistic_regression", "linear_regression"}


def _categorical_columns(features: pd.DataFrame) -> list[str]:
    return [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])
            or pd.api.types.is_bool_dtype(features[c])]


def _pipeline(features: pd.DataFrame, estimator: Any, linear: bool) -> Any:
    """ColumnTransformer (one-hot categorical columns; numeric passed through, or imputed + scaled for
    linear models) followed by the estimator."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    categorical = _categorical_columns(features)
    numeric = [c for c in features.columns if c not in categorical]
    numeric_step: Any = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]) \
        if linear else "passthrough"
    transformers = []
    if categorical:
        transformers.append(("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                             categorical))
    if numeric:
        transformers.append(("numeric", numeric_step, numeric))
    encode = ColumnTransformer(transformers, verbose_feature_names_out=False)
    return Pipeline([("encode", encode), ("model", estimator)])


def _column_type(values: pd.Series) -> Any:
    """The MLflow type of a column as it arrives: the training data's own (integers as long, strings as string)."""
    from mlflow.types import DataType

    if pd.api.types.is_bool_dtype(values):
        return DataType.boolean
    if pd.api.types.is_integer_dtype(values):
        return DataType.long
    if pd.api.types.is_float_dtype(values):
        return DataType.double
    if pd.api.types.is_datetime64_any_dtype(values):
        return DataType.datetime
    return DataType.string


def _signature(features: pd.DataFrame, predictions: Any) -> Any:
    """The model signature, typed from the training columns rather than inferred from a sample.

    MLflow's inference warns on every integer column that a missing value would arrive as a float; the
    training data says which columns can miss values (pandas holds those as floats already), so each
    column is declared with the type its values arrive with: parquet and CSV reads, JSON requests (cast
    by the scoring server) and Spark integer columns all match.
    """
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    inputs = Schema([ColSpec(_column_type(features[column]), str(column)) for column in features.columns])
    return ModelSignature(inputs=inputs, outputs=Schema([ColSpec(_column_type(pd.Series(predictions)))]))


def _with_string_categories(features: pd.DataFrame) -> pd.DataFrame:
    """Categorical / string columns as plain object columns (what the model is logged to accept)."""
    frame = features.copy()
    for column in _categorical_columns(frame):
        if not pd.api.types.is_bool_dtype(frame[column]):
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


# the logged name of each held-out metric -> its name in the shared metric table
_REGRESSION_METRICS = {"test_r2": "r2", "test_mae": "mean_absolute_error", "test_rmse": "root_mean_squared_error"}


def _metrics(pipeline: Any, task: str, features: pd.DataFrame, labels: pd.Series) -> dict[str, float]:
    predicted = pipeline.predict(features)
    if task == "regression":
        return {key: metric_function(name)(labels, predicted) for key, name in _REGRESSION_METRICS.items()}
    classes = list(pipeline.classes_)
    scores = {"test_accuracy": metric_function("accuracy", classes=classes)(labels, predicted)}
    if len(classes) == 2:
        scores["test_f1"] = metric_function("f1", classes=classes)(labels, predicted)
        if hasattr(pipeline, "predict_proba") and labels.nunique() == 2:
            scores["test_roc_auc"] = metric_function("roc_auc", classes=classes)(labels,
                                                                                pipeline.predict_proba(features))
    else:
        scores["test_f1_macro"] = metric_function("f1_macro", classes=classes)(labels, predicted)
    return scores


def _check_params(params: dict[str, Any] | str | None) -> dict[str, Any]:
    if params is None:
        return {}
    if isinstance(params, str):
        try:
            params = json.loads(params)
        except json.JSONDecodeError as error:
            raise InvalidParameterError(f"params must be a JSON object such as '{{\"n_estimators\": 50}}': {error}") \
                from error
    if not isinstance(params, dict):
        raise InvalidParameterError(f"params must be a dict (a JSON object), got {type(params).__name__}.")
    return dict(params)


def _check_estimator_params(default: Any, model: str, params: dict[str, Any]) -> None:
    """Refuse keyword arguments the estimator does not have (its ``get_params()`` keys), naming them.

    Some estimators (LightGBM) swallow unknown keywords with at most a warning, so a misspelt
    parameter would silently train the default model.
    """
    known = sorted(default.get_params(deep=False))
    unknown = [key for key in params if key not in known]
    if unknown:
        hints = "".join(did_you_mean(key, known) for key in unknown[:3])
        raise InvalidParameterError(
            f"params {unknown} are not arguments of the {model} estimator {type(default).__name__}.{hints} "
            f"Its arguments are: {', '.join(known)}."
        )


def train(
    data: str | Path | pd.DataFrame,
    target: str,
    *,
    model: str = "lightgbm",
    params: dict[str, Any] | str | None = None,
    test_size: float = 0.25,
    random_state: int = 0,
    model_output: str | Path | None = None,
    test_data_output: str | Path | None = None,
) -> str:
    """Train a model on a table and log it, its metrics and its data to the active MLflow run.

    The model is a scikit-learn ``Pipeline``: a ``ColumnTransformer`` (one-hot encoding of the
    non-numeric columns; the numeric ones passed through, or imputed and standardized for linear
    models) followed by the estimator, so explainers map it back to the raw columns. The task is
    classification for string, boolean or few-valued integer targets (string labels stay strings),
    else regression. ::

        X_train, X_test = stratified split of data (test_size, random_state)
        pipeline.fit(X_train, y_train)
        log params, test metrics, train / test datasets (mlflow.log_input), the model (sklearn
        flavor, cloudpickle, signature typed from the training columns, input example),
        data/test.parquet + its tag

    The test split keeps the rows' labels (its index: for a file, each row's number in it, from 0), so
    the explanation and its dashboard name every row by where it came from.

    Parameters
    ----------
    data
        The table: a DataFrame, a .csv / .csv.gz / .parquet path, a folder holding one, or an MLflow
        artifact URI (see :func:`read_table`).
    target
        The label column.
    model
        One of ``lightgbm``, ``random_forest``, ``gradient_boosting`` (histogram gradient boosting),
        ``decision_tree``, ``logistic_regression`` (classification), ``linear_regression`` (regression).
    params
        Keyword arguments of the estimator (a dict or a JSON object string).
    test_size
        Fraction of rows held out for the test metrics and the next step, in (0, 1).
    random_state
        Seed of the split and the estimator.
    model_output
        A folder to also save the MLflow model to (``mlflow.sklearn.save_model``); must not exist or be empty.
    test_data_output
        A folder to also write the test split to, as ``test.parquet``.

    Returns
    -------
    str
        The model URI, ``runs:/<run_id>/model``. The run also gets the tags ``explain_lib.test_data_uri``
        (``runs:/<run_id>/data/test.parquet``) and ``explain_lib.target``.

    Raises
    ------
    InvalidInputError, InvalidParameterError
        Unreadable data, a missing target, an unknown model or bad params; raised before anything is logged.
    """
    import mlflow
    from sklearn.model_selection import train_test_split

    if model not in MODELS:
        raise InvalidParameterError(f"Unknown model {model!r}; choose one of {sorted(MODELS)}." +
                                    did_you_mean(model, MODELS))
    estimator_params = _check_params(params)
    check_tags({TARGET_TAG: str(target)}, what="train")  # tags are written last: check them first
    if not 0 < test_size < 1:
        raise InvalidParameterError(f"test_size must lie strictly between 0 and 1, got {test_size}.")
    source = source_uri(data)
    frame = read_table(data)
    features, labels = split_target(frame, target, uri=source)
    features = _with_string_categories(features)
    if labels.isna().any():
        raise InvalidInputError(f"The target column {target!r} has {int(labels.isna().sum())} missing values; "
                                "drop those rows first.")
    task = task_from_labels(labels)
    _check_estimator_params(MODELS[model](task, {}, random_state), model, estimator_params)
    try:
        estimator = MODELS[model](task, estimator_params, random_state)
    except TypeError as error:  # an unknown keyword argument of the estimator
        raise InvalidParameterError(f"params do not fit the {model} estimator: {error}") from error
    stratify = labels if task == "classification" and labels.value_counts().min() >= 2 else None
    X_train, X_test, y_train, y_test = train_test_split(features, labels, test_size=test_size,
                                                        random_state=random_state, stratify=stratify)
    pipeline = _pipeline(features, estimator, model in _LINEAR)

    with step_run() as run:
        run_id = run.info.run_id
        mlflow.log_params({"model": model, "target": target, "task": task, "test_size": test_size,
                           "random_state": random_state, "n_rows": len(frame),
                           **{f"model.{key}": value for key, value in estimator_params.items()}})
        train_frame = pd.concat([X_train, y_train], axis=1)
        test_frame = pd.concat([X_test, y_test], axis=1)
        with warnings.catch_warnings():
            # Lineage records, not model signatures: MLflow's integer-column hint and its note that a local
            # path matches two equivalent source types say nothing about them.
            warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer", category=UserWarning)
            warnings.filterwarnings("ignore", message="The specified dataset source can be interpreted",
                                    category=UserWarning)
            mlflow.log_input(mlflow.data.from_pandas(train_frame, source=source, name="train", targets=target),
                             context="training")
            mlflow.log_input(mlflow.data.from_pandas(test_frame, source=source, name="test", targets=target),
                             context="testing")
        with progress(f"training {model} ({task}) on {len(X_train)} rows"):
            pipeline.fit(X_train, y_train)
        scores = _metrics(pipeline, task, X_test, y_test)
        mlflow.log_metrics(scores)
        signature = _signature(X_train, pipeline.predict(X_train.head(100)))
        # cloudpickle on purpose (skops cannot hold LightGBM / XGBoost boosters without a list of trusted types,
        # and MLflow gates loading either format the same way); the run description says so, once
        with progress("logging the model"), quiet_logger("mlflow.sklearn"):
            logged = mlflow.sklearn.log_model(pipeline, name=MODEL_ARTIFACT, serialization_format=MODEL_FORMAT,
                                              signature=signature, input_example=X_train.head(5))
            if model_output is not None:  # a copy of the logged files: saving again would re-infer requirements
                with quiet_artifact_transfers():
                    mlflow.artifacts.download_artifacts(artifact_uri=logged.model_uri, dst_path=str(model_output))
        with tempfile.TemporaryDirectory(prefix="explain-lib-train-") as tmp:
            test_file = Path(tmp, "test.parquet")
            test_frame.to_parquet(test_file, index=True)  # each row keeps its row number in ``data``
            mlflow.log_artifact(str(test_file), artifact_path=str(Path(TEST_DATA_ARTIFACT).parent))
        if test_data_output is not None:
            Path(test_data_output).mkdir(parents=True, exist_ok=True)
            test_frame.to_parquet(Path(test_data_output, "test.parquet"), index=True)
        model_uri, data_folder = f"runs:/{run_id}/{MODEL_ARTIFACT}", f"runs:/{run_id}/{Path(TEST_DATA_ARTIFACT).parent}"
        record_outputs(run_id, {**({model_output: model_uri} if model_output is not None else {}),
                                **({test_data_output: data_folder} if test_data_output is not None else {})})
        describe_run(run_id, "train", [
            f"Trained **{model}** ({task}, target {markdown_text(target)}) on {markdown_text(source)}: "
            f"{len(X_train)} training rows, {len(X_test)} held out.", "",
            "Held-out metrics: " + ", ".join(f"{name.removeprefix('test_')} {value:.4g}"
                                            for name, value in scores.items()) + ".", "",
            f"Model `{model_uri}` (scikit-learn flavour, saved with {MODEL_FORMAT}: load it only from a tracking "
            "store you trust; its signature types each column as in the training data). "
            f"Test split `runs:/{run_id}/{TEST_DATA_ARTIFACT}`.",
        ])
        mlflow.set_tags({TEST_DATA_TAG: f"runs:/{run_id}/{TEST_DATA_ARTIFACT}", TARGET_TAG: target})
    return model_uri
