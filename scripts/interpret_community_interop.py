"""interpret-community 0.32 and raiwidgets 0.36, the real ones, against our reading and writing of their format.

Two directions:

* ``--fixtures``: interpret-community explains small models in its own virtual environment and saves each
  explanation with its ``save_explanation``; the folders it wrote (a few rows each) become
  ``tests/data/interpret_community/<kind>/``, and ``<kind>.outputs.json`` beside each holds the model's own
  outputs on the explained rows (for additivity checks). ``tests/test_interpret_community_fixtures.py`` reads
  them with ``explain_lib.compat.load_explanation``.
* ``--check``: runs ``tests/test_interpret_community_interop.py``, which writes our explanations with
  ``explain_lib.compat.save_explanation`` and has interpret-community's ``load_explanation`` (in its venv) and
  ``raiwidgets.ExplanationDashboard`` (in raiwidgets' venv) read them back, every accessor compared; and
  compares ``explain_lib.compat.MimicExplainer``'s surrogates with interpret-community's own on iris.

Without arguments it does both. Not run in CI: the two environments pin old numpy, so each lives in its own
virtual environment, created on first use (as benchmarks/mimic.py does)::

    ~/.cache/explain-lib-bench/ic-0.32          interpret-community==0.32.* 'numpy<2.3' scikit-learn==<ours>
                                                lightgbm mlflow
    ~/.cache/explain-lib-bench/raiwidgets-0.36  raiwidgets==0.36.*, then 'scipy<1.16'

    python scripts/interpret_community_interop.py [--fixtures] [--check]
    python scripts/interpret_community_interop.py --housing   # the housing rankings its test_explain_model expects
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "data" / "interpret_community"
ENVS = Path.home() / ".cache" / "explain-lib-bench"
IC_ENV, RAI_ENV = ENVS / "ic-0.32", ENVS / "raiwidgets-0.36"


# ------------------------------------------------------------------------------------------- environments
def _python(env: Path) -> Path:
    return env / "bin" / "python"


def ensure_envs() -> tuple[Path, Path]:
    """The pythons of both virtual environments, created if missing."""
    import sklearn

    if not _python(IC_ENV).exists():
        subprocess.run([sys.executable, "-m", "venv", str(IC_ENV)], check=True)
        subprocess.run([str(IC_ENV / "bin" / "pip"), "install", "-q", "interpret-community==0.32.*", "numpy<2.3",
                        f"scikit-learn=={sklearn.__version__}", "lightgbm", "mlflow"], check=True)
    if not _python(RAI_ENV).exists():
        subprocess.run([sys.executable, "-m", "venv", str(RAI_ENV)], check=True)
        subprocess.run([str(RAI_ENV / "bin" / "pip"), "install", "-q", "raiwidgets==0.36.*"], check=True)
        subprocess.run([str(RAI_ENV / "bin" / "pip"), "install", "-q", "scipy<1.16"], check=True)
    return _python(IC_ENV), _python(RAI_ENV)


# ------------------------------------------------------------------------- worker: runs in interpret-community's venv
def _outputs(model, rows) -> dict:
    """The model's own outputs on the explained rows, as interpret-community's explainers see them."""
    import numpy as np

    result = {}
    for name in ("predict", "predict_proba", "decision_function"):
        method = getattr(model, name, None)
        if callable(method):
            try:
                result[name] = np.asarray(method(rows)).tolist()
            except AttributeError:  # SVC(probability=False) and the like
                pass
    return result


def write_fixtures(directory: Path) -> None:
    """Explain small models with interpret-community and save what it writes, one folder per kind."""
    import warnings

    import numpy as np
    import scipy.sparse as sp
    from interpret.ext.blackbox import MimicExplainer, PFIExplainer, TabularExplainer
    from interpret.ext.glassbox import LGBMExplainableModel
    from interpret_community.explanation.explanation import save_explanation
    from interpret_community.shap import LinearExplainer
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.svm import SVC

    warnings.simplefilter("ignore")
    cancer, iris, diabetes = load_breast_cancer(), load_iris(), load_diabetes()
    Xc, yc = cancer.data[:, :5], cancer.target
    cancer_features = [str(n) for n in cancer.feature_names[:5]]
    Xi, yi = iris.data, iris.target
    iris_features = [n.replace(" (cm)", "") for n in iris.feature_names]
    Xd, yd = diabetes.data[:, :4], diabetes.target
    diabetes_features = list(diabetes.feature_names[:4])
    rows_c, rows_i, rows_d = Xc[::97][:5], Xi[::31][:5], Xd[::89][:5]
    background_c, background_i, background_d = Xc[:40], Xi[::5], Xd[:40]  # small: the folders keep them

    forest = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0).fit(Xc, yc)
    regressor = RandomForestRegressor(n_estimators=5, max_depth=3, random_state=0).fit(Xd, yd)
    svc = SVC(probability=True, random_state=0).fit(Xi, yi)
    logistic = LogisticRegression(max_iter=5000).fit(Xc, yc)
    linear = LinearRegression().fit(Xd, yd)
    sparse_rows = sp.csr_matrix(np.where(Xc > np.median(Xc, axis=0), Xc, 0.0))
    sparse_logistic = LogisticRegression(max_iter=5000).fit(sparse_rows, yc)

    kinds = {
        "tree_binary": (lambda: TabularExplainer(forest, background_c, features=cancer_features,
                                                 classes=["malignant", "benign"])
                        .explain_global(rows_c), forest, rows_c),
        "tree_regression": (lambda: TabularExplainer(regressor, background_d, features=diabetes_features)
                            .explain_global(rows_d), regressor, rows_d),
        "kernel_multiclass": (lambda: TabularExplainer(svc, background_i, features=iris_features,
                                                       classes=list(iris.target_names)).explain_global(rows_i),
                              svc, rows_i),
        "linear_binary": (lambda: LinearExplainer(logistic, background_c, features=cancer_features)
                          .explain_global(rows_c), logistic, rows_c),
        "linear_binary_sparse": (lambda: LinearExplainer(sparse_logistic, sparse_rows[:40])
                                 .explain_global(sparse_rows[:5]), sparse_logistic, sparse_rows[:5]),
        "linear_regression": (lambda: TabularExplainer(linear, background_d, features=diabetes_features)
                              .explain_global(rows_d), linear, rows_d),
        "mimic_multiclass": (lambda: MimicExplainer(svc, background_i, LGBMExplainableModel, features=iris_features,
                                                    classes=list(iris.target_names)).explain_global(rows_i),
                             svc, rows_i),
        "mimic_global_only": (lambda: MimicExplainer(regressor, background_d, LGBMExplainableModel,
                                                     features=diabetes_features).explain_global(), regressor, rows_d),
        "pfi": (lambda: PFIExplainer(forest, features=cancer_features).explain_global(Xc[:20],
                                                                                      true_labels=yc[:20]),
                forest, Xc[:20]),
        "local_only": (lambda: TabularExplainer(forest, background_c, features=cancer_features)
                       .explain_local(rows_c[:3]), forest, rows_c[:3]),
        "global_only": (lambda: TabularExplainer(forest, background_c, features=cancer_features)
                        .explain_global(rows_c, include_local=False), forest, rows_c),
    }
    for kind, (explain, model, rows) in kinds.items():
        folder = directory / kind
        shutil.rmtree(folder, ignore_errors=True)
        save_explanation(explain(), str(folder))
        (directory / f"{kind}.outputs.json").write_text(json.dumps(_outputs(model, rows)))


def housing_rankings() -> dict:
    """interpret-community's rankings on the generated stand-in for the California housing data, which its
    test_explain_model hard-codes for the real data: the ported test's expectations are these."""
    import warnings

    from interpret_community.tabular_explainer import TabularExplainer
    from sklearn import ensemble, linear_model
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import Pipeline

    warnings.simplefilter("ignore")
    sys.path.insert(0, str(ROOT / "tests" / "compat_interpret_community"))
    from datasets import california_housing

    housing = california_housing()
    x_train, x_test, y_train, _ = train_test_split(housing.data, housing.target, test_size=0.2, random_state=7)
    names = housing.feature_names
    forest = ensemble.RandomForestRegressor(n_estimators=10, max_depth=4, random_state=777).fit(x_train, y_train)
    trees = TabularExplainer(forest, x_train, features=names)
    linear = linear_model.LinearRegression().fit(x_train, y_train)
    pipeline = Pipeline([("lin", linear_model.LinearRegression())]).fit(x_train, y_train)
    return {
        "rf_global": trees.explain_global(x_test).get_ranked_global_names(),
        "rf_local5": trees.explain_local(x_test).get_ranked_local_names()[:5],
        "lr_local5": TabularExplainer(linear, x_train, features=names).explain_local(x_test)
        .get_ranked_local_names()[:5],
        "lr_pipeline_global": TabularExplainer(pipeline, x_train, features=names).explain_global(x_test)
        .get_ranked_global_names(),
    }


