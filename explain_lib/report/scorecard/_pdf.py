"""The scorecard as a PDF, laid out with fpdf2.

A4 pages with the model name in the header and ``Page i / n`` in the footer; text in DejaVu Sans
(shipped with matplotlib), so accents, Greek, Cyrillic and symbols print (DejaVu has no CJK glyphs:
those are dropped with a warning from fpdf2). Tables use fpdf2's ``table()``, which breaks pages by
itself; charts come from :func:`._charts.charts` as PNG bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.fonts import FontFace

from ._charts import CHART_DPI, chart_key
from ._charts import charts as draw_charts
from ._result import MetricValue, Scorecard, TargetResult, format_value
from ._wording import COHORT_NOTE, EMPTY, SECTIONS, summary_facts, verdict_line

__all__ = ["write_pdf"]

_FONT = "DejaVu"
_FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_GREEN, _RED, _GREY, _INK = (27, 127, 59), (179, 38, 30), (110, 110, 110), (33, 33, 33)
_ZEBRA, _WHITE, _RULE = (246, 248, 251), (255, 255, 255), (200, 205, 212)
_HEADINGS_STYLE = FontFace(family=_FONT, emphasis="BOLD", fill_color=(232, 237, 244))
_VERDICT_STYLES = {
    "met": FontFace(family=_FONT, emphasis="BOLD", color=_GREEN),
    "missed": FontFace(family=_FONT, emphasis="BOLD", color=_RED),
}
_PAGES_ALIAS = "{explain-lib-total-pages}"  # not "{nb}", which a model name could hold
_HEADER_CHARS = 80  # what fits in the page header at 8 pt
_MM_PER_INCH = 25.4
_LINE = 5.0


# ---------------------------------------------------------------------------------------------- helpers
class _ScorecardPDF(FPDF):
    """An A4 FPDF whose every page carries the model name on top and its page number below."""

    def __init__(self, model_name: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.model_name = model_name
        self.add_font(_FONT, "", _FONT_DIR / "DejaVuSans.ttf")
        self.add_font(_FONT, "B", _FONT_DIR / "DejaVuSans-Bold.ttf")
        self.alias_nb_pages(_PAGES_ALIAS)
        self.set_margins(15, 18, 15)
        self.set_auto_page_break(auto=True, margin=16)

    def header(self) -> None:
        self.set_font(_FONT, "", 8)
        self.set_text_color(*_GREY)
        self.set_y(8)
        name = self.model_name if len(self.model_name) <= _HEADER_CHARS else self.model_name[: _HEADER_CHARS - 1] + "…"
        self.cell(self.epw * 0.75, 5, name, align="L")
        self.cell(0, 5, "Model scorecard", align="R", new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(200, 200, 200)
        self.line(self.l_margin, 14, self.w - self.r_margin, 14)
        self.set_y(18)
        self.set_text_color(*_INK)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(_FONT, "", 8)
        self.set_text_color(*_GREY)
        self.cell(self.epw - 25, 5, "explain-lib scorecard", align="L")
        # left-aligned: fpdf2 measures the alias, not the page count that replaces it, so it cannot centre it
        self.cell(25, 5, f"Page {self.page_no()} / {_PAGES_ALIAS}", align="L")
        self.set_text_color(*_INK)


def _heading(pdf: FPDF, text: str) -> None:
    if pdf.get_y() > pdf.page_break_trigger - 40:  # keep a heading with what follows it
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font(_FONT, "B", 15)
    pdf.cell(0, 9, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FONT, "", 10)


def _subheading(pdf: FPDF, text: str) -> None:
    if pdf.get_y() > pdf.page_break_trigger - 25:
        pdf.add_page()
    pdf.ln(2)
    pdf.set_font(_FONT, "B", 11)
    pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FONT, "", 10)


def _paragraph(pdf: FPDF, text: str) -> None:
    pdf.set_font(_FONT, "", 10)
    pdf.multi_cell(0, _LINE, text, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _table(
    pdf: FPDF,
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    col_widths: Sequence[float] | None = None,
    verdict_column: int | None = None,
) -> None:
    """A table with a heading row; the cells of ``verdict_column`` saying met / missed in green / red."""
    pdf.set_font(_FONT, "", 9)
    pdf.set_draw_color(*_RULE)
    pdf.set_line_width(0.2)
    with pdf.table(
        col_widths=col_widths, text_align="LEFT", headings_style=_HEADINGS_STYLE, line_height=_LINE,
        padding=1, borders_layout="HORIZONTAL_LINES", cell_fill_mode="ROWS", cell_fill_color=_ZEBRA,
    ) as table:
        heading_row = table.row()
        for heading in headings:
            heading_row.cell(heading)
        for cells in rows:
            row = table.row()
            for index, text in enumerate(cells):
                row.cell(text, style=_VERDICT_STYLES.get(text) if index == verdict_column else None)
    pdf.set_font(_FONT, "", 10)
    pdf.ln(2)


def _image(pdf: FPDF, png: bytes | None, title: str) -> None:
    if png is None:
        return
    pixels_wide = int.from_bytes(png[16:20], "big")  # the PNG IHDR chunk: width, then height
    width = min(pdf.epw, pixels_wide / CHART_DPI * _MM_PER_INCH)
    pdf.image(io.BytesIO(png), x=pdf.l_margin + (pdf.epw - width) / 2, w=width, title=title, alt_text=title)
    pdf.ln(3)


def _target_cells(target: TargetResult | None) -> list[str]:  # informational verdicts have no colour style
    return [str(target.threshold), target.verdict] if target is not None else ["—", "—"]


def _metric_table(pdf: FPDF, metrics: Sequence[MetricValue]) -> None:
    if not metrics:
        _paragraph(pdf, EMPTY["metrics"])
        return
    rows = [[m.label, format_value(m.value), *_target_cells(m.target)] for m in metrics]
    _table(pdf, ["Metric", "Value", "Target", "Verdict"], rows, col_widths=(4, 2, 2, 2), verdict_column=3)


def _banner(pdf: FPDF, scorecard: Scorecard) -> None:
    colour = _GREY if not scorecard.targets else _GREEN if scorecard.passed else _RED
    pdf.set_fill_color(*colour)
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(_FONT, "B", 14)
    pdf.multi_cell(0, 12, verdict_line(scorecard), align="C", fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*_INK)
    pdf.set_fill_color(*_WHITE)
    pdf.set_font(_FONT, "", 10)
    pdf.ln(3)


def _summary(pdf: FPDF, scorecard: Scorecard) -> None:
    _heading(pdf, SECTIONS[0])
    _banner(pdf, scorecard)
    _table(pdf, ["Fact", "Value"], summary_facts(scorecard.summary), col_widths=(1, 3))
    if scorecard.targets:
        _subheading(pdf, "Targets")
        rows = [[t.label, format_value(t.value), str(t.threshold), t.verdict] for t in scorecard.targets]
        _table(pdf, ["Target", "Value", "Threshold", "Verdict"], rows, col_widths=(4, 2, 2, 2), verdict_column=3)


def _performance(pdf: FPDF, scorecard: Scorecard, pngs: dict[str, bytes]) -> None:
    performance = scorecard.performance
    _heading(pdf, SECTIONS[1])
    _metric_table(pdf, performance.metrics)
    for sentence in performance.sentences:
        _paragraph(pdf, sentence)
    if performance.task == "regression":
        if performance.errors:
            _subheading(pdf, "Error distribution")
            _image(pdf, pngs.get(chart_key("performance")), "Histogram of prediction errors")
    elif performance.confusion:
        _subheading(pdf, "Confusion matrix (rows: true class, columns: predicted class)")
        labels, confusion = performance.labels, performance.confusion
        rows = [[label, *(f"{n:,}" for n in counts)] for label, counts in zip(labels, confusion, strict=True)]
        _table(pdf, ["True \\ predicted", *labels], rows, col_widths=(2, *[1] * len(labels)))
        _image(pdf, pngs.get(chart_key("performance")), "Confusion matrix")


def _data_explorer(pdf: FPDF, scorecard: Scorecard, pngs: dict[str, bytes]) -> None:
    _heading(pdf, SECTIONS[2])
    if not scorecard.data_explorer:
        _paragraph(pdf, EMPTY["data_explorer"])
    for index, feature in enumerate(scorecard.data_explorer):
        _subheading(pdf, f"{feature.feature} ({feature.kind})")
        if not feature.bins:
            _paragraph(pdf, EMPTY["bins"])
            continue
        rows = [[b.label, f"{b.count:,}", format_value(b.metric)] for b in feature.bins]
        _table(pdf, ["Bin", "Rows", feature.metric_label], rows, col_widths=(3, 1, 2))
        _image(pdf, pngs.get(chart_key("explorer", index)), f"Rows and {feature.metric_label} by {feature.feature}")


def _cohorts(pdf: FPDF, scorecard: Scorecard) -> None:
    _heading(pdf, SECTIONS[3])
    if not scorecard.cohorts:
        _paragraph(pdf, EMPTY["cohorts"])
    elif scorecard.cohort_targets:
        _paragraph(pdf, COHORT_NOTE)
    for cohort in scorecard.cohorts:
        _subheading(pdf, cohort.name)
        if cohort.description:
            _paragraph(pdf, cohort.description)
        _paragraph(pdf, f"Size: {cohort.size:,} rows")
        _metric_table(pdf, cohort.metrics)


def _feature_importance(pdf: FPDF, scorecard: Scorecard, pngs: dict[str, bytes]) -> None:
    importance = scorecard.feature_importance
    _heading(pdf, SECTIONS[4])
    if importance is None:
        _paragraph(pdf, EMPTY["feature_importance"])
        return
    _paragraph(pdf, f"Top {len(importance.features)} features, from explanation {importance.explanation_id} "
                    f"({importance.method}, {importance.output_space} space).")
    if importance.features:
        rows = [[str(rank), name, format_value(value)] for rank, (name, value) in enumerate(importance.features, 1)]
        _table(pdf, ["Rank", "Feature", "Importance"], rows, col_widths=(1, 5, 2))
        _image(pdf, pngs.get(chart_key("feature_importance")), "Feature importance")


def _fairness(pdf: FPDF, scorecard: Scorecard, pngs: dict[str, bytes]) -> None:
    _heading(pdf, SECTIONS[5])
    if not scorecard.fairness:
        _paragraph(pdf, EMPTY["fairness"])
    for index, result in enumerate(scorecard.fairness):
        _subheading(pdf, f"{result.metric_label} by {result.sensitive_feature}")
        if result.groups:
            rows = [[g.label, f"{g.count:,}", format_value(g.value)] for g in result.groups]
            _table(pdf, ["Group", "Rows", result.metric_label], rows, col_widths=(3, 1, 2))
        else:
            _paragraph(pdf, EMPTY["groups"])
        disparity = [f"Disparity ({result.kind})", format_value(result.value), *_target_cells(result.target)]
        _table(pdf, ["Measure", "Value", "Target", "Verdict"], [disparity], col_widths=(4, 2, 2, 2), verdict_column=3)
        if result.note:
            _paragraph(pdf, result.note)
        _image(pdf, pngs.get(chart_key("fairness", index)), f"{result.metric_label} by {result.sensitive_feature}")


# ----------------------------------------------------------------------------------------------- public
def write_pdf(scorecard: Scorecard, path: str | Path, *, charts: dict[str, bytes] | None = None) -> Path:
    """Write ``scorecard`` as a PDF at ``path``.

    Parameters
    ----------
    scorecard
        The facts to lay out, section by section (summary and targets, performance, data explorer,
        cohorts, feature importance, fairness).
    path
        Where to write the file; its folder must exist.
    charts
        PNG charts from :func:`._charts.charts`, to share one drawing with the HTML; drawn here when None.

    Returns
    -------
    Path
        ``path``.
    """
    pngs = draw_charts(scorecard) if charts is None else charts
    name = scorecard.summary.model_name
    pdf = _ScorecardPDF(name)
    pdf.set_title(name)
    pdf.set_subject("Model scorecard")
    pdf.set_creator("explain-lib")
    pdf.set_lang("en")
    pdf.add_page()
    pdf.set_font(_FONT, "B", 18)
    pdf.multi_cell(0, 9, f"Model scorecard: {name}", new_x="LMARGIN", new_y="NEXT")
    _summary(pdf, scorecard)
    _performance(pdf, scorecard, pngs)
    _data_explorer(pdf, scorecard, pngs)
    _cohorts(pdf, scorecard)
    _feature_importance(pdf, scorecard, pngs)
    _fairness(pdf, scorecard, pngs)
    path = Path(path)
    pdf.output(str(path))
    return path
