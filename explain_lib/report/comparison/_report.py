"""A comparison as a report: ``comparison.html`` (self-contained, ECharts inline) and a PNG.

The page's data is the comparison itself (every number as computed, full precision) in the JSON
payload of :func:`explain_lib.report._page.render_page`; ``comparison.js`` draws it and puts every
name into the page as text, never as markup.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._compute import TOP_GATE, Comparison

__all__ = ["comparison_payload", "write_html", "write_png"]

MAX_PLOTTED = 20


def _number(value: Any) -> float | int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else number


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for record in table.to_dict(orient="records"):
        rows.append({key: (str(value) if key in ("feature", "class") else _number(value))
                     for key, value in record.items()})
    return rows


def comparison_payload(comparison: Comparison) -> dict[str, Any]:
    """Everything the page shows, JSON-ready (NaN as null)."""
    views = [{"name": "All outputs (global importance)", "kind": "global", "rows": _records(comparison.features)}]
    if comparison.per_class is not None and comparison.classes is not None and len(comparison.classes) > 2:
        for cls in comparison.classes:
            part = comparison.per_class[comparison.per_class["class"] == str(cls)].drop(columns="class")
            views.append({"name": f"Class {cls}", "kind": "class", "rows": _records(part)})
    for name, table in comparison.cohorts.items():
        rows_a, rows_b = comparison.cohort_rows[name]
        views.append({"name": f"Cohort {name} ({rows_a} rows in A, {rows_b} in B)", "kind": "cohort",
                      "rows": _records(table)})
    return {
        "a": comparison.a_label, "b": comparison.b_label, "a_id": comparison.a_id, "b_id": comparison.b_id,
        "task": comparison.task, "output_space": comparison.output_space,
        "top_k": comparison.top_k, "top_gate": TOP_GATE, "top_unchanged": comparison.top_unchanged(),
        "max_rank_shift": comparison.max_rank_shift, "flagged": comparison.flagged,
        "appeared": _records(comparison.appeared), "vanished": _records(comparison.vanished),
        "notes": list(comparison.notes), "params": {key: _number(value) if not isinstance(value, str) else value
                                                    for key, value in comparison.params.items()},
        "views": views,
    }


def write_html(comparison: Comparison, path: str | Path) -> Path:
    """Write ``comparison.html``: one file, no network, that the MLflow UI's artifact view runs."""
    from .._page import read_asset, render_page, vendored_js

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    page = render_page(title=f"Explanation comparison: {comparison.a_label} vs {comparison.b_label}",
                       payload=comparison_payload(comparison),
                       scripts=[vendored_js("echarts.min.js"), read_asset(__package__, "comparison.js")],
                       styles=[read_asset(__package__, "comparison.css")])
    path.write_text(page, encoding="utf-8")
    return path


def write_png(comparison: Comparison, path: str | Path) -> Path:
    """Write the PNG: each top feature's importance delta (B - A) with its 95% band; flagged in red."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = comparison.features[comparison.features["tested"]].head(MAX_PLOTTED)
    if table.empty:
        table = comparison.features.head(MAX_PLOTTED)
    names = [f"{row.feature}  ({int(row.rank_a)}\u2192{int(row.rank_b)})" for row in table.itertuples()][::-1]
    delta = table["delta"].to_numpy()[::-1]
    low, high = table["delta_low"].to_numpy()[::-1], table["delta_high"].to_numpy()[::-1]
    colors = ["#c0392b" if flag else "#7f8c8d" for flag in table["flagged"].to_numpy()[::-1]]
    figure, axis = plt.subplots(figsize=(8, 1.2 + 0.35 * len(table)), dpi=110)
    positions = np.arange(len(table))
    axis.barh(positions, delta, color=colors)
    has_band = ~np.isnan(low)
    if has_band.any():
        axis.errorbar(delta[has_band], positions[has_band], xerr=[delta[has_band] - low[has_band],
                      high[has_band] - delta[has_band]], fmt="none", ecolor="#2c3e50", capsize=3, linewidth=1)
    axis.axvline(0, color="#2c3e50", linewidth=0.8)
    axis.set_yticks(positions, names, fontsize=8)
    axis.set_xlabel(f"importance B \u2212 importance A ({comparison.output_space} space), 95% bootstrap band")
    verdict = "unchanged" if comparison.top_unchanged() else "CHANGED"
    axis.set_title(f"Top {TOP_GATE} {verdict}; {len(comparison.flagged)} feature(s) changed beyond noise "
                   "(red)", fontsize=10)
    with warnings.catch_warnings():  # a glyph the default font lacks (emoji) is drawn as a box, not an error
        warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        figure.tight_layout()
        figure.savefig(path)
    plt.close(figure)
    return path
