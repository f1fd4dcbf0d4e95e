"""The import swap of docs/migration.md, applied to interpret-community style scripts, and the name table.

The scripts below are our own, written from the call sequences of the public Azure ML
"explain-model" samples and interpret-community's README: binary (attrition-like data through a
ColumnTransformer with a string-filling imputer), multiclass (a model-agnostic SVC with a
``shap.kmeans`` background) and regression (a Ridge model). They are written with
interpret-community's imports, rewritten by the sed line docs/migration.md documents, and run.
"""

from __future__ import annotations

import importlib
import re

import pytest
from migration_swap import MIGRATION, swap

from explain_lib.errors import UnsupportedModelError


def test_the_swap_rewrites_each_import_family():
    assert swap("from interpret.ext.blackbox import TabularExplainer") == \
        "from explain_lib.compat.blackbox import TabularExplainer"
    assert swap("from interpret_community.mimic.models import LGBMExplainableModel") == \
        "from explain_lib.compat.mimic.models import LGBMExplainableModel"
    assert swap("from azureml.interpret import ExplanationClient") == "from explain_lib.compat import ExplanationClient"


def test_every_name_in_the_migration_table_resolves_after_the_swap():
    table = [row for row in MIGRATION.read_text().splitlines() if row.startswith("| `")]
    names = {name for row in table for name in re.findall(r"`((?:interpret|azureml)[\w.]+)`", row.split("|")[1])}
    not_in_compat = ("interpret_community.widget",)
    checked = 0
    for name in sorted(names):
        if name.startswith(not_in_compat):
            continue
        module, _, attribute = swap(name).rpartition(".")
        assert hasattr(importlib.import_module(module), attribute), name
        checked += 1
    assert checked >= 42


@pytest.mark.parametrize("name", ["DeepExplainer", "LIMEExplainer"])
def test_explainers_we_do_not_have_say_so_and_name_the_replacement(name):
    module = importlib.import_module(swap("interpret.ext.greybox" if name == "DeepExplainer" else
                                          "interpret.ext.blackbox"))
    with pytest.raises(UnsupportedModelError, match="TabularExplainer"):
        getattr(module, name)(object(), [[0.0]])


BINARY_SAMPLE = '''
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from interpret.ext.blackbox import TabularExplainer, MimicExplainer, PFIExplainer
from interpret.ext.glassbox import (LGBMExplainableModel, LinearExplainableModel, SGDExplainableModel,
                                    DecisionTreeExplainableModel)
from interpret_community.common.constants import ModelTask

rng = np.random.default_rng(0)
n = 150
attritionXData = pd.DataFrame({
    "Age": rng.integers(18, 60, n).astype(float), "MonthlyIncome": rng.lognormal(8, 0.4, n),
    "Department": rng.choice(["Sales", "R&D", "HR"], n).astype(object),
    "OverTime": rng.choice(["Yes", "No"], n).astype(object)})
attritionXData.loc[::11, "Department"] = np.nan
target = ((attritionXData["OverTime"] == "Yes") & (attritionXData["MonthlyIncome"] < 3500)).astype(int)
x_train, x_test, y_train, y_test = attritionXData[:110], attritionXData[110:], target[:110], target[110:]
numeric_transformations = [([f], Pipeline(steps=[("imputer", SimpleImputer(strategy="median")),
                                                 ("scaler", StandardScaler())])) for f in ["Age", "MonthlyIncome"]]
categorical_transformations = [([f], Pipeline(steps=[
    ("imputer", SimpleImputer(strategy="constant", fill_value="missing")),
    ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False))])) for f in ["Department", "OverTime"]]
transformations = numeric_transformations + categorical_transformations  # interpret-community's list form
column_transformer = ColumnTransformer([("num", Pipeline([("imputer", SimpleImputer(strategy="median")),
                                                           ("scaler", StandardScaler())]), ["Age", "MonthlyIncome"]),
                                        ("cat", categorical_transformations[0][1], ["Department", "OverTime"])])
clf = Pipeline(steps=[("preprocessor", column_transformer), ("classifier", LogisticRegression())])
model = clf.fit(x_train, y_train)
explainer = TabularExplainer(clf.steps[-1][1], initialization_examples=x_train, features=attritionXData.columns,
                             classes=["Not leaving", "leaving"], transformations=column_transformer)
global_explanation = explainer.explain_global(x_test)
results["ranked_names"] = global_explanation.get_ranked_global_names()
results["rank"] = global_explanation.global_importance_rank
results["per_class"] = global_explanation.get_ranked_per_class_names()
results["dict"] = global_explanation.get_feature_importance_dict()
local_explanation = explainer.explain_local(x_test[:1])
prediction_value = clf.predict(x_test)[0]
results["local_names"] = local_explanation.get_ranked_local_names()[prediction_value]
fitted = [(f, t.fit(x_train[f])) for f, t in transformations]
model_on_tuples = LogisticRegression().fit(
    np.hstack([t.transform(x_train[f]) for f, t in fitted]), y_train)
by_tuples = TabularExplainer(model_on_tuples, x_train, features=attritionXData.columns, transformations=fitted)
results["tuples"] = by_tuples.explain_global(x_test).features
for surrogate in (LGBMExplainableModel, LinearExplainableModel, SGDExplainableModel, DecisionTreeExplainableModel):
    args = {"n_jobs": 1} if surrogate is LGBMExplainableModel else None  # one thread: tests share the cores
    mimic = MimicExplainer(clf.steps[-1][1], x_train, surrogate, explainable_model_args=args,
                           augment_data=True, max_num_of_augmentations=2,
                           features=attritionXData.columns, classes=["Not leaving", "leaving"],
                           transformations=column_transformer, model_task=ModelTask.Classification)
    results["mimic_" + surrogate.__name__] = mimic.explain_global(x_test).get_ranked_global_names()
pfi = PFIExplainer(clf.steps[-1][1], features=x_train.columns, transformations=column_transformer,
                   classes=["Not leaving", "leaving"])
results["pfi"] = pfi.explain_global(x_test, true_labels=y_test).get_ranked_global_names()
'''

