"""The shared argument checks: one helper per concern, one message wording everywhere."""

import numpy as np
import pytest

from explain_lib import InvalidParameterError
from explain_lib._validation import check_positive_int


@pytest.mark.parametrize("value", [1, 7, np.int64(3), np.uint8(200)])
def test_positive_integers_come_back_as_int(value):
    checked = check_positive_int(value, "top_k")
    assert checked == int(value) and type(checked) is int


@pytest.mark.parametrize("value", [0, -2, True, False, 2.0, "3", np.float64(3), [3]])
def test_anything_else_is_refused_naming_the_argument_and_the_value(value):
    with pytest.raises(InvalidParameterError, match=r"top_k must be a positive integer or None, got"):
        check_positive_int(value, "top_k")


def test_none_passes_only_when_allowed():
    assert check_positive_int(None, "top_k") is None
    with pytest.raises(InvalidParameterError, match=r"n_repeats must be a positive integer, got None"):
        check_positive_int(None, "n_repeats", allow_none=False)


@pytest.mark.parametrize(("labels", "task"), [
    (["yes", "no", "yes"], "classification"),
    ([True, False], "classification"),
    ([0, 1, 1, 0], "classification"),
    ([0.0, 1.0, 1.0], "classification"),  # whole numbers read from a file as floats
    (list(range(21)), "regression"),  # more distinct values than classes
    ([0.5, 1.5, 2.0], "regression"),
])
def test_one_task_rule_from_labels(labels, task):
    import pandas as pd

    from explain_lib.models import task_from_labels

    assert task_from_labels(pd.Series(labels)) == task
    assert task_from_labels(np.asarray(labels)) == task
