"""Exact interaction values in the dashboard, in real Chromium: the heatmap is the Interactions matrix, a clicked cell
plots the pair's values row by row, the dependence view colours by the exact strongest partner, and bad input is
refused before anything is written.

The model learns y = x0 * x1 + x2 (x3 is ignored), so x0's strongest partner is x1.
"""

from __future__ import annotations

import base64
import json
import re
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, unquote

import lightgbm
import mlflow
import numpy as np
import pandas as pd
import pytest
from chart_text import assert_apart, assert_inside, text_boxes
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.ensemble import GradientBoostingClassifier

from explain_lib import TreeShap
from explain_lib._sample import sample_rows
from explain_lib.errors import InvalidParameterError
from explain_lib.report.dashboard import dashboard_html
from explain_lib.tracking import ExplanationClient

SCRIPT, IMG = "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'
ROWS, SHOWN = 300, 200


class Opened:
    """A dashboard open in Chromium, with its dialogs and errors."""

    def __init__(self, browser, path: Path):
        self.url = path.as_uri()
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("dialog", lambda dialog: (self.errors.append(dialog.message), dialog.dismiss()))
        self.goto(self.url)

    def goto(self, url: str) -> None:
        self.page.goto("about:blank")
        self.page.goto(url)
        self.page.wait_for_selector("body[data-rendered]")

    def tab(self, name: str) -> None:
        self.page.click(f"nav button[data-tab={name}]")
        self.page.wait_for_selector(f"body[data-rendered={name}] #tab-{name}")

    def option(self, selector: str) -> dict:
        """The chart's ECharts option as drawn (series data, axes)."""
        return self.page.eval_on_selector(selector, "node => { const o = echarts.getInstanceByDom(node).getOption(); "
                                          "return {series: o.series.map(s => ({name: s.name, data: s.data})), "
                                          "xAxis: o.xAxis[0].data || null, yAxis: o.yAxis[0].data || null}; }")

    def heatmap(self) -> dict[tuple[str, str], float]:
        """The heatmap's cells, (row feature, column feature) -> value, read from its ECharts option."""
        option = self.option("#interaction-chart")
        names = option["yAxis"]
        assert option["xAxis"] == names
        return {(names[i], names[j]): value for series in option["series"] for j, i, value in series["data"]}

    def click_cell(self, row: str, column: str, then: str = "#pair-chart canvas") -> None:
        """A real mouse click on heatmap cell (row, column); then wait for ``then``."""
        x, y = self.page.eval_on_selector("#interaction-chart", """(node, [row, column]) => {
            const chart = echarts.getInstanceByDom(node), names = chart.getOption().yAxis[0].data;
            const at = chart.convertToPixel({seriesIndex: 0}, [names.indexOf(column), names.indexOf(row)]);
            const box = node.getBoundingClientRect();
            return [at[0] + box.left, at[1] + box.top]; }""", [row, column])
        self.page.mouse.click(x, y)
        self.page.wait_for_selector(then)

    def pair_points(self) -> np.ndarray:
        """The pair plot's points, (x, y, row position in the page), in row order."""
        points = [p for series in self.option("#pair-chart")["series"] for p in series["data"]]
        return np.array(sorted(([p[0], p[1], p[3]] for p in points), key=lambda p: p[2]))


@contextmanager
def _open(browser, path: Path):
    opened = Opened(browser, path)
    try:
        yield opened
        assert opened.errors == []
    finally:
        opened.page.close()


# ------------------------------------------------------------------------------------------- regression
@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.uniform(-1, 1, size=(ROWS, 4)), columns=["x0", "x1", "x2", "x3"])
    model = lightgbm.LGBMRegressor(n_estimators=60, num_leaves=8, verbose=-1, n_jobs=1).fit(X, X.x0 * X.x1 + X.x2)
    explainer = TreeShap(model)
    # the top 3 (x2, x0, x1): x3 is left out, so its dependence view falls back to the heuristic
    return X, explainer.explain(X), explainer.interactions(X, top_k=3), explainer


@pytest.fixture(scope="module")
def page(browser, tmp_path_factory, fitted):
    _, explanation, interactions, _ = fitted
    path = tmp_path_factory.mktemp("interactions") / "dashboard.html"
    explanation.to_html(path, interactions=interactions, visualization_points=SHOWN)
    with _open(browser, path) as opened:
        yield opened


def test_heatmap_is_the_interactions_matrix_and_names_the_exact_partner(page, fitted):
    _, _, interactions, _ = fitted
    assert interactions.strongest_partners().loc["x0", "partner"] == "x1"
    page.tab("interactions")
    shown = page.heatmap()
    features = list(interactions.features)
    assert set(shown) == {(a, b) for a in features for b in features}
    matrix = [[shown[(a, b)] for b in features] for a in features]
    assert_array_equal(matrix, interactions.global_)  # float64 through JSON: exact
    table = page.page.eval_on_selector_all(
        "#interaction-table tbody td[data-partner]",
        "cells => cells.map(c => [c.parentNode.dataset.feature, c.dataset.partner, Number(c.dataset.value)])")
    assert {(a, b): v for a, b, v in table} == shown
    partners = dict(page.page.eval_on_selector_all("#partner-table tbody tr", "rows => rows.map(r => "
                                                   "[r.dataset.feature, r.dataset.partner])"))
    assert partners == interactions.strongest_partners()["partner"].to_dict()
    assert partners["x0"] == "x1"
    drawn = text_boxes(page.page, "#interaction-chart")
    assert_inside(drawn)
    assert sorted(t["text"] for t in drawn["texts"] if t["text"] in features) == sorted(features * 2)  # both axes


