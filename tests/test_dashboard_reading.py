"""Reading the dashboard and the comparison page in real Chromium: values as stored, rows by their labels,
probabilities, charts whose texts are inside and apart, categories with a legend, outliers, counts, a class
switch that says why nothing changes, cohorts that survive a reload and export to a scorecard config.

Two pages are built and opened once for the module (a binary margin explanation of hand-made rows with
exact values to show, and a comparison); the tests drive them in turn.
"""

from __future__ import annotations

import base64
import math

import numpy as np
import pandas as pd
import pytest
import yaml
from chart_text import assert_apart, assert_inside, series_colours, text_boxes

from explain_lib import Explanation
from explain_lib.report.comparison import compare_explanations, write_html
from explain_lib.report.dashboard._payload import cohort_masks, row_frame, rows_text
from explain_lib.report.scorecard import load_config

N = 60
MARITAL = ["Married-civ-spouse", "Never-married", "Divorced", "Separated", "Widowed", "Married-spouse-absent",
           "Married-AF-spouse"]
LABELS = [1000 + 7 * i for i in range(N)]  # the rows' own labels (a DataFrame index), not positions


def _rows() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    fnlwgt = rng.integers(10_000, 1_500_000, N)
    fnlwgt[:2] = [34568, 200000]
    big = rng.integers(0, 1000, N).astype(np.int64)
    big[:2] = [2 ** 53 + 1, 3_000_000_000]
    ratio = rng.normal(size=N)
    ratio[:7] = [0.1, 1e-05, 123456789.123, 1e16, 1 / 3, 2.5e-07, np.nan]
    small = rng.normal(size=N).astype(np.float32)
    small[:2] = [0.1, 1e-05]
    score = np.round(rng.normal(size=N) * 10, 2)  # short decimals: the page gets them as scaled integers
    score[:3] = [40.5, 0.1, np.nan]
    return pd.DataFrame({"fnlwgt": fnlwgt, "big": big, "ratio": ratio, "small": small,
                         "flag": rng.random(N) < 0.5, "marital_status": rng.choice(MARITAL, N),
                         "sex": rng.choice(["Female", "Male"], N), "score": score}, index=pd.Index(LABELS))


