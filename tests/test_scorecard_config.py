"""The scorecard config: the Responsible AI scorecard's keys read from YAML or JSON, every problem reported at once."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import yaml

from explain_lib.errors import InvalidParameterError
from explain_lib.report.scorecard import ScorecardConfigError, Threshold, load_config
from explain_lib.report.scorecard._config import CohortFilter

ISSUE_EXAMPLE = """
Model: {ModelName: Income model, ModelType: classification, ModelSummary: Predicts income > 50K}
Metrics: {accuracy_score: {threshold: ">=0.85"}, f1_score: {threshold: ">=0.6"}}
FeatureImportance: {top_n: 8}
DataExplorer: {features: [age, hours_per_week]}
Fairness: {metric: [accuracy_score, selection_rate], sensitive_features: [sex, race],
           fairness_evaluation_kind: difference, threshold: "<=0.1"}
Cohorts: [{name: Over 40, cohort_filter_list: [{method: greater, arg: [40], column: age}]}]
"""


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame({
        "age": [25, 40, 41, 60, 33, 52],
        "hours_per_week": [40, 50, 20, 60, 45, 38],
        "sex": ["Male", "Female", "Female", "Male", "Male", "Female"],
        "race": ["White", "Black", "White", "Asian", "White", "Black"],
        "income": ["<=50K", ">50K", "<=50K", ">50K", "<=50K", ">50K"],
    })


def _problems(content, table, task="classification") -> list[str]:
    with pytest.raises(ScorecardConfigError) as caught:
        load_config(content, data=table, task=task)
    assert str(caught.value).count("\n  - ") == len(caught.value.problems)
    return caught.value.problems


def test_yaml_and_json_files_give_the_same_config(tmp_path, table):
    (tmp_path / "card.yaml").write_text(ISSUE_EXAMPLE)
    (tmp_path / "card.json").write_text(json.dumps(yaml.safe_load(ISSUE_EXAMPLE)))
    from_yaml = load_config(tmp_path / "card.yaml", data=table, task="classification")
    from_json = load_config(str(tmp_path / "card.json"), data=table, task="classification")
    assert from_yaml == from_json
    assert from_yaml.model_name == "Income model" and from_yaml.model_type == "classification"
    assert [(m.name, m.threshold) for m in from_yaml.metrics] == [
        ("accuracy_score", Threshold(">=", 0.85, ">=0.85")), ("f1_score", Threshold(">=", 0.6, ">=0.6"))]
    assert from_yaml.top_n == 8 and from_yaml.explorer_features == ("age", "hours_per_week")
    assert from_yaml.fairness.metrics == ("accuracy_score", "selection_rate")
    assert from_yaml.fairness.sensitive_features == ("sex", "race")
    assert from_yaml.fairness.kind == "difference" and from_yaml.fairness.threshold.text == "<=0.1"
    (cohort,) = from_yaml.cohorts
    assert cohort.name == "Over 40" and cohort.filters == (CohortFilter("greater", (40,), "age"),)
    assert from_yaml.columns == ("age", "hours_per_week", "sex", "race")


def test_the_responsible_ai_documentation_spelling_is_accepted(table):
    """Capitalised ModelType and metric names as the Responsible AI scorecard's docs write them; a metric
    without a threshold is reported but is no target."""
    config = load_config({
        "Model": {"ModelName": "Housing", "ModelType": "Classification", "ModelSummary": "s"},
        "Metrics": {"accuracy_score": {"threshold": ">=0.85"}, "Selection_rate": {}},
        "Fairness": {"metric": ["accuracy_score"], "sensitive_features": ["sex"], "fairness_evaluation_kind": "ratio"},
    }, data=table)
    assert config.model_type == "classification"
    assert [(m.name, m.threshold) for m in config.metrics][1] == ("selection_rate", None)
    assert config.fairness.kind == "ratio" and config.fairness.threshold is None


def test_every_problem_is_listed_in_one_error_with_did_you_mean(table):
    problems = _problems({
        "Modle": {"ModelName": "x"},
        "Metrics": {"accuracy_scor": {"threshold": ">=0.8"}, "f1_score": {"treshold": ">=0.6"},
                    "precision_score": {"threshold": "=>0.7"}},
        "FeatureImportance": {"top_n": 0},
        "DataExplorer": {"features": ["agee"]},
        "Fairness": {"metric": ["selection_rat"], "sensitive_features": ["sexx"],
                     "fairness_evaluation_kind": "ratios", "threshold": "0.1"},
        "Cohorts": [{"name": "Old", "cohort_filter_list": [{"method": "grater", "arg": [40], "column": "age"}]}],
    }, table)
    expected = [
        ("Modle", "Did you mean 'Model'?"),
        ("Metrics.accuracy_scor", "Did you mean 'accuracy_score'?"),
        ("Metrics.f1_score.treshold", "Did you mean 'threshold'?"),
        ("Metrics.precision_score.threshold", "'=>0.7' is not a threshold"),
        ("FeatureImportance.top_n", "positive integer"),
        ("DataExplorer.features[0]", "Did you mean 'age'?"),
        ("Fairness.metric", "Did you mean 'selection_rate'?"),
        ("Fairness.sensitive_features[0]", "Did you mean 'sex'?"),
        ("Fairness.fairness_evaluation_kind", "Did you mean 'ratio'?"),
        ("Fairness.threshold", "'0.1' is not a threshold"),
        ("Cohorts[0].cohort_filter_list[0].method", "Did you mean 'greater'?"),
    ]
    assert len(problems) == len(expected), problems
    for (where, text), problem in zip(expected, problems, strict=True):
        assert problem.startswith(where + ":") and text in problem, (where, problem)


@pytest.mark.parametrize("threshold", ["0.8", "=>0.8", ">= high", ">=", "0.8>=", "== 0.8", ">=nan", 0.8, True])
def test_a_malformed_threshold_is_refused(table, threshold):
    (problem,) = _problems({"Metrics": {"accuracy_score": {"threshold": threshold}}}, table)
    assert problem.startswith("Metrics.accuracy_score.threshold:") and "operator (>=, <=, >, <)" in problem


@pytest.mark.parametrize(("text", "operator", "value"), [
    (">=0.85", ">=", 0.85), ("<= 20", "<=", 20.0), (" > -1.5e-3 ", ">", -0.0015), ("<.5", "<", 0.5),
    ([">=", 0.9], ">=", 0.9),
])
def test_thresholds_parse_with_or_without_spaces(table, text, operator, value):
    (metric,) = load_config({"Metrics": {"r2_score": {"threshold": text}}}, data=table, task="regression").metrics
    assert (metric.threshold.operator, metric.threshold.value) == (operator, value)


def test_threshold_verdicts_at_the_boundary():
    assert Threshold(">=", 0.85, ">=0.85").is_met(0.85) and not Threshold(">", 0.85, ">0.85").is_met(0.85)
    assert Threshold("<=", 0.1, "<=0.1").is_met(0.1) and not Threshold("<", 0.1, "<0.1").is_met(0.1)
    assert not Threshold(">=", 0.0, ">=0").is_met(math.nan) and not Threshold("<=", 1.0, "<=1").is_met(math.nan)


def test_metrics_of_the_other_task_and_a_contradicting_model_type_are_refused(table):
    problems = _problems({"Model": {"ModelType": "regression"}, "Metrics": {"r2_score": {}}}, table)
    assert problems[0].startswith("Model.ModelType:") and "the model does classification" in problems[0]
    assert problems[1].startswith("Metrics.r2_score:") and "measures regression" in problems[1]
    (problem,) = _problems({"Model": {"ModelType": "clustering"}}, table, task=None)
    assert "expected classification or regression" in problem


def test_without_a_known_task_the_model_type_decides_which_metrics_are_valid(table):
    problems = _problems({"Model": {"ModelType": "regression"}, "Metrics": {"accuracy_score": {}}}, table, task=None)
    assert problems == [problems[0]] and "measures classification" in problems[0]


@pytest.mark.parametrize(("cohort", "where", "text"), [
    ("High earners", "Cohorts[0]", "is only a name; define the cohort inline"),
    ({"name": "", "cohort_filter_list": []}, "Cohorts[0].name", "non-empty name"),
    ({"name": "a", "cohort_filter_list": [{"method": "greater", "arg": [40]}]}, "Cohorts[0].cohort_filter_list[0]",
     "missing column"),
    ({"name": "a", "cohort_filter_list": [{"method": "greater", "arg": [40, 50], "column": "age"}]},
     "Cohorts[0].cohort_filter_list[0].arg", "takes 1 value"),
    ({"name": "a", "cohort_filter_list": [{"method": "in the range of", "arg": [50, 40], "column": "age"}]},
     "Cohorts[0].cohort_filter_list[0].arg", "is empty"),
    ({"name": "a", "cohort_filter_list": [{"method": "less", "arg": ["forty"], "column": "age"}]},
     "Cohorts[0].cohort_filter_list[0].arg", "compares numbers"),
    ({"name": "a", "cohort_filter_list": [{"method": "greater", "arg": [1], "column": "sex"}]},
     "Cohorts[0].cohort_filter_list[0].arg", "needs a numeric column"),
    ({"name": "a", "cohort_filter_list": [{"method": "includes", "arg": ["Femal"], "column": "sex"}]},
     "Cohorts[0].cohort_filter_list[0].arg", "Did you mean 'Female'?"),
    ({"name": "a", "cohort_filter_list": [{"method": "equal", "arg": [1], "column": "agee"}]},
     "Cohorts[0].cohort_filter_list[0].column", "Did you mean 'age'?"),
    ({"name": "a", "cohort_filter_list": [{"method": "equal", "arg": [1], "column": "age", "op": 1}]},
     "Cohorts[0].cohort_filter_list[0].op", "unknown key"),
])
def test_a_bad_cohort_is_refused(table, cohort, where, text):
    (problem,) = _problems({"Cohorts": [cohort]}, table)
    assert problem.startswith(where + ":") and text in problem, problem


def test_two_cohorts_with_one_name_are_refused(table):
    cohort = {"name": "a", "cohort_filter_list": [{"method": "greater", "arg": [30], "column": "age"}]}
    (problem,) = _problems({"Cohorts": [cohort, cohort]}, table)
    assert problem.startswith("Cohorts[1].name:") and "names two cohorts" in problem


@pytest.mark.parametrize("top_n", [0, -1, "3", True, 2.5])
def test_top_n_must_be_a_positive_integer(table, top_n):
    (problem,) = _problems({"FeatureImportance": {"top_n": top_n}}, table)
    assert problem.startswith("FeatureImportance.top_n:")


def test_unreadable_files_say_what_is_wrong(tmp_path, table):
    with pytest.raises(InvalidParameterError, match="is not a file"):
        load_config(tmp_path / "missing.yaml")
    (tmp_path / "broken.yaml").write_text("Model: {ModelName: [unclosed\n")
    with pytest.raises(InvalidParameterError, match="is not valid YAML"):
        load_config(tmp_path / "broken.yaml")
    (tmp_path / "broken.json").write_text('{"Metrics": {},}')
    with pytest.raises(InvalidParameterError, match="is not valid JSON"):
        load_config(tmp_path / "broken.json")
    (tmp_path / "list.yaml").write_text("- Model\n- Metrics\n")
    with pytest.raises(InvalidParameterError, match="must be a mapping"):
        load_config(tmp_path / "list.yaml")


@pytest.mark.parametrize(("method", "arg", "expected"), [
    ("greater", (40,), [False, False, True, True, False, True]),
    ("greater and equal", (40,), [False, True, True, True, False, True]),
    ("less", (40,), [True, False, False, False, True, False]),
    ("less and equal", (40,), [True, True, False, False, True, False]),
    ("equal", (41,), [False, False, True, False, False, False]),
    ("in the range of", (33, 41), [False, True, True, False, True, False]),
    ("includes", (25, 60), [True, False, False, True, False, False]),
    ("excludes", (25, 60), [False, True, True, False, True, True]),
])
def test_cohort_filter_methods_select_the_rows_they_name(table, method, arg, expected):
    mask = CohortFilter(method, arg, "age").mask(table["age"])
    assert mask.tolist() == expected
    ages = table["age"].tolist()
    assert mask.sum() == sum(1 for a in ages if {
        "greater": a > arg[0], "greater and equal": a >= arg[0], "less": a < arg[0], "less and equal": a <= arg[0],
        "equal": a == arg[0], "in the range of": arg[0] <= a <= arg[-1], "includes": a in arg,
        "excludes": a not in arg}[method])


def test_category_filters_keep_the_data_values(table):
    config = load_config({"Cohorts": [{"name": "w", "cohort_filter_list": [
        {"method": "includes", "arg": ["Female"], "column": "sex"}]}]}, data=table)
    (spec,) = config.cohorts[0].filters
    assert np.asarray(spec.mask(table["sex"])).sum() == 3
    assert config.cohorts[0].describe() == "sex in {Female}"
