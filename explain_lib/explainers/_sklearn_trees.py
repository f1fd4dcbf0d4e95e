"""scikit-learn tree models read into ``TreeArrays``: decision trees, random forests, extra trees, gradient
boosting and histogram gradient boosting, in the output space TreeShap explains them in.

- Trees and forests of classifiers average leaf probabilities: one group per class (the class's share of
  the leaf, divided by the forest's size), one group for a binary classifier (class 1; class 0 is its
  complement). Regressors: the leaf value (divided by the forest's size).
- Gradient boosting: leaf values times the learning rate, one group per class for multiclass, and the
  init's constant margin as the base (only a constant init: ``"zero"`` or a dummy estimator).
- Histogram gradient boosting: its predictors' nodes (values already shrunk), missing values routed as
  it routes them, and its baseline; categorical splits are refused.

The covers are the ones shap reads (weighted sample counts; sample counts for histogram gradient
boosting), so the values equal ``shap.TreeExplainer``'s path-dependent ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._tree_build import MISSING_NAN, MISSING_NONE, TreeArrays, Unsupported, from_tables

__all__ = ["sklearn_tree_arrays"]


def _tree_table(tree: Any, value: np.ndarray) -> tuple[np.ndarray, ...]:
    """A fitted ``sklearn.tree._tree.Tree`` as a node table with the given leaf values."""
    left = tree.children_left.astype(np.int64)
    return (left, tree.children_right.astype(np.int64), np.maximum(tree.feature, 0).astype(np.int64),
            tree.threshold.astype(np.float64), np.full(len(left), MISSING_NONE), np.zeros(len(left), bool),
            value, tree.weighted_n_node_samples.astype(np.float64))


def _class_values(tree: Any) -> np.ndarray:
    """(n_nodes, n_classes) the leaf probabilities predict_proba reads (normalised as it normalises them)."""
    value = tree.value[:, 0, :].astype(np.float64)
    total = value.sum(axis=1, keepdims=True)
    return value / np.where(total == 0, 1.0, total)


def _constant_init(model: Any) -> None:
    from sklearn.dummy import DummyClassifier, DummyRegressor

    init = getattr(model, "init_", None)
    if not (isinstance(init, str) and init == "zero" or isinstance(init, (DummyClassifier, DummyRegressor))):
        raise Unsupported(f"the model's init is {type(init).__name__}, not a constant (zero or a dummy estimator)")


def _forest(model: Any, estimators: list, n_classes: int | None) -> tuple[list, list, int]:
    """(tables, groups, n_groups) of a tree or an averaging forest."""
    scale = 1.0 / len(estimators)
    tables, groups = [], []
    for estimator in estimators:
        tree = estimator.tree_
        if n_classes is None:
            tables.append(_tree_table(tree, tree.value[:, 0, 0] * scale if scale != 1.0 else tree.value[:, 0, 0]))
            groups.append(0)
            continue
        proba = _class_values(tree)
        for k in (range(1, 2) if n_classes == 2 else range(n_classes)):
            tables.append(_tree_table(tree, proba[:, k] * scale if scale != 1.0 else proba[:, k]))
            groups.append(0 if n_classes == 2 else k)
    return tables, groups, 1 if n_classes in (None, 2) else n_classes


def _gradient_boosting(model: Any) -> tuple[list, list, int, np.ndarray]:
    _constant_init(model)
    estimators = model.estimators_  # (n_stages, n_groups)
    n_groups = estimators.shape[1]
    tables, groups = [], []
    for stage in estimators:
        for k, estimator in enumerate(stage):
            tree = estimator.tree_
            tables.append(_tree_table(tree, tree.value[:, 0, 0] * model.learning_rate))
            groups.append(k)
    # the init's constant margin: the model's margin at any row minus what its trees add there
    x = np.zeros((1, model.n_features_in_))
    margin = model.decision_function(x) if hasattr(model, "decision_function") else model.predict(x)
    trees = np.zeros(n_groups)
    for stage in estimators:
        for k, estimator in enumerate(stage):
            trees[k] += model.learning_rate * estimator.predict(x.astype(np.float32))[0]
    return tables, groups, n_groups, np.asarray(margin, np.float64).reshape(n_groups) - trees


def _hist_gradient_boosting(model: Any) -> tuple[list, list, int, np.ndarray]:
    tables, groups = [], []
    for iteration in model._predictors:
        for k, predictor in enumerate(iteration):
            nodes = predictor.nodes
            if nodes["is_categorical"].any():
                raise Unsupported("the model has categorical splits")
            leaf = nodes["is_leaf"].astype(bool)
            tables.append((np.where(leaf, -1, nodes["left"].astype(np.int64)),
                           np.where(leaf, -1, nodes["right"].astype(np.int64)), nodes["feature_idx"].astype(np.int64),
                           nodes["num_threshold"].astype(np.float64), np.full(len(nodes), MISSING_NAN),
                           nodes["missing_go_to_left"].astype(bool), nodes["value"].astype(np.float64),
                           nodes["count"].astype(np.float64)))
            groups.append(k)
    baseline = np.asarray(model._baseline_prediction, np.float64).reshape(-1)
    return tables, groups, len(baseline), baseline


def sklearn_tree_arrays(model: Any) -> TreeArrays:
    """``TreeArrays`` of a fitted scikit-learn tree model (see the module docstring)."""
    from sklearn import ensemble, tree

    n_classes = len(model.classes_) if hasattr(model, "classes_") else None
    base = None
    if getattr(model, "n_outputs_", 1) > 1:
        raise Unsupported("the model has several outputs")
    if isinstance(model, (tree.DecisionTreeClassifier, tree.DecisionTreeRegressor)):
        tables, groups, n_groups = _forest(model, [model], n_classes)
    elif isinstance(model, (ensemble.RandomForestClassifier, ensemble.RandomForestRegressor,
                            ensemble.ExtraTreesClassifier, ensemble.ExtraTreesRegressor)):
        tables, groups, n_groups = _forest(model, list(model.estimators_), n_classes)
    elif isinstance(model, (ensemble.GradientBoostingClassifier, ensemble.GradientBoostingRegressor)):
        tables, groups, n_groups, base = _gradient_boosting(model)
    elif isinstance(model, (ensemble.HistGradientBoostingClassifier, ensemble.HistGradientBoostingRegressor)):
        tables, groups, n_groups, base = _hist_gradient_boosting(model)
    else:
        raise Unsupported(f"{type(model).__name__} is not a scikit-learn tree model we read")
    hist = isinstance(model, (ensemble.HistGradientBoostingClassifier, ensemble.HistGradientBoostingRegressor))
    return from_tables(tables, groups, n_groups=n_groups, n_features=model.n_features_in_, float32_input=not hist,
                       base_margin=np.zeros(n_groups) if base is None else base, source="sklearn")
