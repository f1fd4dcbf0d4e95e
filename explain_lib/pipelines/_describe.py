"""The parent run's description and headline metrics: what a pipeline run did, from its step runs' records.

Read from the step runs themselves (their tags, metrics and artifacts), so it says what was logged,
not what was planned. The UI shows the first lines of a description until "Show more" is clicked, and
lays a fading layer that takes the clicks over all but the first, so the links to the reports and the
verdict (counts in bold: never softer than the reports) come first, in one paragraph::

    **Open**: dashboard · scorecard · comparison. **Verdict**. Scorecard: **passed**: all 6 targets met;
    **2 cohort values below target**. Comparison: ...     each link opens the file's preview
    **<pipeline>** (<file>): 3 steps, FINISHED
    | step | run | status | outputs |                 one row per step, its run linked
    **Top features** of explanation <id> ...        the newest explanation of the pipeline, ranked
    **Scorecard** / **Comparison**: the verdict in full (each target missed, each cohort value below
                                    target, each feature changed beyond noise) and the report files

The parent also gets the steps' headline figures as its own metrics (:func:`headline_metrics`), so
the runs table's top level and its charts compare pipeline runs.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..tracking._ui import artifact_link, markdown_text, run_link

__all__ = ["StepRecord", "describe_pipeline", "headline_metrics"]

TOP_FEATURES = 5
_EXPLANATION_TAG = "explain_lib.explanation."
_SCORECARD_TAG = "scorecard.passed"
_COMPARE_TAG = "compare.passed"
_ERROR_TAG = "explain_lib.pipeline.error"
_COMPARE_HEADLINES = ("compare.passed", "compare.n_flagged", "compare.max_rank_shift", "compare.top5_unchanged")


@dataclass(frozen=True)
class StepRecord:
    """One job of the pipeline as run: its name and run id (None when it never started)."""

    name: str
    run_id: str | None


def _file_link(experiment_id: str, run_id: str, path: str, text: str | None = None) -> str:
    """A link that opens the file's preview in the run's artifact view."""
    return f"[{markdown_text(text or path)}]({artifact_link(experiment_id, run_id, path)})"


def _download_json(client: Any, run_id: str, path: str) -> dict[str, Any] | None:
    with tempfile.TemporaryDirectory(prefix="explain-lib-describe-") as tmp:
        try:
            return json.loads(Path(client.download_artifacts(run_id, path, tmp)).read_text(encoding="utf-8"))
        except Exception:  # noqa: BLE001 - an older run without the file: the summary falls back to metrics
            return None


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


def _step_source(experiment_id: str, run: Any) -> str:
    return f"[{markdown_text(run.info.run_name)}]({run_link(experiment_id, run.info.run_id)})"


def _scorecard_verdict(client: Any, run: Any, *, brief: bool) -> str:
    from ..report.scorecard._wording import verdict_markdown

    facts = _download_json(client, run.info.run_id, "scorecard/verdict.json")
    if facts is None:  # logged before verdict.json existed: the targets from the metrics, cohorts counted
        metrics = run.data.metrics
        met = {key: value for key, value in metrics.items() if key.startswith("scorecard.") and key.endswith(".met")}
        below = sum(1 for key, value in met.items() if key.startswith("scorecard.cohort.") and value == 0)
        gating = {key: value for key, value in met.items() if not key.startswith("scorecard.cohort.")}
        facts = {"passed": run.data.tags[_SCORECARD_TAG] == "true", "targets": len(gating),
                 "missed": [{"cohort": None, "label": key.removeprefix("scorecard.").removesuffix(".met"),
                             "value": metrics.get(key.removesuffix(".met"), float("nan")), "threshold": "?"}
                            for key, value in gating.items() if value == 0],
                 "cohorts_below_target": [{"cohort": None, "label": "a cohort value", "value": float("nan"),
                                           "threshold": "?"}] * below}
    return verdict_markdown(facts, brief=brief)


def _compare_verdict(client: Any, run: Any, *, brief: bool) -> str:
    from ..report.comparison._log import verdict_markdown

    summary = _download_json(client, run.info.run_id, "comparison/comparison.json")
    if summary is None:
        tags, metrics = run.data.tags, run.data.metrics
        return (f"gate {markdown_text(tags.get('compare.gate', ''))} "
                f"{'**passed**' if tags[_COMPARE_TAG] == 'true' else '**failed**'}; "
                f"**{int(metrics.get('compare.n_flagged', 0))} features changed beyond noise**")
    return verdict_markdown(summary, brief=brief)


def _verdict(client: Any, run: Any, *, brief: bool) -> tuple[str, str, str] | None:
    """``(what, report folder, verdict)`` of a step that gave one (scorecard, comparison), else None."""
    if _SCORECARD_TAG in run.data.tags:
        return "scorecard", "scorecard", _scorecard_verdict(client, run, brief=brief)
    if _COMPARE_TAG in run.data.tags:
        return "comparison", "comparison", _compare_verdict(client, run, brief=brief)
    return None


def _verdict_lines(client: Any, experiment_id: str, runs: Sequence[Any], status: str) -> list[str]:
    parts = []
    for run in runs:
        if _ERROR_TAG in run.data.tags:
            parts.append(f"Step {markdown_text(run.info.run_name)} **failed**: "
                         + markdown_text(run.data.tags[_ERROR_TAG][:300]))
        verdict = _verdict(client, run, brief=True)
        if verdict is not None:
            parts.append(f"{verdict[0].capitalize()}: {verdict[2]}")
    if not parts:
        parts.append(f"The pipeline {status.lower()}; no step gave a verdict")
    return [f"**Verdict**. {'. '.join(parts)}."]


def _explanation_lines(client: Any, experiment_id: str, run: Any, entry: dict[str, Any]) -> tuple[str | None, list]:
    """The dashboard's link and the top features of the newest explanation."""
    explanation_id = entry["id"]
    folder = f"explanations/{explanation_id}"
    meta = _download_json(client, run.info.run_id, f"{folder}/explanation.json") or {}
    ranked = (meta.get("upload") or {}).get("ranked") or {}
    names, values = ranked.get("features", [])[:TOP_FEATURES], ranked.get("global", [])[:TOP_FEATURES]
    source = _step_source(experiment_id, run)
    lines = [f"**Top features** of explanation `{explanation_id}` ({markdown_text(meta.get('method'))}, mean "
             f"\\|value\\| in {markdown_text(meta.get('output_space'))} space, step {source}):", ""]
    lines += [f"{rank}. {markdown_text(name)}: {value:.4g}" for rank, (name, value) in
              enumerate(zip(names, values, strict=False), start=1)]
    files = {Path(item.path).name for item in client.list_artifacts(run.info.run_id, folder)}
    dashboard = _file_link(experiment_id, run.info.run_id, f"{folder}/dashboard.html", "dashboard") \
        if "dashboard.html" in files else None
    return dashboard, lines


