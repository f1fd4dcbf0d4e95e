"""The explanation dashboard in real Chromium: numbers equal the explanation's, interactions change the
view, hostile strings stay text, and the page asks the network for nothing.

One page per kind of explanation is built and opened once per module; the tests drive it in turn.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import mlflow
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from explain_lib import Explanation
from explain_lib.errors import InvalidParameterError
from explain_lib.explainers import TabularExplainer
from explain_lib.report.dashboard import dashboard_html
from explain_lib.tracking import ExplanationClient

SCRIPT, IMG = "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'
RTL = "\u05e2\u05d1\u05e8\u05d9\u05ea \U0001f600"  # Hebrew and an emoji
CATEGORY = "colour " + RTL


class Opened:
    """A dashboard open in Chromium, with everything it asked the network for, its dialogs and errors."""

    def __init__(self, browser, path):
        self.url = path.as_uri()
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.requests, self.dialogs, self.errors = [], [], []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(self.url)
        self.page.wait_for_selector("body[data-rendered]")

    def tab(self, name: str) -> None:
        self.page.click(f"nav button[data-tab={name}]")
        self.page.wait_for_selector(f"body[data-rendered={name}] #tab-{name}")

    def table(self, selector: str, attribute: str = "data-feature") -> dict[str, float]:
        return {key: float(value) for key, value in self.page.eval_on_selector_all(
            f"{selector} tbody tr[{attribute}]",
            f"rows => rows.map(r => [r.getAttribute('{attribute}'), r.getAttribute('data-value')])")}

    def assert_clean(self) -> None:
        assert self.errors == [] and self.dialogs == []
        assert self.requests == [self.url], "the page asked for more than itself"


def _open(browser, tmp_path_factory, name, explanation, **options) -> Opened:
    path = tmp_path_factory.mktemp("dashboard") / f"{name}.html"
    explanation.to_html(path, **options)
    opened = Opened(browser, path)
    yield opened
    opened.page.close()


# ------------------------------------------------------------------------------------------- binary
@pytest.fixture(scope="module")
def adult_like():
    """A logistic model over hostile feature names, a categorical column and hostile class names."""
    rng = np.random.default_rng(0)
    n = 240
    X = pd.DataFrame({SCRIPT: rng.normal(size=n), IMG: rng.normal(size=n),
                      "age": rng.integers(18, 80, n).astype(float),
                      CATEGORY: rng.choice(["red", "<b>green</b>", "\u05db\u05d7\u05d5\u05dc"], n)})
    score = X[SCRIPT] - 0.7 * X[IMG] + 0.05 * (X["age"] - 45) + (X[CATEGORY] == "red")
    y = np.where(score + rng.normal(scale=0.4, size=n) > 0.4, IMG + " yes", SCRIPT + " no")
    pre = ColumnTransformer([("onehot", OneHotEncoder(sparse_output=False), [CATEGORY])], remainder="passthrough")
    model = Pipeline([("pre", pre), ("model", LogisticRegression())]).fit(X, y)
    explainer = TabularExplainer(model, X)
    return explainer.explain(X, y, raw=True), explainer.explain(X, y, raw=False), y


@pytest.fixture(scope="module")
def binary(browser, tmp_path_factory, adult_like):
    raw, engineered, y = adult_like
    cohorts = {"Cohorts": [{"name": SCRIPT + " truly yes",
                            "cohort_filter_list": [{"method": "includes", "arg": [IMG + " yes"], "column": "True Y"}]}]}
    yield from _open(browser, tmp_path_factory, "binary", raw, true_ys=y, others=[engineered], cohorts=cohorts,
                     title=SCRIPT + " title " + RTL, comment=IMG + " comment " + RTL)


def test_hostile_strings_render_as_text_and_nothing_is_requested(binary, adult_like):
    raw = adult_like[0]
    page = binary.page
    assert page.text_content("h1") == SCRIPT + " title " + RTL
    assert page.text_content("[data-role=comment]") == IMG + " comment " + RTL
    assert page.locator("img").count() == 0  # the hostile <img> stayed text
    scripts = page.eval_on_selector_all("script", "nodes => nodes.map(n => [n.type, n.src])")
    assert scripts == [["application/json", ""]] + [["", ""]] * 11  # the payload, ECharts, our ten files
    assert set(binary.table("#importance-table")) == set(raw.features)
    assert page.eval_on_selector("#class-select", "s => [...s.options].map(o => o.textContent)") == \
        [f"class {c}" for c in raw.classes]
    binary.assert_clean()


def test_global_values_and_top_k_slider(binary, adult_like):
    raw = adult_like[0]
    shown = binary.table("#importance-table")
    assert list(shown) == raw.get_ranked_per_class_names()[1]  # the positive class by default
    for feature, value in shown.items():
        assert value == pytest.approx(raw.per_class[1, raw.features.index(feature)], rel=1e-12)
    binary.page.fill("#topk", "2")
    assert list(binary.table("#importance-table")) == raw.get_ranked_per_class_names(2)[1]
    assert binary.page.text_content("#tab-importance h2") == f"Top 2 of {raw.n_features} features"
    binary.page.fill("#topk", str(raw.n_features))
    binary.assert_clean()


def test_selected_row_waterfall_equals_its_local_values(binary, adult_like):
    raw = adult_like[0]
    binary.tab("individual")
    row = 7
    binary.page.click(f"#rows-table tbody tr[data-row='{row}']")
    binary.page.wait_for_selector("#waterfall-table", state="attached")
    shown = binary.table("#waterfall-table")
    assert_allclose([shown[f] for f in raw.features], raw.local[1, row], rtol=1e-6, atol=1e-7)
    expected = float(binary.page.get_attribute("[data-role=expected]", "data-value"))
    prediction = float(binary.page.get_attribute("[data-role=prediction]", "data-value"))
    assert expected == pytest.approx(raw.expected[1], rel=1e-12)
    assert prediction == pytest.approx(raw.expected[1] + raw.local[1, row].sum(), rel=1e-5)
    assert binary.page.text_content("[data-role=output-space]") == f"log-odds of {raw.classes[1]}"
    assert binary.page.locator("#waterfall-chart canvas").count() == 1
    # a second and third row: compared side by side
    for other in (3, 11):
        binary.page.click(f"#rows-table tbody tr[data-row='{other}'] input[type=checkbox]")
    compared = binary.page.eval_on_selector_all("#compare-table td[data-row]",
                                                "cells => cells.map(c => [c.dataset.row, c.dataset.value])")
    assert {int(r) for r, _ in compared} == {row, 3, 11}
    binary.assert_clean()


def test_table_sorts_and_searches(binary, adult_like):
    binary.tab("individual")
    page = binary.page
    page.click("#rows-table th:has-text('age')")
    ages = page.eval_on_selector_all("#rows-table tbody tr", "rows => rows.map(r => r.dataset.row)")
    data = adult_like[0].data
    assert [int(r) for r in ages] == list(data.sort_values("age", kind="stable").index[:len(ages)])
    page.fill("#row-search", "<b>green</b>")
    count = int(page.text_content("#rows-count").split()[0].replace(",", ""))
    assert count == int((data[CATEGORY] == "<b>green</b>").sum())
    page.fill("#row-search", "")


def test_built_and_predefined_cohorts_differ_from_the_whole(binary, adult_like):
    raw, _, y = adult_like
    binary.tab("cohorts")
    page = binary.page
    predefined = page.locator(".cohort[data-cohort]").nth(1)
    assert predefined.get_attribute("data-cohort") == SCRIPT + " truly yes"
    assert f"{int((y == IMG + ' yes').sum())} rows" in predefined.text_content()
    page.select_option("#cohort-column", label="age")
    page.select_option("#cohort-method", "greater")
    page.fill("#cohort-value", "50")
    page.click("#cohort-add-filter")
    page.fill("#cohort-name", "older " + RTL)
    page.click("#cohort-save")
    page.wait_for_selector(f".cohort[data-cohort='older {RTL}']")
    cells = page.eval_on_selector_all("#cohort-importance td[data-cohort]",
                                      "cells => cells.map(c => [c.parentNode.dataset.feature, c.dataset.cohort, "
                                      "c.dataset.value])")
    values = {(feature, cohort): float(v) for feature, cohort, v in cells}
    older = (raw.data["age"] > 50).to_numpy()
    for j, feature in enumerate(raw.features):
        whole, part = values[(feature, "All rows")], values[(feature, "older " + RTL)]
        assert whole == pytest.approx(np.abs(raw.local[1, :, j]).mean(), rel=1e-5)
        assert part == pytest.approx(np.abs(raw.local[1, older, j]).mean(), rel=1e-5)
    assert values[("age", "older " + RTL)] != pytest.approx(values[("age", "All rows")], rel=1e-3)
    rows = page.get_attribute(f"#cohort-metrics tr[data-cohort='older {RTL}'] td[data-metric=rows]", "data-value")
    assert int(rows) == int(older.sum())
    binary.assert_clean()


def test_raw_engineered_toggle_and_other_views_draw(binary, adult_like):
    _, engineered, _ = adult_like
    page = binary.page
    for tab in ("summary", "explorer", "dependence"):
        binary.tab(tab)
        assert page.locator(f"#tab-{tab} canvas").count() >= 1
    options = page.eval_on_selector("#dep-colour", "s => [...s.options].map(o => o.textContent)")
    assert options[0].endswith("(strongest interaction)")
    binary.tab("importance")
    page.select_option("#view-select", "1")
    top = engineered.get_ranked_per_class_names(1)[1][0]
    page.wait_for_selector(f"#importance-table tbody tr[data-feature='{top}']", state="attached")
    page.fill("#topk", str(engineered.n_features))
    assert list(binary.table("#importance-table")) == engineered.get_ranked_per_class_names()[1]
    page.select_option("#view-select", "0")
    binary.assert_clean()


# --------------------------------------------------------------------------------------- multiclass
@pytest.fixture(scope="module")
def multiclass_explanation():
    rng = np.random.default_rng(3)
    features = [f"x{j}" for j in range(6)]
    local = rng.normal(size=(3, 400, 6)) * np.array([3.0, 2.0, 1.0, 0.5, 0.2, 0.1])
    local[1] *= np.array([0.1, 0.2, 0.5, 4.0, 6.0, 8.0])  # class "b" ranks features the other way round
    data = pd.DataFrame(rng.normal(size=(400, 6)), columns=features)
    return Explanation(local=local, expected=np.array([0.2, 0.3, 0.5]), features=features, task="classification",
                       output_space="probability", method="test", classes=("a", SCRIPT, "c"), data=data)


@pytest.fixture(scope="module")
def multiclass(browser, tmp_path_factory, multiclass_explanation):
    yield from _open(browser, tmp_path_factory, "multiclass", multiclass_explanation)


def test_multiclass_mean_of_classes_then_one_class(multiclass, multiclass_explanation):
    explanation = multiclass_explanation
    page = multiclass.page
    assert page.eval_on_selector("#class-select", "s => [...s.options].map(o => o.textContent)") == \
        ["mean of classes", "class a", f"class {SCRIPT}", "class c"]
    shown = multiclass.table("#importance-table")
    assert list(shown) == explanation.get_ranked_global_names()
    assert_allclose([shown[f] for f in explanation.features], explanation.global_, rtol=1e-12)
    page.select_option("#class-select", "1")
    shown = multiclass.table("#importance-table")
    assert list(shown) == explanation.get_ranked_per_class_names()[1]
    assert_allclose([shown[f] for f in explanation.features], explanation.per_class[1], rtol=1e-12)
    multiclass.tab("individual")
    page.click("#rows-table tbody tr[data-row='5']")
    assert page.text_content("[data-role=output-space]") == f"probability of {SCRIPT}"
    shown = multiclass.table("#waterfall-table")
    assert_allclose([shown[f] for f in explanation.features], explanation.local[1, 5], rtol=1e-6)
    multiclass.tab("importance")
    multiclass.assert_clean()


# ------------------------------------------------------------------- regression, 1 and 300 features
@pytest.fixture(scope="module")
def regression_one_feature():
    rng = np.random.default_rng(5)
    X = pd.DataFrame({"size " + RTL: rng.normal(size=150)})
    y = 3.0 * X.iloc[:, 0] + rng.normal(scale=0.1, size=150)
    return TabularExplainer(LinearRegression().fit(X, y), X).explain(X), y.to_numpy()


@pytest.fixture(scope="module")
def regression(browser, tmp_path_factory, regression_one_feature):
    explanation, y = regression_one_feature
    yield from _open(browser, tmp_path_factory, "regression", explanation, true_ys=y)


def test_regression_with_one_feature_and_labels(regression, regression_one_feature):
    explanation, y = regression_one_feature
    page = regression.page
    assert page.locator("#class-select").count() == 0
    assert regression.table("#importance-table") == pytest.approx({explanation.features[0]: explanation.global_[0]})
    regression.tab("individual")
    page.click("#rows-table tbody tr[data-row='0']")
    assert page.text_content("[data-role=output-space]") == "the model's prediction"
    assert float(page.get_attribute("[data-role=prediction]", "data-value")) == pytest.approx(
        explanation.expected[0] + explanation.local[0, 0].sum(), rel=1e-5)
    regression.tab("explorer")
    assert page.eval_on_selector("#ex-target", "s => [...s.options].map(o => o.value)") == \
        ["predicted", "output", "true", "error"]
    regression.tab("cohorts")
    rmse = float(page.get_attribute("#cohort-metrics tr[data-cohort='All rows'] "
                                    "td[data-metric='root mean squared error']", "data-value"))
    predicted = explanation.expected[0] + explanation.local[0].sum(-1)
    assert rmse == pytest.approx(np.sqrt(np.mean((predicted - y) ** 2)), rel=1e-4)
    regression.assert_clean()


@pytest.fixture(scope="module")
def wide_explanation():
    rng = np.random.default_rng(7)
    features = [f"feature {j:03d}" for j in range(300)]
    local = rng.normal(size=(1, 400, 300)) / np.arange(1, 301)
    data = pd.DataFrame(rng.normal(size=(400, 300)), columns=features)
    return Explanation(local=local, expected=np.array([10.0]), features=features, task="regression",
                       output_space="raw", method="test", data=data)


@pytest.fixture(scope="module")
def wide(browser, tmp_path_factory, wide_explanation):
    yield from _open(browser, tmp_path_factory, "wide", wide_explanation, visualization_points=300)


def test_300_features_without_labels_and_a_density_summary(wide, wide_explanation):
    page = wide.page
    assert page.get_attribute("#topk", "max") == "300"
    assert page.text_content("[data-role=rows]") == "300 of 400 rows (a seeded sample)"
    wide.tab("summary")
    assert page.get_attribute("#summary-chart", "data-mode") == "points"
    page.fill("#topk", "200")  # 300 rows x 200 features: more dots than drawn one by one
    page.wait_for_selector("#summary-chart[data-mode=density] canvas")
    for tab in ("individual", "dependence", "cohorts", "explorer"):
        wide.tab(tab)
    assert page.eval_on_selector("#ex-target", "s => [...s.options].map(o => o.value)") == ["predicted", "output"]
    wide.assert_clean()


# ---------------------------------------------------------------------------- uploads, in the MLflow UI
@pytest.fixture(scope="module")
def uploaded(mlflow_server, adult_like, tmp_path_factory):
    """The engineered explanation, then the raw one with a scorecard config's cohorts, uploaded to one run."""
    raw, engineered, y = adult_like
    uri = mlflow_server.wait()
    client = mlflow.MlflowClient(uri)
    experiment = client.create_experiment("dashboard", tags={"mlflow.experimentKind": "custom_model_development"})
    run_id = client.create_run(experiment, run_name="dashboard").info.run_id
    explanations = ExplanationClient.from_run_id(run_id, tracking_uri=uri)
    explanations.upload_model_explanation(engineered, true_ys=y, dashboard=False, plots=False)
    config = tmp_path_factory.mktemp("config") / "scorecard.yaml"
    config.write_text("Cohorts:\n  - name: Old\n    cohort_filter_list: [{method: greater, arg: [60], column: age}]\n")
    explanations.upload_model_explanation(raw, true_ys=y, visualization_points=100, cohorts=str(config), plots=False,
                                          comment=IMG)
    client.set_terminated(run_id)
    return uri, experiment, run_id, explanations


