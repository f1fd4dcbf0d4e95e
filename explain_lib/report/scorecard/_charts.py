"""The PNG charts the PDF and the HTML scorecard share.

Charts are built with :class:`matplotlib.figure.Figure` (no ``pyplot``: no global state, headless
through the Agg canvas), small (6.5 x 3 in at 110 dpi) so both documents stay light. :func:`charts`
draws every chart of a scorecard once; both renderers take the same bytes, so they show the same
pictures. The keys of its result:

* ``"performance"``: confusion-matrix heatmap (classification) or error histogram (regression);
* ``"explorer.{i}"``: bin counts of ``scorecard.data_explorer[i]``, its metric per bin on a twin axis;
* ``"feature_importance"``: horizontal bars, the most important feature on top;
* ``"fairness.{i}"``: the metric per group of ``scorecard.fairness[i]``.

A chart with nothing to draw (no bins, no groups, no errors, ...) is left out of the dict.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ._result import ExplorerFeature, FairnessResult, FeatureImportanceResult, Performance, Scorecard

__all__ = ["CHART_DPI", "chart_key", "charts"]

CHART_DPI = 110
"""Pixels per inch of every chart: a chart of ``n`` pixels is ``n / CHART_DPI`` inches wide."""

_WIDTH, _HEIGHT = 6.5, 3.0
_BAR_COLOR = "#4c72b0"
_LINE_COLOR = "#dd8452"
_MAX_TICK_CHARS = 18
_MAX_AXIS_CHARS = 70
_MAX_ANNOTATED_CLASSES = 15


# ---------------------------------------------------------------------------------------------- helpers
def _short(label: str, limit: int = _MAX_TICK_CHARS) -> str:
    """A label cut to ``limit`` characters, to fit under a bar or along an axis."""
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _figure(height: float = _HEIGHT, width: float = _WIDTH) -> tuple[Figure, Any]:
    figure = Figure(figsize=(width, height), dpi=CHART_DPI, layout="constrained")
    return figure, figure.add_subplot()


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _category_ticks(axes: Any, labels: list[str]) -> None:
    axes.set_xticks(range(len(labels)), [_short(label) for label in labels])
    if len(labels) > 6:
        axes.tick_params(axis="x", labelrotation=45, labelsize=8 if len(labels) <= 15 else 6)
        for tick in axes.get_xticklabels():
            tick.set_horizontalalignment("right")


def _confusion_chart(performance: Performance) -> bytes:
    counts = np.asarray(performance.confusion, dtype=np.int64)
    labels = [_short(label) for label in performance.labels]
    figure, axes = _figure(height=_HEIGHT + 0.4, width=_HEIGHT + 1.6)
    image = axes.imshow(counts, cmap="Blues")
    figure.colorbar(image, ax=axes, shrink=0.8)
    rotated = len(labels) > 4
    axes.set_xticks(range(len(labels)), labels, rotation=45 if rotated else 0, ha="right" if rotated else "center")
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("Predicted class")
    axes.set_ylabel("True class")
    if len(labels) <= _MAX_ANNOTATED_CLASSES:
        dark = counts.max() / 2 if counts.size else 0
        for (row, col), count in np.ndenumerate(counts):
            axes.text(col, row, f"{count:,}", ha="center", va="center", fontsize=8,
                      color="white" if count > dark else "black")
    return _png(figure)


def _error_chart(performance: Performance) -> bytes:
    errors = np.asarray(performance.errors, dtype=np.float64)
    errors = errors[np.isfinite(errors)]
    figure, axes = _figure()
    axes.hist(errors, bins=min(40, max(5, int(np.sqrt(errors.size)))), color=_BAR_COLOR, edgecolor="white")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.axvline(0.0, color="black", linewidth=0.8)
    axes.set_xlabel("Error (prediction - truth)")
    axes.set_ylabel("Rows")
    return _png(figure)


def _explorer_chart(feature: ExplorerFeature) -> bytes:
    positions = np.arange(len(feature.bins))
    figure, axes = _figure()
    axes.bar(positions, [b.count for b in feature.bins], color=_BAR_COLOR, alpha=0.8)
    axes.set_ylabel("Rows", color=_BAR_COLOR)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel(_short(feature.feature, _MAX_AXIS_CHARS))
    _category_ticks(axes, [b.label for b in feature.bins])
    metric_axes = axes.twinx()
    metric_axes.plot(positions, [b.metric for b in feature.bins], color=_LINE_COLOR, marker="o")
    metric_axes.set_ylabel(feature.metric_label, color=_LINE_COLOR)
    return _png(figure)


def _importance_chart(importance: FeatureImportanceResult) -> bytes:
    names = [_short(name) for name, _ in importance.features]
    values = [value for _, value in importance.features]
    figure, axes = _figure(height=min(1.0 + 0.28 * len(names), 8.0))
    axes.barh(np.arange(len(names)), values, color=_BAR_COLOR)
    axes.set_yticks(np.arange(len(names)), names, fontsize=10 if len(names) <= 20 else 7)
    axes.invert_yaxis()
    axes.set_xlabel(f"Importance ({importance.method}, {importance.output_space} space)")
    return _png(figure)


def _fairness_chart(result: FairnessResult) -> bytes:
    figure, axes = _figure()
    axes.bar(np.arange(len(result.groups)), [g.value for g in result.groups], color=_BAR_COLOR)
    _category_ticks(axes, [g.label for g in result.groups])
    axes.set_xlabel(_short(result.sensitive_feature, _MAX_AXIS_CHARS))
    axes.set_ylabel(result.metric_label)
    return _png(figure)


# ---------------------------------------------------------------------------------------------- public
def chart_key(section: str, index: int | None = None) -> str:
    """The key of a chart in :func:`charts`'s dict: ``chart_key("fairness", 0) == "fairness.0"``."""
    return section if index is None else f"{section}.{index}"


def charts(scorecard: Scorecard) -> dict[str, bytes]:
    """Every chart of ``scorecard`` as PNG bytes, keyed as the module docstring lists.

    Parameters
    ----------
    scorecard
        The facts to draw.

    Returns
    -------
    dict
        ``key -> PNG bytes``; charts with nothing to draw are absent.
    """
    pngs: dict[str, bytes] = {}
    performance = scorecard.performance
    if performance.task == "regression" and performance.errors:
        pngs[chart_key("performance")] = _error_chart(performance)
    elif performance.task != "regression" and performance.confusion:
        pngs[chart_key("performance")] = _confusion_chart(performance)
    for index, feature in enumerate(scorecard.data_explorer):
        if feature.bins:
            pngs[chart_key("explorer", index)] = _explorer_chart(feature)
    if scorecard.feature_importance is not None and scorecard.feature_importance.features:
        pngs[chart_key("feature_importance")] = _importance_chart(scorecard.feature_importance)
    for index, result in enumerate(scorecard.fairness):
        if result.groups:
            pngs[chart_key("fairness", index)] = _fairness_chart(result)
    return pngs
