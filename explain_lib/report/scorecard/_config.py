"""The scorecard config: YAML or JSON with the Responsible AI scorecard's keys, checked before any work.

::

    Model: {ModelName: Income model, ModelType: classification, ModelSummary: Predicts income > 50K}
    Metrics: {accuracy_score: {threshold: ">=0.85"}, f1_score: {threshold: ">=0.6"}, recall_score: {}}
    FeatureImportance: {top_n: 8}
    DataExplorer: {features: [age, hours_per_week]}
    Fairness: {metric: [accuracy_score, selection_rate], sensitive_features: [sex, race],
               fairness_evaluation_kind: difference, threshold: "<=0.1"}
    Cohorts: [{name: Over 40, cohort_filter_list: [{method: greater, arg: [40], column: age}]}]

Every problem is collected and raised at once in one :class:`ScorecardConfigError`, with "did you
mean" for near misses. ``Model.PositiveClass`` (the class precision / recall / F1 are about) is ours;
the Responsible AI scorecard names cohorts of its dashboard, here a cohort is defined inline with the
dashboard's filter format (``method``: greater, greater and equal, less, less and equal, equal,
includes, excludes, in the range of).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ...errors import InvalidParameterError, did_you_mean
from ._metrics import CLASSIFICATION, METRICS, REGRESSION
from ._result import Threshold

__all__ = ["CohortFilter", "CohortSpec", "FairnessSpec", "MetricTarget", "ScorecardConfig", "ScorecardConfigError",
           "TRUE_Y", "PREDICTED_Y", "load_config"]

TRUE_Y, PREDICTED_Y = "True Y", "Predicted Y"  # the dashboard's names of the label and prediction "columns"
_SECTIONS = ("Model", "Metrics", "FeatureImportance", "DataExplorer", "Fairness", "Cohorts")
_MODEL_KEYS = ("ModelName", "ModelType", "ModelSummary", "PositiveClass")
_FAIRNESS_KEYS = ("metric", "sensitive_features", "fairness_evaluation_kind", "threshold")
_FILTER_KEYS = ("method", "arg", "column")
_ORDERED = {"greater": ">", "greater and equal": ">=", "less": "<", "less and equal": "<="}
_METHODS = (*_ORDERED, "equal", "includes", "excludes", "in the range of")
_THRESHOLD = re.compile(r"^\s*(>=|<=|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")
_FAIRNESS_METRICS = tuple(name for name, spec in METRICS.items() if not spec.needs_scores)


class ScorecardConfigError(InvalidParameterError):
    """A scorecard config that cannot be used as written; ``problems`` lists every problem found."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        count = f"{len(self.problems)} problem" + ("s" if len(self.problems) != 1 else "")
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"The scorecard config {source} has {count}:\n{lines}")


@dataclass(frozen=True)
class MetricTarget:
    name: str
    threshold: Threshold | None


@dataclass(frozen=True)
class CohortFilter:
    """One filter of a cohort: rows whose ``column`` passes ``method`` with ``arg``."""

    method: str
    arg: tuple[Any, ...]
    column: str

    def describe(self) -> str:
        values = ", ".join(str(value) for value in self.arg)
        if self.method in _ORDERED:
            return f"{self.column} {_ORDERED[self.method]} {values}"
        if self.method == "equal":
            return f"{self.column} = {values}"
        if self.method == "in the range of":
            return f"{self.column} in [{self.arg[0]}, {self.arg[1]}]"
        return f"{self.column} {'in' if self.method == 'includes' else 'not in'} {{{values}}}"

    def mask(self, values: pd.Series) -> np.ndarray:
        if self.method in _ORDERED:
            compare = {">": values.gt, ">=": values.ge, "<": values.lt, "<=": values.le}[_ORDERED[self.method]]
            return np.asarray(compare(self.arg[0]), dtype=bool)
        if self.method == "equal":
            return np.asarray(values == self.arg[0], dtype=bool)
        if self.method == "in the range of":
            return np.asarray(values.between(self.arg[0], self.arg[1]), dtype=bool)
        inside = np.asarray(values.isin(self.arg), dtype=bool)
        return inside if self.method == "includes" else ~inside


@dataclass(frozen=True)
class CohortSpec:
    """A named cohort: the rows passing every filter."""

    name: str
    filters: tuple[CohortFilter, ...]

    def describe(self) -> str:
        return " and ".join(f.describe() for f in self.filters) or "all rows"


@dataclass(frozen=True)
class FairnessSpec:
    metrics: tuple[str, ...]
    sensitive_features: tuple[str, ...]
    kind: str  # "difference" or "ratio"
    threshold: Threshold | None


