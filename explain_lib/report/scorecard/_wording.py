"""The wording the PDF and the HTML scorecard share, beyond the facts: headings, verdict, summary rows."""

from __future__ import annotations

from ._result import Scorecard, Summary

__all__ = ["COHORT_NOTE", "EMPTY", "SECTIONS", "summary_facts", "verdict_line"]

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
