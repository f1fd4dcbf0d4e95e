"""The explanation dashboard: one self-contained ``dashboard.html`` with global, local and cohort views.

::

    html = dashboard_html(explanation, true_ys=y_test, cohorts="scorecard.yaml")
    write_dashboard("dashboard.html", explanation, true_ys=y_test)      # or explanation.to_html(path)

The page holds six views: aggregate importance (top-k slider, class selector, raw / engineered toggle,
box plots of local values), summary (beeswarm, binned into a density for many rows), individual
importance (sortable, searchable table; waterfall of one row; up to five rows side by side),
dependence (coloured by the strongest interacting feature), a data explorer (feature against
prediction, true label or error) and cohorts (built in the page from filters, or predefined in a
scorecard config's ``Cohorts`` section, compared side by side). Given the explained ``model=``, the
Individual view gets a what-if form and a seventh view shows ICE curves and partial dependence
(:mod:`._whatif`). Given exact interaction values (``interactions=``, an :class:`~explain_lib.Interactions` of
the same rows), an Interactions view shows their mean |value| heatmap and, for a clicked pair, its values per row
(:mod:`._interactions`); the dependence view then colours by each feature's exact strongest partner. Charts
are drawn by the vendored Apache ECharts; data, scripts and styles are inline, and the page loads nothing (it runs in
the MLflow UI's sandboxed artifact preview).

Up to ``visualization_points`` rows (a seeded sample, :func:`~explain_lib.report.sample_rows`) are
shown; global and per-class importances are the explanation's own, over all of its rows.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..._sample import (
    INDEX_COLUMN,
    PREDICTION_COLUMN,
    ROW_COLUMN,
    TRUE_Y_COLUMN,
    check_true_ys,
    predictions,
    sample_rows,
)
from ..._validation import check_positive_int
from ...errors import InvalidParameterError
from ...explanation import Explanation
from ...interactions import check_interactions
from .._page import read_asset, render_page, vendored_js
from ._ice import check_ice_features
from ._interactions import interactions_payload
from ._payload import cohort_masks, output_name, row_frame, targets_payload, view_payload
from ._whatif import whatif_payload

__all__ = ["DASHBOARD_FILE", "dashboard_html", "output_name", "write_dashboard"]

DASHBOARD_FILE = "dashboard.html"
PAYLOAD_VERSION = 2
# the page's own code, in load order: helpers and frame, views 1-3, the carried model and its explanation, what-if,
# ICE, views 4-5, interactions, cohorts, the URL fragment and start
_SCRIPTS = ("dashboard.js", "views.js", "model.js", "treeshap.js", "whatif.js", "ice.js", "analysis.js",
            "interactions.js", "cohorts.js", "state.js")


def _check_points(value: Any) -> int:
    return check_positive_int(value, "visualization_points", allow_none=False)


def _cohort_config(cohorts: Any, task: str) -> tuple[tuple[Any, ...], Any]:
    """``(CohortSpecs, the config or None)`` from a scorecard config (path, mapping or ScorecardConfig) or a list
    of CohortSpecs.

    A config is read by the scorecard's own reader; its ``Metrics`` targets go with the cohorts. It is
    not checked against the rows here: the page shows a sample, where a rare category may be absent;
    the filters' columns are checked when the cohorts are applied (:func:`._payload.cohort_masks`).
    """
    if cohorts is None:
        return (), None
    from ..scorecard._config import CohortSpec, ScorecardConfig, load_config

    if isinstance(cohorts, ScorecardConfig):
        return cohorts.cohorts, cohorts
    if isinstance(cohorts, Sequence) and not isinstance(cohorts, str) and \
            all(isinstance(c, CohortSpec) for c in cohorts):
        return tuple(cohorts), None
    config = load_config(cohorts, task=task)
    return config.cohorts, config


def _sample(explanation: Explanation, labels: np.ndarray | None, points: int,
            rows: np.ndarray | None = None) -> tuple[np.ndarray | None, Any, Any]:
    """Sampled row positions, their predictions (from additivity) and true labels: the upload's eval sample."""
    if explanation.local is None:
        return None, None, None
    if rows is None:
        rows = sample_rows(explanation.n_rows, points)
    predicted = predictions(explanation)
    return rows, None if predicted is None else predicted[rows], None if labels is None else labels[rows]


