"""The rows a report shows of an explanation: a seeded sample, their predictions and true labels.

Uploads (the eval sample beside the values), the plots and the dashboard all draw the same rows of
the same explanation with these helpers, so a row in the page is the row in the plots and in
``eval_sample.parquet``. They read an :class:`~explain_lib.Explanation` by its public attributes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._validation import check_positive_int
from .errors import InvalidInputError, InvalidParameterError

if TYPE_CHECKING:
    from .explanation import Explanation

__all__ = ["INDEX_COLUMN", "PREDICTION_COLUMN", "ROW_COLUMN", "TRUE_Y_COLUMN", "check_true_ys", "eval_sample",
           "model_outputs", "n_rows", "predictions", "row_labels", "sample_rows"]

# the eval sample's own columns, beside the features': the row's position in the explanation, its label (the
# explained DataFrame's index), the prediction and the true label
ROW_COLUMN, INDEX_COLUMN, PREDICTION_COLUMN, TRUE_Y_COLUMN = "__row__", "__index__", "__prediction__", "__true_y__"


def sample_rows(n_rows: int, max_rows: int | None, random_state: int = 0) -> np.ndarray:
    """Sorted positions of at most ``max_rows`` of ``n_rows`` rows, the same for the same seed.

    Examples
    --------
    >>> sample_rows(5, 10).tolist()
    [0, 1, 2, 3, 4]
    >>> rows = sample_rows(1000, 3, random_state=7)
    >>> len(rows), bool((rows == sample_rows(1000, 3, random_state=7)).all())
    (3, True)
    """
    check_positive_int(max_rows, "max_rows")
    if max_rows is None or n_rows <= max_rows:
        return np.arange(n_rows)
    return np.sort(np.random.default_rng(random_state).choice(n_rows, size=max_rows, replace=False))


def n_rows(explanation: Explanation) -> int | None:
    """The explained rows: of the local values, else of the kept data; None for a global-only explanation."""
    if explanation.local is not None:
        return explanation.n_rows
    return None if explanation.data is None else len(explanation.data)


def check_true_ys(explanation: Explanation, true_ys: Any) -> np.ndarray | None:
    """``true_ys`` as a 1-D array of one label per explained row (None stays None), or a clear error."""
    if true_ys is None:
        return None
    labels = np.asarray(true_ys.to_numpy() if isinstance(true_ys, (pd.Series, pd.DataFrame)) else true_ys)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    rows = n_rows(explanation)
    if rows is None:
        raise InvalidParameterError(
            "true_ys needs an explanation of rows, but this one is global only (no local values, no data). "
            "Upload it without true_ys."
        )
    if labels.ndim != 1 or len(labels) != rows:
        raise InvalidInputError(
            f"true_ys must have one label per explained row ({rows}), got shape {labels.shape}."
        )
    return labels


def model_outputs(explanation: Explanation) -> np.ndarray | None:
    """The model's output per row, recovered from additivity: ``local.sum(-1) + expected``, (n_outputs, n_rows).

    None for global-only or metric-space explanations (where values do not add up to an output).
    """
    if explanation.local is None or explanation.expected is None or explanation.output_space == "metric":
        return None
    return explanation.local.sum(axis=-1) + explanation.expected[:, None]


def predictions(explanation: Explanation) -> np.ndarray | None:
    """The model's predictions recovered from additivity (:func:`model_outputs`), when it holds.

    Classification: the class with the largest output (margins and probabilities rank classes the
    same way); regression: the output itself. None for global-only or metric-space explanations.
    """
    outputs = model_outputs(explanation)
    if outputs is None:
        return None
    if explanation.task == "regression":
        return outputs[0]
    return np.asarray(explanation.classes, dtype=object)[np.argmax(outputs, axis=0)]


def row_labels(explanation: Explanation, rows: np.ndarray) -> pd.Series | None:
    """The labels of the rows at positions ``rows``: the explained DataFrame's index (None without data).

    Integer labels stay integers; anything else (strings, tuples of a MultiIndex) becomes text.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from explain_lib import Explanation
    >>> data = pd.DataFrame({"a": [1.0, 2.0, 3.0]}, index=[40, 7, 12])
    >>> e = Explanation(local=np.zeros((1, 3, 1)), expected=[0.0], features=["a"], task="regression",
    ...                 output_space="raw", method="demo", data=data)
    >>> row_labels(e, np.array([2, 0])).tolist()
    [12, 40]
    """
    if explanation.data is None:
        return None
    index = explanation.data.index[np.asarray(rows, dtype=np.int64)]
    if pd.api.types.is_integer_dtype(index) and not isinstance(index, pd.MultiIndex):
        return pd.Series(index.to_numpy(dtype=np.int64))
    return pd.Series([str(label) for label in index], dtype=object)


def eval_sample(explanation: Explanation, stored: Explanation, true_ys: np.ndarray | None,
                rows: np.ndarray) -> pd.DataFrame | None:
    """Sampled rows: their position and label, ``stored``'s features' values, the prediction and the true label.

    ``stored`` is the explanation as it is kept (e.g. reduced to its top-k features); the
    predictions come from the full ``explanation``. None when there is nothing to show per row.
    """
    predicted = predictions(explanation)
    if predicted is None and true_ys is None and stored.data is None:
        return None
    columns: dict[str, Any] = {ROW_COLUMN: rows.astype(np.int64)}
    if stored.data is not None:
        clash = {ROW_COLUMN, INDEX_COLUMN, PREDICTION_COLUMN, TRUE_Y_COLUMN} & set(stored.features)
        if clash:
            raise InvalidInputError(
                f"Feature names {sorted(clash)} are reserved for the eval sample's own columns; rename them."
            )
        columns[INDEX_COLUMN] = row_labels(stored, rows)
        for name in stored.features:
            columns[name] = stored.data[name].iloc[rows].reset_index(drop=True)
    if predicted is not None:
        columns[PREDICTION_COLUMN] = _label_column(predicted[rows])
    if true_ys is not None:
        columns[TRUE_Y_COLUMN] = _label_column(true_ys[rows])
    return pd.DataFrame(columns)


def _label_column(values: np.ndarray) -> pd.Series:
    """Labels with their natural dtype (int, float, bool, str); mixed types are stored as text."""
    column = pd.Series(values.tolist() if values.dtype == object else values)
    if column.dtype == object and not all(isinstance(value, str) for value in column):
        column = column.map(str)
    return column
