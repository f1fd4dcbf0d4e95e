"""What we write in interpret-community's folder format, read by the real interpret-community 0.32 and shown by
the real ``raiwidgets.ExplanationDashboard`` 0.36, each in its own virtual environment.

Skipped unless ``EXPLAIN_LIB_IC_PYTHON`` / ``EXPLAIN_LIB_RAIWIDGETS_PYTHON`` name those environments' pythons
(they pin old numpy, so they never share ours, and starting them takes minutes): run
``python scripts/interpret_community_interop.py --check``, which creates them and runs this module with both set.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from explain_lib import LinearShap, MimicExplainer, PFIExplainer, TabularExplainer, TreeShap
from explain_lib.compat import KernelExplainer, save_explanation
from explain_lib.compat import MimicExplainer as CommunityMimicExplainer

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "interpret_community_interop.py"


def _python(variable: str) -> str | None:
    python = os.environ.get(variable)
    return python if python and Path(python).exists() else None


IC_PYTHON = _python("EXPLAIN_LIB_IC_PYTHON")
RAI_PYTHON = _python("EXPLAIN_LIB_RAIWIDGETS_PYTHON")
needs_ic = pytest.mark.skipif(IC_PYTHON is None, reason=(
    "no interpret-community 0.32 environment (EXPLAIN_LIB_IC_PYTHON unset): python "
    "scripts/interpret_community_interop.py --check creates it and runs this test"))
needs_raiwidgets = pytest.mark.skipif(RAI_PYTHON is None, reason=(
    "no raiwidgets 0.36 environment (EXPLAIN_LIB_RAIWIDGETS_PYTHON unset): python "
    "scripts/interpret_community_interop.py --check creates it and runs this test"))


def _ours():
    """One explanation of each kind, from our explainers."""
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import SVC

    cancer, iris, diabetes = load_breast_cancer(), load_iris(), load_diabetes()
    Xc, yc, Xi, yi = cancer.data[:, :5], cancer.target, iris.data, iris.target
    Xd, yd = diabetes.data[:, :4], diabetes.target
    forest = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0).fit(Xc, yc)
    regressor = RandomForestRegressor(n_estimators=5, max_depth=3, random_state=0).fit(Xd, yd)
    svc = SVC(probability=True, random_state=0).fit(Xi, yi)
    logistic = LogisticRegression(max_iter=5000).fit(Xc, yc)
    names = ["radius", "texture", "perimeter", "area", "smoothness"]
    tree = TabularExplainer(forest, Xc[:40], features=names, classes=["malignant", "benign"])
    return {
        "tree_binary": tree.explain_global(Xc[::97][:5]),
        "tree_regression": TreeShap(regressor, features=["age", "sex", "bmi", "bp"]).explain_global(Xd[:5]),
        "kernel_multiclass": KernelExplainer(svc, Xi[::5], classes=list(iris.target_names)).explain_global(Xi[::31]),
        "linear_binary": LinearShap(logistic, Xc[:40]).explain_global(Xc[:5]),
        "mimic_multiclass": MimicExplainer(svc, Xi, "lightgbm").explain_global(Xi[::31]),
        "mimic_community": CommunityMimicExplainer(svc, Xi[::3], "tree").explain_global(Xi[::31]),
        "mimic_global_only": MimicExplainer(regressor, Xd, "lightgbm").explain_global(),
        "pfi": PFIExplainer(forest).explain_global(Xc[:30], yc[:30]),
        "local_only": tree.explain_local(Xc[:3]),
        "global_only": tree.explain_global(Xc[:5], include_local=False),
    }


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ours")
    explanations = _ours()
    for kind, explanation in explanations.items():
        save_explanation(explanation, folder / kind)
    return folder, explanations


def _read_in(python: str, worker: str, folder: Path) -> dict:
    done = subprocess.run([python, str(SCRIPT), "--worker", worker, "--dir", str(folder)], capture_output=True,
                          text=True, timeout=600, env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _same(theirs, ours, name):
    if isinstance(ours, (list, np.ndarray)) and np.asarray(ours).dtype.kind in "fiu":
        assert_allclose(np.asarray(theirs, dtype=np.float64), np.asarray(ours, dtype=np.float64), rtol=0, atol=0,
                        err_msg=name)
    else:
        assert theirs == ours, name


@needs_ic
def test_interpret_community_reads_every_kind_we_write_with_every_accessor_equal(written):
    folder, explanations = written
    report = _read_in(IC_PYTHON, "read", folder)
    assert set(report) == set(explanations)
    for kind, explanation in explanations.items():
        theirs = report[kind]
        assert theirs["method"] == explanation.method.replace("shap.", "shap_"), kind
        assert theirs["features"] == list(explanation.features), kind
        for name in ("global_importance_values", "global_importance_rank", "get_ranked_global_names",
                     "get_ranked_global_values", "is_raw", "is_engineered", "num_features", "id"):
            _same(theirs[name], getattr(explanation, name) if not name.startswith("get_")
                  else getattr(explanation, name)(), f"{kind}: {name}")
        if explanation.task == "classification" and explanation.local is not None:
            assert theirs["classes"] == list(explanation.classes), kind
            for name in ("per_class_values", "per_class_rank", "get_ranked_per_class_names"):
                _same(theirs[name], getattr(explanation, name) if not name.startswith("get_")
                      else getattr(explanation, name)(), f"{kind}: {name}")
        if explanation.local is not None:
            for name in ("local_importance_values", "expected_values", "num_examples", "eval_y_predicted",
                         "eval_y_predicted_proba"):
                _same(theirs[name], getattr(explanation, name), f"{kind}: {name}")
            _same(theirs["get_ranked_local_names"], explanation.get_ranked_local_names(), kind)
        if explanation.data is not None:
            _same(theirs["eval_data"], explanation.eval_data, f"{kind}: eval_data")
        _same(theirs["init_data"], explanation.init_data, f"{kind}: init_data")


@needs_ic
def test_our_compat_surrogates_are_the_ones_interpret_community_trains(tmp_path):
    """Same rows, same teacher, same scikit-learn and LightGBM: the tree surrogates' values are interpret-community's
    to rounding, and the SGD surrogate's coefficients equal (its values differ by the baseline: ours is the training
    rows' mean, interpret-community's the unweighted mean of 10 k-means centres)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("interop_script", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    model, x_train, x_test, names, classes = script.iris_mimic()
    theirs = _read_in(IC_PYTHON, "mimic", tmp_path)
    for kind, report in theirs.items():
        explainer = CommunityMimicExplainer(model, x_train, kind, features=names, classes=classes)
        local = explainer.explain_local(x_test)
        assert explainer.explain_global(x_test).get_ranked_per_class_names() == report["per_class_names"], kind
        if kind == "sgd":
            assert_allclose(explainer.surrogate.model.coef_, report["coef"], rtol=1e-12, err_msg=kind)
        else:
            assert_allclose(local.local_importance_values, report["local"], rtol=0, atol=1e-9, err_msg=kind)
            assert_allclose(local.expected_values, report["expected"], rtol=0, atol=1e-9, err_msg=kind)


@needs_raiwidgets
def test_raiwidgets_dashboard_shows_every_kind_we_write_with_its_help_by_method(written):
    folder, explanations = written
    report = _read_in(RAI_PYTHON, "dashboard", folder)
    for kind, explanation in explanations.items():
        dashboard = report[kind]["dashboard"]
        assert dashboard["explanation_method"] == explanation.method.replace("shap.", "shap_"), kind
        assert dashboard["featureNames"] == list(explanation.features), kind
        if explanation.local is not None:
            _same(dashboard["localExplanations"]["scores"], explanation.local_importance_values, f"{kind}: local")
        else:
            _same(dashboard["globalExplanation"]["scores"], explanation.global_importance_values, f"{kind}: global")