def dashboard_html(
    explanation: Explanation,
    *,
    true_ys: Any = None,
    visualization_points: int = 5000,
    others: Sequence[Explanation] = (),
    cohorts: Any = None,
    title: str | None = None,
    comment: str | None = None,
    sample: pd.DataFrame | None = None,
    model: Any = None,
    background: Any = None,
    what_if: bool = True,
    ice_features: int | Sequence[str] = 10,
    grid_size: int = 20,
    interactions: Any = None,
) -> str:
    """The dashboard page of ``explanation`` as one HTML string.

    Parameters
    ----------
    explanation
        What to show; global-only explanations (permutation importance) get the importance view only.
    true_ys
        True labels of the explained rows (one per row): enables the true-label, error and metric views.
    visualization_points
        At most this many rows go into the page (a seeded sample; 100k+ works, the file grows with it).
    others
        More explanations of the same model for the raw / engineered toggle (typically the other kind).
    cohorts
        Predefined cohorts: a scorecard config (file, mapping or ``ScorecardConfig``) whose ``Cohorts``
        section uses the Responsible AI dashboard's filter format, or a list of ``CohortSpec``.
    title, comment
        Shown in the page's header (as text).
    sample
        An eval sample already drawn for this explanation (columns ``__row__``, ``__prediction__``,
        ``__true_y__`` as uploads write it): its rows, predictions and labels are used as they are.
    model
        The explained model (or Pipeline). It adds the what-if form to the Individual view and the ICE /
        partial dependence view: tree ensembles and linear models are carried into the page and
        re-explained there exactly, anything else is answered from ICE curves computed here. It must be
        the explained model (its outputs must equal what the explanation's values add up to).
    background
        The background rows an interventional ``TreeShap(output="probability")`` explanation used (the
        same rows, before its seeded sampling), so the page can re-explain against them.
    what_if
        Carry the model into the page for exact what-if (False: ICE curves only, computed here).
    ice_features
        ICE curves for this many of the most important features (0: none), or for the features named.
    grid_size
        Grid points of a numeric feature's ICE curve (its quantiles over the explained rows).
    interactions
        Exact SHAP interaction values of the explanation's rows (``TreeShap(model).interactions(X)`` with the X
        of ``explain(X)``, all features or ``top_k``): adds the Interactions view, and the dependence view
        colours by each feature's exact strongest partner. Checked before anything is computed: other rows,
        features the explanation lacks or another model's classes are refused.
    """
    if not isinstance(explanation, Explanation):
        raise InvalidParameterError(f"Expected an explain_lib Explanation, got {type(explanation).__name__}.")
    points = _check_points(visualization_points)
    labels = None
    check_positive_int(grid_size, "grid_size", allow_none=False)
    check_ice_features(ice_features)
    interactions = check_interactions(explanation, interactions)
    if sample is not None and explanation.local is not None:
        rows = sample[ROW_COLUMN].to_numpy(dtype=np.int64)
        predicted = sample[PREDICTION_COLUMN].to_numpy() if PREDICTION_COLUMN in sample else None
        true_y = sample[TRUE_Y_COLUMN].to_numpy() if TRUE_Y_COLUMN in sample else None
        labels = sample[INDEX_COLUMN] if INDEX_COLUMN in sample else None
    else:
        rows, predicted, true_y = _sample(explanation, check_true_ys(explanation, true_ys), points)
    specs, config = _cohort_config(cohorts, explanation.task)
    masks = [] if rows is None else cohort_masks(specs, row_frame(explanation, rows, predicted, true_y))
    targets, positive = targets_payload(config)
    views = [view_payload(explanation, rows=rows, predicted=predicted, true_y=true_y, cohorts=masks, labels=labels)]
    views[0]["whatif"] = whatif_payload(explanation, model, rows=rows, background=background, what_if=what_if,
                                        ice=ice_features, grid_size=grid_size)
    views[0]["interactions"] = interactions_payload(list(explanation.features), interactions, rows)
    for other in others:
        if other.id == explanation.id:
            continue
        same_rows = other.n_rows is not None and other.n_rows == explanation.n_rows and rows is not None
        other_rows, other_predicted, _ = _sample(other, None, points, rows if same_rows else None)
        views.append(view_payload(other, rows=other_rows, predicted=other_predicted,
                                  true_y=true_y if same_rows else None, cohorts=masks if same_rows else ()))
    payload = {
        "version": PAYLOAD_VERSION,
        "title": title or f"Explanation {explanation.id}",
        "comment": comment,
        "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "views": views,
        "targets": targets,
        "positive_class": positive,
    }
    package = __name__
    return render_page(title=payload["title"], payload=payload,
                       scripts=[vendored_js(), *(read_asset(package, name) for name in _SCRIPTS)],
                       styles=[read_asset(package, "dashboard.css")])


def write_dashboard(path: str | os.PathLike, explanation: Explanation, **options: Any) -> Path:
    """Write :func:`dashboard_html` (same options) to ``path``; returns the path."""
    target = Path(path)
    target.write_text(dashboard_html(explanation, **options), encoding="utf-8")
    return target
