"""The writers of an explanation's pictures and page, found by name, so lower layers never import the report layer.

Two writers exist, both in :mod:`explain_lib.report`:

``"plots"``
    ``(explanation, directory, *, max_rows) -> list[str]``: the PNG plots written into ``directory``
    (their file names); :func:`explain_lib.report.save_plots`.
``"dashboard"``
    ``(path, explanation, **options) -> Path``: the self-contained dashboard page;
    :func:`explain_lib.report.dashboard.write_dashboard`.

:meth:`Explanation.to_html <explain_lib.Explanation.to_html>` (core) and the upload of
:class:`~explain_lib.tracking.ExplanationClient` (tracking) ask for them here. The package root,
``explain_lib/__init__.py``, which sits above every layer, registers the report layer's writers; each
is imported on first use, so ``import explain_lib`` does not load matplotlib or the page templates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import ExplainLibError

__all__ = ["register", "renderer"]

_LOADERS: dict[str, Callable[[], Callable[..., Any]]] = {}


def register(name: str, loader: Callable[[], Callable[..., Any]]) -> None:
    """Make ``loader()`` the source of the writer called ``name`` (it is called on each lookup)."""
    _LOADERS[name] = loader


def renderer(name: str) -> Callable[..., Any]:
    """The writer registered as ``name`` ("plots" or "dashboard")."""
    try:
        loader = _LOADERS[name]
    except KeyError:
        raise ExplainLibError(
            f"No {name!r} writer is registered (known: {sorted(_LOADERS)}). The package root registers them; "
            "import explain_lib (not a file of it by path) before writing plots or dashboards."
        ) from None
    return loader()
