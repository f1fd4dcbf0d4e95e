"""MkDocs hooks: the README as the home page, and the docstrings' reStructuredText roles as plain code.

The site's home page is the repository's README.md. It links to the docs as ``docs/<page>.md`` (right
on a code host); on the site those pages are siblings of the home page, so the prefix is dropped, and
LICENSE / CHANGELOG.md become the site's pages that include them. Everything else is used as is.

The docstrings use reStructuredText roles (``:class:`~explain_lib.Explanation```) that mkdocstrings
shows verbatim; on the API pages the role prefix is dropped (the name stays, as code), and a paragraph's
trailing ``::`` (which introduces a literal block) becomes ``:``.
"""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def on_page_markdown(markdown: str, page, config, files) -> str:  # noqa: ARG001 - MkDocs' hook signature
    if page.file.src_uri != "index.md":
        return markdown
    text = re.sub(r"\]\(docs/", "](", README.read_text(encoding="utf-8"))
    return text.replace("](LICENSE)", "](license.md)").replace("](CHANGELOG.md)", "](changelog.md)")


_ROLE = re.compile(r":(?:class|func|meth|mod|attr|data|exc|obj):(?=<code>)")
_TILDE = re.compile(r"<code>~(?:[\w.]+\.)?(\w+)</code>")


def on_page_content(html: str, page, config, files) -> str:  # noqa: ARG001 - MkDocs' hook signature
    if not page.file.src_uri.startswith("api/"):
        return html
    html = _TILDE.sub(r"<code>\1</code>", _ROLE.sub("", html))
    return html.replace("::</p>", ":</p>")