def test_upload_writes_the_dashboard_with_both_kinds_and_cohorts(uploaded, adult_like, tmp_path):
    raw, engineered, y = adult_like
    uri, _, run_id, explanations = uploaded
    client = mlflow.MlflowClient(uri)
    names = {a.path.rsplit("/", 1)[1] for a in client.list_artifacts(run_id, f"explanations/{engineered.id}")}
    assert "dashboard.html" not in names
    page = client.download_artifacts(run_id, f"explanations/{raw.id}/dashboard.html", str(tmp_path))
    text = open(page, encoding="utf-8").read()
    payload_text = re.search(r'<script type="application/json" id="payload">(.*?)</script>', text, re.S).group(1)
    assert not set("<>&") & set(payload_text)
    views = json.loads(payload_text)["views"]
    assert [v["kind"] for v in views] == ["raw", "engineered"]
    assert [v["id"] for v in views] == [raw.id, engineered.id]
    assert [c["name"] for c in views[0]["cohorts"]] == ["Old"]
    meta = json.loads(open(client.download_artifacts(run_id, f"explanations/{raw.id}/explanation.json",
                                                     str(tmp_path)), encoding="utf-8").read())
    assert meta["upload"]["dashboard"] == "dashboard.html"
    # a config naming a column the rows lack is refused before anything is logged
    other = Explanation(**{**_fields(raw), "id": "other"})
    with pytest.raises(InvalidParameterError, match="filters on 'height', which the explanation's rows do not have"):
        explanations.upload_model_explanation(other, true_ys=y, cohorts={"Cohorts": [
            {"name": "Tall", "cohort_filter_list": [{"method": "greater", "arg": [1], "column": "height"}]}]})
    assert "explain_lib.explanation.other" not in client.get_run(run_id).data.tags
    assert client.list_artifacts(run_id, "explanations/other") == []


