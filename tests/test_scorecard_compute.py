"""Scorecard facts against hand computations: fairness per group, top features, targets, cohorts, bins."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn import metrics

from explain_lib import Explanation
from explain_lib.errors import InvalidParameterError
from explain_lib.report.scorecard import compute_scorecard, load_config

# A small table whose numbers can be counted by hand.
SEX = ["a", "a", "a", "a", "b", "b", "b", "b", "b", "b"]
Y_TRUE = [1, 0, 1, 1, 0, 0, 1, 0, 1, 0]
Y_PRED = [1, 0, 0, 1, 1, 0, 1, 1, 0, 0]
AGE = [22, 35, 47, 51, 29, 63, 41, 38, 55, 30]


@pytest.fixture
def small() -> pd.DataFrame:
    return pd.DataFrame({"sex": SEX, "age": AGE, "label": Y_TRUE})


def _card(config: dict, data: pd.DataFrame, y_true=Y_TRUE, y_pred=Y_PRED, task="classification", **kwargs):
    return compute_scorecard(load_config(config, data=data, task=task), data, y_true, y_pred, task=task, **kwargs)


def _by_hand(metric: str, rows: list[int]) -> float:
    pairs = [(Y_TRUE[i], Y_PRED[i]) for i in rows]
    if metric == "accuracy_score":
        return sum(t == p for t, p in pairs) / len(pairs)
    if metric == "selection_rate":
        return sum(p == 1 for _, p in pairs) / len(pairs)
    if metric == "recall_score":
        return sum(t == p == 1 for t, p in pairs) / sum(t == 1 for t, _ in pairs)
    raise AssertionError(metric)


@pytest.mark.parametrize("kind", ["difference", "ratio"])
def test_fairness_numbers_equal_a_hand_computation(small, kind):
    card = _card({"Fairness": {"metric": ["accuracy_score", "selection_rate", "recall_score"],
                               "sensitive_features": ["sex"], "fairness_evaluation_kind": kind,
                               "threshold": "<=0.3" if kind == "difference" else ">=0.8"}}, small)
    groups = {g: [i for i, s in enumerate(SEX) if s == g] for g in ("a", "b")}
    assert [(r.metric_name, r.kind) for r in card.fairness] == [
        ("accuracy_score", kind), ("selection_rate", kind), ("recall_score", kind)]
    for result in card.fairness:
        per_group = {g: _by_hand(result.metric_name, rows) for g, rows in groups.items()}
        assert {g.label: (g.count, g.value) for g in result.groups} == {
            g: (len(groups[g]), pytest.approx(v)) for g, v in per_group.items()}
        low, high = min(per_group.values()), max(per_group.values())
        expected = high - low if kind == "difference" else low / high
        assert result.value == pytest.approx(expected)
        assert result.target.met == (expected <= 0.3 if kind == "difference" else expected >= 0.8)
        assert result.target.key == f"fairness.{result.metric_name}.{kind}.sex"
    # accuracy: a 3/4, b 3/6 -> difference 0.25, ratio 2/3; selection rate: a 2/4, b 2/6
    accuracy = card.fairness[0]
    assert accuracy.value == pytest.approx(0.25 if kind == "difference" else 2 / 3)
    assert card.targets == tuple(r.target for r in card.fairness)


def test_a_numeric_sensitive_feature_is_grouped_into_quantile_bins_and_says_so():
    data = pd.DataFrame({"age": np.arange(100, dtype=float)})
    y = np.tile([0, 1], 50)
    card = compute_scorecard(load_config({"Fairness": {"metric": "accuracy_score", "sensitive_features": "age"}},
                                         data=data), data, y, y, task="classification")
    (result,) = card.fairness
    assert "5 quantile bins" in result.note
    assert [g.count for g in result.groups] == [20, 20, 20, 20, 20]
    assert result.groups[0].label == "[0, 20)" and result.groups[-1].label == "[80, 99]"


@pytest.mark.parametrize("top_n", [1, 3, 5, 9])
def test_top_n_gives_exactly_the_highest_features(top_n):
    features = ("f0", "f1", "f2", "f3", "f4")
    importance = np.array([0.2, 0.9, 0.05, 0.6, 0.4])
    local = np.tile(importance, (1, 4, 1)) * np.array([1, -1, 1, -1])[None, :, None]  # mean |local| = importance
    explanation = Explanation(local=local, expected=np.array([0.0]), features=features, task="regression",
                              output_space="raw", method="test.method")
    data = pd.DataFrame({"x": np.arange(4.0)})
    card = _card({"FeatureImportance": {"top_n": top_n}}, data, [1.0, 2, 3, 4], [1.5, 2, 2.5, 4], task="regression",
                 explanation=explanation)
    ranked = sorted(zip(features, importance, strict=True), key=lambda pair: -pair[1])
    expected = ranked[: min(top_n, len(features))]
    assert [name for name, _ in card.feature_importance.features] == [name for name, _ in expected]
    assert_allclose([v for _, v in card.feature_importance.features], [v for _, v in expected])
    assert card.feature_importance.top_n == top_n and card.feature_importance.explanation_id == explanation.id


def test_targets_and_performance_metrics_equal_sklearn(small):
    card = _card({"Metrics": {"accuracy_score": {"threshold": ">=0.6"}, "f1_score": {"threshold": ">=0.5"},
                              "error_rate": {}}}, small, scores=np.column_stack([1 - np.linspace(0, 1, 10),
                                                                                np.linspace(0, 1, 10)]))
    values = {m.name: m.value for m in card.performance.metrics}
    assert values["accuracy_score"] == pytest.approx(metrics.accuracy_score(Y_TRUE, Y_PRED)) == pytest.approx(0.6)
    assert values["precision_score"] == pytest.approx(metrics.precision_score(Y_TRUE, Y_PRED))
    assert values["recall_score"] == pytest.approx(metrics.recall_score(Y_TRUE, Y_PRED))
    assert values["f1_score"] == pytest.approx(metrics.f1_score(Y_TRUE, Y_PRED))
    assert values["roc_auc_score"] == pytest.approx(metrics.roc_auc_score(Y_TRUE, np.linspace(0, 1, 10)))
    assert values["error_rate"] == pytest.approx(0.4)
    assert [(t.key, t.met) for t in card.targets] == [("accuracy_score", True), ("f1_score", True)]
    assert card.passed and card.missed == ()
    missed = _card({"Metrics": {"accuracy_score": {"threshold": ">0.6"}}}, small)
    assert not missed.passed and [t.key for t in missed.missed] == ["accuracy_score"]


def test_confusion_matrix_and_the_false_positives_and_negatives_in_words(small):
    card = _card({}, small)
    fp = sum(t == 0 and p == 1 for t, p in zip(Y_TRUE, Y_PRED, strict=True))
    fn = sum(t == 1 and p == 0 for t, p in zip(Y_TRUE, Y_PRED, strict=True))
    assert card.performance.labels == ("0", "1")
    assert card.performance.confusion == ((Y_TRUE.count(0) - fp, fp), (fn, Y_TRUE.count(1) - fn))
    assert f"False positives: {fp} of the {Y_TRUE.count(0)} rows" in card.performance.sentences[0]
    assert f"False negatives: {fn} of the {Y_TRUE.count(1)} rows" in card.performance.sentences[1]
    assert "roc_auc_score" not in {m.name for m in card.performance.metrics}  # no scores given


def test_the_positive_class_decides_what_precision_and_recall_are_about(small):
    as_one = _card({"Metrics": {"recall_score": {}}}, small)
    as_zero = _card({"Model": {"PositiveClass": "0"}, "Metrics": {"recall_score": {}}}, small)
    recall = {card.summary.positive_class: [m.value for m in card.performance.metrics if m.name == "recall_score"][0]
              for card in (as_one, as_zero)}
    assert recall["1"] == pytest.approx(metrics.recall_score(Y_TRUE, Y_PRED, pos_label=1))
    assert recall["0"] == pytest.approx(metrics.recall_score(Y_TRUE, Y_PRED, pos_label=0))
    with pytest.raises(InvalidParameterError, match=r"PositiveClass '2' is not a class.*\['0', '1'\]"):
        _card({"Model": {"PositiveClass": "2"}}, small)


def test_regression_metrics_errors_and_sentences():
    y_true = np.array([3.0, 5.0, 2.0, 8.0, 4.0])
    y_pred = np.array([2.5, 6.0, 2.0, 7.0, 5.5])
    data = pd.DataFrame({"x": np.arange(5)})
    card = _card({"Metrics": {"mean_absolute_error": {"threshold": "<=1"}, "r2_score": {"threshold": ">=0.9"}}},
                 data, y_true, y_pred, task="regression")
    values = {m.name: m.value for m in card.performance.metrics}
    assert values["mean_absolute_error"] == pytest.approx(np.mean(np.abs(y_pred - y_true))) == pytest.approx(0.8)
    assert values["mean_squared_error"] == pytest.approx(np.mean((y_pred - y_true) ** 2))
    assert values["r2_score"] == pytest.approx(metrics.r2_score(y_true, y_pred))
    assert_allclose(card.performance.errors, y_pred - y_true)
    assert [(t.key, t.met) for t in card.targets] == [("mean_absolute_error", True), ("r2_score", False)]
    assert "too high for 40.0%" in card.performance.sentences[1]


def test_multiclass_metrics_are_macro_averages_and_roc_auc_is_one_vs_rest():
    rng = np.random.default_rng(0)
    classes = np.array(["x", "y", "z"])
    y_true = rng.choice(classes, 60)
    scores = rng.dirichlet([1, 1, 1], 60)
    y_pred = classes[scores.argmax(axis=1)]
    card = _card({}, pd.DataFrame({"f": np.arange(60)}), y_true, y_pred, scores=scores, classes=classes)
    values = {m.name: m.value for m in card.performance.metrics}
    assert values["f1_score"] == pytest.approx(metrics.f1_score(y_true, y_pred, average="macro"))
    assert values["roc_auc_score"] == pytest.approx(metrics.roc_auc_score(y_true, scores, multi_class="ovr"))
    wrong = int((y_true != y_pred).sum())
    assert card.performance.sentences[0].startswith(f"{wrong} of 60 rows")


def test_data_explorer_bins_cover_every_row_with_the_metric_on_each(small):
    card = _card({"Metrics": {"recall_score": {}}, "DataExplorer": {"features": ["age", "sex"]}}, small)
    age, sex = card.data_explorer
    assert age.kind == "numeric" and sex.kind == "categorical" and age.metric_name == "recall_score"
    assert sum(b.count for b in age.bins) == len(AGE) == sum(b.count for b in sex.bins)
    assert [b.label for b in sex.bins] == ["b", "a"]  # most frequent first
    assert sex.bins[1].metric == pytest.approx(_by_hand("recall_score", [0, 1, 2, 3]))
    assert [b.label for b in age.bins] == [str(a) for a in sorted(AGE)]  # few values: one bin each
    wide = pd.DataFrame({"age": np.linspace(0, 80, 10 * len(AGE))})
    labels = np.tile(Y_TRUE, 10)
    (age,) = _card({"DataExplorer": {"features": ["age"]}}, wide, labels, np.tile(Y_PRED, 10)).data_explorer
    assert [b.label for b in age.bins][::7] == ["[0, 10)", "[70, 80]"] and len(age.bins) == 8
    assert [b.count for b in age.bins] == [np.histogram(wide["age"], bins=8)[0][i] for i in range(8)]
    whole = pd.DataFrame({"age": np.arange(17, 91)})  # 74 ages: equal-width bins with whole-number edges
    (age,) = _card({"DataExplorer": {"features": ["age"]}}, whole, np.arange(74) % 2, np.arange(74) % 3 % 2
                   ).data_explorer
    assert [b.label for b in age.bins][:2] == ["[17, 27)", "[27, 36)"] and age.bins[-1].label.endswith(", 90]")
    assert [b.count for b in age.bins] == list(np.histogram(whole["age"], bins=8)[0])  # the same rows as unrounded


def test_many_categories_keep_the_most_frequent_and_group_the_rest():
    values = [f"c{i}" for i in range(12) for _ in range(12 - i)]  # c0 x12, c1 x11, ... c11 x1
    data = pd.DataFrame({"cat": values})
    y = np.arange(len(values)) % 2
    card = _card({"DataExplorer": {"features": ["cat"]}}, data, y, y)
    labels = [b.label for b in card.data_explorer[0].bins]
    assert labels == [f"c{i}" for i in range(9)] + ["Other"]
    assert card.data_explorer[0].bins[-1].count == 3 + 2 + 1


def test_cohorts_report_their_size_and_metrics_against_the_targets(small):
    card = _card({"Metrics": {"accuracy_score": {"threshold": ">=0.7"}},
                  "Cohorts": [{"name": "Over 40", "cohort_filter_list": [
                      {"method": "greater", "arg": [40], "column": "age"}]},
                              {"name": "Predicted 1, group b", "cohort_filter_list": [
                      {"method": "equal", "arg": [1], "column": "Predicted Y"},
                      {"method": "includes", "arg": ["b"], "column": "sex"}]}]}, small)
    over_40 = [i for i, a in enumerate(AGE) if a > 40]
    predicted_b = [i for i in range(10) if Y_PRED[i] == 1 and SEX[i] == "b"]
    first, second = card.cohorts
    assert (first.size, second.size) == (len(over_40), len(predicted_b))
    assert first.metrics[0].value == pytest.approx(_by_hand("accuracy_score", over_40))
    assert second.metrics[0].value == pytest.approx(_by_hand("accuracy_score", predicted_b))
    assert first.metrics[0].target.met == (_by_hand("accuracy_score", over_40) >= 0.7)
    assert first.description == "age > 40" and second.description == "Predicted Y = 1 and sex in {b}"
    assert [t.key for t in card.targets] == ["accuracy_score"]  # cohort verdicts inform; they do not gate
    assert all(metric.target.informational for cohort in card.cohorts for metric in cohort.metrics)
    assert not card.targets[0].informational


def test_mismatched_lengths_are_refused(small):
    with pytest.raises(ValueError, match="as many labels"):
        _card({}, small, Y_TRUE[:5], Y_PRED[:5])
