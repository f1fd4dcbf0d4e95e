"""The pyfunc model of a scoring explainer: predictions plus local importances per row."""

from __future__ import annotations

from typing import Any

import mlflow.pyfunc
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

from ..errors import InvalidInputError
from ..scoring import ScoringExplainer, scoring_frame

EXPLAINER_ARTIFACT = "scoring_explainer"
MODEL_ARTIFACT = "model"
MODEL_PICKLE = "model.pkl"


def missing_columns_message(given: list[str], expected: list[str]) -> str | None:
    """What is wrong with the request's columns, or None when every expected column is there."""
    missing = [c for c in expected if c not in given]
    if not missing:
        return None
    unexpected = [c for c in given if c not in expected]
    return (f"The request is missing columns {missing} (unexpected: {unexpected}); the scoring explainer takes "
            f"the columns {expected}.")


class ScoringExplainerModel(mlflow.pyfunc.PythonModel):
    """``predict(DataFrame) -> DataFrame`` of predictions and importances (see :mod:`explain_lib.scoring._frame`).

    The scoring explainer and the predicting model are artifacts, loaded once per process in
    :meth:`load_context`; settings (explained classes, raw or engineered features, input columns)
    live on the instance.
    """

    def __init__(self, *, classes: Any, get_raw: bool | None, input_columns: list[str], model_kind: str):
        self.classes = classes
        self.get_raw = get_raw
        self.input_columns = list(input_columns)
        self.model_kind = model_kind  # "pickle" (a fitted object) or "mlflow" (an MLflow model folder)
        self.scoring_explainer: ScoringExplainer | None = None
        self._model: Any = None

    def load_context(self, context: Any) -> None:
        self.scoring_explainer = ScoringExplainer.load(context.artifacts[EXPLAINER_ARTIFACT])
        self._model = load_predictor(context.artifacts[MODEL_ARTIFACT], self.model_kind)

    def attach(self, scoring_explainer: ScoringExplainer, model: Any) -> ScoringExplainerModel:
        """Use these objects directly (for checking the output before anything is logged)."""
        self.scoring_explainer, self._model = scoring_explainer, model
        return self

    def predict(self, context, model_input, params=None):  # no type hints: MLflow would read them as a schema
        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        problem = missing_columns_message([str(c) for c in frame.columns], self.input_columns)
        if problem:
            raise MlflowException(problem, error_code=INVALID_PARAMETER_VALUE)
        frame = frame[self.input_columns]
        try:
            explanation = self.scoring_explainer.explain_local(frame, get_raw=self.get_raw)
        except InvalidInputError as error:  # bad rows are the caller's problem: a 400, not a 500
            raise MlflowException(str(error), error_code=INVALID_PARAMETER_VALUE) from error
        predictions = self._model.predict(frame)
        if isinstance(predictions, (pd.DataFrame, pd.Series)):
            predictions = predictions.to_numpy()
        return scoring_frame(explanation, predictions, classes=self.classes)


def load_predictor(path: str, kind: str) -> Any:
    """The model that predicts: a cloudpickled object, or an MLflow model folder loaded as pyfunc."""
    if kind == "mlflow":
        return mlflow.pyfunc.load_model(path)
    import cloudpickle

    with open(path, "rb") as stream:
        return cloudpickle.load(stream)
