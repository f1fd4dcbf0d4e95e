"""Reports of explanations, for people: plots, the dashboard page, scorecards and comparisons.

* :mod:`.plots` — PNG plots (global bar, beeswarm summary, dependence), drawn without pyplot;
  :func:`save_plots` writes the standard set an upload keeps.
* :mod:`.dashboard` — ``dashboard.html``: one self-contained interactive page (global, per-row,
  summary, dependence, data explorer, cohorts) that the MLflow UI previews; what
  :meth:`Explanation.to_html <explain_lib.Explanation.to_html>` and uploads write.
* :mod:`.scorecard` — targets met or missed (metrics, data, cohorts, top features, fairness) from a
  Responsible-AI-scorecard-style YAML, as PDF + HTML, with each target logged as a metric.
* :mod:`.comparison` — did the model's reasoning change between two explanations (rank shifts,
  deltas with bootstrap bands, permutation tests), and drift over runs or scored batches.

Every report reads an :class:`~explain_lib.Explanation` by its public attributes; the run-history
layer below (:mod:`explain_lib.tracking`) stores them and never imports this package (the package
root hands it the plot and dashboard writers through :mod:`explain_lib._renderers`).
"""

from .plots import plot_beeswarm, plot_dependence, plot_global_importance, sample_rows, save_plots

__all__ = ["plot_beeswarm", "plot_dependence", "plot_global_importance", "sample_rows", "save_plots"]
