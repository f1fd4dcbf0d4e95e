"""The scorecard PDF and HTML carry every fact of a :class:`Scorecard`, escaped, self-contained, in order."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader

from explain_lib.report.scorecard._charts import charts
from explain_lib.report.scorecard._html import write_html
from explain_lib.report.scorecard._pdf import write_pdf
from explain_lib.report.scorecard._result import (
    CohortResult,
    ExplorerBin,
    ExplorerFeature,
    FairnessGroup,
    FairnessResult,
    FeatureImportanceResult,
    MetricValue,
    Performance,
    Scorecard,
    Summary,
    TargetResult,
    Threshold,
    format_value,
)

HEADINGS = ("1. Summary", "2. Performance", "3. Data explorer", "4. Cohorts", "5. Feature importance", "6. Fairness")
NAN = float("nan")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------------------------------------- scorecards
def _target(key: str, label: str, value: float, text: str, informational: bool = False) -> TargetResult:
    operator, number = re.fullmatch(r"(>=|<=|>|<)(.+)", text).groups()
    threshold = Threshold(operator, float(number), text)
    return TargetResult(key, label, value, threshold, threshold.is_met(value), informational)


def _summary(name: str, task: str, **changes: object) -> Summary:
    summary = Summary(
        model_name=name, model_summary="Predicts whether income exceeds 50K.", task=task,
        model_uri="models:/credit/3", run_uri="runs:/4f2a9c/model", date="2025-01-02T03:04:05Z", n_rows=1234,
        data_uri="file:///data/adult_test.parquet", positive_class=">50K", classes=("<=50K", ">50K"),
    )
    return dataclasses.replace(summary, **changes)


def _classification(name: str = "Modèle — Ωμέγα credit") -> Scorecard:
    accuracy = _target("accuracy_score", "Accuracy", 0.87123, ">=0.85")
    f1 = _target("f1_score", "F1 score", 0.60311, ">=0.7")
    parity = _target("fairness.accuracy_score.difference.sex", "Accuracy difference by sex", 0.05561, "<=0.1")
    return Scorecard(
        summary=_summary(name, "classification"),
        targets=(accuracy, f1, parity),
        performance=Performance(
            task="classification",
            metrics=(MetricValue("accuracy_score", "Accuracy", 0.87123, accuracy),
                     MetricValue("f1_score", "F1 score", 0.60311, f1),
                     MetricValue("roc_auc_score", "ROC AUC", NAN)),
            sentences=("34 rows were predicted >50K but are <=50K (false positives).",),
            labels=("<=50K", ">50K"), confusion=((900, 34), (120, 180)),
        ),
        data_explorer=(
            ExplorerFeature("age", "numeric", "accuracy_score", "Accuracy", (
                ExplorerBin("[17, 25)", 300, 0.9031), ExplorerBin("[25, 40)", 500, 0.8517),
                ExplorerBin("[40, 90]", 434, NAN))),
            ExplorerFeature("workclass", "categorical", "accuracy_score", "Accuracy", (
                ExplorerBin("Private", 800, 0.8042), ExplorerBin("Self-emp", 434, 0.9163))),
        ),
        cohorts=(
            CohortResult("Young adults", "age < 30", 321, (
                MetricValue("accuracy_score", "Accuracy", 0.81234,
                            _target("cohort.accuracy_score", "Accuracy (Young adults)", 0.81234, ">=0.85", True)),)),
            CohortResult("Married couples", "marital-status is Married-civ-spouse", 1050, (
                MetricValue("f1_score", "F1 score", 0.70456),)),
        ),
        feature_importance=FeatureImportanceResult(
            top_n=3, features=(("capital-gain", 0.34567), ("education-num", 0.23456), ("hours-per-week", 0.12345)),
            explanation_id="expl-42", method="kernel_shap", output_space="probability",
        ),
        fairness=(
            FairnessResult("sex", "accuracy_score", "Accuracy", "difference", (
                FairnessGroup("Female", 400, 0.90123), FairnessGroup("Male", 834, 0.84562)), 0.05561, parity),
            FairnessResult("age", "selection_rate", "Selection rate", "ratio", (
                FairnessGroup("age ≤ 30", 410, 0.11111), FairnessGroup("age > 30", 824, 0.33333)), 0.33333, None,
                note="age binned into 2 groups at its median."),
        ),
    )


def _regression() -> Scorecard:
    mae = _target("mean_absolute_error", "Mean absolute error", 3.21098, "<=5")
    errors = tuple(float((i * 37) % 23 - 11) / 3 for i in range(200))
    return Scorecard(
        summary=_summary("House prices", "regression", positive_class=None, classes=()),
        targets=(mae,),
        performance=Performance(
            task="regression",
            metrics=(MetricValue("mean_absolute_error", "Mean absolute error", 3.21098, mae),
                     MetricValue("mean_squared_error", "Mean squared error", 1234.5678),
                     MetricValue("r2_score", "R²", 0.77771)),
            sentences=("Half of the predictions are within 2.5000 of the truth.",),
            errors=errors,
        ),
        data_explorer=(), cohorts=(), feature_importance=None, fairness=(),
    )


def _empty() -> Scorecard:
    return Scorecard(
        summary=_summary("Bare model", "classification", positive_class=None),
        targets=(),
        performance=Performance(task="classification", metrics=(), sentences=()),
        data_explorer=(), cohorts=(), feature_importance=None, fairness=(),
    )


SCORECARDS = {"classification": _classification, "regression": _regression, "empty": _empty}


# ---------------------------------------------------------------------------------------------- reading
class _Page(HTMLParser):
    """The text (entities decoded, CSS left out) and every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if not self._in_style:
            self.texts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.texts).split())


