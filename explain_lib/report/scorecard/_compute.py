"""Compute a scorecard's facts from labels, predictions, the scored table and an explanation."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd

from ..._keys import key_part
from ...errors import InvalidInputError, InvalidParameterError
from ...explanation import Explanation
from ._config import PREDICTED_Y, TRUE_Y, CohortSpec, ScorecardConfig
from ._metrics import CLASSIFICATION, METRICS, REGRESSION, label_metric, metric_function
from ._result import (
    CohortResult,
    ExplorerBin,
    ExplorerFeature,
    FairnessGroup,
    FairnessResult,
    FeatureImportanceResult,
    MetricValue,
    Performance,
    Scorecard,
    Summary,
    TargetResult,
    Threshold,
    format_value,
)

__all__ = ["compute_scorecard", "metric_key"]

_EXPLORER_BINS = 8  # equal-width bins of a numeric feature in the data explorer
_FAIRNESS_BINS = 5  # quantile groups of a numeric sensitive feature
_MAX_LEVELS = 10  # a numeric column with at most this many values is taken value by value
_MAX_CATEGORIES = 9  # the most frequent categories shown; the rest are grouped as "Other"
_DEFAULT_TOP_N = 10
_STANDARD = {CLASSIFICATION: ("accuracy_score", "precision_score", "recall_score", "f1_score", "roc_auc_score"),
             REGRESSION: ("mean_absolute_error", "mean_squared_error", "root_mean_squared_error",
                          "median_absolute_error", "r2_score")}


def metric_key(*parts: str) -> str:
    """A target's MLflow metric name from parts (see :func:`explain_lib._keys.key_part`)."""
    return ".".join(key_part(part) for part in parts)


class _Scorer:
    """Metric values on any subset of rows, for one task, class set and positive class."""

    def __init__(self, task: str, y_true: np.ndarray, y_pred: np.ndarray, scores: np.ndarray | None,
                 classes: tuple[Any, ...], positive: Any) -> None:
        self.task, self.y_true, self.y_pred, self.scores = task, y_true, y_pred, scores
        self.classes, self.positive = classes, positive

    def available(self, name: str) -> bool:
        return not METRICS[name].needs_scores or self.scores is not None

    def function(self, name: str) -> Any:
        return metric_function(name, positive=self.positive, classes=self.classes)

    def value(self, name: str, rows: np.ndarray | slice = slice(None)) -> float:
        if METRICS[name].needs_scores:
            if self.scores is None:
                return float("nan")
            scores = self.scores[rows]
            if len(self.classes) == 2:
                scores = scores[:, self.classes.index(self.positive)]
            return self.function(name)(self.y_true[rows], scores)
        return self.function(name)(self.y_true[rows], self.y_pred[rows])


def _target(key: str, label: str, value: float, threshold: Threshold | None) -> TargetResult | None:
    if threshold is None:
        return None
    return TargetResult(key, label, value, threshold, threshold.is_met(value))


def _configured(config: ScorecardConfig, scorer: _Scorer, rows: np.ndarray | slice = slice(None),
                prefix: tuple[str, ...] = ()) -> tuple[MetricValue, ...]:
    values = []
    for target in config.metrics:
        value = scorer.value(target.name, rows)
        label = label_metric(target.name)
        values.append(MetricValue(target.name, label, value,
                                  _target(metric_key(*prefix, target.name), label, value, target.threshold)))
    return tuple(values)


def _regression_sentences(errors: np.ndarray) -> tuple[str, ...]:
    """The typical error and its direction in words; ``errors`` are prediction - truth."""
    return (f"Predictions are off by {format_value(float(np.mean(np.abs(errors))))} on average (mean absolute "
            f"error); half of them by at most {format_value(float(np.median(np.abs(errors))))}.",
            f"The model predicts too high for {float(np.mean(errors > 0)):.1%} of the rows and too low for "
            f"{float(np.mean(errors < 0)):.1%}.")


