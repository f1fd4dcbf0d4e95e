"""What-if and ICE in the dashboard, in real Chromium: for every model kind the page carries, three edits of a
row give the model's own prediction and the explainer's own values on the edited row (to 1e-9), and the
page's ICE curves are the model's predictions along the grid (sklearn's partial_dependence where it applies).

One page per model kind; each test drives its page through every check.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.inspection import partial_dependence
from whatif_cases import BUILDERS, PAGE_ROWS, case, edited_frame

from explain_lib.report.dashboard import dashboard_html

ROW = 3  # the page row edited


class Page:
    """A dashboard open in Chromium, recording requests, dialogs and script errors."""

    def __init__(self, browser, path):
        self.url = path.as_uri()
        self.page = browser.new_page(viewport={"width": 1300, "height": 1000})
        self.requests, self.problems = [], []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("dialog", lambda dialog: (self.problems.append(dialog.message), dialog.dismiss()))
        self.page.on("pageerror", lambda error: self.problems.append(str(error)))
        self.page.goto(self.url)
        self.page.wait_for_selector("body[data-rendered]")

    def tab(self, name: str) -> None:
        self.page.click(f"nav button[data-tab={name}]")
        self.page.wait_for_selector(f"body[data-rendered={name}] #tab-{name}")

    def assert_clean(self) -> None:
        assert self.problems == []
        assert self.requests == [self.url], "the page asked for more than itself"


def _open(browser, tmp_path, explanation, **options) -> Page:
    path = tmp_path / "dashboard.html"
    path.write_text(dashboard_html(explanation, **options), encoding="utf-8")
    return Page(browser, path)


def _close(actual, expected, rtol=1e-9):
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert_allclose(actual, expected, rtol=rtol, atol=rtol * max(1.0, float(np.abs(expected).max(initial=0))))


def _edit(page, explanation, edits) -> None:
    """Make the case's edits in the form, as a reviewer would."""
    for name, value in edits:
        j = list(explanation.features).index(name)
        field = page.locator(f"#whatif-form [data-field='{j}']")
        if value is None:
            page.check(f"#whatif-form input[data-missing='{j}']")
        elif isinstance(value, str):
            labels = field.locator("option").all_inner_texts()
            field.select_option(str(labels.index(value)))
        else:
            field.fill(repr(float(value)))


def _interventional_reference(kind, edited) -> np.ndarray:
    """shap's interventional TreeSHAP of a probability, by definition: per background row r, the Shapley values of
    the margin game v(S) = f(x_S, r_notS) (every coalition evaluated), rescaled by (p(x) - p(r)) / (f(x) - f(r)),
    then their mean over the background."""
    x = edited.to_numpy(dtype=np.float64)[0]
    background = kind.explainer.background.to_numpy().astype(np.float64)
    m = len(x)
    masks = np.array(list(itertools.product([False, True], repeat=m)))
    rows = np.where(masks[:, None, :], x, background[None])  # (coalitions, background rows, features)
    margin = kind.model.predict(pd.DataFrame(rows.reshape(-1, m), columns=edited.columns), raw_score=True)
    v = margin.reshape(len(masks), len(background))
    position = {tuple(mask): i for i, mask in enumerate(masks)}
    phi = np.zeros((len(background), m))
    for mask in masks:
        size = int(mask.sum())
        for j in np.flatnonzero(~mask):
            weight = math.factorial(size) * math.factorial(m - size - 1) / math.factorial(m)
            grown = mask.copy()
            grown[j] = True
            phi[:, j] += weight * (v[position[tuple(grown)]] - v[position[tuple(mask)]])
    fx, fr = v[-1], v[0]  # all features from x; none
    sigmoid = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    scale = np.where(fx != fr, (sigmoid(fx) - sigmoid(fr)) / np.where(fx != fr, fx - fr, 1.0), 1.0)
    return (phi * scale[:, None]).mean(axis=0)


