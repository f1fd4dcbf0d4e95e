"""What a reviewer sees of our runs in the MLflow UI: experiment kind, run descriptions and their links.

- Experiments we create carry the tag ``mlflow.experimentKind = custom_model_development``, so
  MLflow 3's UI opens them in its model-training mode (runs, metrics, artifacts) rather than the
  GenAI one (traces and judges).
- A run's description is its ``mlflow.note.content`` tag (markdown). Steps write theirs in
  sections (``#### explain``, ``#### scorecard``); a description somebody else wrote (no
  ``explain_lib.note`` tag beside it) is never replaced.
- Links inside a description are relative to the UI (``#/experiments/<id>/runs/<id>``), so they
  work wherever the UI is served; the UI opens them in a new tab.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import InvalidParameterError

__all__ = ["EXPERIMENT_KIND", "EXPERIMENT_KIND_TAG", "NOTE_TAG", "get_or_create_experiment", "markdown_text",
           "run_id_or_active", "run_link", "set_run_note"]

EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
EXPERIMENT_KIND = "custom_model_development"
NOTE_TAG = "mlflow.note.content"
NOTE_OWNER_TAG = "explain_lib.note"  # "true" while the description is the one we write
MAX_NOTE_CHARS = 7000  # a tag value holds at most 8000 characters in MLflow's SQL stores
_SECTION = re.compile(r"^#### (?P<title>.+)$", re.MULTILINE)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def run_id_or_active(run_id: str | None, caller: str) -> str:
    """``run_id``, else the active run's id; without either, an error naming ``caller`` and the fix."""
    import mlflow

    if run_id is not None:
        return run_id
    active = mlflow.active_run()
    if active is None:
        raise InvalidParameterError(f"{caller} needs run_id or an active MLflow run (mlflow.start_run()).")
    return active.info.run_id


def get_or_create_experiment(client: Any, name: str) -> str:
    """The id of the experiment ``name``; created (tagged as a model-development experiment) when missing.

    ``client`` is an ``mlflow.MlflowClient``. An experiment that already exists keeps its tags: it
    may be somebody else's.
    """
    from mlflow.exceptions import MlflowException

    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    try:
        return client.create_experiment(name, tags={EXPERIMENT_KIND_TAG: EXPERIMENT_KIND})
    except MlflowException:  # created meanwhile by a concurrent process: use that one
        found = client.get_experiment_by_name(name)
        if found is None:
            raise
        return found.experiment_id


def run_link(experiment_id: str, run_id: str, tab: str | None = None) -> str:
    """The UI-relative link of a run page (``tab``: ``artifacts``, ``model-metrics``, ...)."""
    return f"#/experiments/{experiment_id}/runs/{run_id}" + (f"/{tab}" if tab else "")


def markdown_text(text: object) -> str:
    """``text`` shown literally in markdown: HTML special characters as entities, markdown ones escaped."""
    plain = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", plain).replace("\n", " ").replace("\r", " ")


def _sections(note: str) -> list[tuple[str, str]]:
    """``(title, body)`` of each ``#### title`` section of a description we wrote, in order."""
    matches = list(_SECTION.finditer(note))
    return [(match["title"].strip(), note[match.end():matches[i + 1].start() if i + 1 < len(matches) else None]
             .strip("\n")) for i, match in enumerate(matches)]


def set_run_note(client: Any, run_id: str, body: str, *, section: str | None = None) -> bool:
    """Write the run's description: the whole of it, or one ``#### section`` of it (replaced or added).

    Nothing is written when the run already has a description that we did not write. A
    description longer than a tag holds is cut at a line end with a note saying so. Returns whether
    the description was written.
    """
    tags = client.get_run(run_id).data.tags
    current = tags.get(NOTE_TAG, "")
    if current.strip() and tags.get(NOTE_OWNER_TAG) != "true":
        return False
    if section is None:
        note = body
    else:
        sections = dict(_sections(current)) if current else {}
        sections[section] = body.strip("\n")
        note = "\n\n".join(f"#### {title}\n\n{text}" for title, text in sections.items())
    if len(note) > MAX_NOTE_CHARS:
        note = note[:note.rfind("\n", 0, MAX_NOTE_CHARS - 80)] + "\n\n*(description cut: too long for a run tag)*"
    client.set_tag(run_id, NOTE_OWNER_TAG, "true")
    client.set_tag(run_id, NOTE_TAG, note)
    return True