def _classification_sentences(scorer: _Scorer, confusion: np.ndarray) -> tuple[str, ...]:
    """False positives and negatives (two classes) or the misclassified share and commonest mistake, in words."""
    n = int(confusion.sum())
    classes = [str(c) for c in scorer.classes]
    if len(classes) == 2:
        p = scorer.classes.index(scorer.positive)
        negative, positive = confusion[1 - p], confusion[p]
        fp, fn = int(negative[p]), int(positive[1 - p])
        return (f"False positives: {fp:,} of the {int(negative.sum()):,} rows whose true class is "
                f"{classes[1 - p]!r} ({fp / max(int(negative.sum()), 1):.1%}) were predicted {classes[p]!r}.",
                f"False negatives: {fn:,} of the {int(positive.sum()):,} rows whose true class is {classes[p]!r} "
                f"({fn / max(int(positive.sum()), 1):.1%}) were predicted {classes[1 - p]!r}.")
    wrong = confusion.copy()
    np.fill_diagonal(wrong, 0)
    sentences = [f"{int(wrong.sum()):,} of {n:,} rows ({wrong.sum() / max(n, 1):.1%}) are misclassified."]
    if wrong.sum():
        i, j = np.unravel_index(int(np.argmax(wrong)), wrong.shape)
        sentences.append(f"The most frequent mistake: true {classes[i]!r} predicted {classes[j]!r} "
                         f"({int(wrong[i, j]):,} rows).")
    return tuple(sentences)


def _performance(config: ScorecardConfig, scorer: _Scorer) -> Performance:
    configured = {value.name: value for value in _configured(config, scorer)}
    names = [n for n in _STANDARD[scorer.task] if scorer.available(n) or n in configured]
    names += [n for n in configured if n not in names]
    metrics = [configured.get(n) or MetricValue(n, label_metric(n), scorer.value(n)) for n in names]
    if scorer.task == REGRESSION:
        errors = scorer.y_pred.astype(float) - scorer.y_true.astype(float)
        return Performance(REGRESSION, tuple(metrics), _regression_sentences(errors),
                           errors=tuple(float(e) for e in errors))
    from sklearn.metrics import confusion_matrix

    confusion = confusion_matrix(scorer.y_true, scorer.y_pred, labels=list(scorer.classes))
    return Performance(CLASSIFICATION, tuple(metrics), _classification_sentences(scorer, confusion),
                       labels=tuple(str(c) for c in scorer.classes),
                       confusion=tuple(tuple(int(v) for v in row) for row in confusion))


def _groups(values: pd.Series, n_bins: int, quantiles: bool) -> tuple[pd.Series, list[str], str]:
    """Each row's group label (categories, numeric levels, or bins), the labels present in display order
    (bins and levels by value, categories by count with "Other" last, "(missing)" last), and how a
    numeric column was grouped."""
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    missing = values.isna()
    note = ""
    if numeric and values.nunique() > _MAX_LEVELS:
        present = values[~missing].astype(float)
        if quantiles:
            edges = np.unique(np.quantile(present, np.linspace(0, 1, n_bins + 1)))
        else:
            edges = np.histogram_bin_edges(present, bins=n_bins)
        if np.all(np.mod(present, 1) == 0):  # whole numbers (ages, counts): whole-number edges, same rows per bin
            edges = np.unique(np.ceil(edges))
        index = np.clip(np.searchsorted(edges, present, side="right") - 1, 0, len(edges) - 2)
        labels = [f"[{_bound(edges[i])}, {_bound(edges[i + 1])}{']' if i == len(edges) - 2 else ')'}"
                  for i in range(len(edges) - 1)]
        result = pd.Series(pd.Categorical.from_codes(index, labels), index=present.index)
        result = result.reindex(values.index).astype(object)
        order = [labels[i] for i in np.unique(index)]
        note = (f"{values.name} is numeric: grouped into {len(labels)} "
                f"{'quantile' if quantiles else 'equal-width'} bins.")
    elif numeric:
        result = values.map(_bound, na_action="ignore").astype(object)
        order = list(dict.fromkeys(_bound(v) for v in sorted(values.dropna().unique())))
    else:
        text = values.astype(object).where(~missing, None).map(lambda v: None if v is None else str(v))
        counts = text.value_counts()
        keep = set(counts.index[:_MAX_CATEGORIES]) if len(counts) > _MAX_CATEGORIES + 1 else set(counts.index)
        result = text.where(text.isin(keep) | text.isna(), "Other")
        if len(keep) < len(counts):
            note = f"{values.name}: the {_MAX_CATEGORIES} most frequent categories; the rest are 'Other'."
        order = list(pd.unique(result.dropna()))
        if all(_is_number(label) for label in order):  # categories that read as numbers ("1", "2", "10")
            order.sort(key=float)
        else:
            grouped = result.value_counts()
            order.sort(key=lambda label: (label == "Other", -grouped[label]))
    if missing.any():
        order.append("(missing)")
    return result.where(~missing, "(missing)"), order, note


