"""The shared metric table: names, aliases, directions and bound functions with known answers."""

import numpy as np
import pytest

from explain_lib.errors import InvalidParameterError
from explain_lib.metrics import METRICS, lookup, metric_function
from explain_lib.report.scorecard._metrics import METRICS as SCORECARD_METRICS


def test_unknown_name_suggests_the_closest_and_lists_the_valid_ones():
    with pytest.raises(InvalidParameterError, match=r"Unknown metric 'acuracy'\. Did you mean 'accuracy'\?.*log_loss"):
        lookup("acuracy")


def test_aliases_resolve_to_one_entry_with_its_direction_and_task():
    assert lookup("accuracy_score") is lookup("accuracy") is METRICS["accuracy"]
    assert lookup("neg_log_loss").greater_is_better is False and lookup("r2_score").greater_is_better is True
    with pytest.raises(InvalidParameterError, match="scores regression, but the model does classification"):
        lookup("r2_score", task="classification")


def test_the_scorecard_uses_the_shared_entries():
    assert all(SCORECARD_METRICS[name] is lookup(name) for name in SCORECARD_METRICS)
    assert SCORECARD_METRICS["roc_auc_score"].needs_scores and not SCORECARD_METRICS["f1_score"].needs_scores


def test_bound_functions_score_the_positive_class_with_known_answers():
    y_true = np.array(["no", "yes", "yes", "no"])
    y_pred = np.array(["yes", "yes", "no", "no"])
    # positive "yes" (the second class): 1 true positive of 2 predicted -> precision 0.5, recall 0.5
    assert metric_function("precision", classes=("no", "yes"))(y_true, y_pred) == 0.5
    assert metric_function("selection_rate", classes=("no", "yes"))(y_true, y_pred) == 0.5
    assert metric_function("error_rate", classes=("no", "yes"))(y_true, y_pred) == 0.5
    # a score matrix: the positive class's column ranks each of its rows above every other -> AUC 1
    scores = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]])
    assert metric_function("roc_auc", classes=("no", "yes"))(y_true, scores) == 1.0
    assert metric_function("roc_auc", classes=("no", "yes"), positive="no")(y_true, scores) == 1.0
    assert metric_function("root_mean_squared_error")([0.0, 0.0], [3.0, 4.0]) == pytest.approx(np.sqrt(12.5))