@dataclass(frozen=True)
class ScorecardConfig:
    """A checked scorecard config (see the module docstring for the format)."""

    model_name: str
    model_type: str | None  # "classification", "regression", or None: take the model's
    model_summary: str
    positive_class: str | None
    metrics: tuple[MetricTarget, ...]
    top_n: int | None
    explorer_features: tuple[str, ...]
    fairness: FairnessSpec | None
    cohorts: tuple[CohortSpec, ...]
    source: Mapping[str, Any]  # the config as read, logged beside the scorecard

    @property
    def columns(self) -> tuple[str, ...]:
        """Every data column the config names (explorer features, sensitive features, cohort columns)."""
        named = [*self.explorer_features, *(self.fairness.sensitive_features if self.fairness else ())]
        named += [f.column for cohort in self.cohorts for f in cohort.filters]
        return tuple(dict.fromkeys(c for c in named if c not in (TRUE_Y, PREDICTED_Y)))


# ------------------------------------------------------------------------------------ reading
def _read(source: str | Path | Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    if isinstance(source, Mapping):
        return dict(source), "(given as a mapping)"
    if not isinstance(source, (str, Path)):
        raise InvalidParameterError(f"The scorecard config must be a file path or a mapping with keys such as "
                                    f"{', '.join(_SECTIONS)}; got a {type(source).__name__}.")
    path = Path(source)
    if not path.is_file():
        raise InvalidParameterError(f"The scorecard config {str(path)!r} is not a file; give a YAML or JSON file.")
    text = path.read_text(encoding="utf-8")
    try:
        content = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise InvalidParameterError(f"The scorecard config {path} is not valid "
                                    f"{'JSON' if path.suffix.lower() == '.json' else 'YAML'}: {error}") from None
    if not isinstance(content, dict):
        raise InvalidParameterError(f"The scorecard config {path} must be a mapping with keys such as "
                                    f"{', '.join(_SECTIONS)}; it holds a {type(content).__name__}.")
    return content, str(path)


class _Checker:
    """Collects problems while it reads the config, so all of them are reported together."""

    def __init__(self, data: pd.DataFrame | None, task: str | None) -> None:
        self.problems: list[str] = []
        self.data = data
        self.task = task

    def problem(self, where: str, text: str) -> None:
        self.problems.append(f"{where}: {text}")

    def mapping(self, value: Any, where: str, keys: Sequence[str]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.problem(where, f"expected a mapping with keys {', '.join(keys)}; got {type(value).__name__} "
                         f"{value!r}.")
            return {}
        for key in value:
            if key not in keys:
                self.problem(f"{where}.{key}", f"unknown key.{did_you_mean(key, keys)} Known keys: {', '.join(keys)}.")
        return dict(value)

    def names(self, value: Any, where: str) -> list[str]:
        """A string or a list of strings, as a list."""
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return list(value)
        self.problem(where, f"expected a name or a list of names; got {value!r}.")
        return []

    def threshold(self, value: Any, where: str) -> Threshold | None:
        if isinstance(value, list) and len(value) == 2:  # the older [operator, number] spelling
            value = f"{value[0]}{value[1]}"
        match = _THRESHOLD.match(value) if isinstance(value, str) else None
        if match is None:
            self.problem(where, f"{value!r} is not a threshold: write an operator (>=, <=, >, <) then a number, "
                         "e.g. \">=0.85\".")
            return None
        number = float(match.group(2))
        if not math.isfinite(number):
            self.problem(where, f"{value!r} needs a finite number.")
            return None
        return Threshold(match.group(1), number, value.strip())

    def metric(self, name: str, where: str, allowed: Sequence[str]) -> str | None:
        """The metric's canonical name (names are case-insensitive, as the scorecard's docs spell them
        both ways), or None after recording the problem."""
        tasks = [self.task] if self.task in (CLASSIFICATION, REGRESSION) else [CLASSIFICATION, REGRESSION]
        known = [m for m in allowed if METRICS[m].task in tasks]
        name = name.lower() if name.lower() in METRICS else name
        if name in known:
            return name
        if name in METRICS and name in allowed:
            self.problem(where, f"{name!r} measures {METRICS[name].task}, but the model does {self.task}. "
                         f"Use one of: {', '.join(known)}.")
        else:
            self.problem(where, f"unknown metric {name!r}.{did_you_mean(name, known)} Known: {', '.join(known)}.")
        return None

    def column(self, name: Any, where: str, *, special: bool = False) -> bool:
        if not isinstance(name, str):
            self.problem(where, f"expected a column name; got {name!r}.")
            return False
        if special and name in (TRUE_Y, PREDICTED_Y):
            return True
        if self.data is None or name in self.data.columns:
            return True
        columns = [str(c) for c in self.data.columns]
        self.problem(where, f"no column {name!r} in the data.{did_you_mean(name, columns)} "
                     f"Columns: {', '.join(columns[:40])}{' ...' if len(columns) > 40 else ''}.")
        return False


def _model(checker: _Checker, section: Any) -> tuple[str, str | None, str, str | None]:
    model = checker.mapping(section, "Model", _MODEL_KEYS)
    model_type = model.get("ModelType")
    if model_type is not None:
        if not isinstance(model_type, str) or model_type.strip().lower() not in (CLASSIFICATION, REGRESSION):
            checker.problem("Model.ModelType", f"expected classification or regression; got {model_type!r}.")
            model_type = None
        else:
            model_type = model_type.strip().lower()
            if checker.task in (CLASSIFICATION, REGRESSION) and model_type != checker.task:
                checker.problem("Model.ModelType", f"says {model_type}, but the model does {checker.task}.")
    positive = model.get("PositiveClass")
    return (str(model.get("ModelName") or "Model"), model_type, str(model.get("ModelSummary") or ""),
            None if positive is None else str(positive))


def _metrics(checker: _Checker, section: Any) -> tuple[MetricTarget, ...]:
    if section is None:
        return ()
    if not isinstance(section, Mapping):
        checker.problem("Metrics", f"expected a mapping of metric name to {{threshold: \">=0.8\"}}; got {section!r}.")
        return ()
    targets = []
    for name, spec in section.items():
        where = f"Metrics.{name}"
        canonical = checker.metric(str(name), where, list(METRICS))
        spec = checker.mapping(spec, where, ("threshold",))
        threshold = checker.threshold(spec["threshold"], f"{where}.threshold") if "threshold" in spec else None
        if canonical in {target.name for target in targets}:
            checker.problem(where, f"{canonical!r} is listed twice.")
        elif canonical is not None:
            targets.append(MetricTarget(canonical, threshold))
    return tuple(targets)


def _top_n(checker: _Checker, section: Any) -> int | None:
    if section is None:
        return None
    top_n = checker.mapping(section, "FeatureImportance", ("top_n",)).get("top_n", 10)
    if isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1:
        checker.problem("FeatureImportance.top_n", f"expected a positive integer; got {top_n!r}.")
        return None
    return top_n


def _explorer(checker: _Checker, section: Any) -> tuple[str, ...]:
    if section is None:
        return ()
    features = checker.mapping(section, "DataExplorer", ("features",)).get("features", [])
    names = checker.names(features, "DataExplorer.features")
    return tuple(name for i, name in enumerate(names) if checker.column(name, f"DataExplorer.features[{i}]"))


def _fairness(checker: _Checker, section: Any) -> FairnessSpec | None:
    if section is None:
        return None
    fairness = checker.mapping(section, "Fairness", _FAIRNESS_KEYS)
    for key in ("metric", "sensitive_features"):
        if key not in fairness:
            checker.problem(f"Fairness.{key}", "missing; it is required.")
    names = [checker.metric(m, "Fairness.metric", _FAIRNESS_METRICS)
             for m in checker.names(fairness.get("metric", []), "Fairness.metric")]
    metrics = list(dict.fromkeys(name for name in names if name is not None))
    features = [f for i, f in enumerate(checker.names(fairness.get("sensitive_features", []),
                                                      "Fairness.sensitive_features"))
                if checker.column(f, f"Fairness.sensitive_features[{i}]")]
    kind = fairness.get("fairness_evaluation_kind", "difference")
    if kind not in ("difference", "ratio"):
        hint = did_you_mean(str(kind), ("difference", "ratio"))
        checker.problem("Fairness.fairness_evaluation_kind", f"expected difference or ratio; got {kind!r}.{hint}")
    threshold = checker.threshold(fairness["threshold"], "Fairness.threshold") if "threshold" in fairness else None
    return FairnessSpec(tuple(metrics), tuple(features), str(kind), threshold)


def _filter_arg(checker: _Checker, method: str, arg: Any, column: str | None, where: str) -> tuple[Any, ...] | None:
    if not isinstance(arg, list) or not arg:
        checker.problem(where, f"expected a non-empty list of values; got {arg!r}.")
        return None
    expected = 2 if method == "in the range of" else 1 if method in (*_ORDERED, "equal") else None
    if expected is not None and len(arg) != expected:
        checker.problem(where, f"{method!r} takes {expected} value{'s' if expected > 1 else ''}; got {arg!r}.")
        return None
    numeric = method in _ORDERED or method == "in the range of"
    if numeric and not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in arg):
        checker.problem(where, f"{method!r} compares numbers; got {arg!r}.")
        return None
    if method == "in the range of" and arg[0] > arg[1]:
        checker.problem(where, f"the range {arg!r} is empty: give [low, high].")
        return None
    data = checker.data
    if column is not None and data is not None and column in data.columns:
        values = data[column]
        is_numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if numeric and not is_numeric:
            checker.problem(where, f"{method!r} needs a numeric column; {column!r} holds categories.")
            return None
        if not is_numeric:
            present = {str(v) for v in values.dropna().unique()}
            for value in arg:
                if str(value) not in present:
                    checker.problem(where, f"{value!r} is not a value of column {column!r}."
                                    f"{did_you_mean(str(value), sorted(present))}")
            return tuple(v for v in values.dropna().unique() if str(v) in {str(a) for a in arg})
    return tuple(arg)


def _cohorts(checker: _Checker, section: Any) -> tuple[CohortSpec, ...]:
    if section is None:
        return ()
    if not isinstance(section, list):
        checker.problem("Cohorts", f"expected a list of cohorts; got {type(section).__name__}.")
        return ()
    cohorts, seen = [], set()
    for i, entry in enumerate(section):
        where = f"Cohorts[{i}]"
        if isinstance(entry, str):
            checker.problem(where, f"{entry!r} is only a name; define the cohort inline, e.g. {{name: {entry}, "
                            "cohort_filter_list: [{method: greater, arg: [40], column: age}]}.")
            continue
        cohort = checker.mapping(entry, where, ("name", "cohort_filter_list"))
        name = cohort.get("name")
        if not isinstance(name, str) or not name.strip():
            checker.problem(f"{where}.name", f"expected a non-empty name; got {name!r}.")
            continue
        if name in seen:
            checker.problem(f"{where}.name", f"{name!r} names two cohorts; give each a different name.")
        seen.add(name)
        filters = cohort.get("cohort_filter_list", [])
        if not isinstance(filters, list):
            checker.problem(f"{where}.cohort_filter_list", f"expected a list of filters; got {filters!r}.")
            continue
        parsed = []
        for j, entry_filter in enumerate(filters):
            at = f"{where}.cohort_filter_list[{j}]"
            spec = checker.mapping(entry_filter, at, _FILTER_KEYS)
            missing = [key for key in _FILTER_KEYS if key not in spec]
            if missing or not spec:
                checker.problem(at, f"missing {', '.join(missing or _FILTER_KEYS)}; a filter is "
                                "{method: greater, arg: [40], column: age}.")
                continue
            method, column = spec["method"], spec["column"]
            if method not in _METHODS:
                checker.problem(f"{at}.method", f"unknown method {method!r}.{did_you_mean(str(method), _METHODS)} "
                                f"Known: {', '.join(_METHODS)}.")
                continue
            valid_column = checker.column(column, f"{at}.column", special=True)
            arg = _filter_arg(checker, method, spec["arg"], column if valid_column else None, f"{at}.arg")
            if valid_column and arg is not None:
                parsed.append(CohortFilter(method, arg, column))
        cohorts.append(CohortSpec(name, tuple(parsed)))
    return tuple(cohorts)


def load_config(source: str | Path | Mapping[str, Any], *, data: pd.DataFrame | None = None,
                task: str | None = None) -> ScorecardConfig:
    """Read and check a scorecard config (a YAML / JSON file, or a mapping).

    Parameters
    ----------
    source
        The config file, or its content as a mapping.
    data
        The table the scorecard will be computed on (features and label): column names and category
        values are checked against it when given.
    task
        ``classification`` or ``regression`` (the model's): metric names and ``Model.ModelType`` are
        checked against it when given.

    Raises
    ------
    ScorecardConfigError
        Listing every problem found: unknown keys, metrics or columns (with "did you mean"),
        malformed thresholds, bad filters.
    InvalidParameterError
        When the file is missing or not YAML / JSON.
    """
    content, where = _read(source)
    checker = _Checker(data, task)
    for key in content:
        if key not in _SECTIONS:
            checker.problem(str(key), f"unknown section.{did_you_mean(str(key), _SECTIONS)} "
                            f"Known sections: {', '.join(_SECTIONS)}.")
    name, model_type, summary, positive = _model(checker, content.get("Model"))
    if checker.task not in (CLASSIFICATION, REGRESSION):
        checker.task = model_type
    config = ScorecardConfig(
        model_name=name, model_type=model_type, model_summary=summary, positive_class=positive,
        metrics=_metrics(checker, content.get("Metrics")), top_n=_top_n(checker, content.get("FeatureImportance")),
        explorer_features=_explorer(checker, content.get("DataExplorer")),
        fairness=_fairness(checker, content.get("Fairness")), cohorts=_cohorts(checker, content.get("Cohorts")),
        source=content,
    )
    if checker.problems:
        raise ScorecardConfigError(where, checker.problems)
    return config