def test_clicking_a_cell_plots_the_pairs_values_row_by_row_and_the_address_keeps_it(page, fitted):
    X, _, interactions, _ = fitted
    page.tab("interactions")
    page.click_cell("x0", "x1")
    rows = sample_rows(ROWS, SHOWN)
    points = page.pair_points()
    assert int(page.page.get_attribute("#pair-chart", "data-points")) == len(points) == SHOWN
    assert_array_equal(points[:, 2], np.arange(SHOWN))
    assert_array_equal(points[:, 0], X.x0.to_numpy()[rows])  # feature values exactly as stored
    a, b = interactions.features.index("x0"), interactions.features.index("x1")
    assert_allclose(points[:, 1], interactions.values[0, rows, a, b], rtol=1e-6, atol=1e-9)  # float32 in the page
    assert page.page.text_content("#pair-title") == "Interaction of x0 and x1"
    drawn = text_boxes(page.page, "#pair-chart")
    assert_inside(drawn)
    assert_apart(drawn, "interaction x0 × x1")
    fragment = json.loads(unquote(page.page.url.split("#", 1)[1]))
    assert fragment["pair"] == ["x0", "x1"] and fragment["tab"] == "interactions"
    page.goto(page.page.url)  # a reload (or a shared link) opens the same pair
    assert page.page.get_attribute("#pair-chart", "data-pair") == '["x0","x1"]'
    last = interactions.features[-1]  # the diagonal, the main effect, of the last feature computed
    page.click_cell(last, last)
    a = interactions.features.index(last)
    assert page.page.text_content("#pair-title") == f"Main effect of {last}"
    assert_allclose(page.pair_points()[:, 1], interactions.values[0, rows, a, a], rtol=1e-6, atol=1e-9)


def test_dependence_colours_by_the_exact_partner_inside_the_top_k_only(page, fitted):
    _, explanation, _, _ = fitted
    page.tab("dependence")
    page.page.select_option("#dep-feature", label="x0")
    colour = page.page.eval_on_selector("#dep-colour", "s => [s.value, [...s.options].map(o => o.textContent)]")
    assert colour[0] == str(explanation.features.index("x1"))
    assert colour[1][0] == "x1  (strongest interaction, exact)"
    page.page.select_option("#dep-feature", label="x3")  # not among the 3 computed: the heuristic's guess
    first = page.page.eval_on_selector("#dep-colour", "s => s.options[0].textContent")
    assert first.endswith("  (strongest interaction)")


def test_a_page_without_interactions_has_no_tab_and_its_dependence_view_still_works(browser, tmp_path, fitted):
    _, explanation, _, _ = fitted
    path = Path(explanation.to_html(tmp_path / "plain.html", visualization_points=SHOWN))
    payload = re.search(r'id="payload">(.*?)</script>', path.read_text(encoding="utf-8"), re.S).group(1)
    assert json.loads(payload)["views"][0]["interactions"] is None
    with _open(browser, path) as opened:
        assert opened.page.locator("nav button[data-tab=interactions]").count() == 0
        opened.goto(opened.url + "#" + quote(json.dumps({"tab": "interactions", "pair": ["x0", "x1"]})))
        assert opened.page.get_attribute("body", "data-rendered") == "importance"  # not a tab of this page
        opened.tab("dependence")
        assert int(opened.page.get_attribute("#dependence-chart", "data-points")) == SHOWN
        assert opened.page.eval_on_selector("#dep-colour", "s => s.options[0].textContent") \
            .endswith("  (strongest interaction)")


def test_the_page_carries_exact_matrices_and_the_shown_rows_upper_triangles_in_float32(fitted):
    _, explanation, interactions, _ = fitted
    html = dashboard_html(explanation, interactions=interactions, visualization_points=SHOWN)
    block = json.loads(re.search(r'id="payload">(.*?)</script>', html, re.S).group(1))["views"][0]["interactions"]
    assert block["features"] == [explanation.features.index(f) for f in interactions.features]
    assert_array_equal(block["matrix"], interactions.global_)
    assert block["values"]["dtype"] == "float32" and block["values"]["shape"] == [1, SHOWN, 6]  # 3 x 3, symmetric
    upper = np.triu_indices(3)
    shown = interactions.values[:, sample_rows(ROWS, SHOWN)][..., upper[0], upper[1]]
    assert_array_equal(np.frombuffer(base64.b64decode(block["values"]["b64"]), "<f4").reshape(shown.shape),
                       shown.astype(np.float32))


