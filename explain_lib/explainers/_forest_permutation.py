"""A scikit-learn forest's output on rows with one column permuted, reusing each row's own path.

Permutation importance asks a forest for its output on X with column j re-ordered, n_repeats
times per column. Only splits on column j can send a row elsewhere, so per row and tree::

    if column j is not split on along the row's own path:  every repeat ends in the row's own leaf
    else walk the row's path; at each split on j, a repeat whose permuted value goes the other way
         leaves the path there and descends from that child with its permuted value;
         repeats that never leave the path end in the row's own leaf

The rows' own leaves and paths are found once for all columns and repeats; a model call would
walk every tree from the root for every repeat. Leaf outputs are added tree by tree, in the
forest's order, then divided by the number of trees, as the forest's sequential ``predict`` /
``predict_proba`` do, so the outputs are the same numbers; the caller checks that on the
unpermuted rows before using them (:meth:`ForestPermuter.matches`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .._progress import progress_bar

__all__ = ["ForestPermuter", "checked_forest_permuter", "forest_permuter", "forest_scores"]

_FOREST_BYTES = 512 * 2**20  # a forest's rows' own leaves and paths are kept if they fit (else the model is called)
_MAX_REPEATS = 64  # repeats per compiled call (a 64-bit mask marks those that left a row's path)


def _forest_types() -> tuple[tuple[type, ...], tuple[type, ...]]:
    from sklearn.ensemble import (
        ExtraTreesClassifier,
        ExtraTreesRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
    )

    return (RandomForestClassifier, ExtraTreesClassifier), (RandomForestRegressor, ExtraTreesRegressor)


def _dense_float32(values: Any) -> np.ndarray | None:
    """The rows as the forest reads them (C-ordered float32), or None for input it converts otherwise."""
    if isinstance(values, pd.DataFrame):
        if not all(pd.api.types.is_float_dtype(t) and not isinstance(t, pd.CategoricalDtype) for t in values.dtypes):
            return None
        return np.ascontiguousarray(values.to_numpy(dtype=np.float32))
    if isinstance(values, np.ndarray) and values.ndim == 2 and values.dtype.kind == "f":
        return np.ascontiguousarray(values, dtype=np.float32)
    return None


class ForestPermuter:
    """Outputs of one fitted forest on rows ``X`` with a column permuted (see the module docstring)."""

    def __init__(self, model: Any, X: np.ndarray, response: str, *, n_threads: int):
        trees = [estimator.tree_ for estimator in model.estimators_]
        sizes = np.array([tree.node_count for tree in trees])
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        self.roots = offsets.astype(np.int64)
        self.nodes = (  # left, right, feature, threshold, nan_left: see _forest_kernels
            np.concatenate([np.where(t.children_left >= 0, t.children_left + o, -1) for t, o in
                            zip(trees, offsets, strict=True)]).astype(np.int64),
            np.concatenate([np.where(t.children_right >= 0, t.children_right + o, -1) for t, o in
                            zip(trees, offsets, strict=True)]).astype(np.int64),
            np.concatenate([t.feature for t in trees]).astype(np.int64),
            np.concatenate([t.threshold for t in trees]).astype(np.float64),
            np.concatenate([t.missing_go_to_left for t in trees]).astype(np.bool_),
        )
        self.table = np.concatenate([self._leaf_outputs(model, t) for t in trees])
        self.model, self.X, self.response, self.n_threads = model, X, response, n_threads
        self.leaves, self.masks = self._run("own_leaves", X, self.roots, *self.nodes)

    @staticmethod
    def _leaf_outputs(model: Any, tree: Any) -> np.ndarray:
        """Each node's output as the tree's own predict / predict_proba gives it (n_nodes, width): the
        stored value (class fractions for a classifier, which scikit-learn >= 1.4 returns as they are)."""
        width = len(model.classes_) if hasattr(model, "classes_") else 1
        return np.ascontiguousarray(tree.value[:, 0, :width], dtype=np.float64)

    def _run(self, name: str, *args: Any) -> Any:
        import numba

        from . import _forest_kernels

        before = numba.get_num_threads()
        numba.set_num_threads(max(1, min(self.n_threads, numba.config.NUMBA_NUM_THREADS)))
        try:
            return getattr(_forest_kernels, name)(*args)
        finally:
            numba.set_num_threads(before)

    def _output(self, sums: np.ndarray) -> np.ndarray:
        """The model's response from (…, n_rows, width) leaf sums."""
        mean = sums / len(self.model.estimators_)
        if self.response == "predict_proba":
            return mean
        if hasattr(self.model, "classes_"):
            return self.model.classes_.take(np.argmax(mean, axis=-1), axis=0)
        return mean[..., 0]

    def unpermuted(self) -> np.ndarray:
        """The response on the rows as given."""
        sums = np.zeros((self.X.shape[0], self.table.shape[1]))
        for leaves in self.leaves:  # tree by tree, in the forest's order
            sums += self.table[leaves]
        return self._output(sums)

    def matches(self, output: Any) -> bool:
        """Whether the model's own ``output`` on the rows is exactly ours (else do not use this)."""
        output = np.asarray(output)
        ours = self.unpermuted()
        return output.shape == ours.shape and output.dtype == ours.dtype and bool(np.array_equal(output, ours))

    def permuted(self, j: int, orders: np.ndarray) -> np.ndarray:
        """(n_repeats, n_rows, ...) responses with column ``j`` re-ordered by each row order in turn."""
        sums = [self._run("permuted_sums", self.X, int(j), np.ascontiguousarray(self.X[:, j][block.T]), self.roots,
                          self.leaves, self.masks, *self.nodes, self.table)
                for block in np.array_split(orders, -(-len(orders) // _MAX_REPEATS))]
        return self._output(np.concatenate(sums, axis=1).transpose(1, 0, 2))


def forest_permuter(model: Any, predict: Callable | None, values: Any, *, n_threads: int) -> ForestPermuter | None:
    """A permuter when ``predict`` is ``predict`` / ``predict_proba`` of a fitted single-output scikit-learn
    random forest or extra-trees (exactly those classes: a subclass may predict differently) on dense
    float rows; None otherwise."""
    classifiers, regressors = _forest_types()
    if type(model) not in (*classifiers, *regressors) or predict is None or getattr(model, "n_outputs_", 0) != 1:
        return None
    responses = ("predict", "predict_proba") if type(model) in classifiers else ("predict",)
    response = next((name for name in responses if predict == getattr(model, name)), None)
    X = _dense_float32(values)
    if response is None or X is None or X.shape[1] != getattr(model, "n_features_in_", -1):
        return None
    return ForestPermuter(model, X, response, n_threads=n_threads)


def checked_forest_permuter(model: Any, predict: Callable | None, values: Any, unpermuted: Any,
                             n_jobs: int | None) -> ForestPermuter | None:
    """A forest's permuter (see the module's docstring) if it applies, fits in memory, and gives exactly
    the model's own ``unpermuted`` output; None otherwise (the model is then called)."""
    from joblib import effective_n_jobs

    n_trees = len(getattr(model, "estimators_", ()))
    if np.shape(values)[0] * n_trees * 16 > _FOREST_BYTES:  # each row's leaf and path mask in every tree
        return None
    permuter = forest_permuter(model, predict, values, n_threads=effective_n_jobs(n_jobs))
    return permuter if permuter is not None and permuter.matches(unpermuted) else None


def forest_scores(permuter: ForestPermuter, score: Callable, y: np.ndarray, columns: list[int], orders: np.ndarray,
                   *, show: bool | None) -> np.ndarray:
    """(len(columns), n_repeats) permuted scores from a forest's permuter, a column at a time."""
    scores = np.empty((len(columns), len(orders)))
    with progress_bar(len(columns), "PFIExplainer", unit="feature", show=show) as bar:
        for i, j in enumerate(columns):
            outputs = permuter.permuted(j, orders)
            scores[i] = [score(y, output) for output in outputs]
            bar.update(1)
    return scores
