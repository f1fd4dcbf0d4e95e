"""One contract every explainer keeps, run over all of them and every task."""

import lightgbm
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neural_network import MLPClassifier, MLPRegressor

from explain_lib import (
    DeepShap,
    Explanation,
    InvalidInputError,
    InvalidParameterError,
    KernelShap,
    LinearShap,
    MimicExplainer,
    PFIExplainer,
    TabularExplainer,
    TreeShap,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
TASKS = {"regression": 1, "binary": 2, "multiclass": 3}
COLUMNS = ["a", "b", "c", "d"]


def _data(task):
    if task == "regression":
        X, y = make_regression(n_samples=300, n_features=4, random_state=0)
    else:
        X, y = make_classification(n_samples=300, n_features=4, n_informative=3, n_redundant=0,
                                   n_classes=TASKS[task], random_state=0)
    return pd.DataFrame(X, columns=COLUMNS), y


def _output(model, X, output_space, task):
    """The model output an additive explanation must reproduce, one row per output."""
    if output_space == "raw":
        return np.asarray(model.predict(X))[None]
    if output_space == "probability":
        return model.predict_proba(X).T
    margin = model.predict(X, raw_score=True) if hasattr(model, "booster_") else model.decision_function(X)
    margin = np.asarray(margin)
    return np.stack([-margin, margin]) if margin.ndim == 1 and task != "regression" else margin.T


def _lgbm(task):
    return (lightgbm.LGBMRegressor if task == "regression" else lightgbm.LGBMClassifier)(n_estimators=15, verbose=-1)


def _linear(task):
    return LinearRegression() if task == "regression" else LogisticRegression()


def _mlp(task):
    cls = MLPRegressor if task == "regression" else MLPClassifier
    return cls(hidden_layer_sizes=(6,), max_iter=200, random_state=0)


class _TorchClassifierOrRegressor:
    """A skorch-style estimator: a small PyTorch network as ``module_`` (random weights: the contract
    is about the explanation, not the fit), with predict / predict_proba / decision_function."""

    def __init__(self, task):
        self.task = task

    def fit(self, X, y):
        torch = pytest.importorskip("torch")
        torch.manual_seed(0)
        n_outputs = 3 if self.task == "multiclass" else 1
        self.module_ = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(),
                                           torch.nn.Linear(6, n_outputs)).double().eval()
        if self.task != "regression":
            self.classes_ = np.unique(y)
            self.predict_proba = self._predict_proba
        return self

    def _logits(self, X):
        import torch

        with torch.no_grad():
            return self.module_(torch.as_tensor(np.array(X, dtype=np.float64))).numpy()

    def decision_function(self, X):
        logits = self._logits(X)
        return logits[:, 0] if logits.shape[1] == 1 else logits

    def _predict_proba(self, X):
        logits = self._logits(X)
        if logits.shape[1] == 1:
            positive = 1 / (1 + np.exp(-logits[:, 0]))
            return np.stack([1 - positive, positive], axis=1)
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        return exp / exp.sum(axis=1, keepdims=True)

    def predict(self, X):
        if self.task == "regression":
            return self._logits(X)[:, 0]
        return self.classes_[self._predict_proba(X).argmax(axis=1)]


ADDITIVE = {
    "TreeShap": (_lgbm, lambda model, X: TreeShap(model)),
    "LinearShap": (_linear, lambda model, X: LinearShap(model, X)),
    "KernelShap": (_mlp, lambda model, X: KernelShap(model, X.iloc[:20])),
    "TabularExplainer": (_mlp, lambda model, X: TabularExplainer(model, X.iloc[:20])),
    "DeepShap": (_TorchClassifierOrRegressor, lambda model, X: DeepShap(model, X.iloc[:20])),
}


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("name", ADDITIVE)
def test_shap_explainers_keep_the_explanation_contract(name, task):
    make_model, make_explainer = ADDITIVE[name]
    X, y = _data(task)
    model = make_model(task).fit(X, y)
    explainer = make_explainer(model, X)
    rows = X.iloc[:12]
    explanation = explainer.explain(rows)
    n_outputs = TASKS[task]

    assert isinstance(explanation, Explanation)
    assert explanation.task == ("regression" if task == "regression" else "classification")
    assert explanation.features == tuple(COLUMNS)
    assert explanation.local.shape == (n_outputs, 12, 4)
    assert explanation.expected.shape == (n_outputs,)
    assert explanation.global_.shape == (4,)
    assert explanation.data.equals(rows.reset_index(drop=True))
    # additivity in the stated output space
    assert_allclose(explanation.local.sum(-1) + explanation.expected[:, None],
                    _output(model, rows, explanation.output_space, task), atol=1e-6)
    # the migration verbs agree with explain(), and global-only drops local values
    assert np.array_equal(explainer.explain_local(rows).local, explanation.local)
    global_only = explainer.explain_global(rows, include_local=False)
    assert global_only.local is None
    assert_allclose(global_only.global_, explanation.global_)
    # same inputs, same explanation
    assert np.array_equal(make_explainer(model, X).explain(rows).local, explanation.local)
    # rows with a column missing are refused before any work
    with pytest.raises(InvalidInputError, match="columns"):
        explainer.explain(rows[COLUMNS[:3]])


@pytest.mark.parametrize("task", TASKS)
def test_global_only_and_surrogate_explainers_keep_their_contract(task):
    X, y = _data(task)
    model = _mlp(task).fit(X, y)
    pfi = PFIExplainer(model, n_repeats=2).explain_global(X, y)
    assert pfi.local is None and pfi.global_.shape == (4,) and pfi.features == tuple(COLUMNS)
    with pytest.raises(InvalidParameterError):
        PFIExplainer(model).explain_local(X)
    mimic = MimicExplainer(model, X, "lightgbm", explainable_model_args={"n_estimators": 10},
                           max_num_of_augmentations=1)
    explanation = mimic.explain(X.iloc[:12])
    assert explanation.local.shape == (TASKS[task], 12, 4)
    assert explanation.features == tuple(COLUMNS)
    assert explanation.fidelity is not None
