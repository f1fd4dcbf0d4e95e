"""Write a scorecard's PDF and HTML, and log them, its metrics and its verdict to an MLflow run."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..._keys import MetricKeys
from ._result import Scorecard, TargetResult
from ._wording import verdict_facts

__all__ = ["PASSED_TAG", "SCORECARD_ARTIFACT_DIR", "VERDICT_FILE", "log_scorecard", "scorecard_metrics",
           "write_scorecard"]

SCORECARD_ARTIFACT_DIR = "scorecard"
PASSED_TAG = "scorecard.passed"
_PREFIX = "scorecard"
_CONFIG_FILE = "config.yaml"
VERDICT_FILE = "verdict.json"  # the verdict's facts, for summaries (a pipeline's description)


def scorecard_metrics(scorecard: Scorecard) -> dict[str, float]:
    """Every number worth charting across runs, as MLflow metrics.

    ``scorecard.<metric>`` for each performance metric, ``scorecard.<target key>`` and
    ``scorecard.<target key>.met`` (1 met, 0 missed) for each target (fairness targets are
    ``scorecard.fairness.<metric>.<kind>.<feature>``), ``scorecard.cohort.<name>.<metric>`` for
    each cohort, and ``scorecard.passed``. Cohort and feature names become valid, distinct MLflow
    keys through :class:`explain_lib._keys.MetricKeys` (the report keeps the original names).
    """
    keys = MetricKeys()
    metrics: dict[str, float] = {}

    def put(parts: tuple[Any, ...], value: float, target: TargetResult | None) -> None:
        metrics[keys.key(_PREFIX, *parts)] = value
        if target is not None:
            metrics[keys.key(_PREFIX, *parts, "met")] = float(target.met)
            covered.add(id(target))

    covered: set[int] = set()
    for value in scorecard.performance.metrics:
        put((value.name,), value.value, value.target)
    for result in scorecard.fairness:
        put(("fairness", result.metric_name, result.kind, result.sensitive_feature), result.value, result.target)
    for cohort in scorecard.cohorts:
        for value in cohort.metrics:
            put(("cohort", cohort.name, value.name), value.value, value.target)
    for target in scorecard.targets:
        if id(target) not in covered:
            put((target.key,), target.value, target)
    metrics[keys.key(_PREFIX, "passed")] = float(scorecard.passed)
    return {key: float(value) for key, value in metrics.items()}


def write_scorecard(scorecard: Scorecard, folder: str | Path) -> tuple[Path, Path]:
    """Write ``scorecard.pdf`` and ``scorecard.html`` (self-contained) into ``folder``; returns their paths."""
    from ._charts import charts
    from ._html import write_html
    from ._pdf import write_pdf

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    images = charts(scorecard)
    return (write_pdf(scorecard, folder / "scorecard.pdf", charts=images),
            write_html(scorecard, folder / "scorecard.html", charts=images))


def log_scorecard(scorecard: Scorecard, *, run_id: str | None = None, config: Mapping[str, Any] | None = None,
                  tracking_uri: str | None = None, output: str | Path | None = None) -> str:
    """Log a scorecard to an MLflow run (default: the active one); returns the artifact folder's URI.

    Files first (``scorecard/scorecard.pdf``, ``scorecard/scorecard.html``, ``scorecard/verdict.json`` (see
    :func:`~explain_lib.report.scorecard._wording.verdict_facts`) and, when given, the config as
    ``scorecard/config.yaml``, all written completely before the upload), then the metrics of
    :func:`scorecard_metrics`, then the ``scorecard.passed`` tag (``true`` / ``false``) last, so a run
    with the tag has the whole scorecard. With ``output`` the PDF and HTML are written there (and kept)
    rather than to a temporary folder.
    """
    import mlflow
    import yaml
    from mlflow.entities import Metric

    from ...tracking._ui import run_id_or_active

    client = mlflow.MlflowClient(tracking_uri)
    run_id = run_id_or_active(run_id, "log_scorecard")
    now = int(time.time() * 1000)  # every key is made valid before the first write: never half-logged
    metrics = [Metric(key, value, now, 0) for key, value in scorecard_metrics(scorecard).items()]
    with tempfile.TemporaryDirectory(prefix="explain-lib-scorecard-") as tmp:
        files = list(write_scorecard(scorecard, tmp if output is None else output))
        files.append(Path(tmp) / VERDICT_FILE)
        files[-1].write_text(json.dumps(verdict_facts(scorecard), indent=1), encoding="utf-8")
        if config is not None:
            files.append(Path(tmp) / _CONFIG_FILE)
            files[-1].write_text(yaml.safe_dump(dict(config), sort_keys=False), encoding="utf-8")
        for file in files:
            client.log_artifact(run_id, str(file), artifact_path=SCORECARD_ARTIFACT_DIR)
    client.log_batch(run_id, metrics=metrics)  # MLflow splits it into batches the store takes
    client.set_tag(run_id, PASSED_TAG, "true" if scorecard.passed else "false")
    return f"runs:/{run_id}/{SCORECARD_ARTIFACT_DIR}"
