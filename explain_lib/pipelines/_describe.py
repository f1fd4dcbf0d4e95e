"""The parent run's description: what a pipeline run did, in markdown, from its step runs' records.

Read from the step runs themselves (their tags, metrics and artifact lists), so it says what was
logged, not what was planned::

    **<pipeline>** (<file>): 3 steps, FINISHED
    | step run | status | outputs |              one row per step, its run linked
    **Top features** of explanation <id> ...    the newest explanation of the pipeline, ranked
    **Dashboard** / **Scorecard** links          artifacts found in the step runs
    **Verdict**                                  the scorecard's targets (and the comparison's gate)
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..tracking._ui import markdown_text, run_link

__all__ = ["StepRecord", "describe_pipeline"]

TOP_FEATURES = 5
_EXPLANATION_TAG = "explain_lib.explanation."
_SCORECARD_TAG = "scorecard.passed"
_COMPARE_TAG = "compare.passed"
_ERROR_TAG = "explain_lib.pipeline.error"


@dataclass(frozen=True)
class StepRecord:
    """One job of the pipeline as run: its name and run id (None when it never started)."""

    name: str
    run_id: str | None


def _artifact_link(experiment_id: str, run_id: str, path: str) -> str:
    """A link to the run's artifact view naming the file (the UI opens the tab; the file is clicked there)."""
    return f"[{markdown_text(path)}]({run_link(experiment_id, run_id, 'artifacts')})"


def _newest_explanation(runs: Sequence[Any]) -> tuple[Any, dict[str, Any]] | None:
    """``(run, list entry)`` of the newest committed explanation among the runs."""
    found = []
    for run in runs:
        for key, value in run.data.tags.items():
            if key.startswith(_EXPLANATION_TAG):
                try:
                    found.append((json.loads(value).get("upload_time") or "", run, json.loads(value)))
                except json.JSONDecodeError:
                    continue
    if not found:
        return None
    _, run, entry = max(found, key=lambda item: item[0])
    return run, entry


def _explanation_lines(client: Any, experiment_id: str, run: Any, entry: dict[str, Any]) -> list[str]:
    explanation_id = entry["id"]
    folder = f"explanations/{explanation_id}"
    with tempfile.TemporaryDirectory(prefix="explain-lib-describe-") as tmp:
        meta = json.loads(Path(client.download_artifacts(run.info.run_id, f"{folder}/explanation.json", tmp))
                          .read_text(encoding="utf-8"))
    ranked = (meta.get("upload") or {}).get("ranked") or {}
    names, values = ranked.get("features", [])[:TOP_FEATURES], ranked.get("global", [])[:TOP_FEATURES]
    source = f"[{markdown_text(run.info.run_name)}]({run_link(experiment_id, run.info.run_id)})"
    lines = [f"**Top features** of explanation `{explanation_id}` ({markdown_text(meta.get('method'))}, mean "
             f"\\|value\\| in {markdown_text(meta.get('output_space'))} space, step {source}):", ""]
    lines += [f"{rank}. {markdown_text(name)}: {value:.4g}" for rank, (name, value) in
              enumerate(zip(names, values, strict=False), start=1)]
    files = {Path(item.path).name for item in client.list_artifacts(run.info.run_id, folder)}
    if "dashboard.html" in files:
        lines += ["", f"**Dashboard**: {_artifact_link(experiment_id, run.info.run_id, f'{folder}/dashboard.html')}"
                      f" in step {source}"]
    return lines


def _missed_targets(run: Any) -> list[str]:
    """``name = value`` of every scorecard target the run missed (cohort rows inform, they do not gate)."""
    metrics = run.data.metrics
    missed = []
    for key, met in sorted(metrics.items()):
        if key.endswith(".met") and key.startswith("scorecard.") and not key.startswith("scorecard.cohort.") \
                and met == 0:
            target = key.removesuffix(".met")
            value = metrics.get(target)
            missed.append(f"{markdown_text(target.removeprefix('scorecard.'))}"
                          + ("" if value is None else f" = {value:.4g}"))
    return missed


def _scorecard_lines(client: Any, experiment_id: str, run: Any) -> list[str]:
    passed = run.data.tags[_SCORECARD_TAG] == "true"
    n_targets = sum(1 for key in run.data.metrics if key.endswith(".met") and not key.startswith("scorecard.cohort."))
    missed = _missed_targets(run)
    verdict = f"passed: all {n_targets} targets met" if passed else \
        f"**missed** {len(missed)} of {n_targets} targets: " + "; ".join(missed)
    files = sorted(Path(item.path).name for item in client.list_artifacts(run.info.run_id, "scorecard")
                   if item.path.endswith((".html", ".pdf")))
    links = ", ".join(_artifact_link(experiment_id, run.info.run_id, f"scorecard/{name}") for name in files)
    source = f"[{markdown_text(run.info.run_name)}]({run_link(experiment_id, run.info.run_id)})"
    return [f"**Scorecard** (step {source}): {verdict}." + (f" Files: {links}." if links else "")]


def _compare_lines(experiment_id: str, run: Any) -> list[str]:
    tags, metrics = run.data.tags, run.data.metrics
    source = f"[{markdown_text(run.info.run_name)}]({run_link(experiment_id, run.info.run_id)})"
    verdict = "passed" if tags[_COMPARE_TAG] == "true" else "**failed**"
    shift = metrics.get("compare.max_rank_shift")
    detail = "" if shift is None else f", largest rank shift {shift:g}"
    return [f"**Comparison** (step {source}): gate {markdown_text(tags.get('compare.gate', ''))} {verdict}{detail}."]


def describe_pipeline(client: Any, parent: Any, steps: Sequence[StepRecord], *, status: str,
                      pipeline_name: str, pipeline_file: str) -> str:
    """The markdown description of a pipeline's parent run ``parent`` (an ``mlflow.entities.Run``)."""
    experiment_id = parent.info.experiment_id
    runs = {step.name: client.get_run(step.run_id) for step in steps if step.run_id is not None}
    lines = [f"**{markdown_text(pipeline_name)}** (pipeline `{Path(pipeline_file).name}`): {len(steps)} steps, "
             f"{status}.", "", "| step run | status | outputs |", "| --- | --- | --- |"]
    for step in steps:
        run = runs.get(step.name)
        if run is None:
            lines.append(f"| {markdown_text(step.name)} | not run | |")
            continue
        outputs = "; ".join(f"{markdown_text(key.removeprefix('outputs.'))}: `{value.replace('`', '')}`"
                              for key, value in sorted(run.data.params.items()) if key.startswith("outputs."))
        state = run.info.status
        if _ERROR_TAG in run.data.tags:
            state += ": " + markdown_text(run.data.tags[_ERROR_TAG][:300])
        link = f"[{markdown_text(step.name)}]({run_link(experiment_id, run.info.run_id)})"
        lines.append(f"| {link} | {state} | {outputs} |")
    ordered = [runs[step.name] for step in steps if step.name in runs]
    newest = _newest_explanation(ordered)
    if newest is not None:
        lines += ["", *_explanation_lines(client, experiment_id, *newest)]
    for run in ordered:
        if _SCORECARD_TAG in run.data.tags:
            lines += ["", *_scorecard_lines(client, experiment_id, run)]
        if _COMPARE_TAG in run.data.tags:
            lines += ["", *_compare_lines(experiment_id, run)]
    return "\n".join(lines) + "\n"
