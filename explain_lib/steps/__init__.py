"""Pipeline steps: plain typed functions that log into the active MLflow run and return URIs.

``train(data, target, ...) -> model URI``, ``explain(model_uri, data, ...) -> explanation id``,
``scorecard(model_uri, data, config, ...) -> scorecard URI`` and ``compare(baseline, candidate, ...) ->
comparison URI`` log into ``mlflow.active_run()``, else a
run they start (which resumes the run of ``MLFLOW_RUN_ID`` when set, so a remote job logs into the run
it is given). Inputs are DataFrames, local files or folders, or MLflow artifact URIs, read by
:func:`read_table`.
"""

from ._compare import GateFailedError, compare
from ._data import read_table
from ._explain import METHODS, explain
from ._scorecard import TargetMissedError, scorecard
from ._train import MODELS, TARGET_TAG, TEST_DATA_ARTIFACT, TEST_DATA_TAG, train

__all__ = ["METHODS", "MODELS", "TARGET_TAG", "TEST_DATA_ARTIFACT", "TEST_DATA_TAG", "GateFailedError",
           "TargetMissedError", "compare", "explain", "read_table", "scorecard", "train"]
