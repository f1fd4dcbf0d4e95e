"""What a reviewer sees of our runs in the MLflow UI: experiment kind, run descriptions and their links.

- MLflow 3.17's UI picks its GenAI or Model-training view from the URL's ``workflowType`` query, else
  from the browser's storage (``mlflow.workflowType_v1``, written only by the switch at the top left),
  else GenAI: the experiment tag ``mlflow.experimentKind`` no longer decides it. So every link we
  print or write carries ``?workflowType=machine_learning`` and lands in Model training; a first-time
  visitor who follows an experiment from the experiments list still lands on the GenAI overview,
  where the description we give experiments we create says, in its first line, where the runs are
  (a link to them in Model training). We still tag our experiments
  ``mlflow.experimentKind = custom_model_development`` for UIs that read it.
- A run's description is its ``mlflow.note.content`` tag (markdown). Steps write theirs in
  sections (``#### explain``, ``#### scorecard``); a description somebody else wrote (no
  ``explain_lib.note`` tag beside it) is never replaced.
- Links inside a description are relative to the UI (``#/experiments/<id>/runs/<id>``), so they
  work wherever the UI is served. A link to a file (``.../artifacts/<path>``) opens its preview. The
  UI opens every description link in a new tab (it adds ``target="_blank"`` to each one after
  sanitizing): a description cannot link in the same tab.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import InvalidParameterError

__all__ = ["EXPERIMENT_KIND", "EXPERIMENT_KIND_TAG", "MODEL_TRAINING", "NOTE_TAG", "artifact_link", "experiment_link",
           "experiment_note", "get_or_create_experiment", "markdown_text", "run_id_or_active", "run_link",
           "set_run_note", "ui_url"]

EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
EXPERIMENT_KIND = "custom_model_development"
NOTE_TAG = "mlflow.note.content"
NOTE_OWNER_TAG = "explain_lib.note"  # "true" while the description is the one we write
MAX_NOTE_CHARS = 7000  # a tag value holds at most 8000 characters in MLflow's SQL stores
MODEL_TRAINING = "workflowType=machine_learning"  # the query that opens MLflow 3's UI in its Model-training view
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


def experiment_note(experiment_id: str) -> str:
    """The description of an experiment we create: where its runs are, first. The experiments list shows the
    start of it as plain text (so it starts with words, not markup); the GenAI overview a first-time visitor
    lands on shows all of it, its link included."""
    return (f"Model training view: [open the runs]({experiment_link(experiment_id)}). explain-lib logs training runs "
            "(metrics, explanations, dashboards, scorecards), which MLflow's UI lists under Model training (the "
            "switch at the top left), not under GenAI.")


def get_or_create_experiment(client: Any, name: str) -> str:
    """The id of the experiment ``name``; created (tagged as a model-development experiment) when missing.

    ``client`` is an ``mlflow.MlflowClient``. An experiment we create gets the kind tag and a description
    that links its runs in the UI's Model-training view (:func:`experiment_note`). An experiment that
    already exists keeps its tags: it may be somebody else's.
    """
    from mlflow.exceptions import MlflowException

    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    try:
        experiment_id = client.create_experiment(name, tags={EXPERIMENT_KIND_TAG: EXPERIMENT_KIND})
    except MlflowException:  # created meanwhile by a concurrent process: use that one
        found = client.get_experiment_by_name(name)
        if found is None:
            raise
        return found.experiment_id
    client.set_experiment_tag(experiment_id, NOTE_TAG, experiment_note(experiment_id))
    return experiment_id


def experiment_link(experiment_id: str) -> str:
    """The UI-relative link of an experiment's runs, in the Model-training view."""
    return f"#/experiments/{experiment_id}/runs?{MODEL_TRAINING}"


def run_link(experiment_id: str, run_id: str, tab: str | None = None) -> str:
    """The UI-relative link of a run page (``tab``: ``artifacts``, ``model-metrics``, ...), in the Model-training
    view."""
    return f"#/experiments/{experiment_id}/runs/{run_id}" + (f"/{tab}" if tab else "") + f"?{MODEL_TRAINING}"


def artifact_link(experiment_id: str, run_id: str, path: str) -> str:
    """The UI-relative link that opens one artifact file's preview (``explanations/<id>/dashboard.html``).

    Examples
    --------
    >>> artifact_link("1", "abc", "explanations/e1/dashboard.html")
    '#/experiments/1/runs/abc/artifacts/explanations/e1/dashboard.html?workflowType=machine_learning'
    """
    from urllib.parse import quote

    return f"#/experiments/{experiment_id}/runs/{run_id}/artifacts/{quote(path.strip('/'), safe='/')}?{MODEL_TRAINING}"


def ui_url(tracking_uri: str, link: str) -> str | None:
    """The absolute URL of a UI-relative ``link`` on an HTTP tracking server (None for a local store: the UI is
    wherever ``mlflow ui`` serves it)."""
    from urllib.parse import urlparse

    parsed = urlparse(tracking_uri)
    if parsed.scheme not in ("http", "https"):
        return None
    base = parsed._replace(netloc=parsed.netloc.rpartition("@")[2], query="", fragment="").geturl().rstrip("/")
    return f"{base}/{link}"


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
