"""``explain_lib.show``: an explanation's dashboard inline in a notebook, from the object or from run history."""

from __future__ import annotations

from typing import Any

from .._notebook import FRAME_HEIGHT, NOTEBOOK_ROWS, dashboard_frame
from .._progress import quiet_artifact_transfers
from ..errors import ExplainLibError
from ._sources import load_explanation_source

__all__ = ["show"]


def _notebook_display() -> Any:
    """IPython's ``display`` when a kernel runs (Jupyter, VS Code, Databricks), else an error saying what to do."""
    try:
        from IPython import get_ipython
        from IPython.display import HTML, display
    except ImportError:
        get_ipython = None
    if get_ipython is None or get_ipython() is None:
        raise ExplainLibError(
            "explain_lib.show displays a dashboard in a notebook (Jupyter, VS Code, Databricks), and no notebook "
            "kernel is running. Outside a notebook write the page with explanation.to_html('dashboard.html') and "
            "open it in a browser, or open the run's explanations/<id>/dashboard.html in the MLflow UI."
        )
    return lambda markup: display(HTML(markup))


def show(explanation: Any, *, max_rows: int = NOTEBOOK_ROWS, true_ys: Any = None, height: int = FRAME_HEIGHT,
         tracking_uri: str | None = None) -> None:
    """Display an explanation's interactive dashboard in the notebook cell's output.

    An :class:`~explain_lib.Explanation` shows itself the same way when it is a cell's last expression;
    ``show`` also takes one from run history and lets you choose how many rows go into the page.

    Parameters
    ----------
    explanation
        An Explanation, a run id or ``runs:/<run_id>`` (the run's newest explanation),
        ``runs:/<run_id>/explanations/<id>``, an :class:`ExplanationClient`, or a folder written by
        ``Explanation.save``.
    max_rows
        At most this many rows (a seeded sample) go into the page's row views; a note says so when the
        explanation has more. Importances are the explanation's own, over all rows.
    true_ys
        One true label per row of the explanation: adds the true-label, error and metric views.
    height
        Height of the frame in pixels; the page scrolls inside it.
    tracking_uri
        Where to look for a run (default: MLflow's current tracking URI).

    Raises
    ------
    ExplainLibError
        No notebook kernel is running (say what to use instead); ``InvalidInputError``,
        ``RunNotFoundError`` or ``ExplanationNotFoundError`` when ``explanation`` names nothing.

    Examples
    --------
    In a notebook cell (Jupyter, VS Code, Databricks), the newest explanation of a run:

    >>> import explain_lib
    >>> explain_lib.show("runs:/<run_id>", max_rows=5000)  # doctest: +SKIP

    Outside a notebook it says what to do instead:

    >>> import numpy as np
    >>> explanation = explain_lib.Explanation(local=np.ones((1, 3, 2)), expected=np.zeros(1), features=["a", "b"],
    ...                                       task="regression", output_space="raw", method="example")
    >>> explain_lib.show(explanation)
    Traceback (most recent call last):
    ...
    explain_lib.errors.ExplainLibError: explain_lib.show displays a dashboard in a notebook (Jupyter, VS Code, ...
    """
    display = _notebook_display()
    with quiet_artifact_transfers():  # a cell's output is for the dashboard, not MLflow's download bars
        found, where = load_explanation_source(explanation, tracking_uri=tracking_uri)
    display(dashboard_frame(found, max_rows=max_rows, height=height, true_ys=true_ys, title=where))
