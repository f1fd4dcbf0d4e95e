"""Names and values as MLflow stores them: valid, unique metric keys; tag values that fit the store.

Every metric key explain-lib logs is made here, from the original names (features, cohorts,
sensitive features, comments), which reports keep as they are:

* each part keeps letters, digits, ``_ - .`` and spaces; anything else becomes ``_``, and a part
  that would be empty or only dots (``..``: a key that resolves to another path) becomes ``_``;
* a key longer than MLflow's 250 characters is cut and ends with a digest of the whole, so two
  long names never share a key;
* :class:`MetricKeys` gives different names different keys (``_2``, ``_3``, ... on a collision)
  and the same name the same key.

MLflow refuses other metric names only after earlier writes of the same step have happened, and a
sqlite store silently truncates a tag value beyond 8000 characters: checking before the first write
is what keeps a run from being half-logged.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from .errors import InvalidParameterError

__all__ = ["MAX_METRIC_KEY_LENGTH", "MetricKeys", "check_tags", "key_part", "tag_value_limit", "tag_json"]

MAX_METRIC_KEY_LENGTH = 250  # mlflow.utils.validation.MAX_ENTITY_KEY_LENGTH
_UNSAFE = re.compile(r"[^A-Za-z0-9_\-. ]+")
_DIGEST = 8


def key_part(name: Any) -> str:
    """One part of a metric key: MLflow's safe characters only, never empty, never only dots."""
    part = _UNSAFE.sub("_", str(name)).strip(" ")
    return "_" if not part or set(part) <= {"."} else part


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:_DIGEST]


class MetricKeys:
    """Hands out one valid MLflow metric key per distinct name (a tuple of parts).

    ``key(*parts)`` joins the parts' safe forms with ``sep``. A key over 250 characters has its
    longest part cut and ended with a digest of that part; a name asked for again gets its key
    again; another name whose key is taken gets ``_2``, ``_3``, ... on the part that had to be made
    safe (else the last), so ``<cohort>.<metric>`` and ``<cohort>.<metric>.met`` stay side by side.
    """

    def __init__(self, sep: str = ".") -> None:
        self.sep = sep
        self._by_name: dict[tuple[str, ...], str] = {}
        self._taken: set[str] = set()

    def _join(self, parts: list[str]) -> str:
        excess = len(self.sep.join(parts)) - MAX_METRIC_KEY_LENGTH
        if excess > 0:
            longest = max(range(len(parts)), key=lambda i: len(parts[i]))
            keep = max(1, len(parts[longest]) - excess - _DIGEST - 1)
            parts = [*parts[:longest], f"{parts[longest][:keep].rstrip(' ')}_{_digest(parts[longest])}",
                     *parts[longest + 1:]]
        return self.sep.join(parts)

    def key(self, *parts: Any) -> str:
        name = tuple(str(part) for part in parts)
        if name in self._by_name:
            return self._by_name[name]
        safe = [key_part(part) for part in name]
        changed = [i for i, (part, made) in enumerate(zip(name, safe, strict=True)) if part != made]
        at = changed[0] if changed else len(safe) - 1
        key, n = self._join(safe), 1
        while key in self._taken:
            n += 1
            key = self._join([*safe[:at], f"{safe[at]}_{n}", *safe[at + 1:]])
        self._taken.add(key)
        self._by_name[name] = key
        return key


def tag_value_limit() -> int:
    """The longest tag value (in characters) MLflow stores whole: its own check's limit, 8000 in sqlite."""
    from mlflow.utils.validation import MAX_TAG_VAL_LENGTH

    return int(MAX_TAG_VAL_LENGTH)


def tag_json(value: Any) -> str:
    """A tag value as compact JSON; non-ASCII text stays as it is (``\\uXXXX`` would take 6-12 characters)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def check_tags(tags: Mapping[str, str], *, what: str) -> dict[str, str]:
    """Refuse, before anything is written, a tag whose value the store would truncate; returns ``tags``."""
    limit = tag_value_limit()
    for key, value in tags.items():
        if len(value) > limit:
            raise InvalidParameterError(
                f"{what}: the run tag {key!r} would hold {len(value)} characters, more than the {limit} the "
                "MLflow store keeps (it would cut the value). Shorten the text it carries (a comment, names)."
            )
        if len(key) > MAX_METRIC_KEY_LENGTH:
            raise InvalidParameterError(f"{what}: the run tag key {key[:60]!r}... is longer than "
                                        f"{MAX_METRIC_KEY_LENGTH} characters.")
    return dict(tags)
