"""An explanation in a notebook (Jupyter, VS Code, Databricks): its dashboard, inline.

Notebook front ends show an object's ``_repr_html_`` as HTML. The dashboard is one self-contained page
(data, scripts and styles inline, nothing fetched), so it goes whole into ``<iframe srcdoc=...
sandbox="allow-scripts">``: its script runs, apart from the notebook's own page and styles, in the same
sandbox the MLflow UI previews ``dashboard.html`` in. At most ``max_rows`` rows (a seeded sample, as in an
upload) go into the page, so a saved notebook stays small; a note above the frame says so when the
explanation has more. Global and per-class importances are always the explanation's own, over all rows.

The page is written by :meth:`Explanation.to_html` (the core never imports the report layer itself).
"""

from __future__ import annotations

import html
import tempfile
from pathlib import Path
from typing import Any

from ._validation import check_positive_int

__all__ = ["FRAME_HEIGHT", "NOTEBOOK_ROWS", "dashboard_frame"]

NOTEBOOK_ROWS = 1000  # rows in a notebook's dashboard: ~1.3 MB of page for 14 features, ECharts included
FRAME_HEIGHT = 860  # pixels; the page scrolls inside the frame


def _note(n_rows: int | None, max_rows: int) -> str | None:
    if n_rows is None or n_rows <= max_rows:
        return None
    return (f"Showing a seeded sample of {max_rows:,} of {n_rows:,} rows in the row views; importances are over "
            f"all {n_rows:,} rows. explain_lib.show(explanation, max_rows=...) shows more or fewer.")


def frame(page: str, *, note: str | None = None, height: int = FRAME_HEIGHT,
          title: str = "explain-lib dashboard") -> str:
    """The notebook markup: an optional note, then ``page`` in a sandboxed iframe's ``srcdoc``."""
    parts = ['<div class="explain-lib-dashboard">']
    if note:
        parts.append('<p class="explain-lib-note" style="margin:0 0 4px;font-size:13px;color:#555">'
                     f"{html.escape(note)}</p>")
    parts.append(f'<iframe sandbox="allow-scripts" title="{html.escape(title)}" '
                 f'style="width:100%;height:{int(height)}px;border:1px solid #ddd;border-radius:4px" '
                 f'srcdoc="{html.escape(page, quote=True)}"></iframe></div>')
    return "".join(parts)


def dashboard_frame(explanation: Any, *, max_rows: int = NOTEBOOK_ROWS, height: int = FRAME_HEIGHT,
                    true_ys: Any = None, title: str | None = None) -> str:
    """The notebook markup of ``explanation``'s dashboard, with at most ``max_rows`` rows in it."""
    max_rows = check_positive_int(max_rows, "max_rows", allow_none=False)
    height = check_positive_int(height, "height", allow_none=False)
    with tempfile.TemporaryDirectory(prefix="explain-lib-notebook-") as folder:
        path = explanation.to_html(Path(folder, "dashboard.html"), visualization_points=max_rows, true_ys=true_ys,
                                   title=title)
        page = Path(path).read_text(encoding="utf-8")
    return frame(page, note=_note(explanation.n_rows, max_rows), height=height,
                 title=f"explain-lib dashboard: {title or explanation.method}")