def _bound(value: Any) -> str:
    value = float(value)
    return f"{value:.0f}" if value.is_integer() else f"{value:.4g}"


def _is_number(text: Any) -> bool:
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


def _explorer(config: ScorecardConfig, scorer: _Scorer, data: pd.DataFrame, primary: str) -> tuple[ExplorerFeature,
                                                                                                    ...]:
    features = []
    for name in config.explorer_features:
        values = data[name]
        groups, order, _ = _groups(values, _EXPLORER_BINS, quantiles=False)
        bins = []
        for label in order:
            rows = np.flatnonzero((groups == label).to_numpy())
            bins.append(ExplorerBin(str(label), len(rows), scorer.value(primary, rows)))
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        features.append(ExplorerFeature(name, "numeric" if numeric else "categorical", primary,
                                        label_metric(primary), tuple(bins)))
    return tuple(features)


def _cohort_rows(cohort: CohortSpec, data: pd.DataFrame, scorer: _Scorer) -> np.ndarray:
    mask = np.ones(len(data), dtype=bool)
    for spec in cohort.filters:
        if spec.column == TRUE_Y:
            values = pd.Series(scorer.y_true)
        elif spec.column == PREDICTED_Y:
            values = pd.Series(scorer.y_pred)
        else:
            values = data[spec.column].reset_index(drop=True)
        mask &= spec.mask(values)
    return np.flatnonzero(mask)


def _cohorts(config: ScorecardConfig, scorer: _Scorer, data: pd.DataFrame, primary: str) -> tuple[CohortResult, ...]:
    results = []
    for cohort in config.cohorts:
        rows = _cohort_rows(cohort, data, scorer)
        if config.metrics:  # each against the whole test set's target, informational only
            metrics = tuple(metric if metric.target is None else dataclasses.replace(
                metric, target=dataclasses.replace(metric.target, informational=True))
                for metric in _configured(config, scorer, rows, prefix=("cohort", cohort.name)))
        else:
            metrics = (MetricValue(primary, label_metric(primary), scorer.value(primary, rows)),)
        results.append(CohortResult(cohort.name, cohort.describe(), len(rows), metrics))
    return tuple(results)


def _fairness(config: ScorecardConfig, scorer: _Scorer, data: pd.DataFrame) -> tuple[FairnessResult, ...]:
    if config.fairness is None or not config.fairness.metrics:
        return ()
    from fairlearn.metrics import MetricFrame

    spec = config.fairness
    results = []
    for feature in spec.sensitive_features:
        groups, order, note = _groups(data[feature].reset_index(drop=True), _FAIRNESS_BINS, quantiles=True)
        frame = MetricFrame(metrics={name: scorer.function(name) for name in spec.metrics},
                            y_true=scorer.y_true, y_pred=scorer.y_pred,
                            sensitive_features=pd.Series(groups.to_numpy(), name=feature))
        disparity = frame.difference() if spec.kind == "difference" else frame.ratio()
        counts = groups.value_counts()
        for name in spec.metrics:
            label = label_metric(name)
            by_group = frame.by_group[name]
            members = tuple(FairnessGroup(str(g), int(counts[g]), float(by_group.loc[g]))
                            for g in order)
            value = float(disparity[name])
            target = _target(metric_key("fairness", name, spec.kind, feature), f"{label} {spec.kind} across {feature}",
                             value, spec.threshold)
            results.append(FairnessResult(feature, name, label, spec.kind, members, value, target, note))
    return tuple(results)


