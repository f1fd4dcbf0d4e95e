"""Reports of explanations: PNG plots (and, to come, the HTML dashboard and the scorecard)."""

from .plots import plot_beeswarm, plot_dependence, plot_global_importance, sample_rows, save_plots

__all__ = ["plot_beeswarm", "plot_dependence", "plot_global_importance", "sample_rows", "save_plots"]