def _report_files(client: Any, experiment_id: str, run: Any, folder: str) -> list[str]:
    files = sorted(Path(item.path).name for item in client.list_artifacts(run.info.run_id, folder)
                   if item.path.endswith((".html", ".pdf", ".png")))
    return [_file_link(experiment_id, run.info.run_id, f"{folder}/{name}") for name in files]


def describe_pipeline(client: Any, parent: Any, steps: Sequence[StepRecord], *, status: str,
                      pipeline_name: str, pipeline_file: str) -> str:
    """The markdown description of a pipeline's parent run ``parent`` (an ``mlflow.entities.Run``)."""
    experiment_id = parent.info.experiment_id
    runs = {step.name: client.get_run(step.run_id) for step in steps if step.run_id is not None}
    ordered = [runs[step.name] for step in steps if step.name in runs]
    dashboard, top = None, []
    newest = _newest_explanation(ordered)
    if newest is not None:
        dashboard, top = _explanation_lines(client, experiment_id, *newest)
    details, opened = [], [dashboard] if dashboard else []
    for run in ordered:
        verdict = _verdict(client, run, brief=False)
        if verdict is None:
            continue
        what, folder, text = verdict
        files = _report_files(client, experiment_id, run, folder)
        page = f"{folder}/{folder}.html"  # scorecard/scorecard.html, comparison/comparison.html
        if any(item.path == page for item in client.list_artifacts(run.info.run_id, folder)):
            opened.append(_file_link(experiment_id, run.info.run_id, page, what))
        details += ["", f"**{what.capitalize()}** (step {_step_source(experiment_id, run)}): {text}. "
                        f"Files: {', '.join(files) or 'none'}."]
    # The links lead the first line: the UI fades a collapsed description's lower lines under a layer that takes
    # the clicks, so only what the first line holds is one click away, whatever the page's width.
    lines = [("**Open**: " + " · ".join(opened) + ". " if opened else "")
             + _verdict_lines(client, experiment_id, ordered, status)[0]]
    lines += ["", f"**{markdown_text(pipeline_name)}** (pipeline `{Path(pipeline_file).name}`): {len(steps)} steps, "
                  f"{status}.", "", "| step | run | status | outputs |", "| --- | --- | --- | --- |"]
    for step in steps:
        run = runs.get(step.name)
        if run is None:
            lines.append(f"| {markdown_text(step.name)} | | not run | |")
            continue
        outputs = "; ".join(f"{markdown_text(key.removeprefix('outputs.'))}: `{value.replace('`', '')}`"
                              for key, value in sorted(run.data.params.items()) if key.startswith("outputs."))
        state = run.info.status
        if _ERROR_TAG in run.data.tags:
            state += ": " + markdown_text(run.data.tags[_ERROR_TAG][:300])
        lines.append(f"| {markdown_text(step.name)} | {_step_source(experiment_id, run)} | {state} | {outputs} |")
    if top:
        lines += ["", *top]
    return "\n".join([*lines, *details]) + "\n"