def iris_mimic() -> tuple:
    """The iris split, the SVC teacher and the feature names interpret-community's mimic tests use (built the same
    way in both environments: same scikit-learn, same seeds)."""
    from sklearn.datasets import load_iris
    from sklearn.model_selection import train_test_split
    from sklearn.svm import SVC

    iris = load_iris()
    x_train, x_test, y_train, _ = train_test_split(iris.data, iris.target, test_size=0.2, random_state=0)
    model = SVC(gamma=0.001, C=100.0, probability=True, random_state=777).fit(x_train, y_train)
    names = [name.replace(" (cm)", "") for name in iris.feature_names]
    return model, x_train, x_test, names, list(iris.target_names)


def mimic_surrogates() -> dict:
    """interpret-community's MimicExplainer on iris, per surrogate kind: local values, expected values, per-class
    rankings, and the linear surrogates' coefficients (compared with ``explain_lib.compat.MimicExplainer``'s)."""
    import warnings

    import numpy as np
    from interpret_community.mimic.mimic_explainer import MimicExplainer
    from interpret_community.mimic.models.lightgbm_model import LGBMExplainableModel
    from interpret_community.mimic.models.linear_model import SGDExplainableModel
    from interpret_community.mimic.models.tree_model import DecisionTreeExplainableModel

    warnings.simplefilter("ignore")
    model, x_train, x_test, names, classes = iris_mimic()
    report = {}
    for kind, surrogate in (("lightgbm", LGBMExplainableModel), ("sgd", SGDExplainableModel),
                            ("tree", DecisionTreeExplainableModel)):
        explainer = MimicExplainer(model, x_train, surrogate, features=names, classes=classes,
                                   model_task="classification")
        local = explainer.explain_local(x_test)
        inner = explainer.surrogate_model.model
        report[kind] = {"local": np.asarray(local.local_importance_values).tolist(),
                        "expected": np.asarray(local.expected_values).tolist(),
                        "per_class_names": explainer.explain_global(x_test).get_ranked_per_class_names(),
                        "coef": np.asarray(inner.coef_).tolist() if hasattr(inner, "coef_") else None}
    return report


