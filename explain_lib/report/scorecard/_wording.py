"""The wording the PDF and the HTML scorecard share, beyond the facts: headings, verdict, summary rows."""

from __future__ import annotations

from typing import Any

from ._result import Scorecard, Summary

__all__ = ["COHORT_NOTE", "EMPTY", "SECTIONS", "summary_facts", "verdict_facts", "verdict_line", "verdict_markdown"]

SECTIONS = ("1. Summary", "2. Performance", "3. Data explorer", "4. Cohorts", "5. Feature importance", "6. Fairness")
"""The section headings of both documents, in order."""

EMPTY = {
    "metrics": "No metrics computed (Metrics).",
    "data_explorer": "No features chosen (DataExplorer.features).",
    "cohorts": "No cohorts defined (Cohorts).",
    "feature_importance": "No feature importance computed (FeatureImportance.top_n).",
    "fairness": "No fairness assessment (Fairness.sensitive_features and Fairness.metric).",
    "bins": "No rows to show for this feature.",
    "groups": "No groups to compare.",
}
"""What an empty section says instead: what it would hold and which setting configures it."""


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


COHORT_NOTE = ("Cohort values are compared with the whole test set's targets for information only: "
               "they do not decide the scorecard's verdict.")
"""What the cohort section says when its metrics carry targets."""


def verdict_line(scorecard: Scorecard) -> str:
    """The overall verdict in words, e.g. ``PASSED: all 2 targets met`` or ``NOT PASSED: 1 of 2 targets missed``.

    Cohort values below a target are counted after the verdict, as informational, so a passed
    banner never reads as if nothing fell short.
    """
    total = len(scorecard.targets)
    below = len(scorecard.cohorts_below_target)
    cohorts = f" ({below} cohort {'value' if below == 1 else 'values'} below target, informational)" if below else ""
    if total == 0:
        return "No targets set (Metrics.<name>.threshold)" + cohorts
    if scorecard.passed:
        return f"PASSED: all {_plural(total, 'target')} met" + cohorts
    return f"NOT PASSED: {len(scorecard.missed)} of {_plural(total, 'target')} missed" + cohorts


def summary_facts(summary: Summary) -> list[tuple[str, str]]:
    """The rows of the summary table, ``(fact, value)``; a missing text shows as a dash."""
    facts = [
        ("Model", summary.model_name), ("Purpose", summary.model_summary or "—"), ("Task", summary.task),
        ("Model URI", summary.model_uri or "—"), ("Run URI", summary.run_uri or "—"), ("Date", summary.date),
        ("Test-set size", f"{summary.n_rows:,} rows"), ("Data URI", summary.data_uri or "—"),
    ]
    if summary.positive_class is not None:
        facts.append(("Positive class", summary.positive_class))
    if summary.classes:
        facts.append(("Classes", ", ".join(summary.classes)))
    return facts


def verdict_facts(scorecard: Scorecard) -> dict:
    """The verdict as JSON-ready facts (logged as ``scorecard/verdict.json``): what a summary of the scorecard
    must say, cohort values below target included."""
    def target(result: Any, cohort: str | None = None) -> dict:
        return {"cohort": cohort, "label": result.label, "value": result.value, "threshold": result.threshold.text}

    return {
        "passed": scorecard.passed,
        "targets": len(scorecard.targets),
        "missed": [target(t) for t in scorecard.missed],
        "cohorts_below_target": [target(metric.target, cohort.name) for cohort in scorecard.cohorts
                                 for metric in cohort.metrics if metric.target is not None and not metric.target.met],
    }


def verdict_markdown(facts: dict, *, brief: bool = False) -> str:
    """The verdict of :func:`verdict_facts` as one markdown sentence, never softer than the scorecard: the
    targets met or missed, then every cohort value below its target (which informs, it does not gate).
    ``brief`` counts them without listing each.

    Examples
    --------
    >>> text = verdict_markdown({"passed": True, "targets": 2, "missed": [], "cohorts_below_target": [
    ...     {"cohort": "Over 40", "label": "Accuracy", "value": 0.8259, "threshold": ">=0.85"}]})
    >>> print(*text.split("; "), sep="\\n")
    **passed**: all 2 targets met
    **1 cohort value below target** (informational): Over 40 Accuracy 0.8259 (target &gt;=0\\.85)
    """
    from ...tracking._ui import markdown_text

    def listed(items: list) -> str:
        return "; ".join(f"{markdown_text(((item['cohort'] + ' ') if item.get('cohort') else '') + item['label'])} "
                         f"{item['value']:.4g} (target {markdown_text(item['threshold'])})" for item in items)

    total, missed, below = facts["targets"], facts["missed"], facts["cohorts_below_target"]
    if total == 0:
        text = "no targets set"
    elif facts["passed"]:
        text = f"**passed**: all {_plural(total, 'target')} met"
    else:
        text = f"**not passed**: {len(missed)} of {_plural(total, 'target')} missed" + ("" if brief else
                                                                                          f": {listed(missed)}")
    if below:
        text += f"; **{_plural(len(below), 'cohort value')} below target**" + ("" if brief else
                                                                                f" (informational): {listed(below)}")
    return text