def headline_metrics(client: Any, steps: Sequence[StepRecord]) -> dict[str, float]:
    """The steps' headline figures, for the parent run: the held-out metrics (``test_*``), the newest
    explanation's top features (``importance/<feature>``), the scorecard's verdict (``scorecard.passed``,
    ``scorecard.targets_missed``, ``scorecard.cohort_values_below_target``) and the comparison's
    (``compare.passed``, ``compare.n_flagged``, ``compare.max_rank_shift``, ``compare.top5_unchanged``)."""
    runs = [client.get_run(step.run_id) for step in steps if step.run_id is not None]
    metrics: dict[str, float] = {}
    for run in runs:
        values = run.data.metrics
        metrics.update({key: value for key, value in values.items() if key.startswith("test_")})
        metrics.update({key: values[key] for key in _COMPARE_HEADLINES if key in values})
        if _SCORECARD_TAG in run.data.tags:
            met = {key: value for key, value in values.items() if key.startswith("scorecard.") and key.endswith(".met")}
            metrics["scorecard.passed"] = float(run.data.tags[_SCORECARD_TAG] == "true")
            metrics["scorecard.targets_missed"] = float(sum(
                1 for key, value in met.items() if not key.startswith("scorecard.cohort.") and value == 0))
            metrics["scorecard.cohort_values_below_target"] = float(sum(
                1 for key, value in met.items() if key.startswith("scorecard.cohort.") and value == 0))
    newest = _newest_explanation(runs)
    if newest is not None:
        importance = {key: value for key, value in newest[0].data.metrics.items() if key.startswith("importance/")}
        metrics.update(dict(sorted(importance.items(), key=lambda item: -item[1])[:TOP_FEATURES]))
    return metrics
