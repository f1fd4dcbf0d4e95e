"""Self-contained HTML pages: vendored JS and CSS inline, data as JSON inside the page, no network.

The MLflow UI previews an ``.html`` artifact in ``<iframe sandbox="allow-scripts">`` from a blob URL:
inline scripts run, but relative links, ``fetch``, storage APIs and CDNs do not. So a report is one
file that carries everything::

    payload = {"values": encode_float32(matrix), "names": ["<b>age</b>", ...]}
    html = render_page(title="...", payload=payload, scripts=[vendored_js("echarts.min.js"), own_js],
                       styles=[own_css])

The payload sits in ``<script type="application/json" id="payload">`` (read it with
``JSON.parse(document.getElementById("payload").textContent)``); every ``<``, ``>``, ``&`` and
U+2028 / U+2029 in it is written as a ``\\uXXXX`` escape, so no user string can close the element or
open a tag. User strings reach the page only through the payload, and the page's script must put them
in the DOM as text (``textContent``), never as markup.

Arrays travel as base64 of little-endian float32 / float64 / int32 / uint8 bytes (:func:`encode_array`), about
5.3 characters per float32 instead of ~18 for a JSON number; the page decodes them with
``new Float32Array(Uint8Array.from(atob(b64), c => c.charCodeAt(0)).buffer)``.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Sequence
from importlib import resources
from typing import Any

import numpy as np

__all__ = ["encode_array", "json_for_script", "read_asset", "render_page", "vendored_js"]

_DTYPES = {"float32": "<f4", "float64": "<f8", "int32": "<i4", "uint8": "u1"}
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def encode_array(values: Any, dtype: str = "float32") -> dict[str, Any]:
    """``{"dtype", "shape", "b64"}``: the array's little-endian bytes in base64 (NaN stays NaN in float32)."""
    if dtype not in _DTYPES:
        raise ValueError(f"dtype must be one of {sorted(_DTYPES)}, got {dtype!r}")
    array = np.ascontiguousarray(np.asarray(values), dtype=_DTYPES[dtype])
    return {"dtype": dtype, "shape": list(array.shape), "b64": base64.b64encode(array.tobytes()).decode("ascii")}


def json_for_script(payload: Any) -> str:
    """JSON text that is safe inside ``<script type="application/json">``: no ``<``, ``>``, ``&``, U+2028/9.

    NaN and infinities are refused (JSON has none); put such numbers in an :func:`encode_array` array.
    """
    text = json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for char, escape in _JSON_ESCAPES.items():
        text = text.replace(char, escape)
    return text


def read_asset(package: str, name: str) -> str:
    """The text of a file shipped as package data (``read_asset("explain_lib.report.dashboard", "x.js")``)."""
    return resources.files(package).joinpath(name).read_text(encoding="utf-8")


def vendored_js(name: str = "echarts.min.js") -> str:
    """A vendored library from ``explain_lib/report/_vendor`` (rebuilt by ``make vendor``)."""
    return read_asset("explain_lib.report", f"_vendor/{name}")


def _inline_script(code: str) -> str:
    # "</script" inside code would end the element early; "<\/script" means the same in JS strings.
    return "<script>" + code.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT") + "</script>"


def _inline_style(css: str) -> str:
    return "<style>" + css.replace("</style", "<\\/style") + "</style>"


def render_page(*, title: str, payload: Any, scripts: Sequence[str], styles: Sequence[str] = (),
                body: str = '<div id="app"></div>', lang: str = "en") -> str:
    """One HTML document: styles, ``body`` (trusted markup), the JSON payload, then the scripts in order.

    A Content-Security-Policy meta tag allows nothing from the network (``default-src 'none'``) and
    only inline scripts, styles and ``data:`` / ``blob:`` images, so a page that tried to load
    anything would be stopped by the browser too.
    """
    policy = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
              "img-src data: blob:; font-src data:")
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{html.escape(lang)}"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        *(_inline_style(css) for css in styles),
        "</head><body>",
        body,
        f'<script type="application/json" id="payload">{json_for_script(payload)}</script>',
        *(_inline_script(code) for code in scripts),
        "</body></html>",
    ]
    return "\n".join(parts)