def _class_shown(explanation) -> int:
    return 0 if explanation.task == "regression" else (1 if len(explanation.classes) == 2 else 0)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_edits_predict_and_explain_as_the_model_and_its_explainer(name, browser, tmp_path):
    kind = case(name)
    explanation = kind.explanation()
    opened = _open(browser, tmp_path, explanation, model=kind.model, **kind.page_options)
    page = opened.page
    opened.tab("individual")
    page.click(f"#rows-table tbody tr[data-row='{ROW}']")
    page.wait_for_selector("#whatif-result")
    assert "carries the model" in page.text_content("#whatif .help")
    state = page.evaluate("whatIfState()")
    # the row as it is: the page's prediction is the model's, its values the explanation's
    _close(state["original"]["outputs"], kind.margin(explanation.data.iloc[[ROW]])[0])
    _close(state["original"]["local"], explanation.local[:, ROW], rtol=kind.tolerance)

    single = 3e-7 if name == "xgboost" else 1e-9  # XGBoost rounds its sums and probabilities to float32
    _edit(page, explanation, kind.edits)
    state = page.evaluate("whatIfState()")
    edited = edited_frame(kind, ROW, explanation)
    _close(state["outputs"], kind.margin(edited)[0])
    if kind.probability is not None:
        _close(state["probability"], kind.probability(edited)[0], rtol=single)
    reference = kind.explainer.explain(edited, **kind.explain_options)
    _close(state["local"], reference.local[:, 0], rtol=kind.tolerance)
    if name == "lightgbm-interventional":  # shap's own is single precision: against the textbook formula, exactly
        _close(state["local"][1], _interventional_reference(kind, edited))
    _close(np.sum(state["local"], axis=1) + explanation.expected, state["outputs"], rtol=single)  # additivity
    k = _class_shown(explanation)
    assert float(page.get_attribute("[data-role=whatif-prediction]", "data-value")) == state["outputs"][k]
    shown = {f: float(v) for f, v in page.eval_on_selector_all(
        "#whatif-table tbody tr", "rows => rows.map(r => [r.dataset.feature, "
        "r.querySelector('[data-col=new-local]').dataset.value])")}
    assert shown == {f: state["local"][k][j] for j, f in enumerate(explanation.features)}
    page.click("#whatif-pin")
    assert page.locator("#pinned-table th").all_inner_texts()[1:] == [f"row {ROW}, edit 1"]

    # ICE along the case's feature: the model's own predictions on every page row, and their mean
    opened.tab("ice")
    j = list(explanation.features).index(kind.ice_feature)
    page.select_option("#ice-feature", str(j))
    curves = page.evaluate(f"iceState({j})")
    grid, n = np.asarray(curves["grid"], dtype=np.float64), curves["nRows"]
    assert n == PAGE_ROWS and 2 <= len(grid) <= 20
    rows = explanation.data.iloc[:PAGE_ROWS]
    values = np.asarray(curves["values"]).reshape(-1, n, len(grid))
    for g, value in enumerate(grid):
        moved = rows.copy()
        moved[kind.ice_feature] = value
        _close(values[:, :, g], kind.margin(moved).T)
    page.wait_for_selector("#ice-table", state="attached")
    pdp = [float(cell) for cell in page.eval_on_selector_all(
        f"#ice-table td[data-series=pdp-{k}]", "cells => cells.map(c => c.dataset.value)")]
    _close(pdp, values[k].mean(axis=0))
    if kind.probability is not None:
        probability = np.asarray(curves["probability"]).reshape(-1, n, len(grid))
        sklearn_pd = partial_dependence(kind.model, rows, [kind.ice_feature], kind="both", method="brute",
                                        response_method="predict_proba", custom_values={kind.ice_feature: grid})
        individual = sklearn_pd["individual"]
        _close(probability[-individual.shape[0]:], individual, rtol=single)
        _close(probability[-individual.shape[0]:].mean(axis=1), sklearn_pd["average"], rtol=single)
    opened.assert_clean()
    page.close()


def test_a_model_the_page_cannot_carry_moves_one_feature_along_its_ice_grid(browser, tmp_path):
    from sklearn.neural_network import MLPClassifier

    from explain_lib import KernelShap

    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    y = (X.a + X.b * X.c > 0).astype(int)
    model = MLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=1000, random_state=0).fit(X, y)
    explanation = KernelShap(model, X.iloc[:20], random_state=0).explain(X.iloc[:30])
    opened = _open(browser, tmp_path, explanation, model=model, ice_features=2, grid_size=7)
    page = opened.page
    opened.tab("individual")
    page.click("#rows-table tbody tr[data-row='4']")
    page.wait_for_selector("#whatif-result")
    assert "does not carry this model (shap.kernel explanations are recomputed only by their own explainer)" in \
        page.text_content("#whatif .help")
    feature = page.eval_on_selector("#whatif-grid-feature", "s => s.value")
    name = explanation.features[int(feature)]
    page.select_option("#whatif-grid-value", "5")
    grid = page.evaluate(f"iceState({feature})")["grid"]
    moved = X.iloc[[4]].copy()
    moved[name] = grid[5]
    assert float(page.get_attribute("[data-role=whatif-prediction]", "data-value")) == \
        pytest.approx(model.predict_proba(moved)[0, 1], rel=1e-12)
    opened.tab("ice")
    assert page.eval_on_selector_all("#ice-feature option", "o => o.map(x => x.textContent)") == \
        explanation.get_ranked_global_names(2)
    opened.assert_clean()
    page.close()


