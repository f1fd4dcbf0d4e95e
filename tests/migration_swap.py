"""The import swap docs/migration.md documents (its sed line), applied to sample scripts in the tests."""

from __future__ import annotations

import re
from pathlib import Path

MIGRATION = Path(__file__).resolve().parents[1] / "docs" / "migration.md"


def _documented_swap() -> list[tuple[str, str]]:
    """(pattern, replacement) pairs of the sed line in docs/migration.md, as Python regular expressions."""
    line = re.search(r"sed -i -E '([^']+)'", MIGRATION.read_text()).group(1)
    pairs = []
    for command in line.split(";"):
        _, pattern, replacement, _ = command.strip().split("/")
        pairs.append((pattern, re.sub(r"\\(\d)", r"\\\1", replacement)))
    return pairs


def swap(text: str) -> str:
    for pattern, replacement in _documented_swap():
        text = re.sub(pattern, replacement, text)
    return text
