"""TreeShap.interactions: exact SHAP interaction values. Known answers: shap's shap_interaction_values (to
1e-9), the textbook sum over coalitions of the path-dependent game (every missing-value rule), stumps have
no interactions, a feature the model ignores has none; symmetry, rows summing to the SHAP values, the
rest slot when only some features are chosen; typed result, errors, pickling and threads."""

import pickle
from concurrent.futures import ThreadPoolExecutor

import lightgbm
import numpy as np
import pandas as pd
import pytest
import shap
import xgboost
from numpy.testing import assert_allclose, assert_array_equal
from shapley_reference import coalition_values, interactions_from_values, lightgbm_path_value, xgboost_path_value
from sklearn.ensemble import (
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
)
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

from explain_lib import Interactions, InvalidInputError, InvalidParameterError, TreeShap, UnsupportedModelError
from explain_lib.explainers import _tree_interactions
from explain_lib.explainers._fasttree import FastTreeShap
from explain_lib.explainers._tree_arrays import tree_arrays

N_FEATURES = 6


def _data(task, n=600, seed=0, missing=False):
    """Continuous features (no exact zeros unless ``missing``: shap does not follow LightGBM's zero rule)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, N_FEATURES))
    if missing:
        X[rng.random(n) < 0.15, 0] = np.nan
        X[rng.random(n) < 0.25, 1] = 0.0
    signal = np.nan_to_num(X[:, 0]) * X[:, 1] + np.sin(2 * X[:, 2]) + (X[:, 3] > 0) * X[:, 4]
    if task == "reg":
        return X, signal
    if task == "bin":
        return X, (signal > np.median(signal)).astype(int)
    return X, np.digitize(signal, np.quantile(signal, [1 / 3, 2 / 3]))


def _lightgbm(task, **params):
    X, y = _data(task, missing=params.pop("missing", False))
    cls = lightgbm.LGBMRegressor if task == "reg" else lightgbm.LGBMClassifier
    options = {"n_estimators": 20, "num_leaves": 12, "min_child_samples": 5, "verbose": -1, "n_jobs": 1, **params}
    return cls(**options).fit(X, y), X


def _shap_reference(model, rows):
    """shap's interaction values as (n_outputs, n_rows, M, M), positive class only for binary."""
    reference = shap.TreeExplainer(model).shap_interaction_values(rows)
    reference = np.asarray(reference)
    if reference.ndim == 3:
        return reference[None]
    if reference.shape[0] == len(rows):  # (rows, M, M, outputs)
        reference = reference.transpose(3, 0, 1, 2)
    return reference[1:] if reference.shape[0] == 2 else reference


def _ours(result):
    """Our values in the layout of ``_shap_reference`` (binary: class 1 only)."""
    return result.values[1:] if result.task == "classification" and result.n_outputs == 2 else result.values


@pytest.mark.parametrize("task", ["reg", "bin", "multi"])
def test_lightgbm_equals_shap_interaction_values(task):
    model, X = _lightgbm(task)
    rows = X[:150]
    result = TreeShap(model).interactions(rows)
    assert_allclose(_ours(result), _shap_reference(model, rows), rtol=0, atol=1e-9)


SKLEARN_CASES = {
    "DecisionTreeClassifier-multi": (lambda: DecisionTreeClassifier(max_depth=6, random_state=0), "multi"),
    "RandomForestClassifier-bin": (lambda: RandomForestClassifier(8, max_depth=5, random_state=0), "bin"),
    "ExtraTreesRegressor": (lambda: ExtraTreesRegressor(8, max_depth=5, random_state=0), "reg"),
    "GradientBoostingClassifier-bin": (lambda: GradientBoostingClassifier(n_estimators=15, random_state=0), "bin"),
    "HistGradientBoostingClassifier-multi": (lambda: HistGradientBoostingClassifier(max_iter=10, random_state=0),
                                             "multi"),
    "HistGradientBoostingRegressor": (lambda: HistGradientBoostingRegressor(max_iter=15, random_state=0), "reg"),
}


