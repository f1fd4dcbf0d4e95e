"""Explanation comparison across runs: did the model's reasoning change?

``compare(a, b)`` takes two explanations (objects, ``runs:/<run_id>``, ``runs:/<run_id>/explanations/<id>``,
a run id or a saved folder) and returns a :class:`Comparison`: rank shifts, importance deltas with a
bootstrap band, features that appeared or vanished, per-class and per-cohort shifts, and a
Wasserstein permutation test per top feature so that noise is not called a change. A is the
baseline (e.g. the last approved model), B the candidate::

    comparison = compare("runs:/<approved run>", "runs:/<new run>", top_k=10)
    comparison.flagged                  # features whose importance changed beyond noise
    comparison.top_unchanged(5)         # the same five features on top?
    log_comparison(comparison, gate="top5_unchanged")   # comparison.html + .png, compare.* metrics

``drift(experiment)`` lines up the explanations of every run of an experiment and logs each top
feature's importance over runs; ``drift(batches=run_id)`` does the same over the batches a scoring
explainer logged to that run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from ._compute import Comparison, compare_explanations
from ._log import COMPARISON_ARTIFACT_DIR, GATES, comparison_metrics, gate_passed, log_comparison, parse_gate
from ._report import write_html, write_png

__all__ = ["COMPARISON_ARTIFACT_DIR", "GATES", "Comparison", "compare", "compare_explanations", "comparison_metrics",
           "drift", "gate_passed", "log_comparison", "parse_gate", "write_html", "write_png"]


def compare(
    a: Any,
    b: Any,
    *,
    top_k: int = 10,
    cohorts: Mapping[str, str | Callable[[pd.DataFrame], Any]] | None = None,
    n_bootstrap: int = 200,
    n_permutations: int = 999,
    alpha: float = 0.05,
    max_rows: int = 5000,
    random_state: int = 0,
    tracking_uri: str | None = None,
) -> Comparison:
    """Compare explanation ``a`` (baseline) with ``b`` (candidate), each given as an object or where it is.

    ``a`` and ``b``: an :class:`~explain_lib.Explanation`, an ``ExplanationClient``, a run id,
    ``runs:/<run_id>`` (its newest explanation), ``runs:/<run_id>/explanations/<id>`` or a folder
    written by ``Explanation.save``. The other options are those of :func:`compare_explanations`.

    Raises
    ------
    InvalidInputError
        A regression explanation against a classification one (or different output spaces), no
        common feature, or a source that names no explanation.

    Examples
    --------
    The same model explained on two samples of rows: nothing changed beyond noise.

    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from explain_lib import LinearShap, compare
    >>> X = np.random.default_rng(0).normal(size=(400, 3))
    >>> explainer = LinearShap(LinearRegression().fit(X, X @ [2.0, -1.0, 0.0]), X)
    >>> comparison = compare(explainer.explain(X[:200]), explainer.explain(X[200:]), top_k=3)
    >>> comparison.flagged, comparison.top_unchanged(3), comparison.max_rank_shift
    ([], True, 0)
    """
    from ...tracking._sources import load_explanation_source, source_about

    first, a_label = load_explanation_source(a, tracking_uri=tracking_uri)
    second, b_label = load_explanation_source(b, tracking_uri=tracking_uri)
    return compare_explanations(first, second, a_label=a_label, b_label=b_label, top_k=top_k, cohorts=cohorts,
                                n_bootstrap=n_bootstrap, n_permutations=n_permutations, alpha=alpha,
                                max_rows=max_rows, random_state=random_state,
                                a_about=source_about(a_label, first, tracking_uri=tracking_uri),
                                b_about=source_about(b_label, second, tracking_uri=tracking_uri))


def drift(*args: Any, **kwargs: Any) -> Any:
    """Each top feature's importance over the runs of an experiment, or over a run's scored batches (see
    ``._drift.drift``)."""
    from ._drift import drift as run_drift

    return run_drift(*args, **kwargs)