# --------------------------------------------------------------- worker: reads our folders in the other venvs
def read_ours(directory: Path, dashboard: bool) -> dict:
    """Load every folder under ``directory`` with interpret-community's ``load_explanation`` and report its
    accessors (and, with ``dashboard``, what ``raiwidgets.ExplanationDashboard`` made of it)."""
    import numpy as np
    from interpret_community.explanation.explanation import load_explanation

    names = ["features", "classes", "expected_values", "local_importance_values", "global_importance_values",
             "global_importance_rank", "per_class_values", "per_class_rank", "eval_data", "eval_y_predicted",
             "eval_y_predicted_proba", "init_data", "method", "model_type", "is_raw", "is_engineered", "num_features",
             "num_examples", "num_classes", "id"]
    report = {}
    for folder in sorted(p for p in directory.iterdir() if p.is_dir()):
        explanation = load_explanation(str(folder))
        values = {}
        for name in names:
            try:
                value = getattr(explanation, name)
            except AttributeError:  # absent; or a rank property calling .tolist() on the list its loader made
                value = getattr(explanation, "_" + name, None)
            values[name] = np.asarray(value).tolist() if isinstance(value, np.ndarray) else value
        for name in ("get_ranked_global_names", "get_ranked_global_values", "get_ranked_per_class_names",
                     "get_ranked_local_names"):
            method = getattr(explanation, name, None)
            if method is not None:
                value = method()
                values[name] = np.asarray(value).tolist() if isinstance(value, np.ndarray) else value
        if dashboard:
            from raiwidgets import ExplanationDashboard

            board = ExplanationDashboard(explanation, port=_free_port())
            data = board.input.dashboard_input
            values["dashboard"] = json.loads(json.dumps(data, default=lambda v: np.asarray(v).tolist()))
        report[folder.name] = values
    return report


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", action="store_true", help="only (re)write the fixture folders")
    parser.add_argument("--check", action="store_true", help="only run the interop test against the venvs")
    parser.add_argument("--housing", action="store_true",
                        help="print interpret-community's rankings on the generated housing data")
    parser.add_argument("--worker", choices=["fixtures", "read", "dashboard", "housing", "mimic"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "fixtures":
        write_fixtures(Path(args.dir))
        return
    if args.worker in ("read", "dashboard"):
        print(json.dumps(read_ours(Path(args.dir), args.worker == "dashboard")))
        return
    if args.worker == "housing":
        print(json.dumps(housing_rankings()))
        return
    if args.worker == "mimic":
        print(json.dumps(mimic_surrogates()))
        return
    if args.housing:
        subprocess.run([str(ensure_envs()[0]), __file__, "--worker", "housing"], check=True)
        return

    ic_python, rai_python = ensure_envs()
    both = not args.fixtures and not args.check
    if args.fixtures or both:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([str(ic_python), __file__, "--worker", "fixtures", "--dir", tmp], check=True)
            shutil.rmtree(FIXTURES, ignore_errors=True)
            shutil.copytree(tmp, FIXTURES)
        print(f"interpret-community's folders written to {FIXTURES.relative_to(ROOT)}")
    if args.check or both:
        env = {**os.environ, "EXPLAIN_LIB_IC_PYTHON": str(ic_python), "EXPLAIN_LIB_RAIWIDGETS_PYTHON": str(rai_python),
               "MLFLOW_DISABLE_TELEMETRY": "true"}
        tests = [str(ROOT / "tests" / name) for name in ("test_interpret_community_interop.py",
                                                         "test_interpret_community_fixtures.py")]
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", *tests], check=True, env=env, cwd=ROOT)


if __name__ == "__main__":
    main()
