"""PNG plots of an :class:`~explain_lib.Explanation`: global bar, beeswarm summary, dependence.

Every function builds a :class:`matplotlib.figure.Figure` without ``pyplot``: no global state, no
window, nothing to close, and it works headless (figures render through the Agg canvas). Save one
with ``figure.savefig(path)``, or write the standard set with :func:`save_plots`.

What each plot shows (``local`` values are the per-row contributions, e.g. SHAP values):

* global bar: the top-k features by global importance; for multiclass each bar is split into one
  segment per class of ``per_class[k] / n_classes``, so the segments add up to the global value.
* beeswarm: one row per top feature, one dot per explained row at its local value, stacked
  vertically where dots crowd, coloured by the row's feature value (low blue, high red; grey when the
  value is missing or not numeric).
* dependence: local value of one feature against its feature value (categories spread over their
  positions), one dot per row.

Rows beyond ``max_rows`` are subsampled with a seeded generator (:func:`sample_rows`), so plots of
large explanations stay fast and identical from run to run.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from .._sample import sample_rows
from .._validation import check_positive_int
from ..errors import InvalidParameterError, did_you_mean
from ..explanation import Explanation

__all__ = ["plot_beeswarm", "plot_dependence", "plot_global_importance", "sample_rows", "save_plots"]

_BAR_COLOR = "#1f77b4"
_NEUTRAL_COLOR = "#9e9e9e"
_COLORMAP = "coolwarm"
_MAX_LEGEND_CLASSES = 10
_MAX_CATEGORY_TICKS = 30
_BEESWARM_BINS = 100


# ---------------------------------------------------------------------------------------------- helpers
def _safe_name(text: Any, limit: int = 60) -> str:
    """A file-name-safe rendering of a feature or class name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(text)).strip("._")[:limit] or "x"


def _output_label(explanation: Explanation, cls: Any) -> str:
    if explanation.task == "regression":
        return ""
    if cls is None and len(explanation.classes) == 2:
        cls = explanation.classes[1]
    return f"class {cls}"


def _importance_label(explanation: Explanation) -> str:
    return f"local importance ({explanation.method}, {explanation.output_space} space)"


def _check_top_k(top_k: int | None) -> int | None:
    return check_positive_int(top_k, "top_k")


def _numeric_values(column: pd.Series) -> np.ndarray | None:
    """Feature values as float (NaN where missing), or None when the column is not numeric."""
    if isinstance(column.dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)
    ):
        return None
    return column.to_numpy(dtype=np.float64, na_value=np.nan)