def test_dashboard_inside_the_mlflow_ui(browser, uploaded, adult_like):
    from mlflow_ui import artifact_preview

    raw = adult_like[0]
    uri, experiment, run_id, _ = uploaded
    with artifact_preview(browser, uri, experiment, run_id, f"explanations/{raw.id}/dashboard.html") as frame:
        frame.get_by_text(f"Top {min(10, raw.n_features)} of {raw.n_features} features").wait_for(timeout=30_000)
        assert frame.locator("[data-role=comment]").inner_text() == IMG
        assert frame.locator("#importance-chart canvas").count() == 1
        shown = dict(frame.eval_on_selector_all("#importance-table tbody tr", "rows => rows.map(r => "
                                                "[r.dataset.feature, Number(r.dataset.value)])"))
        assert shown == pytest.approx({f: raw.per_class[1, j] for j, f in enumerate(raw.features)}, rel=1e-12)
        frame.click("nav button[data-tab=individual]")
        frame.locator("#rows-table tbody tr").first.click()
        frame.get_by_text("From the expected value").wait_for()
        assert frame.locator("#waterfall-chart canvas").count() == 1
        assert frame.locator("[data-role=output-space]").inner_text() == f"log-odds of {raw.classes[1]}"
        assert frame.locator("#view-select option").all_inner_texts() == ["raw features (4)", "engineered features (6)"]