def _expected_text(value) -> str:
    """A value as stored, as text: Python's repr of a float (numpy's for float32), integers and strings as they are."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, np.float32):
        return str(value)
    if isinstance(value, (float, np.floating)):
        return "missing" if math.isnan(value) else repr(float(value))
    return str(value)


@pytest.fixture(scope="module")
def explanation() -> Explanation:
    rng = np.random.default_rng(5)
    positive = rng.normal(size=(N, 8)) * np.array([0.3, 0.1, 1.0, 0.4, 0.2, 0.8, 0.5, 0.6])
    positive[3, 3] = 25.0  # one row far out: the box plot must show it
    return Explanation(local=np.stack([-positive, positive]), expected=np.array([0.7, -0.7]),
                       features=list(_rows().columns), task="classification", output_space="margin",
                       classes=("<=50K", ">50K"), method="test", data=_rows(),
                       params={"sampling": {"policy": "stratified_by_prediction", "n_rows_total": 8141},
                               "data": {"file": "test.parquet"}})


@pytest.fixture(scope="module")
def truth(explanation) -> np.ndarray:
    outputs = explanation.local[1].sum(-1) + explanation.expected[1]
    flip = np.random.default_rng(6).random(N) < 0.2
    return np.where((outputs > 0) ^ flip, ">50K", "<=50K")


CONFIG = {"Metrics": {"accuracy_score": {"threshold": ">=0.85"}, "recall_score": {}},
          "Model": {"PositiveClass": ">50K"},
          "Cohorts": [{"name": "Married", "cohort_filter_list": [
              {"method": "includes", "arg": ["Married-civ-spouse"], "column": "marital_status"}]}]}


class Opened:
    def __init__(self, browser, path):
        self.url = path.as_uri()
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.errors = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.goto(self.url)

    def goto(self, url):
        self.page.goto(url)
        self.page.wait_for_selector("body[data-rendered]")

    def reset(self) -> None:
        """The page as first opened: no fragment, so no state from an earlier test."""
        self.page.goto("about:blank")
        self.goto(self.url)

    def tab(self, name: str) -> None:
        self.page.click(f"nav button[data-tab={name}]")
        self.page.wait_for_selector(f"body[data-rendered={name}] #tab-{name}")


@pytest.fixture(scope="module")
def page(browser, tmp_path_factory, explanation, truth):
    path = tmp_path_factory.mktemp("reading") / "dashboard.html"
    explanation.to_html(path, true_ys=truth, cohorts=CONFIG)
    opened = Opened(browser, path)
    yield opened
    assert opened.errors == []
    opened.page.close()


# ----------------------------------------------------------------------------------- 8. values as stored
def test_values_show_exactly_as_stored_in_the_table_the_waterfall_and_tooltips(page, explanation):
    page.reset()
    page.tab("individual")
    p = page.page
    data = explanation.data
    for j, feature in enumerate(explanation.features):
        shown = p.eval_on_selector_all(f"#rows-table tbody td[data-key='{j}']", "c => c.map(x => x.textContent)")
        assert shown == [_expected_text(data[feature].iloc[r]) for r in range(len(shown))], feature
    p.click("#rows-table tbody tr[data-row='1000']")
    p.wait_for_selector("#waterfall-table", state="attached")
    values = dict(p.eval_on_selector_all("#waterfall-table tbody tr", "rows => rows.map(r => [r.dataset.feature, "
                                         "r.querySelector('[data-role=feature-value]').textContent])"))
    assert values == {f: _expected_text(data[f].iloc[0]) for f in explanation.features}
    assert values["fnlwgt"] == "34568" and values["big"] == "9007199254740993" and values["ratio"] == "0.1"
    assert values["score"] == "40.5" and values["small"] == "0.1" and values["flag"] in ("True", "False")
    labels = p.eval_on_selector("#waterfall-chart", "n => JSON.parse(n.dataset.labels)")
    assert "fnlwgt = 34568" in labels and "ratio = 0.1" in labels
    p.click("#rows-table tbody tr[data-row='1007']")
    second = dict(p.eval_on_selector_all("#waterfall-table tbody tr", "rows => rows.map(r => [r.dataset.feature, "
                                         "r.querySelector('[data-role=feature-value]').textContent])"))
    assert (second["fnlwgt"], second["big"], second["ratio"], second["small"]) == ("200000", "3000000000", "1e-05",
                                                                                  "1e-05")
    page.tab("dependence")
    p.select_option("#dep-feature", label="fnlwgt")
    p.wait_for_selector("#dependence-chart canvas")
    tip = p.eval_on_selector("#dependence-chart", """n => { const c = echarts.getInstanceByDom(n);
        const series = c.getOption().series; let s = 0, i = -1;
        for (; s < series.length; s++) { i = series[s].data.findIndex(d => d[3] === 0); if (i >= 0) break; }
        c.dispatchAction({type: "showTip", seriesIndex: s, dataIndex: i});
        return n.innerText; }""")
    assert "row 1000" in tip and "fnlwgt = 34568" in tip


# ---------------------------------------------------------------------------------------- 9. row labels
def test_rows_are_named_by_their_labels_and_the_header_says_which_rows_these_are(page, explanation):
    page.reset()
    assert rows_text(explanation, N) == "60 of 8,141 rows of test.parquet (a seeded sample, stratified by prediction)"
    assert page.page.text_content("[data-role=rows]") == rows_text(explanation, N)
    page.tab("individual")
    shown = page.page.eval_on_selector_all("#rows-table tbody [data-role=row-label]", "c => c.map(x => x.textContent)")
    assert shown == [str(label) for label in LABELS[:len(shown)]]
    page.page.click("#rows-table th[data-key=row]")
    page.page.click("#rows-table th[data-key=row]")  # descending: by the label's number, not its text
    shown = page.page.eval_on_selector_all("#rows-table tbody [data-role=row-label]", "c => c.map(x => x.textContent)")
    assert shown[:3] == [str(label) for label in sorted(LABELS, reverse=True)[:3]]


# ------------------------------------------------------------------------------------------ 10. probability
def test_a_binary_classifiers_log_odds_show_their_probability(page, explanation):
    page.reset()
    page.tab("individual")
    p = page.page
    outputs = explanation.local[1].sum(-1) + explanation.expected[1]
    shown = p.eval_on_selector_all("#rows-table tbody tr", "rows => rows.map(r => [Number(r.dataset.position), "
                                   "r.querySelector('td[data-key=probability]').textContent])")
    for position, text in shown:
        assert float(text) == pytest.approx(1 / (1 + math.exp(-outputs[position])), rel=1e-3)
    p.click("#rows-table tbody tr[data-row='1014']")
    probability = float(p.get_attribute("[data-role=probability]", "data-value"))
    assert probability == pytest.approx(1 / (1 + math.exp(-outputs[2])), abs=1e-6)
    p.select_option("#class-select", "0")  # the other class: its own probability
    page.tab("individual")
    p.click("#rows-table tbody tr[data-row='1014']")
    assert float(p.get_attribute("[data-role=probability]", "data-value")) == pytest.approx(1 - probability, abs=1e-6)
    p.select_option("#class-select", "1")


# -------------------------------------------------------------------------------------------- 11. charts
def test_axis_titles_and_labels_are_inside_the_charts_and_apart(page):
    page.reset()
    page.tab("dependence")
    p = page.page
    p.select_option("#dep-feature", label="marital_status")  # seven long categories: rotated labels
    p.wait_for_selector("#dependence-chart canvas")
    drawn = text_boxes(p, "#dependence-chart")
    assert_inside(drawn)
    assert_apart(drawn, "local value")
    assert_apart(drawn, "marital_status")
    page.tab("explorer")
    p.select_option("#ex-feature", label="ratio")
    p.select_option("#ex-target", "output")
    p.wait_for_selector("#explorer-chart canvas")
    drawn = text_boxes(p, "#explorer-chart")
    assert_inside(drawn)
    assert_apart(drawn, "ratio")


def test_categories_have_a_palette_and_a_legend_and_missing_is_the_only_grey(page, explanation):
    page.reset()
    page.tab("summary")
    p = page.page
    p.fill("#topk", str(explanation.n_features))
    p.wait_for_selector("#summary-chart canvas")
    legend = p.eval_on_selector(".legend.categories[data-feature=marital_status]", "n => [...n.querySelectorAll("
                                "'[data-category]')].map(i => [i.dataset.category, getComputedStyle(i.firstChild)"
                                ".backgroundColor])")
    assert [name for name, _ in legend] == sorted(MARITAL)
    assert len({colour for _, colour in legend}) == len(MARITAL)  # one colour per category
    assert "not numeric" not in p.text_content("#tab-summary .help")
    fills = {shape["fill"] for shape in text_boxes(p, "#summary-chart")["shapes"] if shape["fill"]}
    assert {"#4e79a7", "#f28e2b"} <= {fill.lower() for fill in fills if isinstance(fill, str)}


def test_box_plots_draw_the_rows_beyond_their_whiskers(page, explanation):
    page.reset()
    page.tab("importance")
    p = page.page
    p.fill("#topk", str(explanation.n_features))
    p.wait_for_selector("#box-chart canvas")
    option = p.eval_on_selector("#box-chart", "n => echarts.getInstanceByDom(n).getOption()")
    names = option["yAxis"][0]["data"]
    outliers = option["series"][1]["data"]
    for position, name in enumerate(names):
        values = explanation.local[1, :, explanation.features.index(name)]
        drawn = sorted(x for x, y in outliers if y == position)
        assert drawn[0] == pytest.approx(values.min(), rel=1e-6) and drawn[-1] == pytest.approx(values.max(), rel=1e-6)
    assert any(x == pytest.approx(25.0, rel=1e-6) for x, _ in outliers)  # the far row is drawn


def test_category_against_category_is_a_heatmap_of_counts(page, explanation):
    page.reset()
    page.tab("explorer")
    p = page.page
    p.select_option("#ex-feature", label="marital_status")
    p.select_option("#ex-target", "predicted")
    p.wait_for_selector("#explorer-chart[data-mode=heatmap] canvas")
    counts = {(x, y): c for x, y, c in p.eval_on_selector("#explorer-chart", "n => JSON.parse(n.dataset.counts)")}
    predicted = np.where(explanation.local[1].sum(-1) + explanation.expected[1] > 0, ">50K", "<=50K")
    table = pd.crosstab(explanation.data["marital_status"].to_numpy(), predicted)
    assert counts == {(x, y): int(table.at[x, y]) for x in table.index for y in table.columns if table.at[x, y]}


def test_switching_the_class_of_a_binary_model_says_why_importance_stays(page, explanation):
    page.reset()
    page.tab("importance")
    p = page.page
    note = p.text_content("[data-role=binary-note]")
    assert "same importance" in note and "sign" in note
    before = p.eval_on_selector_all("#importance-table tbody tr", "r => r.map(x => x.dataset.value)")
    p.select_option("#class-select", "0")
    assert p.eval_on_selector_all("#importance-table tbody tr", "r => r.map(x => x.dataset.value)") == before
    assert p.text_content("[data-role=binary-note]") == note
    p.select_option("#class-select", "1")


def test_a_search_that_hides_the_chosen_row_clears_its_waterfall(page, explanation):
    page.reset()
    page.tab("individual")
    p = page.page
    p.click("#rows-table tbody tr[data-row='1000']")
    p.wait_for_selector("#waterfall-chart canvas")
    other = next(m for m in MARITAL if m != explanation.data["marital_status"].iloc[0]
                 and (explanation.data["marital_status"] == m).any())
    p.fill("#row-search", other)
    listed = p.eval_on_selector_all("#rows-table tbody tr", "r => r.map(x => x.dataset.row)")
    assert listed and "1000" not in listed
    assert p.locator("#row-detail").inner_text() == "" and p.locator("#waterfall-chart").count() == 0


def test_a_permutation_importance_page_says_what_its_values_are_and_nothing_stray(browser, tmp_path):
    from sklearn.linear_model import LinearRegression

    from explain_lib import PFIExplainer

    rows = np.random.default_rng(0).normal(size=(80, 3))
    target = rows @ np.array([2.0, -1.0, 0.0])
    explanation = PFIExplainer(LinearRegression().fit(rows, target)).explain_global(rows, target)
    path = tmp_path / "pfi.html"
    explanation.to_html(path)
    opened = Opened(browser, path)
    opened.tab("importance")
    text = opened.page.inner_text("#tab-importance")
    assert "the mean drop in the model's score when the feature's values are shuffled" in text
    assert "local value" not in text  # permutation importance has no local values
    for stray in ("null", "undefined", "NaN"):  # the DOM writes a missing element as its name
        assert stray not in text.split()
    assert opened.errors == []
    opened.page.close()


# ---------------------------------------------------------------------------------------------- 12. cohorts
def test_cohorts_are_kept_in_the_address_and_reproduced_by_a_link(page, browser):
    page.reset()
    page.tab("cohorts")
    p = page.page
    p.select_option("#cohort-column", label="fnlwgt")
    p.select_option("#cohort-method", "greater")
    p.fill("#cohort-value", "500000")
    p.click("#cohort-add-filter")
    p.fill("#cohort-name", "heavy 'weights' \u05e2")
    p.click("#cohort-save")
    p.wait_for_selector(".cohort[data-cohort=\"heavy 'weights' \u05e2\"]")
    rows = p.get_attribute("#cohort-metrics tr[data-cohort=\"heavy 'weights' \u05e2\"] td[data-metric=rows]",
                           "data-value")
    url = p.url
    page.goto(url)  # a reload
    assert p.locator("body[data-rendered=cohorts]").count() == 1
    assert p.get_attribute("#cohort-metrics tr[data-cohort=\"heavy 'weights' \u05e2\"] td[data-metric=rows]",
                           "data-value") == rows
    other = browser.new_page()
    try:
        other.goto(url)  # the link, in another browser profile
        other.wait_for_selector("body[data-rendered=cohorts]")
        assert other.get_attribute("#cohort-metrics tr[data-cohort=\"heavy 'weights' \u05e2\"] td[data-metric=rows]",
                                   "data-value") == rows
    finally:
        other.close()


def test_a_built_cohort_exports_as_the_scorecard_configs_cohorts(page, explanation, truth):
    page.reset()
    page.tab("cohorts")
    p = page.page
    p.select_option("#cohort-column", label="marital_status")
    p.check("#cohort-values input[value='Divorced']")
    p.check("#cohort-values input[value='Widowed']")
    p.click("#cohort-add-filter")
    p.select_option("#cohort-column", label="ratio")
    p.select_option("#cohort-method", "less and equal")
    p.fill("#cohort-value", "0.5")
    p.click("#cohort-add-filter")
    p.fill("#cohort-name", "alone")
    p.click("#cohort-save")
    p.wait_for_selector(".cohort[data-cohort=alone]")
    p.click("#cohort-export summary")
    config = load_config(yaml.safe_load(p.text_content("#cohort-yaml")), task="classification")
    frame = row_frame(explanation, np.arange(N), None, truth)
    counts = {c["name"]: int(np.frombuffer(base64.b64decode(c["mask"]["b64"]), dtype=np.uint8).sum())
              for c in cohort_masks(config.cohorts, frame)}
    shown = {name: int(p.get_attribute(f"#cohort-metrics tr[data-cohort=\"{name}\"] td[data-metric=rows]",
                                       "data-value")) for name in counts}
    assert counts == shown and counts["alone"] > 0  # the scorecard's reader selects the rows the page did


def test_cohort_metrics_carry_the_scorecards_targets_and_say_they_are_the_pages_sample(page, explanation, truth):
    page.reset()
    page.tab("cohorts")
    p = page.page
    predicted = np.where(explanation.local[1].sum(-1) + explanation.expected[1] > 0, ">50K", "<=50K")
    married = (explanation.data["marital_status"] == "Married-civ-spouse").to_numpy()
    for name, mask in (("All rows", np.ones(N, bool)), ("Married", married)):
        accuracy = float(p.get_attribute(f"#cohort-metrics tr[data-cohort={name!r}] td[data-metric=accuracy_score]",
                                         "data-value"))
        assert accuracy == pytest.approx((predicted[mask] == truth[mask]).mean(), rel=1e-12)
        met = p.get_attribute(f"#cohort-metrics tr[data-cohort={name!r}] td[data-metric=accuracy_score]", "data-met")
        assert met == ("true" if accuracy >= 0.85 else "false")
        positive = truth[mask] == ">50K"
        recall = float(p.get_attribute(f"#cohort-metrics tr[data-cohort={name!r}] td[data-metric=recall_score]",
                                       "data-value"))
        assert recall == pytest.approx((predicted[mask][positive] == ">50K").mean(), rel=1e-12)
    assert "Accuracy (target >=0.85)" in p.text_content("#cohort-metrics thead")
    assert "this page's rows: 60 of 8,141 rows of test.parquet" in p.text_content("#cohort-sample-note")


# ----------------------------------------------------------------------------------------- the comparison
@pytest.fixture(scope="module")
def comparison_page(browser, tmp_path_factory, explanation):
    rng = np.random.default_rng(9)
    shifted = explanation.local * np.array([1.0, 1.0, 1.6, 1.0, 1.0, 0.5, 1.0, 1.0]) + \
        rng.normal(scale=0.01, size=(1, N, 8))
    other = Explanation(local=np.stack([-shifted[1], shifted[1]]), expected=explanation.expected,
                        features=explanation.features, task="classification", output_space="margin",
                        classes=explanation.classes, method="test", data=explanation.data)
    comparison = compare_explanations(explanation, other, a_label="approved", b_label="retrained", n_permutations=199,
                                      n_bootstrap=100)
    path = write_html(comparison, tmp_path_factory.mktemp("comparison") / "comparison.html")
    opened = browser.new_page(viewport={"width": 1280, "height": 900})
    opened.goto(path.as_uri())
    opened.wait_for_selector("body[data-ready=true]")
    yield opened, comparison
    opened.close()


def test_the_comparison_chart_keeps_axis_titles_off_tick_labels_and_its_legend_matches_its_marks(comparison_page):
    page, comparison = comparison_page
    drawn = text_boxes(page, "#chart")
    assert_inside(drawn)
    assert_apart(drawn, "importance")
    assert_apart(drawn, "delta (B \u2212 A)")
    colours = series_colours(page, "#chart")
    marks = {shape["fill"] for shape in drawn["shapes"] if shape["type"] == "circle"}
    assert marks == {colours["delta (within noise)"], colours["delta (changed beyond noise)"]} & marks
    assert (colours["delta (changed beyond noise)"] in marks) == bool(comparison.flagged)
    assert colours["A"] != colours["B"]


def test_the_comparison_says_why_a_band_that_excludes_0_is_not_flagged(comparison_page):
    page, comparison = comparison_page
    rows = page.eval_on_selector_all("#features tbody tr", "rows => rows.map(r => [r.cells[0].textContent, "
                                     "r.cells[12].textContent])")
    table = comparison.features.set_index("feature")
    for feature, why in rows:
        row = table.loc[feature]
        excludes = row.delta_low > 0 or row.delta_high < 0
        if row.flagged:
            assert why.startswith("changed:")
        elif row.tested and excludes:
            assert why.startswith("not flagged: the band excludes 0, but p (Holm)") and f"{row.p_adjusted:.3g}" in why
        elif row.tested and row.p_adjusted < 0.05:
            assert why.startswith("not flagged: the distributions differ")
    assert page.locator("#glossary dd").count() == 5