@pytest.mark.parametrize("name", list(SKLEARN_CASES))
def test_sklearn_trees_equal_shap_interaction_values_and_add_up_to_the_output(name):
    make, task = SKLEARN_CASES[name]
    X, y = _data(task)
    with threadpool_limits(1):  # histogram gradient boosting's OpenMP threads crawl on a loaded machine
        model = make().fit(X, y)
    rows = X[:100]
    result = TreeShap(model).interactions(rows)
    assert_allclose(_ours(result), _shap_reference(model, rows), rtol=0, atol=1e-9)
    explanation = TreeShap(model).explain(rows)
    assert result.output_space == explanation.output_space
    assert_allclose(result.local, explanation.local, rtol=0, atol=1e-9)
    assert_allclose(result.expected, explanation.expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("missing", ["NaN", "Zero", "None"])
def test_lightgbm_equals_the_exact_enumeration_under_each_missing_rule(missing):
    params = {"NaN": {}, "Zero": {"zero_as_missing": True}, "None": {"use_missing": False}}[missing]
    model, X = _lightgbm("reg", missing=True, n_estimators=8, **params)
    rows = np.vstack([X[:3], np.full((1, N_FEATURES), np.nan), np.zeros((1, N_FEATURES))])
    result = TreeShap(model).interactions(rows)
    for row in range(len(rows)):
        v = coalition_values(lightgbm_path_value(model, rows[row]), N_FEATURES)
        assert_allclose(result.values[0, row], interactions_from_values(v, N_FEATURES), rtol=0, atol=1e-9)


@pytest.mark.parametrize("task", ["bin", "multi"])
def test_xgboost_equals_the_exact_enumeration_in_float64(task):
    X, y = _data(task, missing=True)
    model = xgboost.XGBClassifier(n_estimators=6, max_depth=4, n_jobs=1, random_state=0).fit(X, y)
    rows = np.vstack([X[:2], np.full((1, N_FEATURES), np.nan)])
    result = TreeShap(model).interactions(rows)
    ours = _ours(result)
    for group in range(ours.shape[0]):
        for row in range(len(rows)):
            v = coalition_values(xgboost_path_value(model, rows[row], group), N_FEATURES)
            assert_allclose(ours[group, row], interactions_from_values(v, N_FEATURES), rtol=0, atol=1e-9)


def test_stumps_have_no_interactions():
    X, y = _data("reg")
    model = lightgbm.LGBMRegressor(n_estimators=30, max_depth=1, num_leaves=2, verbose=-1, n_jobs=1).fit(X, y)
    result = TreeShap(model).interactions(X[:100])
    off_diagonal = result.values[0] * (1 - np.eye(N_FEATURES))
    assert np.abs(off_diagonal).max() == 0.0
    assert_allclose(np.diagonal(result.values[0], axis1=1, axis2=2), TreeShap(model).explain(X[:100]).local[0],
                    rtol=0, atol=1e-12)


def test_a_feature_the_model_ignores_has_no_interactions():
    X, y = _data("reg")
    train = X.copy()
    train[:, 5] = 1.0  # constant while training: no tree splits on it
    model = lightgbm.LGBMRegressor(n_estimators=20, verbose=-1, n_jobs=1).fit(train, y)
    assert 5 not in set(tree_arrays(model)[0].path_feature)
    result = TreeShap(model).interactions(X[:80])  # x5 varies in the explained rows
    assert np.abs(result.values[0, :, 5, :]).max() == 0.0 and np.abs(result.values[0, :, :, 5]).max() == 0.0
    assert np.abs(result.values[0, :, :5, :5]).max() > 0


def test_matrices_are_symmetric_and_rows_sum_to_the_shap_values():
    model, X = _lightgbm("multi")
    rows = X[:120]
    result = TreeShap(model).interactions(rows)
    assert_array_equal(result.values, result.values.transpose(0, 1, 3, 2))
    assert np.abs(result.rest).max() == 0.0  # every feature chosen: nothing left over
    explanation = TreeShap(model, algorithm="fast").explain(rows)
    assert_allclose(result.values.sum(-1), explanation.local, rtol=0, atol=1e-12)
    assert_allclose(result.expected, explanation.expected, rtol=0, atol=0)


def test_chosen_features_keep_their_pair_values_and_the_rest_makes_up_the_row():
    model, X = _lightgbm("reg")
    rows = X[:100]
    explainer = TreeShap(model)
    full = explainer.interactions(rows)
    chosen = ["x4", "x0", "x2"]
    part = explainer.interactions(rows, features=chosen)
    index = [full.features.index(f) for f in chosen]
    assert part.features == tuple(chosen)
    block = full.values[:, :, index][:, :, :, index]
    off = ~np.eye(3, dtype=bool)
    assert_array_equal(part.values[:, :, off], block[:, :, off])  # pairs add up leaf by leaf, in one order
    assert_allclose(part.values, block, rtol=0, atol=1e-12)
    others = [i for i in range(N_FEATURES) if i not in index]
    assert_allclose(part.rest, full.values[:, :, index][:, :, :, others].sum(-1), rtol=0, atol=1e-12)
    assert_allclose(part.local, explainer.explain(rows).local[:, :, index], rtol=0, atol=1e-9)
    by_position = explainer.interactions(rows, features=[4, 0, 2])
    assert_array_equal(by_position.values, part.values)


def test_top_k_takes_the_features_of_highest_global_importance():
    model, X = _lightgbm("bin")
    rows = X[:200]
    explainer = TreeShap(model)
    result = explainer.interactions(rows, top_k=3)
    expected = tuple(explainer.explain(rows).global_importance(top_k=3).index)
    assert result.features == expected
    assert result.params["chosen"] == "top_k by global importance" and result.params["top_k"] == 3
    assert explainer.interactions(rows, top_k=50).features == tuple(f"x{i}" for i in range(N_FEATURES))


def test_binary_class_zero_is_the_negation_and_the_result_reads_like_an_explanation():
    model, X = _lightgbm("bin")
    rows = X[:60]
    result = TreeShap(model).interactions(rows)
    assert isinstance(result, Interactions)
    assert result.values.shape == (2, 60, N_FEATURES, N_FEATURES) and result.classes == (0, 1)
    assert_array_equal(result.values[0], -result.values[1])
    assert result.output_space == "margin" and result.method == "shap.tree"
    mean_abs = np.abs(result.values[1]).mean(axis=0)
    assert_allclose(result.matrix().to_numpy(), mean_abs, rtol=1e-12)
    assert_allclose(result.matrix(cls=1).to_numpy(), mean_abs, rtol=1e-12)
    partners = result.strongest_partners()
    masked = mean_abs - np.diag(np.full(N_FEATURES, np.inf))
    assert list(partners["partner"]) == [result.features[j] for j in masked.argmax(axis=1)]
    assert isinstance(result.row(3), pd.DataFrame)
    assert_array_equal(result.row(3).to_numpy(), result.values[1, 3])
    with pytest.raises(InvalidParameterError, match="Unknown class"):
        result.matrix(cls=7)
    assert not result.values.flags.writeable


def test_summary_gives_the_heatmap_and_each_shown_rows_strongest_partner():
    model, X = _lightgbm("reg")
    result = TreeShap(model).interactions(X[:50], features=["x0", "x1", "x3"])
    summary = result.summary(rows=[4, 9])
    assert summary["features"] == ["x0", "x1", "x3"] and summary["rows"] == [4, 9]
    assert_allclose(summary["matrix"], result.matrix().to_numpy())
    for n, row in enumerate([4, 9]):
        matrix = result.values[0, row]
        for i in range(3):
            others = [j for j in range(3) if j != i]
            best = others[int(np.argmax(np.abs(matrix[i, others])))]
            assert summary["row_partner"][n][i] == best
            assert summary["row_value"][n][i] == matrix[i, best]
    assert "row_values" not in summary
    assert_array_equal(result.summary(rows=[4, 9], include_values=True)["row_values"], result.values[0, [4, 9]])
    single = TreeShap(model).interactions(X[:5], features=["x2"]).summary()
    assert single["partner"] == [-1] and single["row_partner"] == [[-1]] * 5
    with pytest.raises(InvalidParameterError, match="rows must be positions"):
        result.summary(rows=[50])


def test_untabulated_leaves_give_the_tabulated_values():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(1500, 24))
    y = np.cumprod(X[:, :20] > -1.2, axis=1).sum(1) + 0.3 * X[:, 21]  # a chain: each split on a new feature
    model = lightgbm.LGBMRegressor(n_estimators=3, num_leaves=40, min_child_samples=2, min_child_weight=0,
                                   learning_rate=0.5, verbose=-1, n_jobs=1).fit(X, y)
    trees, _ = tree_arrays(model)
    assert trees.path_lengths.max() > 16  # some leaves never get a table
    rows = X[:40]
    chosen = np.arange(24)
    tabulated = FastTreeShap(trees).interaction_values(rows, chosen)
    per_row = FastTreeShap(trees, table_bytes=0).interaction_values(rows, chosen)
    assert_allclose(per_row[0], tabulated[0], rtol=0, atol=1e-12)
    assert_allclose(tabulated[0][0], _shap_reference(model, rows)[0], rtol=0, atol=1e-9)