SCRIPT, IMG = "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'
RTL = "\u05e2\u05d1\u05e8\u05d9\u05ea \U0001f600"


def test_hostile_feature_and_category_names_stay_text_in_the_form_and_the_ice_view(browser, tmp_path):
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    from explain_lib import TabularExplainer

    rng = np.random.default_rng(4)
    categories = ["<b>bold</b>", IMG, RTL]
    X = pd.DataFrame({SCRIPT: rng.normal(size=150), IMG: rng.choice(categories, 150), RTL: rng.normal(size=150)})
    y = (X[SCRIPT] + (X[IMG] == IMG) > 0.3).astype(int)
    encode = ColumnTransformer([("onehot", OneHotEncoder(sparse_output=False), [IMG])], remainder="passthrough")
    model = Pipeline([("encode", encode), ("model", LogisticRegression())]).fit(X, y)
    explanation = TabularExplainer(model, X).explain(X.iloc[:20], raw=True)
    opened = _open(browser, tmp_path, explanation, model=model)
    page = opened.page
    opened.tab("individual")
    page.click("#rows-table tbody tr[data-row='2']")
    page.wait_for_selector("#whatif-result")
    assert sorted(page.locator("#whatif-form .field .name").all_inner_texts()) == sorted(X.columns)
    j = list(explanation.features).index(IMG)
    # the encoder's categories; no "missing", which OneHotEncoder(handle_unknown="error") refuses
    assert page.locator(f"#whatif-form select[data-field='{j}'] option").all_text_contents() == sorted(categories)
    page.select_option(f"#whatif-form select[data-field='{j}']", str(sorted(categories).index(IMG)))
    moved = X.iloc[[2]].copy()
    moved[IMG] = IMG
    assert page.evaluate("whatIfState()")["probability"][1] == pytest.approx(model.predict_proba(moved)[0, 1],
                                                                                rel=1e-9)
    opened.tab("ice")
    assert sorted(page.locator("#ice-feature option").all_text_contents()) == sorted(X.columns)
    page.select_option("#ice-feature", str(j))
    page.click("#tab-ice details summary")
    assert page.locator("#ice-table tbody td:first-child").all_text_contents() == sorted(categories)
    assert page.locator("img").count() == 0
    opened.assert_clean()
    page.close()


def test_a_model_too_large_for_the_page_is_left_out_and_the_rest_works(browser, tmp_path, monkeypatch):
    from explain_lib.report.dashboard import _whatif

    kind = case("lightgbm-regression")
    explanation = kind.explanation()
    monkeypatch.setattr(_whatif, "MAX_MODEL_BYTES", 50_000)  # this model's copy takes ~150 kB
    opened = _open(browser, tmp_path, explanation, model=kind.model, ice_features=["c"], grid_size=5)
    page = opened.page
    assert page.locator("#importance-table tbody tr").count() == explanation.n_features
    opened.tab("individual")
    page.click(f"#rows-table tbody tr[data-row='{ROW}']")
    page.wait_for_selector("#whatif-result")
    assert "the model is too large to carry into the page" in page.text_content("#whatif .help")
    page.select_option("#whatif-grid-value", "4")
    grid = page.evaluate("iceState(2)")["grid"]
    moved = explanation.data.iloc[[ROW]].copy()
    moved["c"] = grid[4]
    assert float(page.get_attribute("[data-role=whatif-prediction]", "data-value")) == \
        kind.model.predict(moved, raw_score=True)[0]
    opened.tab("ice")
    assert page.locator("#ice-chart canvas").count() == 1
    opened.assert_clean()
    page.close()


