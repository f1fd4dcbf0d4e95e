"""Stable copies of a run's newest explanation at the artifact root, so runs line up in Compare runs.

Every upload's files live under ``explanations/<id>/``, a path no other run has; MLflow's Compare runs
page shows side by side only the *files at the artifact root* that every compared run has. So after
its commit marker an upload makes these root files copies of the run's newest upload that wrote them
(by upload time, then id)::

    explanation_dashboard.html     explanations/<id>/dashboard.html
    explanation_importance.png     explanations/<id>/plots/global_importance.png
    explanation_summary.png        explanations/<id>/plots/beeswarm.png (multiclass: the first class's beeswarm)

Each marker says which files its upload wrote (``dashboard`` / ``plots``), so an upload without a
dashboard leaves the previous one's in place, and the dashboard names its explanation in its header.
Concurrent uploads: a writer that finds, after copying, that a newer upload committed meanwhile copies
again from that one (downloading its files), so the last writer to finish leaves the newest's files.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from mlflow.exceptions import MlflowException

from . import _artifacts as art

__all__ = ["STABLE_FILES", "publish_newest"]

DASHBOARD_COPY = "explanation_dashboard.html"
IMPORTANCE_COPY = "explanation_importance.png"
SUMMARY_COPY = "explanation_summary.png"
STABLE_FILES = (DASHBOARD_COPY, IMPORTANCE_COPY, SUMMARY_COPY)
_ATTEMPTS = 6


def _committed(tags: dict[str, str]) -> list[dict[str, Any]]:
    entries = []
    for key, value in tags.items():
        if key.startswith(art.TAG_PREFIX):
            try:
                entry = json.loads(value)
            except json.JSONDecodeError:
                continue
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                entries.append(entry)
    return entries


def _newest(entries: list[dict[str, Any]], kind: str) -> str | None:
    """The id of the newest upload that wrote ``kind`` (``dashboard`` / ``plots``; older markers: assumed)."""
    having = [e for e in entries if e.get(kind, True)]
    if not having:
        return None
    return max(having, key=lambda e: (e.get("upload_time") or "", e["id"]))["id"]


def _sources(files: Path) -> dict[str, str]:
    """Stable name -> path inside an upload's folder, for the files that folder has."""
    plots = files / art.PLOTS_DIR
    beeswarms = sorted(p.name for p in plots.glob("beeswarm*.png")) if plots.is_dir() else []
    wanted = {DASHBOARD_COPY: art.DASHBOARD_FILE, IMPORTANCE_COPY: f"{art.PLOTS_DIR}/global_importance.png",
              SUMMARY_COPY: f"{art.PLOTS_DIR}/{beeswarms[0]}" if beeswarms else None}
    return {name: path for name, path in wanted.items() if path and (files / path).is_file()}


def _copy(client: Any, run_id: str, explanation_id: str, own_id: str, own_files: Path, names: set[str]) -> None:
    """Upload the root copies ``names`` of explanation ``explanation_id``'s files."""
    with tempfile.TemporaryDirectory(prefix="explain-lib-newest-") as tmp:
        folder = own_files
        if explanation_id != own_id:  # a newer upload committed meanwhile: its files, from the run
            folder = Path(tmp, "source")
            folder.mkdir()
            for path in (art.DASHBOARD_FILE, art.PLOTS_DIR):
                try:
                    client.download_artifacts(run_id, f"{art.ARTIFACT_ROOT}/{explanation_id}/{path}", str(folder))
                except (MlflowException, OSError):
                    continue  # that upload has no such file
        staged = Path(tmp, "stable")
        staged.mkdir()
        for name, path in _sources(folder).items():
            if name in names:
                shutil.copyfile(folder / path, staged / name)
        if any(staged.iterdir()):
            client.log_artifacts(run_id, str(staged))


def publish_newest(client: Any, run_id: str, own_id: str, own_files: Path) -> None:
    """Make the run's root copies those of its newest uploads (see the module docstring)."""
    done: dict[str, str | None] = {}
    for _ in range(_ATTEMPTS):
        entries = _committed(client.get_run(run_id).data.tags)
        wanted = {"dashboard": _newest(entries, "dashboard"), "plots": _newest(entries, "plots")}
        if wanted == done:
            return
        for kind, names in (("dashboard", {DASHBOARD_COPY}), ("plots", {IMPORTANCE_COPY, SUMMARY_COPY})):
            if wanted[kind] is not None and wanted[kind] != done.get(kind):
                _copy(client, run_id, wanted[kind], own_id, own_files, names)
        done = wanted