def _fields(explanation: Explanation) -> dict:
    import dataclasses

    return {f.name: getattr(explanation, f.name) for f in dataclasses.fields(explanation)}


def test_to_html_refuses_bad_points(tmp_path, multiclass_explanation):
    with pytest.raises(InvalidParameterError, match="visualization_points"):
        multiclass_explanation.to_html(tmp_path / "x.html", visualization_points=0)
    assert not (tmp_path / "x.html").exists()


def test_global_only_explanation_shows_only_its_importances_and_says_why(browser, tmp_path):
    explanation = Explanation(local=None, expected=None, features=["a", "b", SCRIPT], task="regression",
                              output_space="metric", method="pfi", global_=np.array([0.5, 0.25, 1.0]))
    path = tmp_path / "pfi.html"
    path.write_text(dashboard_html(explanation, true_ys=None), encoding="utf-8")
    opened = Opened(browser, path)
    try:
        assert list(opened.table("#importance-table")) == [SCRIPT, "a", "b"]
        assert "global only" in opened.page.text_content("header")
        # the views of single rows would have nothing to show: no tab for them, and the page says why
        tabs = opened.page.eval_on_selector_all("nav button[data-tab]", "buttons => buttons.map(b => b.dataset.tab)")
        assert tabs == ["importance"]
        assert "pfi explanation has global importances only" in opened.page.text_content("#global-only-note")
        opened.assert_clean()
        # an address saved on a page with row views, naming one of them, opens the importances instead
        opened.page.goto("about:blank")
        opened.page.goto(f"{opened.url}#{quote(json.dumps({'tab': 'summary'}))}")
        opened.page.wait_for_selector("body[data-rendered]")
        assert opened.page.get_attribute("body", "data-rendered") == "importance"
        assert opened.errors == [] and opened.dialogs == []
    finally:
        opened.page.close()