def test_what_if_inside_the_mlflow_ui(browser, mlflow_server):
    import mlflow
    from mlflow_ui import artifact_preview

    from explain_lib.tracking import ExplanationClient

    kind = case("lightgbm-binary")
    explanation = kind.explanation()
    uri = mlflow_server.wait()
    client = mlflow.MlflowClient(uri)
    experiment = client.create_experiment("what-if", tags={"mlflow.experimentKind": "custom_model_development"})
    run_id = client.create_run(experiment, run_name="what-if").info.run_id
    ExplanationClient.from_run_id(run_id, tracking_uri=uri).upload_model_explanation(explanation, plots=False,
                                                                                    model=kind.model)
    client.set_terminated(run_id)
    with artifact_preview(browser, uri, experiment, run_id, f"explanations/{explanation.id}/dashboard.html") as frame:
        frame.click("nav button[data-tab=individual]")
        frame.locator(f"#rows-table tbody tr[data-row='{ROW}']").click()
        frame.wait_for_selector("#whatif-result")
        j = list(explanation.features).index("c")
        frame.fill(f"#whatif-form input[data-field='{j}']", "7.5")
        moved = explanation.data.iloc[[ROW]].copy()
        moved["c"] = 7.5
        state = frame.evaluate("whatIfState()")
        assert state["outputs"][1] == pytest.approx(kind.model.predict(moved, raw_score=True)[0], rel=1e-12)
        _close(state["local"], kind.explainer.explain(moved).local[:, 0])
        frame.click("nav button[data-tab=ice]")
        frame.wait_for_selector("body[data-rendered=ice] #ice-chart canvas")


def _decoded(array: dict) -> np.ndarray:
    import base64

    return np.frombuffer(base64.b64decode(array["b64"]), dtype="<f8").reshape(array["shape"])


def test_ice_of_a_torch_network_and_of_a_plain_function_is_their_own_output():
    torch = pytest.importorskip("torch")
    from explain_lib import DeepShap, KernelShap
    from explain_lib.report.dashboard._whatif import whatif_payload

    rng = np.random.default_rng(5)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.ReLU(), torch.nn.Linear(6, 1),
                              torch.nn.Sigmoid()).double()
    weights = np.array([1.5, -2.0, 0.25])
    function = lambda rows: np.asarray(rows, dtype=np.float64) @ weights  # noqa: E731
    for model, explanation, call in (
            (net, DeepShap(net, X.iloc[:20]).explain(X.iloc[:12]),
             lambda rows: net(torch.as_tensor(rows.to_numpy())).detach().numpy()[:, 0]),
            (function, KernelShap(function, X.iloc[:20]).explain(X.iloc[:12]), function)):
        page = whatif_payload(explanation, model, rows=np.arange(12), ice=1, grid_size=4)
        assert page["mode"] == "grid" and "recomputed only by their own explainer" in page["reason"]
        (entry,) = page["ice"]["features"]
        values = _decoded(entry["values"])
        for g, value in enumerate(entry["grid"]):
            moved = X.iloc[:12].copy()
            moved[explanation.features[entry["feature"]]] = value
            assert_allclose(values[-1, :, g], call(moved), rtol=1e-12)


def test_an_engineered_explanation_of_a_pipeline_says_what_if_comes_with_the_raw_one():
    from explain_lib.report.dashboard._whatif import whatif_payload

    kind = case("pipeline")
    engineered = kind.explainer.explain(kind.X.iloc[:10], raw=False)
    page = whatif_payload(engineered, kind.model, rows=np.arange(10))
    assert page["mode"] == "off" and "come with its raw-feature explanation" in page["reason"]


def test_ice_computed_at_upload_is_the_models_margin_and_predict_proba():
    from explain_lib.report.dashboard._whatif import whatif_payload

    kind = case("lightgbm-binary")
    explanation = kind.explanation()
    page = whatif_payload(explanation, kind.model, rows=np.arange(PAGE_ROWS), what_if=False, ice=["c"], grid_size=6)
    assert page["mode"] == "grid" and page["reason"] == "what-if was turned off for this page"
    (entry,) = page["ice"]["features"]
    values, probability = _decoded(entry["values"]), _decoded(entry["probability"])
    for g, value in enumerate(entry["grid"]):
        moved = explanation.data.iloc[:PAGE_ROWS].copy()
        moved["c"] = value
        assert_allclose(values[:, :, g], kind.margin(moved).T, rtol=1e-12)
        assert_allclose(probability[:, :, g], kind.model.predict_proba(moved).T, rtol=1e-12)