def test_depth_three_trees_use_the_compiled_tables_for_interactions():
    model, X = _lightgbm("reg", max_depth=3, num_leaves=8)
    rows = X[:80]
    explainer = TreeShap(model)
    assert_allclose(_ours(explainer.interactions(rows)), _shap_reference(model, rows), rtol=0, atol=1e-9)


def test_trees_the_tables_cannot_reproduce_are_refused_with_the_reason():
    X, y = _data("reg")
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(N_FEATURES)])
    frame["x5"] = pd.Categorical(np.random.default_rng(0).integers(0, 4, len(frame)))
    model = lightgbm.LGBMRegressor(n_estimators=5, verbose=-1, n_jobs=1, min_data_per_group=5, cat_smooth=1)
    model.fit(frame, y + frame["x5"].cat.codes.to_numpy())
    with pytest.raises(InvalidInputError, match="non-numeric"):
        TreeShap(model).interactions(frame.head(5))
    numeric = frame.assign(x5=frame["x5"].cat.codes.astype(float))
    with pytest.raises(UnsupportedModelError, match="categorical splits"):
        TreeShap(model.booster_).interactions(numeric.head(5).to_numpy())


def test_a_result_over_the_memory_limit_is_refused_before_any_work(monkeypatch):
    model, X = _lightgbm("reg")
    monkeypatch.setattr(_tree_interactions, "MAX_RESULT_BYTES", 100 * N_FEATURES * (N_FEATURES + 1) * 8 - 1)
    with pytest.raises(InvalidParameterError, match="top_k= or features="):
        TreeShap(model).interactions(X[:100])
    assert TreeShap(model).interactions(X[:99]).n_rows == 99


def test_interactions_leave_the_explainer_as_it_was_and_survive_pickling():
    model, X = _lightgbm("reg")
    explainer = TreeShap(model)
    settings = {k: v for k, v in vars(explainer).items() if k != "_fast"}
    first = explainer.interactions(X[:30])
    assert {k: v for k, v in vars(explainer).items() if k != "_fast"} == settings
    again = pickle.loads(pickle.dumps(explainer)).interactions(X[:30])
    assert_array_equal(first.values, again.values)


def test_threads_sharing_an_explainer_build_the_pair_tables_once_and_agree():
    model, X = _lightgbm("bin")
    explainer = TreeShap(model)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: explainer.interactions(X[:40]).values, range(8)))
    for values in results[1:]:
        assert_array_equal(values, results[0])
    assert explainer._fast.compiled(model)[0]._pairs is not None