def _read_html(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def _pdf_text(path: Path) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Scorecard, dict[str, bytes], Path, Path]]:
    """Each scorecard's charts, and the scorecard written once as PDF and HTML from that one drawing."""
    folder = tmp_path_factory.mktemp("scorecards")
    written = {}
    for name, make in SCORECARDS.items():
        scorecard = make()
        pngs = charts(scorecard)
        pdf = write_pdf(scorecard, folder / f"{name}.pdf", charts=pngs)
        html = write_html(scorecard, folder / f"{name}.html", charts=pngs)
        written[name] = (scorecard, pngs, pdf, html)
    return written


def _text(rendered: dict[str, tuple[Scorecard, dict[str, bytes], Path, Path]], name: str, document: str) -> str:
    _, _, pdf, html = rendered[name]
    return _pdf_text(pdf) if document == "pdf" else _read_html(html).text


def _row(*cells: str) -> str:
    return " ".join(cells)


# ------------------------------------------------------------------------------------------------ tests
@pytest.mark.parametrize("document", ["pdf", "html"])
@pytest.mark.parametrize("name", list(SCORECARDS))
def test_headings_appear_once_each_in_order(rendered, name, document):
    text = _text(rendered, name, document)
    positions = [text.find(heading) for heading in HEADINGS]
    assert -1 not in positions, f"missing headings: {[h for h, p in zip(HEADINGS, positions, strict=True) if p == -1]}"
    assert positions == sorted(positions)
    assert all(text.count(heading) == 1 for heading in HEADINGS)


@pytest.mark.parametrize("document", ["pdf", "html"])
def test_classification_document_holds_every_fact(rendered, document):
    scorecard = rendered["classification"][0]
    text = _text(rendered, "classification", document)
    summary = scorecard.summary
    expected = [
        summary.model_name, summary.model_summary, summary.model_uri, summary.run_uri, summary.date,
        "1,234 rows", summary.data_uri, "Positive class", ">50K",
        "NOT PASSED: 1 of 3 targets missed (1 cohort value below target, informational)",
        "n/a", *scorecard.performance.sentences, "900", "180",
    ]
    expected += [_row(t.label, format_value(t.value), str(t.threshold), t.verdict) for t in scorecard.targets]
    expected += [_row("Accuracy", "0.8712", ">= 0.85", "met"), _row("F1 score", "0.6031", ">= 0.7", "missed")]
    expected += [_row(b.label, f"{b.count:,}", format_value(b.metric)) for f in scorecard.data_explorer for b in f.bins]
    for cohort in scorecard.cohorts:
        expected += [cohort.name, cohort.description, f"Size: {cohort.size:,} rows"]
    expected += [_row("Accuracy", "0.8123", ">= 0.85", "below target"), "Size: 1,050 rows"]
    expected += ["Top 3 features", "expl-42", "kernel_shap", "probability"]
    expected += [_row(str(rank), feature, format_value(value))
                 for rank, (feature, value) in enumerate(scorecard.feature_importance.features, 1)]
    for result in scorecard.fairness:
        expected += [_row(g.label, f"{g.count:,}", format_value(g.value)) for g in result.groups]
        expected += [result.sensitive_feature, f"Disparity ({result.kind}) {format_value(result.value)}"]
    expected += [_row("Disparity (difference)", "0.0556", "<= 0.1", "met"), "age binned into 2 groups at its median."]
    missing = [fact for fact in expected if fact not in text]
    assert not missing, f"{document} lacks {missing}"


@pytest.mark.parametrize("document", ["pdf", "html"])
def test_regression_document_holds_metrics_and_passed_verdict(rendered, document):
    text = _text(rendered, "regression", document)
    for fact in ("PASSED: all 1 target met", _row("Mean absolute error", "3.2110", "<= 5", "met"),
                 _row("Mean squared error", "1,234.6"), _row("R²", "0.7777"), "Error distribution",
                 "Half of the predictions are within 2.5000 of the truth."):
        assert fact in text
    assert "NOT PASSED" not in text
    assert "Positive class" not in text and "Confusion matrix" not in text


