"""TreeShap's tabulated TreeSHAP (algorithm="fast"): equal to LightGBM's and XGBoost's own TreeSHAP
(to 1e-9 in float64; XGBoost's native values are float32, so against it to float32 rounding and
against an exact enumeration over coalitions to 1e-9), under every missing-value rule, for deep leaf-wise trees
and without tables; the fallback to the booster's own TreeSHAP when it cannot reproduce a model,
what params say, and pickling."""

import itertools
import json
import math
import pickle
from concurrent.futures import ThreadPoolExecutor

import lightgbm
import numpy as np
import pytest
import xgboost
from numpy.testing import assert_allclose
from sklearn.linear_model import LinearRegression

from explain_lib import (
    InvalidParameterError,
    LinearShap,
    MimicExplainer,
    TabularExplainer,
    TreeShap,
    UnsupportedModelError,
)
from explain_lib.explainers import tree as tree_module
from explain_lib.explainers._fasttree import FastTreeShap
from explain_lib.explainers._tree_arrays import tree_arrays

N_ROWS, N_FEATURES = 600, 6


def _data(task, seed=0):
    """Features with NaNs (column 0, 1), exact zeros (columns 1, 2), and a target that needs them."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N_ROWS, N_FEATURES))
    X[rng.random(N_ROWS) < 0.15, 0] = np.nan
    X[rng.random(N_ROWS) < 0.10, 1] = np.nan
    X[rng.random(N_ROWS) < 0.25, 1] = 0.0
    X[rng.random(N_ROWS) < 0.30, 2] = 0.0
    signal = np.nan_to_num(X[:, 0], nan=1.5) + X[:, 2] * np.nan_to_num(X[:, 1], nan=-1) + np.sin(2 * X[:, 3])
    if task == "reg":
        return X, signal + 0.1 * rng.normal(size=N_ROWS)
    if task == "bin":
        return X, (signal > np.median(signal)).astype(int)
    return X, np.digitize(signal, np.quantile(signal, [1 / 3, 2 / 3]))


def _rows(X):
    """Explained rows: the training rows plus NaN, zero, -0.0 and tiny values in every column."""
    extra = np.zeros((4, N_FEATURES))
    extra[0], extra[1], extra[2], extra[3] = np.nan, 0.0, -0.0, 1e-40
    return np.vstack([X[:200], extra])


def _native_lightgbm(model, X):
    contrib = model.booster_.predict(X, pred_contrib=True)
    n_outputs = 1 if contrib.shape[1] == X.shape[1] + 1 else contrib.shape[1] // (X.shape[1] + 1)
    contrib = contrib.reshape(len(X), n_outputs, -1).transpose(1, 0, 2)
    return contrib[..., :-1], contrib[:, 0, -1]


def _lightgbm(task, **params):
    X, y = _data(task)
    cls = lightgbm.LGBMRegressor if task == "reg" else lightgbm.LGBMClassifier
    return cls(n_estimators=25, num_leaves=15, min_child_samples=5, verbose=-1, random_state=0, n_jobs=1,
               **params).fit(X, y), X


def _assert_equals_native(model, X):
    explanation = TreeShap(model, algorithm="fast").explain(X)
    local, expected = _native_lightgbm(model, X)
    ours = explanation.local[1:] if explanation.local.shape[0] == 2 else explanation.local
    assert_allclose(ours, local, rtol=0, atol=1e-9)
    assert_allclose(explanation.expected[-len(expected):], expected, rtol=0, atol=1e-9)
    assert explanation.params["algorithm"] == "fast"


@pytest.mark.parametrize("task", ["bin", "reg", "multi"])
@pytest.mark.parametrize("missing", ["NaN", "Zero", "None"])
def test_lightgbm_equals_pred_contrib_under_each_missing_rule(task, missing):
    params = {"NaN": {}, "Zero": {"zero_as_missing": True}, "None": {"use_missing": False}}[missing]
    model, X = _lightgbm(task, **params)
    trees, _ = tree_arrays(model)
    assert {"None": 0, "Zero": 1, "NaN": 2}[missing] in set(trees.missing[trees.feature >= 0])  # the rule is used
    _assert_equals_native(model, _rows(X))


def test_deep_leaf_wise_trees_equal_pred_contrib_with_and_without_tables():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(1500, 32))
    X[rng.random(1500) < 0.1, 0] = np.nan
    y = np.cumprod(X[:, :24] > -1.2, axis=1).sum(1) + 0.3 * X[:, 30]  # a chain: each split on a new feature
    model = lightgbm.LGBMRegressor(n_estimators=4, num_leaves=60, min_child_samples=2, min_child_weight=0,
                                   learning_rate=0.5, verbose=-1, n_jobs=1).fit(X, y)
    trees, _ = tree_arrays(model)
    assert trees.max_depth >= 20 and trees.path_lengths.max() > 16  # beyond the tables' 16 features
    rows = np.vstack([X[:150], np.full((1, X.shape[1]), np.nan)])
    local, expected = _native_lightgbm(model, rows)
    for table_bytes in (2**30, 0):  # leaves over 16 features are always evaluated per row
        fast = FastTreeShap(trees, table_bytes=table_bytes)
        assert (fast.tabulated_leaves > 0) == (table_bytes > 0)
        values, bias = fast.shap_values(rows)
        assert_allclose(values, local, rtol=0, atol=1e-9)
        assert_allclose(bias, expected, rtol=0, atol=1e-9)


def _xgboost(task):
    X, y = _data(task)
    cls = xgboost.XGBRegressor if task == "reg" else xgboost.XGBClassifier
    return cls(n_estimators=10, max_depth=4, learning_rate=0.3, n_jobs=1, random_state=0).fit(X, y), X


def _path_dependent_enumeration(model, x):
    """Path-dependent Shapley values by the textbook sum over coalitions, walking XGBoost's own JSON
    dump: v(S) follows x at splits on S and averages the children by cover elsewhere."""
    booster = model.get_booster()
    n_groups = getattr(model, "n_classes_", 1) if getattr(model, "n_classes_", 2) > 2 else 1
    dumps = [json.loads(tree) for tree in booster.get_dump(dump_format="json", with_stats=True)]
    x32 = x.astype(np.float32)

    def value(node, S):
        if "leaf" in node:
            return float(np.float32(node["leaf"]))
        children = {child["nodeid"]: child for child in node["children"]}
        feature = int(node["split"].lstrip("f"))
        if feature in S:
            if np.isnan(x32[feature]):
                return value(children[node["missing"]], S)
            goes_yes = x32[feature] < np.float32(node["split_condition"])
            return value(children[node["yes" if goes_yes else "no"]], S)
        yes, no = children[node["yes"]], children[node["no"]]
        return (float(np.float32(yes["cover"])) * value(yes, S) + float(np.float32(no["cover"])) * value(no, S)) \
            / float(np.float32(node["cover"]))

    M = len(x)
    phi = np.zeros((n_groups, M))
    for group in range(n_groups):
        trees = dumps[group::n_groups]
        v = {S: sum(value(tree, set(S)) for tree in trees)
             for size in range(M + 1) for S in itertools.combinations(range(M), size)}
        for j in range(M):
            for S in v:
                if j not in S:
                    weight = math.factorial(len(S)) * math.factorial(M - len(S) - 1) / math.factorial(M)
                    phi[group, j] += weight * (v[tuple(sorted(S + (j,)))] - v[S])
    return phi


@pytest.mark.parametrize("task", ["bin", "reg", "multi"])
def test_xgboost_equals_enumeration_in_float64_and_pred_contribs_to_float32(task):
    model, X = _xgboost(task)
    rows = _rows(X)
    explanation = TreeShap(model, algorithm="fast").explain(rows)
    assert explanation.params["algorithm"] == "fast"
    ours = explanation.local[1:] if explanation.local.shape[0] == 2 else explanation.local
    for row in (0, 1, len(rows) - 4):  # a row with NaNs, one without, one all NaN
        assert_allclose(ours[:, row], _path_dependent_enumeration(model, rows[row]), rtol=0, atol=1e-9)
    native = TreeShap(model, algorithm="native").explain(rows)  # XGBoost computes in float32
    assert_allclose(explanation.local, native.local, rtol=0, atol=2e-6)
    assert_allclose(explanation.expected, native.expected, rtol=0, atol=2e-6)
    margin = model.get_booster().predict(xgboost.DMatrix(rows), output_margin=True).reshape(len(rows), -1).T
    assert_allclose(ours.sum(-1) + explanation.expected[-len(ours):, None], margin, rtol=0, atol=2e-5)


def _categorical_model(n_estimators=10):
    X, y = _data("bin")
    X[:, 4] = np.floor(np.abs(X[:, 4]) * 3)
    y = (y + (X[:, 4] == 1)) % 2
    return lightgbm.LGBMClassifier(n_estimators=n_estimators, num_leaves=7, verbose=-1, n_jobs=1, min_child_samples=5,
                                   min_data_per_group=5, cat_smooth=1).fit(X, y, categorical_feature=[4]), X


def test_categorical_splits_fall_back_to_native_and_say_why(monkeypatch):
    monkeypatch.setattr(tree_module, "FAST_MIN_ROW_TREES", 1000)
    model, X = _categorical_model()
    rows = X[:200]  # big enough for auto to try
    explanation = TreeShap(model).explain(rows)
    assert explanation.params["algorithm"] == "native"
    assert "categorical" in explanation.params["fast_unavailable"]
    assert_allclose(explanation.local[1], _native_lightgbm(model, rows)[0][0], rtol=0, atol=0)


@pytest.mark.parametrize("case", ["categorical", "linear trees", "averages its trees", "dart"])
def test_models_we_do_not_reproduce_are_refused_by_the_fast_path(case):
    X, y = _data("bin")
    small = {"n_estimators": 3, "verbose": -1, "n_jobs": 1}
    model = {
        "categorical": lambda: _categorical_model(3)[0],
        "linear trees": lambda: lightgbm.LGBMRegressor(linear_tree=True, **small).fit(X, y),
        "averages its trees": lambda: lightgbm.LGBMClassifier(boosting_type="rf", bagging_freq=1, bagging_fraction=0.5,
                                                              **small).fit(X, y),
        "dart": lambda: xgboost.XGBClassifier(booster="dart", n_estimators=3, max_depth=2, n_jobs=1).fit(X, y),
    }[case]()
    with pytest.raises(UnsupportedModelError, match=case):
        TreeShap(model, algorithm="fast").explain(X[:5])


@pytest.mark.parametrize("objective", ["binary:logitraw", "reg:logistic", "count:poisson", "reg:gamma",
                                       "multi:softmax"])
def test_xgboost_base_score_is_mapped_to_margins_per_objective(objective):
    X, y = _data("multi")
    uneven = np.where(X[:, 5] > 0.8, 2, np.where(y == 2, 0, y))  # uneven classes: a base score each
    y = {"binary:logitraw": y == 0, "reg:logistic": y == 2, "count:poisson": y, "reg:gamma": y + 1.0,
         "multi:softmax": uneven}[objective].astype(float)
    cls = xgboost.XGBClassifier if objective == "multi:softmax" else xgboost.XGBRegressor
    model = cls(objective=objective, n_estimators=4, max_depth=3, n_jobs=1).fit(X, y)
    fast = TreeShap(model, algorithm="fast").explain(X[:50])
    native = TreeShap(model, algorithm="native").explain(X[:50])
    assert_allclose(fast.expected, native.expected, rtol=0, atol=2e-6)
    assert_allclose(fast.local, native.local, rtol=0, atol=2e-6)


def test_auto_takes_fast_only_for_many_row_trees_and_params_say_which_ran(monkeypatch):
    monkeypatch.setattr(tree_module, "FAST_MIN_ROW_TREES", 1000)
    model, X = _lightgbm("bin")
    explainer = TreeShap(model)
    state = dict(vars(explainer))
    small = explainer.explain(X[:39])  # 39 rows x 25 trees
    large = explainer.explain(X[:40])
    assert (small.params["algorithm"], large.params["algorithm"]) == ("native", "fast")
    assert TreeShap(model, algorithm="native").explain(X).params["algorithm"] == "native"
    assert vars(explainer).keys() == state.keys() and all(vars(explainer)[k] is v for k, v in state.items())
    with pytest.raises(InvalidParameterError, match="algorithm"):
        TreeShap(model, algorithm="fastest")


def test_pickled_explainer_is_compact_and_explains_the_same():
    model, X = _lightgbm("multi")
    explainer = TreeShap(model, algorithm="fast")
    before = explainer.explain(X)
    restored = pickle.loads(pickle.dumps(explainer))
    assert len(pickle.dumps(explainer)) < len(pickle.dumps(model)) + 2000  # the tables are not pickled
    after = restored.explain(X)
    assert after.params["algorithm"] == "fast"
    assert_allclose(after.local, before.local, rtol=0, atol=0)


def test_chunked_jobs_settle_the_algorithm_once_so_chunk_sizes_do_not_change_the_bits(monkeypatch, tmp_path):
    from explain_lib.engine import explain_chunked

    monkeypatch.setattr(tree_module, "FAST_MIN_ROW_TREES", 5000)  # 25 x 3 trees: fast from 67 rows on
    model, X = _lightgbm("multi")
    explainer = TreeShap(model)
    reference = explainer.explain(X[:200])  # 200 rows x 75 trees: fast
    assert reference.params["algorithm"] == "fast"
    for chunk_rows in (60, 200):  # chunks alone would be native (60 x 75 row-trees) or fast
        chunked = explain_chunked(explainer, X[:200], chunk_rows=chunk_rows, workers=1,
                                  job_dir=tmp_path / str(chunk_rows), progress=False)
        assert chunked.params["algorithm"] == "fast"
        np.testing.assert_array_equal(chunked.local, reference.local)
    few = explain_chunked(explainer, X[:60], chunk_rows=40, workers=1, job_dir=tmp_path / "few", progress=False)
    assert few.params["algorithm"] == "native"  # 60 rows x 75 trees: not worth the tables
    np.testing.assert_array_equal(few.local, TreeShap(model, algorithm="native").explain(X[:60]).local)
    assert explainer.algorithm == "auto"


def test_wrappers_settle_through_the_explainer_they_hold_and_others_are_their_own_settled_self(monkeypatch):
    monkeypatch.setattr(tree_module, "FAST_MIN_ROW_TREES", 5000)  # 75 trees: fast from 67 rows on
    model, X = _lightgbm("multi")
    tabular = TabularExplainer(model, X)
    for n_rows, algorithm in ((60, "native"), (200, "fast"), (None, "fast")):
        settled = tabular.settled_for_rows(n_rows)
        assert settled is not tabular and settled.explainer is not tabular.explainer
        assert settled.explain(X[:10]).params["algorithm"] == algorithm  # 10 rows alone would take native
    assert tabular.explainer.algorithm == "auto" and tabular.explainer._min_row_trees is None  # unchanged
    X = np.nan_to_num(X)  # for a teacher and a linear model that take no NaN
    mimic = MimicExplainer(lambda rows: rows[:, 0] - rows[:, 1], X, "lightgbm", model_task="regression",
                           explainable_model_args={"n_estimators": 80, "max_depth": 4})
    assert mimic.settled_for_rows(200).explain(X[:10]).params["algorithm"] == "fast"
    assert mimic.settled_for_rows(10).explain(X[:10]).params["algorithm"] == "native"
    linear = LinearShap(LinearRegression().fit(X, X[:, 0]), X)
    assert linear.settled_for_rows(10**6) is linear


def test_threads_sharing_an_explainer_build_the_tables_once_and_agree():
    model, X = _lightgbm("reg")
    explainer = TreeShap(model, algorithm="fast")
    reference = TreeShap(model, algorithm="fast").explain(X).local
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda part: explainer.explain(X).local, range(8)))
    assert all(np.array_equal(result, reference) for result in results)
    assert explainer._fast.get(model)[0] is explainer._fast.get(model)[0]


# ------------------------------------------------------------ trees at most 3 levels deep: numpy tables
def _shallow_lightgbm(task, depth, **params):
    X, y = _data(task)
    cls = lightgbm.LGBMRegressor if task == "reg" else lightgbm.LGBMClassifier
    return cls(n_estimators=30, max_depth=depth, num_leaves=2**depth, min_child_samples=5, verbose=-1, random_state=0,
               n_jobs=1, **params).fit(X, y), X


@pytest.mark.parametrize("task", ["bin", "reg", "multi"])
@pytest.mark.parametrize("depth, missing", [(1, "NaN"), (2, "Zero"), (3, "NaN"), (3, "Zero"), (3, "None")])
def test_shallow_lightgbm_trees_use_numpy_tables_equal_to_pred_contrib(task, depth, missing):
    from explain_lib.explainers._shallowtree import ShallowTreeShap

    params = {"NaN": {}, "Zero": {"zero_as_missing": True}, "None": {"use_missing": False}}[missing]
    model, X = _shallow_lightgbm(task, depth, **params)
    explainer = TreeShap(model, algorithm="fast")
    _assert_equals_native(model, _rows(X))
    assert isinstance(explainer._fast.get(model)[0], ShallowTreeShap)
    assert tree_arrays(model)[0].max_depth == depth


def test_shallow_tables_equal_the_compiled_path_and_enumeration_with_uneven_and_leaf_only_trees():
    from explain_lib.explainers._shallowtree import ShallowTreeShap

    X, y = _data("reg")
    # gamma prunes some trees to a lone leaf and others to uneven shapes
    model = xgboost.XGBRegressor(n_estimators=12, max_depth=3, learning_rate=0.6, gamma=3.0, n_jobs=1,
                                 random_state=0).fit(X, y)
    trees, _ = tree_arrays(model)
    leaf_roots = trees.feature[trees.root] < 0
    leaf_depths = set(np.diff(trees.leaf_start).tolist())  # distinct path features per leaf
    assert leaf_roots.any() and not leaf_roots.all() and len(leaf_depths) > 2  # the shapes this test is about
    rows = _rows(X)
    shallow, expected = ShallowTreeShap(trees).shap_values(rows)
    compiled, compiled_expected = FastTreeShap(trees).shap_values(rows)
    assert_allclose(shallow, compiled, rtol=0, atol=1e-12)
    assert_allclose(expected, compiled_expected, rtol=0, atol=1e-12)
    for row in (0, 1, len(rows) - 4):
        assert_allclose(shallow[:, row], _path_dependent_enumeration(model, rows[row]), rtol=0, atol=1e-9)


def test_a_shallow_row_gets_the_same_bits_in_any_block_and_no_compiler_is_loaded(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "shallow.py"
    script.write_text(
        "import sys, numpy as np, lightgbm\n"
        "from explain_lib import TreeShap\n"
        "rng = np.random.default_rng(0)\n"
        "X = rng.normal(size=(700, 5)); y = X[:, 0] * X[:, 1] + X[:, 2]\n"
        "model = lightgbm.LGBMRegressor(n_estimators=20, max_depth=3, num_leaves=8, verbose=-1, n_jobs=1).fit(X, y)\n"
        "explainer = TreeShap(model, algorithm='fast')\n"
        "whole = explainer.explain(X).local\n"
        "parts = np.concatenate([explainer.explain(X[a:a + 77]).local for a in range(0, 700, 77)], axis=1)\n"
        "single = explainer.explain(X[300:301]).local\n"
        "assert np.array_equal(whole, parts) and np.array_equal(whole[:, 300:301], single)\n"
        "print('numba' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