def _importance(config: ScorecardConfig, explanation: Explanation | None) -> FeatureImportanceResult | None:
    if explanation is None:
        return None
    top_n = config.top_n or _DEFAULT_TOP_N
    top = explanation.global_importance(top_k=top_n)
    return FeatureImportanceResult(top_n, tuple((str(name), float(value)) for name, value in top.items()),
                                   explanation.id, explanation.method, explanation.output_space)


def _classes(y_true: np.ndarray, y_pred: np.ndarray, classes: Sequence[Any] | None,
             positive: str | None) -> tuple[tuple[Any, ...], Any]:
    known = tuple(classes) if classes is not None else tuple(sorted(set(y_true.tolist()) | set(y_pred.tolist()),
                                                                      key=str))
    if positive is None:
        return known, known[-1]
    matches = [c for c in known if str(c) == positive]
    if not matches:
        raise InvalidParameterError(f"Model.PositiveClass {positive!r} is not a class of the model; its classes are "
                                    f"{[str(c) for c in known]}.")
    return known, matches[0]


def compute_scorecard(
    config: ScorecardConfig,
    data: pd.DataFrame,
    y_true: Any,
    y_pred: Any,
    *,
    task: str,
    scores: Any = None,
    classes: Sequence[Any] | None = None,
    explanation: Explanation | None = None,
    model_uri: str = "",
    run_uri: str = "",
    data_uri: str = "",
    date: datetime | None = None,
) -> Scorecard:
    """The facts of a scorecard.

    Parameters
    ----------
    config
        A checked config (:func:`load_config`).
    data
        The scored rows: every column the config names (features; the label may be there too).
    y_true, y_pred
        Labels and the model's predictions for those rows.
    task
        ``classification`` or ``regression``.
    scores
        Classification: ``(n, n_classes)`` class probabilities in ``classes`` order (ROC AUC needs them).
    classes
        Classification: the model's classes (default: the labels and predictions seen, sorted).
    explanation
        The model's explanation, for the feature importance section (``config.top_n`` features, 10 when unset).
    model_uri, run_uri, data_uri, date
        What the summary names (date: now, UTC).
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if task not in (CLASSIFICATION, REGRESSION):
        raise InvalidParameterError(f"task must be {CLASSIFICATION!r} or {REGRESSION!r}, got {task!r}.")
    if not (len(data) == len(y_true) == len(y_pred)) or len(y_true) == 0:
        raise InvalidInputError(f"A scorecard needs as many labels ({len(y_true)}) and predictions ({len(y_pred)}) "
                                f"as rows ({len(data)}), and at least one row.")
    positive = None
    if task == CLASSIFICATION:
        classes, positive = _classes(y_true, y_pred, classes, config.positive_class)
        scores = None if scores is None else np.asarray(scores, dtype=float)
    else:
        classes, scores = (), None
    scorer = _Scorer(task, y_true, y_pred, scores, tuple(classes), positive)
    data = data.reset_index(drop=True)
    primary = config.metrics[0].name if config.metrics else _STANDARD[task][0]
    performance = _performance(config, scorer)
    fairness = _fairness(config, scorer, data)
    overall = {value.name: value.target for value in performance.metrics}
    targets = [overall[target.name] for target in config.metrics if target.threshold is not None]
    targets += [result.target for result in fairness if result.target is not None]
    summary = Summary(
        model_name=config.model_name, model_summary=config.model_summary, task=task, model_uri=model_uri,
        run_uri=run_uri, date=(date or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC"), n_rows=len(y_true),
        data_uri=data_uri, positive_class=None if positive is None or len(classes) != 2 else str(positive),
        classes=tuple(str(c) for c in classes),
    )
    return Scorecard(summary, tuple(targets), performance, _explorer(config, scorer, data, primary),
                     _cohorts(config, scorer, data, primary), _importance(config, explanation), fairness)