@pytest.mark.parametrize("document", ["pdf", "html"])
def test_a_passed_banner_never_contradicts_a_cohort_below_its_target(tmp_path, document):
    """All gated targets met, one cohort below: the banner says so, and the cohort row is informational, not red."""
    scorecard = _classification()

    def met(target):
        return None if target is None else dataclasses.replace(target, met=True)

    scorecard = dataclasses.replace(
        scorecard, targets=tuple(met(t) for t in scorecard.targets),
        performance=dataclasses.replace(scorecard.performance, metrics=tuple(
            dataclasses.replace(m, target=met(m.target)) for m in scorecard.performance.metrics)),
        fairness=tuple(dataclasses.replace(f, target=met(f.target)) for f in scorecard.fairness))
    assert scorecard.passed and len(scorecard.cohorts_below_target) == 1
    pdf = write_pdf(scorecard, tmp_path / "passed.pdf", charts={})
    html = write_html(scorecard, tmp_path / "passed.html", charts={})
    text = _pdf_text(pdf) if document == "pdf" else _read_html(html).text
    assert "PASSED: all 3 targets met (1 cohort value below target, informational)" in text
    assert "do not decide the scorecard's verdict" in text
    assert _row("Accuracy", "0.8123", ">= 0.85", "below target") in text and "missed" not in text
    if document == "html":
        badges = [attrs["class"] for tag, attrs in _read_html(html).tags if "badge" in (attrs.get("class") or "")]
        assert "badge info" in badges and "badge missed" not in badges


@pytest.mark.parametrize("document", ["pdf", "html"])
def test_empty_sections_say_what_to_configure(rendered, document):
    text = _text(rendered, "empty", document)
    for sentence in ("No targets set (Metrics.<name>.threshold)", "No metrics computed (Metrics).",
                     "No features chosen (DataExplorer.features).", "No cohorts defined (Cohorts).",
                     "No feature importance computed (FeatureImportance.top_n).",
                     "No fairness assessment (Fairness.sensitive_features and Fairness.metric)."):
        assert sentence in text
    assert "PASSED" not in text and "Positive class" not in text


def test_charts_are_drawn_for_every_section_with_data(rendered):
    pngs = rendered["classification"][1]
    assert set(pngs) == {"performance", "explorer.0", "explorer.1", "feature_importance", "fairness.0", "fairness.1"}
    assert all(png.startswith(PNG_SIGNATURE) and len(png) < 200_000 for png in pngs.values())
    assert set(rendered["regression"][1]) == {"performance"}
    assert rendered["empty"][1] == {}


def test_pdf_embeds_each_chart_and_sets_metadata_and_page_numbers(rendered):
    scorecard, _, pdf, _ = rendered["classification"]
    reader = PdfReader(pdf)
    assert sum(len(page.images) for page in reader.pages) == 6
    assert reader.metadata.title == scorecard.summary.model_name
    assert reader.metadata.creator == "explain-lib"
    pages = len(reader.pages)
    assert pages > 1
    for number, page in enumerate(reader.pages, 1):
        text = page.extract_text()
        assert f"Page {number} / {pages}" in text and scorecard.summary.model_name in text


def test_pdf_uses_the_charts_it_is_given(tmp_path):
    reader = PdfReader(write_pdf(_classification(), tmp_path / "plain.pdf", charts={}))
    assert sum(len(page.images) for page in reader.pages) == 0


def test_html_is_self_contained(rendered):
    html = rendered["classification"][3]
    raw = html.read_text(encoding="utf-8")
    page = _read_html(html)
    assert "<script" not in raw.lower()
    assert not re.search(r"https?://", raw)
    images = [attrs["src"] for tag, attrs in page.tags if tag == "img"]
    assert len(images) == 6 and all(src.startswith("data:image/png;base64,") for src in images)
    links = [attrs.get("href") or "" for tag, attrs in page.tags if tag in ("a", "link")]
    assert not any(link.startswith(("http:", "https:", "//")) for link in links)


def test_html_escapes_user_strings(tmp_path):
    name = '<script>alert(1)</script> & "x"'
    scorecard = _classification(name)
    scorecard = dataclasses.replace(
        scorecard, cohorts=(dataclasses.replace(scorecard.cohorts[0], name="<b>bold</b> cohort"),)
    )
    path = write_html(scorecard, tmp_path / "escaped.html", charts={})
    raw = path.read_text(encoding="utf-8")
    page = _read_html(path)
    assert "<script>" not in raw and "<b>bold</b>" not in raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in raw
    assert not {tag for tag, _ in page.tags} & {"script", "b"}
    assert f"Model scorecard: {name}" in page.text and "<b>bold</b> cohort" in page.text


def test_unicode_model_name_survives(tmp_path, rendered):
    name = "Modèle — 収入"
    page = _read_html(write_html(_classification(name), tmp_path / "unicode.html", charts={}))
    assert f"Model scorecard: {name}" in page.text
    scorecard, _, pdf, _ = rendered["classification"]
    assert scorecard.summary.model_name == "Modèle — Ωμέγα credit"
    assert f"Model scorecard: {scorecard.summary.model_name}" in _pdf_text(pdf)
