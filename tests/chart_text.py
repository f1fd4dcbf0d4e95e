"""Read what an ECharts chart drew, in real Chromium: its texts' boxes, and the colours its legend and marks use.

A helper for tests, not a test file. Charts draw on canvas, so their texts are not DOM elements; ECharts
keeps every drawn element in its zrender display list, whose bounding boxes (after each element's
transform) are exactly where the canvas drew it::

    drawn = text_boxes(page, "#dependence-chart")       # {"width", "height", "texts": [{"text", "x", "y", ...}]}
    assert_inside(drawn); assert_apart(drawn, "local value")
"""

from __future__ import annotations

from typing import Any

__all__ = ["assert_apart", "assert_inside", "overlap", "series_colours", "text_boxes"]

_TEXT_BOXES = """(node) => {
  const chart = echarts.getInstanceByDom(node), zr = chart.getZr(), texts = [], shapes = [];
  zr.storage.getDisplayList(true).forEach(el => {
    if (el.invisible || el.ignore || !el.style) return;
    const box = el.getBoundingRect().clone();
    if (el.transform) box.applyTransform(el.transform);
    const entry = {x: box.x, y: box.y, width: box.width, height: box.height};
    const text = el.style.text === undefined || el.style.text === null ? "" : String(el.style.text);
    if (text) texts.push(Object.assign({text}, entry));
    else shapes.push(Object.assign({type: el.type, fill: el.style.fill || null}, entry));
  });
  return {width: zr.getWidth(), height: zr.getHeight(), texts, shapes};
}"""

_SERIES_COLOURS = """(node) => {
  const model = echarts.getInstanceByDom(node).getModel(), out = {};
  model.eachSeries(series => { out[series.name] = series.getData().getVisual("style").fill; });
  return out;
}"""


def text_boxes(frame: Any, selector: str) -> dict[str, Any]:
    """Every text and shape the chart at ``selector`` drew, with its box in the chart's pixels."""
    return frame.eval_on_selector(selector, _TEXT_BOXES)


def series_colours(frame: Any, selector: str) -> dict[str, str]:
    """Each series' colour as ECharts gives it to the legend (its visual fill)."""
    return frame.eval_on_selector(selector, _SERIES_COLOURS)


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and \
        a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


def assert_inside(drawn: dict[str, Any], slack: float = 0.5) -> None:
    """No text cut by the chart's edge."""
    for text in drawn["texts"]:
        assert text["x"] >= -slack and text["y"] >= -slack and text["x"] + text["width"] <= drawn["width"] + slack \
            and text["y"] + text["height"] <= drawn["height"] + slack, f"{text['text']!r} is cut: {text}"


def assert_apart(drawn: dict[str, Any], title: str) -> None:
    """The axis title ``title`` drawn once, clear of every other text (tick labels above all)."""
    titles = [t for t in drawn["texts"] if t["text"] == title]
    assert len(titles) == 1, f"{title!r} drawn {len(titles)} times"
    clashes = [t["text"] for t in drawn["texts"] if t is not titles[0] and overlap(t, titles[0])]
    assert not clashes, f"{title!r} overlaps {clashes}"
