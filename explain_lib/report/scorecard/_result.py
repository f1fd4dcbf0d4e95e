"""What a scorecard says: plain, frozen facts that the PDF and HTML renderers lay out.

Nothing here computes; :mod:`._compute` fills these from a model, a table and a config, and the
renderers only read them, so both documents always carry the same facts.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

__all__ = [
    "CohortResult",
    "ExplorerBin",
    "ExplorerFeature",
    "FairnessGroup",
    "FairnessResult",
    "FeatureImportanceResult",
    "MetricValue",
    "Performance",
    "Scorecard",
    "Summary",
    "TargetResult",
    "Threshold",
    "format_value",
]

_OPERATORS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}


def format_value(value: float) -> str:
    """How every number of a scorecard is printed: 4 decimals, thousands separated when large, ``n/a`` for NaN."""
    if value != value:
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.1f}"
    return f"{value:.4f}"


@dataclass(frozen=True)
class Threshold:
    """A target such as ``>=0.85``: ``operator`` one of ``>=``, ``<=``, ``>``, ``<``; ``text`` as written."""

    operator: str
    value: float
    text: str

    def is_met(self, measured: float) -> bool:
        """Whether ``measured`` meets the target (a NaN never does)."""
        return bool(measured == measured and _OPERATORS[self.operator](measured, self.value))

    def __str__(self) -> str:
        return f"{self.operator} {self.value:g}"


@dataclass(frozen=True)
class TargetResult:
    """One target and its verdict.

    ``key`` is the MLflow metric name without the ``scorecard.`` prefix (``accuracy_score``,
    ``fairness.accuracy_score.difference.sex``); ``label`` is the reader's wording.
    """

    key: str
    label: str
    value: float
    threshold: Threshold
    met: bool
    informational: bool = False  # a cohort's value against the whole test set's target: shown, never gated

    @property
    def verdict(self) -> str:
        """``met`` / ``missed`` for a target that decides the verdict; ``meets target`` / ``below target``
        (no colour) for an informational one."""
        if self.informational:
            return "meets target" if self.met else "below target"
        return "met" if self.met else "missed"

    @property
    def style(self) -> str:
        """How the verdict is coloured: ``met`` (green), ``missed`` (red) or ``info`` (neutral)."""
        return "info" if self.informational else self.verdict


@dataclass(frozen=True)
class MetricValue:
    """A measured metric (``name`` as in the config, e.g. ``f1_score``), with its target if it has one."""

    name: str
    label: str
    value: float
    target: TargetResult | None = None


@dataclass(frozen=True)
class Summary:
    """Section 1: what the model is and what it was scored on."""

    model_name: str
    model_summary: str
    task: str  # "classification" or "regression"
    model_uri: str
    run_uri: str
    date: str  # ISO 8601, UTC
    n_rows: int  # test-set size
    data_uri: str
    positive_class: str | None  # binary classification: the class precision / recall / F1 are about
    classes: tuple[str, ...]  # classification: every class, as text


@dataclass(frozen=True)
class Performance:
    """Section 2: the standard metrics of the task, the confusion matrix or the error distribution.

    ``confusion`` is ``labels`` x ``labels`` counts (rows: true class, columns: predicted class);
    ``errors`` are ``prediction - truth`` per row (regression). ``sentences`` say the false positives
    and negatives (or the typical error) in words.
    """

    task: str
    metrics: tuple[MetricValue, ...]
    sentences: tuple[str, ...]
    labels: tuple[str, ...] = ()
    confusion: tuple[tuple[int, ...], ...] = ()
    errors: tuple[float, ...] = ()


@dataclass(frozen=True)
class ExplorerBin:
    """One bin of a feature: its label (``[17, 25)`` or a category), row count and primary metric there."""

    label: str
    count: int
    metric: float  # NaN when the metric is undefined on the bin (e.g. one class only for ROC AUC)


@dataclass(frozen=True)
class ExplorerFeature:
    """Section 3, one chosen feature: its distribution, with the primary metric per bin."""

    feature: str
    kind: str  # "numeric" or "categorical"
    metric_name: str
    metric_label: str
    bins: tuple[ExplorerBin, ...]


@dataclass(frozen=True)
class CohortResult:
    """Section 4, one cohort: its filters in words, size, and each configured metric against its target."""

    name: str
    description: str
    size: int
    metrics: tuple[MetricValue, ...]


@dataclass(frozen=True)
class FeatureImportanceResult:
    """Section 5: exactly the ``top_n`` most important features (all, if there are fewer), highest first."""

    top_n: int
    features: tuple[tuple[str, float], ...]
    explanation_id: str
    method: str
    output_space: str


@dataclass(frozen=True)
class FairnessGroup:
    """One group of a sensitive feature: its label, row count and the metric's value on it."""

    label: str
    count: int
    value: float


@dataclass(frozen=True)
class FairnessResult:
    """Section 6, one (sensitive feature, metric): the metric per group and its disparity.

    ``kind`` is ``difference`` (largest minus smallest group value) or ``ratio`` (smallest over
    largest); ``value`` is that disparity. ``note`` says how a numeric feature was binned into groups.
    """

    sensitive_feature: str
    metric_name: str
    metric_label: str
    kind: str
    groups: tuple[FairnessGroup, ...]
    value: float
    target: TargetResult | None
    note: str = ""


@dataclass(frozen=True)
class Scorecard:
    """A whole scorecard. ``targets`` lists every target (metrics, then fairness) in config order."""

    summary: Summary
    targets: tuple[TargetResult, ...]
    performance: Performance
    data_explorer: tuple[ExplorerFeature, ...]
    cohorts: tuple[CohortResult, ...]
    feature_importance: FeatureImportanceResult | None
    fairness: tuple[FairnessResult, ...]

    @property
    def passed(self) -> bool:
        """True when every target is met (a scorecard without targets passes)."""
        return all(target.met for target in self.targets)

    @property
    def missed(self) -> tuple[TargetResult, ...]:
        return tuple(target for target in self.targets if not target.met)

    @property
    def cohorts_below_target(self) -> tuple[TargetResult, ...]:
        """Cohort values below their (informational) targets: reported, never part of the verdict."""
        return tuple(metric.target for cohort in self.cohorts for metric in cohort.metrics
                     if metric.target is not None and not metric.target.met)

    @property
    def cohort_targets(self) -> int:
        return sum(metric.target is not None for cohort in self.cohorts for metric in cohort.metrics)