MULTICLASS_SAMPLE = '''
import numpy as np
import shap
from sklearn.datasets import make_classification
from sklearn.svm import SVC
from interpret_community import TabularExplainer
from interpret_community.shap import KernelExplainer

X, y = make_classification(n_samples=120, n_features=4, n_informative=3, n_redundant=0, n_classes=3,
                           random_state=0)
model = SVC(probability=True, random_state=0).fit(X, y)
explainer = TabularExplainer(model, shap.kmeans(X, 8), features=np.array(["a", "b", "c", "d"]),
                             classes=np.array(["x", "y", "z"]))
explanation = explainer.explain_local(X[0, :])
results["shape"] = np.shape(explanation.local_importance_values)
results["expected"] = explanation.expected_values
results["kernel_rows"] = KernelExplainer(model, X, nclusters=10).explain(X[:2]).params["n_background"]
'''

REGRESSION_SAMPLE = '''
import numpy as np
from sklearn.datasets import make_regression
from sklearn.linear_model import Ridge
from interpret.ext.blackbox import TabularExplainer, PFIExplainer

X, y = make_regression(n_samples=200, n_features=5, n_informative=2, random_state=0)
X_train, X_test, y_train, y_test = X[:150], X[150:], y[:150], y[150:]
model = Ridge().fit(X_train, y_train)
tabular_explainer = TabularExplainer(model, X_train, features=["f%d" % i for i in range(5)])
global_explanation = tabular_explainer.explain_global(X_test)
results["top2"] = global_explanation.get_ranked_global_names(top_k=2)
pfi = PFIExplainer(model, features=["f%d" % i for i in range(5)])
results["pfi_top2"] = pfi.explain_global(X_test, true_labels=y_test).get_ranked_global_names(2)
'''


def _run(sample: str) -> dict:
    migrated = swap(sample)
    assert "interpret_community" not in migrated and "interpret.ext" not in migrated
    results: dict = {}
    exec(compile(migrated, "<migrated sample>", "exec"), {"results": results})
    return results


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_the_binary_attrition_sample_runs_after_the_swap():
    results = _run(BINARY_SAMPLE)
    features = {"Age", "MonthlyIncome", "Department", "OverTime"}
    assert set(results["ranked_names"]) == features and len(results["rank"]) == 4
    assert results["ranked_names"][0] in ("OverTime", "MonthlyIncome")  # the label depends on these two
    assert all(set(names) == features for names in results["per_class"])
    assert len(results["local_names"]) == 1 and set(results["local_names"][0]) == features  # rows of the class
    for surrogate in ("LGBMExplainableModel", "LinearExplainableModel", "SGDExplainableModel",
                      "DecisionTreeExplainableModel"):
        assert set(results["mimic_" + surrogate]) == features
    assert set(results["pfi"][:2]) <= features
    assert results["tuples"] == ("Age", "MonthlyIncome", "Department", "OverTime")


def test_the_multiclass_kmeans_sample_runs_after_the_swap():
    results = _run(MULTICLASS_SAMPLE)
    assert results["shape"] == (3, 4)  # one 1-D row: classes x features
    assert len(results["expected"]) == 3
    assert results["kernel_rows"] == 10


def test_the_regression_sample_runs_after_the_swap():
    results = _run(REGRESSION_SAMPLE)
    assert set(results["top2"]) == set(results["pfi_top2"])