def test_interactions_of_other_rows_or_features_or_not_interactions_are_refused_before_writing(tmp_path, fitted):
    X, explanation, interactions, explainer = fitted
    renamed = X.rename(columns={"x0": "z"})
    other_model = lightgbm.LGBMRegressor(n_estimators=5, verbose=-1, n_jobs=1).fit(renamed, X.x2)
    cases = [(explainer.interactions(X.iloc[:100]), "explain 100 rows, the explanation 300"),
             (TreeShap(other_model).interactions(renamed), "features the explanation does not have"),
             (interactions.matrix(), "must be an explain_lib Interactions"),
             (interactions.values, "must be an explain_lib Interactions")]
    for bad, message in cases:
        with pytest.raises(InvalidParameterError, match=message):
            explanation.to_html(tmp_path / "bad.html", interactions=bad)
        assert not (tmp_path / "bad.html").exists()


# --------------------------------------------------------------------------------- classifiers, hostile names
def test_binary_classifier_with_hostile_names_shows_the_positive_class_as_text(browser, tmp_path):
    rng = np.random.default_rng(1)
    names = [SCRIPT, IMG, "a rather long feature name: capital gain (USD)", "f3"]
    X = pd.DataFrame(rng.normal(size=(240, 4)), columns=names)
    y = np.where(X[SCRIPT] * X[IMG] + X.iloc[:, 2] > 0, "yes", "no")
    explainer = TreeShap(GradientBoostingClassifier(n_estimators=20, max_depth=3, random_state=0).fit(X, y))
    explanation, interactions = explainer.explain(X), explainer.interactions(X)
    path = Path(explanation.to_html(tmp_path / "binary.html", interactions=interactions))
    with _open(browser, path) as opened:
        opened.tab("interactions")
        assert opened.page.locator("img").count() == 0
        assert opened.option("#interaction-chart")["yAxis"] == names == list(interactions.features)
        first_column = "#partner-table tbody td:first-child"
        assert opened.page.eval_on_selector_all(first_column, "c => c.map(x => x.textContent)") == names
        cells = opened.heatmap()
        assert_array_equal([[cells[(a, b)] for b in names] for a in names], interactions.global_)
        drawn = text_boxes(opened.page, "#interaction-chart")
        assert_inside(drawn)
        assert sum(t["text"] == names[2] for t in drawn["texts"]) == 2  # the long name drawn whole on both axes
        opened.click_cell(SCRIPT, IMG)
        assert_allclose(opened.pair_points()[:, 1], interactions.values[1, :, 0, 1], rtol=1e-6, atol=1e-9)


def test_multiclass_heatmap_per_class_and_row_values_after_picking_a_class(browser, tmp_path, fitted):
    X, _, _, _ = fitted
    y = np.digitize(X.x0 * X.x1 + X.x2, [-0.3, 0.3])
    explainer = TreeShap(lightgbm.LGBMClassifier(n_estimators=20, num_leaves=8, verbose=-1, n_jobs=1).fit(X, y))
    explanation, interactions = explainer.explain(X), explainer.interactions(X)
    path = Path(explanation.to_html(tmp_path / "multiclass.html", interactions=interactions,
                                    visualization_points=SHOWN))
    features = list(interactions.features)
    a, b = features.index("x0"), features.index("x1")
    with _open(browser, path) as opened:
        opened.tab("interactions")  # "mean of classes": the mean matrix, and no row values until a class is picked
        cells = opened.heatmap()
        assert_array_equal([[cells[(p, q)] for q in features] for p in features], interactions.global_)
        opened.click_cell("x0", "x1", then="#pair-pick-class")
        assert opened.page.locator("#pair-chart").count() == 0
        opened.page.select_option("#class-select", "2")
        opened.page.wait_for_selector("#pair-chart canvas")  # the chosen cell stays, now with a class
        cells = opened.heatmap()
        assert_array_equal([[cells[(p, q)] for q in features] for p in features], interactions.per_class[2])
        rows = sample_rows(ROWS, SHOWN)
        assert_allclose(opened.pair_points()[:, 1], interactions.values[2, rows, a, b], rtol=1e-6, atol=1e-9)


# ------------------------------------------------------------------------------------------------- upload
def test_upload_with_interactions_writes_a_dashboard_with_the_tab(browser, store, fitted, tmp_path):
    _, explanation, interactions, _ = fitted
    with mlflow.start_run() as run:
        ExplanationClient.from_run(run).upload_model_explanation(explanation, interactions=interactions, plots=False,
                                                                 visualization_points=SHOWN)
    path = Path(mlflow.MlflowClient().download_artifacts(
        run.info.run_id, f"explanations/{explanation.id}/dashboard.html", str(tmp_path)))
    features = list(interactions.features)
    with _open(browser, path) as opened:
        opened.tab("interactions")
        cells = opened.heatmap()
        assert_array_equal([[cells[(a, b)] for b in features] for a in features], interactions.global_)
        opened.click_cell("x0", "x1")
        assert int(opened.page.get_attribute("#pair-chart", "data-points")) == SHOWN
