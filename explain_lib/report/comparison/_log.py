"""Log a comparison to an MLflow run: report files, metrics, the gate's verdict and a description."""

from __future__ import annotations

import json
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from ..._keys import MetricKeys
from ...errors import InvalidParameterError, did_you_mean
from ._compute import TOP_GATE, Comparison
from ._report import write_html, write_png

__all__ = ["COMPARISON_ARTIFACT_DIR", "GATES", "PASSED_TAG", "comparison_metrics", "gate_passed", "log_comparison",
           "parse_gate", "verdict_markdown"]

COMPARISON_ARTIFACT_DIR = "comparison"
PASSED_TAG = "compare.passed"
GATE_TAG = "compare.gate"
GATES = ("top5_unchanged", "none_flagged", "top<k>_unchanged")
_TOP_GATE = re.compile(r"^top(\d+)_unchanged$")


def parse_gate(gate: str | None) -> tuple[str, int] | None:
    """``("top", k)`` for ``top<k>_unchanged``, ``("none_flagged", 0)``, or None for no gate."""
    if gate is None or gate == "":
        return None
    match = _TOP_GATE.match(str(gate))
    if match and int(match[1]) >= 1:
        return "top", int(match[1])
    if gate == "none_flagged":
        return "none_flagged", 0
    raise InvalidParameterError(f"Unknown gate {gate!r}; choose top5_unchanged (or top<k>_unchanged for another k) "
                                "or none_flagged." + did_you_mean(str(gate), ["top5_unchanged", "none_flagged"]))


def gate_passed(comparison: Comparison, gate: str | None) -> bool:
    """Whether the comparison passes ``gate`` (no gate always passes)."""
    parsed = parse_gate(gate)
    if parsed is None:
        return True
    kind, k = parsed
    return comparison.top_unchanged(k) if kind == "top" else not comparison.flagged


def comparison_metrics(comparison: Comparison, gate: str | None = None) -> dict[str, float]:
    """``compare.<feature>.rank_shift`` of each tested feature (the top_k of A or B), ``compare.max_rank_shift``,
    ``compare.top5_unchanged`` (1 / 0; and ``top<k>_unchanged`` for a gate on another k), counts of flagged,
    appeared and vanished features, and ``compare.passed`` when there is a gate."""
    keys = MetricKeys()  # valid, distinct keys however the features are named
    metrics = {keys.key("compare", row.feature, "rank_shift"): float(row.rank_shift)
               for row in comparison.features.itertuples() if row.tested}
    metrics["compare.max_rank_shift"] = float(comparison.max_rank_shift)
    metrics[f"compare.top{TOP_GATE}_unchanged"] = float(comparison.top_unchanged(TOP_GATE))
    parsed = parse_gate(gate)
    if parsed is not None and parsed[0] == "top":
        metrics[f"compare.top{parsed[1]}_unchanged"] = float(comparison.top_unchanged(parsed[1]))
    metrics["compare.n_flagged"] = float(len(comparison.flagged))
    metrics["compare.n_appeared"] = float(len(comparison.appeared))
    metrics["compare.n_vanished"] = float(len(comparison.vanished))
    if parsed is not None:
        metrics["compare.passed"] = float(gate_passed(comparison, gate))
    return metrics


def _summary_json(comparison: Comparison, gate: str | None) -> dict[str, Any]:
    from ._report import comparison_payload

    return {**comparison_payload(comparison), "gate": gate, "passed": gate_passed(comparison, gate)}


