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


def _why(row: dict[str, Any], alpha: float, tested_view: bool) -> str:
    """Why a feature is (not) flagged, in words: the case a reader asks about is a band that excludes 0 on a
    feature that is not flagged (its distribution test says noise), or the other way round."""
    low, high, p = row.get("delta_low"), row.get("delta_high"), row.get("p_adjusted")
    band = None if low is None or high is None else (low > 0 or high < 0)
    if row.get("flagged"):
        return f"changed: p (Holm) {p:.3g} < {alpha:g} and the band excludes 0"
    if not tested_view:
        return ("band excludes 0; changes are tested on the global view only" if band
                else "within noise" if band is False else "no band: no local values to resample")
    if not row.get("tested"):
        return "not tested: not in the top k of A or of B" + ("; its band excludes 0" if band else "")
    if p is None:
        return "not tested: no local values to test"
    if band is None:
        return f"no band: the local values do not add up to the importances (p (Holm) {p:.3g})"
    if band and p >= alpha:
        return (f"not flagged: the band excludes 0, but p (Holm) {p:.3g} \u2265 {alpha:g}: the local values' "
                "distributions are not told apart from noise once every tested feature is counted")
    if not band and p < alpha:
        return (f"not flagged: the distributions differ (p (Holm) {p:.3g}), but the change in mean |value| "
                "is within noise (the band includes 0)")
    return "within noise"


def _records(table: pd.DataFrame, alpha: float = 0.05, tested_view: bool = False) -> list[dict[str, Any]]:
    rows = []
    for record in table.to_dict(orient="records"):
        row = {key: (str(value) if key in ("feature", "class") else _number(value)) for key, value in record.items()}
        if "delta" in row:
            row["why"] = _why(row, alpha, tested_view)
        rows.append(row)
    return rows


def _about(comparison: Comparison, side: str) -> dict[str, Any]:
    about = dict(getattr(comparison, f"{side}_about") or {})
    return {"name": about.get("name") or getattr(comparison, f"{side}_label"), "date": about.get("date"),
            "uri": about.get("uri", getattr(comparison, f"{side}_label")),
            "model_metrics": {key: _number(value) for key, value in (about.get("model_metrics") or {}).items()}}


def _metric_changes(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """The explained models' metrics side by side (B - A where both have one)."""
    names = sorted(set(a) | set(b))
    return [{"name": name, "a": a.get(name), "b": b.get(name),
             "change": None if a.get(name) is None or b.get(name) is None else b[name] - a[name]} for name in names]


def comparison_payload(comparison: Comparison) -> dict[str, Any]:
    """Everything the page shows, JSON-ready (NaN as null)."""
    alpha = float(comparison.params.get("alpha", 0.05))
    views = [{"name": "All outputs (global importance)", "kind": "global",
              "rows": _records(comparison.features, alpha, tested_view=True)}]
    if comparison.per_class is not None and comparison.classes is not None and len(comparison.classes) > 2:
        for cls in comparison.classes:
            part = comparison.per_class[comparison.per_class["class"] == str(cls)].drop(columns="class")
            views.append({"name": f"Class {cls}", "kind": "class", "rows": _records(part, alpha)})
    for name, table in comparison.cohorts.items():
        rows_a, rows_b = comparison.cohort_rows[name]
        views.append({"name": f"Cohort {name} ({rows_a} rows in A, {rows_b} in B)", "kind": "cohort",
                      "rows": _records(table, alpha)})
    about_a, about_b = _about(comparison, "a"), _about(comparison, "b")
    return {
        "a": comparison.a_label, "b": comparison.b_label, "a_id": comparison.a_id, "b_id": comparison.b_id,
        "about_a": about_a, "about_b": about_b,
        "model_metrics": _metric_changes(about_a["model_metrics"], about_b["model_metrics"]),
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
