"""The scorecard as one self-contained HTML file, rendered from a packaged Jinja2 template.

The page has inline CSS, charts as ``data:image/png;base64`` URIs, no script and no URL, so the
MLflow UI can preview it in its sandboxed iframe and it prints cleanly. Autoescaping is on: every
text taken from the scorecard (model name, feature names, cohort names, ...) is escaped.
"""

from __future__ import annotations

import base64
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from ._charts import chart_key
from ._charts import charts as draw_charts
from ._result import Scorecard, format_value
from ._wording import COHORT_NOTE, EMPTY, SECTIONS, summary_facts, verdict_line

__all__ = ["write_html"]

_TEMPLATE = "scorecard.html.j2"


# ---------------------------------------------------------------------------------------------- helpers
def _thousands(count: int) -> str:
    return f"{count:,}"


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("explain_lib.report.scorecard", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    environment.filters["value"] = format_value
    environment.filters["thousands"] = _thousands
    return environment


def _status(scorecard: Scorecard) -> str:
    """The banner's CSS class: ``passed``, ``failed`` or ``none`` (no targets)."""
    if not scorecard.targets:
        return "none"
    return "passed" if scorecard.passed else "failed"


# ----------------------------------------------------------------------------------------------- public
def write_html(scorecard: Scorecard, path: str | Path, *, charts: dict[str, bytes] | None = None) -> Path:
    """Write ``scorecard`` as one self-contained HTML file at ``path``.

    Parameters
    ----------
    scorecard
        The facts to lay out, in the same sections and order as the PDF.
    path
        Where to write the file (UTF-8); its folder must exist.
    charts
        PNG charts from :func:`._charts.charts`, to share one drawing with the PDF; drawn here when None.

    Returns
    -------
    Path
        ``path``.
    """
    pngs = draw_charts(scorecard) if charts is None else charts
    images = {key: "data:image/png;base64," + base64.b64encode(png).decode("ascii") for key, png in pngs.items()}
    html = _environment().get_template(_TEMPLATE).render(
        scorecard=scorecard,
        summary=scorecard.summary,
        performance=scorecard.performance,
        facts=summary_facts(scorecard.summary),
        status=_status(scorecard),
        verdict_text=verdict_line(scorecard),
        cohort_note=COHORT_NOTE,
        sections=SECTIONS,
        empty=EMPTY,
        images=images,
        chart_key=chart_key,
    )
    path = Path(path)
    path.write_text(html, encoding="utf-8")
    return path
