"""``TreeShap.interactions``: exact SHAP interaction values of the chosen features, on the tree tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _importance
from .._validation import check_positive_int
from ..errors import InvalidInputError, InvalidParameterError, UnsupportedModelError, did_you_mean
from ..interactions import Interactions
from ..models import sklearn_tree_output_space

__all__ = ["MAX_RESULT_BYTES", "tree_interactions"]

#: the largest result ``interactions`` builds in memory (rows x outputs x k x k float64); above it, choose
#: fewer features or explain the rows in chunks (``explain_lib.engine.interactions_chunked``)
MAX_RESULT_BYTES = 2 * 2**30


def _chosen_by_name(features: Sequence[Any], names: tuple[str, ...]) -> np.ndarray:
    """Column positions of ``features`` (names or integer positions), in the order given."""
    if isinstance(features, (str, bytes)):
        features = [features]
    chosen = []
    for feature in features:
        if isinstance(feature, (int, np.integer)) and not isinstance(feature, bool):
            if not 0 <= feature < len(names):
                raise InvalidParameterError(f"Feature position {feature} is out of range; X has {len(names)} columns.")
            chosen.append(int(feature))
        elif str(feature) in names:
            chosen.append(names.index(str(feature)))
        else:
            raise InvalidParameterError(f"Unknown feature {feature!r}; X's columns are {list(names)[:20]}."
                                        + did_you_mean(str(feature), names))
    if not chosen:
        raise InvalidParameterError("features is empty; name at least one feature, or pass top_k instead.")
    if len(set(chosen)) != len(chosen):
        repeated = sorted({names[c] for c in chosen if chosen.count(c) > 1})
        raise InvalidParameterError(f"features names a feature more than once: {repeated}.")
    return np.asarray(chosen, dtype=np.int64)


def _chosen_by_importance(fast: Any, rows: np.ndarray, top_k: int) -> np.ndarray:
    """The ``top_k`` features of highest global importance on these rows (ties keep feature order)."""
    local, _ = fast.shap_values(rows)
    _, global_ = _importance.aggregate(local)
    return np.argsort(-global_, kind="stable")[:top_k]


def tree_interactions(explainer: Any, X: Any, features: Sequence[Any] | None, top_k: int | None) -> Interactions:
    """The work of ``TreeShap.interactions`` (see its docstring): the explainer's settings and its table cache
    are read, never changed."""
    from ._tree_arrays import dense_rows

    if features is not None and top_k is not None:
        raise InvalidParameterError("Pass features= or top_k=, not both.")
    top_k = check_positive_int(top_k, "top_k")
    if explainer.output == "probability":
        raise UnsupportedModelError(
            "Exact interaction values are path-dependent (TreeSHAP on the trees' own output); output='probability' "
            "is interventional. Build TreeShap(model) with output='auto' for interactions.")
    tab = explainer._check_rows(X, numeric=True)
    if explainer.family == "sklearn" and tab.has_missing():
        raise InvalidInputError(
            f"X has missing values; TreeShap cannot follow {type(explainer.model).__name__}'s missing-value "
            "routing exactly. Impute them first.")
    fast, reason = explainer._fast.compiled(explainer.model)
    if fast is None:
        raise UnsupportedModelError(
            f"Exact interaction values are computed on the model's trees as tables, which cannot reproduce this "
            f"model: {reason}. Retrain without it (e.g. numeric splits only) or use explain() for SHAP values.")
    rows = dense_rows(tab, explainer.family)
    if features is not None:
        chosen, how = _chosen_by_name(features, tab.features), "given"
    elif top_k is not None and top_k < tab.n_features:
        chosen, how = _chosen_by_importance(fast, rows, top_k), "top_k by global importance"
    else:
        chosen, how = np.arange(tab.n_features), "all"
    binary = explainer.task == "classification" and len(explainer.classes) == 2 and fast.trees.n_groups == 1
    n_outputs = 2 if binary else fast.trees.n_groups
    size = n_outputs * tab.n_rows * len(chosen) * (len(chosen) + 1) * 8
    if size > MAX_RESULT_BYTES:
        raise InvalidParameterError(
            f"Interaction values of {len(chosen)} features for {tab.n_rows} rows and {n_outputs} output(s) take "
            f"{size / 2**30:.1f} GiB (limit {MAX_RESULT_BYTES / 2**30:.0f} GiB). Choose fewer features (top_k= or "
            "features=), fewer rows, or explain in chunks with explain_lib.engine.interactions_chunked.")
    values, rest, expected = fast.interaction_values(rows, chosen)
    if explainer.task == "classification":
        output_space = "margin" if explainer.family != "sklearn" else sklearn_tree_output_space(explainer.model)
    else:
        output_space = "raw"
    if binary:  # class 0's values are the negation of class 1's (margins, or probabilities summing to 1)
        total = 1.0 if output_space == "probability" else 0.0
        values, rest = np.concatenate([-values, values]), np.concatenate([-rest, rest])
        expected = np.array([total - expected[0], expected[0]])
    return Interactions(
        values=values, rest=rest, expected=expected, features=tuple(tab.features[i] for i in chosen),
        all_features=tab.features, task=explainer.task or "regression", output_space=output_space,
        method=explainer.method, classes=explainer.classes,
        params={"output": explainer.output, "algorithm": "fast", "chosen": how, "top_k": top_k,
                "n_features_total": tab.n_features, "tabulated_leaves": fast.tabulated_leaves},
    )
