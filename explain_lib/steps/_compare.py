"""The ``compare`` step: compare a candidate explanation with a baseline one, log the report, gate on it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._progress import status
from ..errors import ExplainLibError, InvalidParameterError
from ._data import copied_from
from ._run import progress, record_outputs, step_run

__all__ = ["GateFailedError", "compare"]


class GateFailedError(ExplainLibError):
    """A comparison failed its gate and ``gate`` was set; the comparison is logged."""

    def __init__(self, uri: str, gate: str, summary: str) -> None:
        self.uri = uri
        self.gate = gate
        super().__init__(f"The comparison failed its gate {gate}: {summary} The report is at {uri}.")


def _cohorts(cohorts: Mapping[str, str] | list[str] | None) -> dict[str, str] | None:
    """Cohorts as ``{name: pandas query}``; ``"name=query"`` strings (the command line's form) are split."""
    if cohorts is None or isinstance(cohorts, Mapping):
        return None if cohorts is None else dict(cohorts)
    parsed = {}
    for text in cohorts:
        name, sep, rule = str(text).partition("=")
        if not sep or not name.strip() or not rule.strip():
            raise InvalidParameterError(f"A cohort is NAME=QUERY, e.g. 'Over 40=age > 40'; got {text!r}.")
        parsed[name.strip()] = rule.strip()
    return parsed


def _label(source: Any, loaded_label: str) -> str:
    """How the report names an input: the URI a pipeline's folder is a copy of, else what loading said."""
    if isinstance(source, (str, Path)):
        copied = copied_from(source)
        if copied is not None:
            return copied
    return loaded_label


def compare(
    baseline: Any,
    candidate: Any,
    *,
    top_k: int = 10,
    gate: str | None = None,
    cohorts: Mapping[str, str] | list[str] | None = None,
    n_bootstrap: int = 200,
    n_permutations: int = 999,
    alpha: float = 0.05,
    random_state: int = 0,
    comparison_output: str | Path | None = None,
) -> str:
    """Compare ``candidate``'s explanation with ``baseline``'s and log the comparison to the active MLflow run.

    ::

        A, B = the explanations (objects, runs:/ URIs, run ids or saved folders)
        comparison = explain_lib.compare(A, B, top_k=..., cohorts=...)
        log_comparison(comparison, gate=gate)   # comparison/comparison.html + .png + .json, compare.* metrics
        if the gate fails: raise GateFailedError (the command exits 3), after logging

    Parameters
    ----------
    baseline, candidate
        The explanations, A and B: an ``Explanation``, a run id, ``runs:/<run_id>`` (its newest
        explanation), ``runs:/<run_id>/explanations/<id>``, or a folder written by the explain step.
    top_k
        The features tested for a change (the top_k of A or B) and reported as ``compare.<feature>.rank_shift``.
    gate
        ``top5_unchanged`` (or ``top<k>_unchanged``): the same k features on top; ``none_flagged``:
        no feature's importance changed beyond noise. None: no gate.
    cohorts
        ``{name: pandas query}`` or ``["name=query", ...]`` over the explained rows.
    n_bootstrap, n_permutations, alpha, random_state
        See :func:`explain_lib.report.comparison.compare_explanations`.
    comparison_output
        A folder to also write the report files to.

    Returns
    -------
    str
        The URI of the report folder, ``runs:/<run_id>/comparison``.

    Raises
    ------
    GateFailedError
        When the gate fails (after everything is logged).
    InvalidInputError, InvalidParameterError
        Explanations that cannot be compared, an unknown gate, a bad cohort: before anything is logged.
    """
    from ..report.comparison import compare_explanations, gate_passed, log_comparison, parse_gate
    from ..tracking._sources import load_explanation_source, source_about

    parse_gate(gate)
    rules = _cohorts(cohorts)
    with progress("loading the explanations"):
        first, first_label = load_explanation_source(baseline)
        second, second_label = load_explanation_source(candidate)
    a_label, b_label = _label(baseline, first_label), _label(candidate, second_label)
    with progress("comparing"):
        comparison = compare_explanations(first, second, a_label=a_label, b_label=b_label, top_k=top_k,
                                          cohorts=rules, n_bootstrap=n_bootstrap, n_permutations=n_permutations,
                                          alpha=alpha, random_state=random_state,
                                          a_about=source_about(a_label, first), b_about=source_about(b_label, second))
    for line in comparison.summary().splitlines():
        status(line)
    with step_run() as run:
        with progress("writing and logging the comparison"):
            uri = log_comparison(comparison, run_id=run.info.run_id, gate=gate, output=comparison_output)
        if comparison_output is not None:
            record_outputs(run.info.run_id, {comparison_output: uri})
    if not gate_passed(comparison, gate):
        raise GateFailedError(uri, str(gate), comparison.summary().splitlines()[0])
    return uri