def _beeswarm_offsets(values: np.ndarray, width: float = 0.4) -> np.ndarray:
    """Vertical offsets that stack dots with similar values: 0, +1, -1, +2, -2, ... per value bin."""
    if values.size == 0:
        return values
    low, high = np.nanmin(values), np.nanmax(values)
    span = high - low if high > low else 1.0
    bins = np.round((values - low) / span * _BEESWARM_BINS).astype(np.int64)
    order = np.argsort(bins, kind="stable")
    sorted_bins = bins[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_bins)) + 1]
    counts = np.diff(np.r_[starts, sorted_bins.size])
    rank = np.arange(sorted_bins.size) - np.repeat(starts, counts)
    layer = (rank + 1) // 2 * np.where(rank % 2 == 1, 1, -1)
    offsets = np.empty(values.size)
    offsets[order] = layer * (width / max(counts.max() // 2, 1))
    return offsets


def _figure(n_features: int, width: float = 7.5) -> tuple[Figure, Any]:
    figure = Figure(figsize=(width, 1.2 + 0.32 * max(n_features, 1)), dpi=100, layout="constrained")
    return figure, figure.add_subplot()


def _require_data(explanation: Explanation, what: str) -> pd.DataFrame:
    if explanation.data is None:
        raise InvalidParameterError(
            f"{what} needs the explained rows' feature values, but this explanation has none (it was made "
            "from a sparse matrix, or without data). Use plot_beeswarm / plot_global_importance instead."
        )
    return explanation.data


# ----------------------------------------------------------------------------------------------- plots
def plot_global_importance(explanation: Explanation, *, top_k: int | None = 20) -> Figure:
    """Horizontal bars of the ``top_k`` global importances, highest on top.

    Parameters
    ----------
    explanation
        Any explanation (global-only ones included).
    top_k
        How many features to show; None shows all.

    Returns
    -------
    matplotlib.figure.Figure
    """
    top = explanation.global_importance(top_k=_check_top_k(top_k))
    figure, axes = _figure(len(top))
    positions = np.arange(len(top))[::-1]
    if explanation.per_class is not None and len(explanation.classes) > 2:
        index = [explanation.features.index(name) for name in top.index]
        segments = explanation.per_class[:, index] / len(explanation.classes)
        left = np.zeros(len(top))
        for k, label in enumerate(explanation.classes):
            axes.barh(positions, segments[k], left=left, label=str(label) if k < _MAX_LEGEND_CLASSES else None)
            left += segments[k]
        axes.legend(title="class", loc="lower right", fontsize="small")
    else:
        axes.barh(positions, top.to_numpy(), color=_BAR_COLOR)
    axes.set_yticks(positions, [str(name) for name in top.index])
    axes.set_xlabel(f"mean |local importance| ({explanation.output_space} space)")
    axes.set_title(f"Global importance, {explanation.method}")
    axes.spines[["top", "right"]].set_visible(False)
    return figure


def plot_beeswarm(
    explanation: Explanation,
    *,
    cls: Any = None,
    top_k: int | None = 20,
    max_rows: int | None = 5000,
    random_state: int = 0,
) -> Figure:
    """Beeswarm summary: every row's local value for each of the top features, coloured by feature value.

    Parameters
    ----------
    explanation
        An explanation with local values.
    cls
        The class whose values to show (classification); None means the positive class of a binary
        model, and is required for multiclass.
    top_k
        How many features to show, ranked by this output's mean |local value|.
    max_rows
        Plot a seeded random sample of at most this many rows (None: all).
    random_state
        Seed of the row sample.

    Returns
    -------
    matplotlib.figure.Figure
    """
    local = explanation.local_frame(cls)
    rows = sample_rows(len(local), max_rows, random_state)
    values = local.to_numpy()[rows]
    order = np.argsort(-np.abs(values).mean(axis=0), kind="stable")[: _check_top_k(top_k)]
    data = None if explanation.data is None else explanation.data.iloc[rows]
    figure, axes = _figure(len(order), width=8.0)
    norm = Normalize(0.0, 1.0)
    scatter = None
    for position, j in zip(range(len(order) - 1, -1, -1), order, strict=True):
        contributions = values[:, j]
        y = position + _beeswarm_offsets(contributions)
        feature_values = None if data is None else _numeric_values(data.iloc[:, j])
        if feature_values is None or np.all(np.isnan(feature_values)):
            axes.scatter(contributions, y, s=6, color=_NEUTRAL_COLOR, linewidths=0, rasterized=True)
            continue
        low, high = np.nanpercentile(feature_values, [5, 95])
        if high <= low:
            low, high = np.nanmin(feature_values), np.nanmax(feature_values)
        scaled = np.clip((feature_values - low) / (high - low if high > low else 1.0), 0.0, 1.0)
        missing = np.isnan(scaled)
        axes.scatter(contributions[missing], y[missing], s=6, color=_NEUTRAL_COLOR, linewidths=0, rasterized=True)
        scatter = axes.scatter(contributions[~missing], y[~missing], s=6, c=scaled[~missing], cmap=_COLORMAP,
                               norm=norm, linewidths=0, rasterized=True)
    axes.axvline(0.0, color="#555555", linewidth=0.8, zorder=0)
    axes.set_yticks(np.arange(len(order))[::-1], [str(local.columns[j]) for j in order])
    axes.set_ylim(-0.7, len(order) - 0.3)
    axes.set_xlabel(_importance_label(explanation))
    title = "Local importance per row"
    label = _output_label(explanation, cls)
    axes.set_title(f"{title}, {label}" if label else title)
    axes.spines[["top", "right", "left"]].set_visible(False)
    if scatter is not None:
        colorbar = figure.colorbar(scatter, ax=axes, aspect=40, pad=0.01, ticks=[0, 1])
        colorbar.ax.set_yticklabels(["low", "high"])
        colorbar.set_label("feature value")
    return figure


def plot_dependence(
    explanation: Explanation,
    feature: str,
    *,
    cls: Any = None,
    max_rows: int | None = 5000,
    random_state: int = 0,
) -> Figure:
    """Local value of ``feature`` against its value, one dot per explained row.

    Parameters
    ----------
    explanation
        An explanation with local values and its explained rows (``data``).
    feature
        The feature to plot.
    cls
        The class whose values to show, as in :func:`plot_beeswarm`.
    max_rows, random_state
        Row sample, as in :func:`plot_beeswarm`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    data = _require_data(explanation, "plot_dependence()")
    if feature not in explanation.features:
        raise InvalidParameterError(
            f"Unknown feature {feature!r}; this explanation has {explanation.n_features} features."
            + did_you_mean(feature, explanation.features)
        )
    local = explanation.local_frame(cls)
    rows = sample_rows(len(local), max_rows, random_state)
    contributions = local[feature].to_numpy()[rows]
    column = data[feature].iloc[rows]
    figure = Figure(figsize=(6.4, 4.4), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    x = _numeric_values(column)
    if x is None:
        codes, categories = pd.factorize(column.astype("object"), sort=True)
        jitter = np.random.default_rng(random_state).uniform(-0.2, 0.2, size=codes.size)
        x = np.where(codes >= 0, codes + jitter, np.nan)
        if len(categories) <= _MAX_CATEGORY_TICKS:
            axes.set_xticks(np.arange(len(categories)), [str(c) for c in categories], rotation=45, ha="right")
    alpha = float(np.clip(400.0 / max(len(rows), 1), 0.15, 0.9))
    axes.scatter(x, contributions, s=8, alpha=alpha, color=_BAR_COLOR, linewidths=0, rasterized=True)
    axes.axhline(0.0, color="#555555", linewidth=0.8, zorder=0)
    axes.set_xlabel(str(feature))
    axes.set_ylabel(f"local importance of {feature}")
    label = _output_label(explanation, cls)
    axes.set_title(f"Dependence of {feature}" + (f", {label}" if label else ""))
    axes.spines[["top", "right"]].set_visible(False)
    return figure


def save_plots(
    explanation: Explanation,
    directory: str | Path,
    *,
    top_k: int | None = 20,
    n_dependence: int = 3,
    max_rows: int | None = 5000,
    random_state: int = 0,
) -> list[str]:
    """Write the standard plots of ``explanation`` as PNG files into ``directory``.

    Files: ``global_importance.png``; ``beeswarm.png`` (regression, binary) or one
    ``beeswarm_<k>_<class>.png`` per class (multiclass, at most 10 classes: those with the highest
    total importance); ``dependence_<rank>_<feature>.png`` for the ``n_dependence`` most important
    features (multiclass: the class where the feature matters most). Plots that need what the
    explanation lacks are skipped: no local values means no beeswarm or dependence; no feature values
    means no dependence.

    Returns
    -------
    list of str
        The written file names, relative to ``directory``.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written: dict[str, Figure] = {"global_importance.png": plot_global_importance(explanation, top_k=top_k)}
    if explanation.local is not None:
        options = {"max_rows": max_rows, "random_state": random_state}
        multiclass = explanation.task == "classification" and len(explanation.classes) > 2
        if multiclass:
            ranked = np.argsort(-explanation.per_class.sum(axis=1), kind="stable")[:_MAX_LEGEND_CLASSES]
            for k in sorted(ranked):
                label = explanation.classes[k]
                name = f"beeswarm_{k}_{_safe_name(label)}.png"
                written[name] = plot_beeswarm(explanation, cls=label, top_k=top_k, **options)
        else:
            written["beeswarm.png"] = plot_beeswarm(explanation, top_k=top_k, **options)
        if explanation.data is not None:
            for rank, feature in enumerate(explanation.get_ranked_global_names(n_dependence), start=1):
                cls = None
                if multiclass:
                    strongest = np.argmax(explanation.per_class[:, explanation.features.index(feature)])
                    cls = explanation.classes[int(strongest)]
                name = f"dependence_{rank}_{_safe_name(feature)}.png"
                written[name] = plot_dependence(explanation, feature, cls=cls, **options)
    for name, figure in written.items():
        figure.savefig(directory / name, format="png")
    return list(written)