def verdict_markdown(summary: dict[str, Any], *, brief: bool = False) -> str:
    """A comparison's verdict (its ``comparison.json``) as one markdown sentence, never softer than the report:
    the gate, whether the top features stayed, every feature flagged as changed beyond noise, the largest shift.
    ``brief`` gives the gate and the number flagged only.

    Examples
    --------
    >>> text = verdict_markdown({"gate": "top5_unchanged", "passed": True, "top_unchanged": True, "top_gate": 5,
    ...                          "flagged": ["age", "sex"], "max_rank_shift": 1, "top_k": 10})
    >>> print(*text.split("; "), sep="\\n")
    gate top5\\_unchanged **passed** (the top 5 features are the same)
    **2 features changed beyond noise**: age, sex
    largest rank shift 1 among the top 10
    """
    from ...tracking._ui import markdown_text

    top = f"the top {summary['top_gate']} features are {'the same' if summary['top_unchanged'] else '**not** the same'}"
    if summary.get("gate") in (None, "", "none"):
        text = top[0].upper() + top[1:]
    else:
        text = f"gate {markdown_text(summary['gate'])} {'**passed**' if summary['passed'] else '**failed**'}" + \
            ("" if brief else f" ({top})")
    flagged = summary["flagged"]
    if flagged:
        noun = "feature" if len(flagged) == 1 else "features"
        text += f"; **{len(flagged)} {noun} changed beyond noise**"
        text += "" if brief else ": " + ", ".join(markdown_text(f) for f in flagged)
    else:
        text += "; no feature's importance changed beyond noise"
    if brief:
        return text
    return text + f"; largest rank shift {summary['max_rank_shift']} among the top {summary['top_k']}"


def _description(comparison: Comparison, gate: str | None, run: Any, summary: dict[str, Any]) -> list[str]:
    from ...tracking._ui import artifact_link, markdown_text

    lines = [f"**Verdict**: {verdict_markdown(summary)}.", ""]
    links = ", ".join(f"[{name}]({artifact_link(run.info.experiment_id, run.info.run_id, f'comparison/{name}')})"
                      for name in ("comparison.html", "comparison.png"))
    lines += [f"Report: {links}. A: {markdown_text(comparison.a_label)}; B: {markdown_text(comparison.b_label)}.", ""]
    table = comparison.features.set_index("feature")
    if comparison.flagged:
        lines.append("Changed beyond noise: " + "; ".join(
            f"{markdown_text(name)} {table.at[name, 'delta']:+.4g} (rank {int(table.at[name, 'rank_a'])} \u2192 "
            f"{int(table.at[name, 'rank_b'])})" for name in comparison.flagged) + ".")
    if len(comparison.appeared):
        lines += ["", "Appeared in B: " + ", ".join(markdown_text(name) for name in comparison.appeared["feature"])
                  + "."]
    if len(comparison.vanished):
        lines += ["", "Vanished from B: " + ", ".join(markdown_text(name) for name in comparison.vanished["feature"])
                  + "."]
    return lines


def log_comparison(comparison: Comparison, *, run_id: str | None = None, gate: str | None = None,
                   tracking_uri: str | None = None, output: str | Path | None = None) -> str:
    """Log ``comparison`` to an MLflow run (default: the active one); returns the report folder's URI.

    Files first (``comparison/comparison.html``, ``comparison/comparison.png``, ``comparison/comparison.json``),
    then :func:`comparison_metrics`, the run's description section and the tags ``compare.gate`` and
    ``compare.passed`` (``true`` / ``false``; ``true`` without a gate) last. With ``output`` the files
    are also written there.
    """
    import mlflow
    from mlflow.entities import Metric

    from ...tracking._ui import run_id_or_active, set_run_note

    parse_gate(gate)  # a bad gate is refused before anything is logged
    client = mlflow.MlflowClient(tracking_uri)
    run_id = run_id_or_active(run_id, "log_comparison")
    uri = f"runs:/{run_id}/{COMPARISON_ARTIFACT_DIR}"
    with tempfile.TemporaryDirectory(prefix="explain-lib-compare-") as tmp:
        folder = Path(tmp if output is None else output)
        files = [write_html(comparison, folder / "comparison.html"), write_png(comparison, folder / "comparison.png")]
        summary = folder / "comparison.json"
        summary.write_text(json.dumps(_summary_json(comparison, gate), indent=1), encoding="utf-8")
        for file in [*files, summary]:
            client.log_artifact(run_id, str(file), artifact_path=COMPARISON_ARTIFACT_DIR)
    now = int(time.time() * 1000)
    metrics = [Metric(key, value, now, 0) for key, value in comparison_metrics(comparison, gate).items()]
    client.log_batch(run_id, metrics=metrics)  # MLflow splits it into batches the store takes
    set_run_note(client, run_id, "\n".join(_description(comparison, gate, client.get_run(run_id),
                                                        _summary_json(comparison, gate))), section="compare")
    client.set_tag(run_id, GATE_TAG, gate or "none")
    client.set_tag(run_id, PASSED_TAG, "true" if gate_passed(comparison, gate) else "false")
    return uri
