"""TreeSHAP for tree ensembles: LightGBM and XGBoost natively, scikit-learn trees through shap."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..data import Tabular, as_weights
from ..errors import InvalidInputError, InvalidParameterError, UnsupportedModelError
from ..explanation import Explanation
from ..models import check_fitted, native_booster, sklearn_tree_output_space, tree_family
from ._background import sample_rows
from ._base import Explainer, binary_pair, shallow_copy

__all__ = ["TreeShap"]

#: rows x trees from which ``algorithm="auto"`` uses the tabulated TreeSHAP: below it, building the
#: tables (parsing the dump, numba's start-up) costs more than the booster's own TreeSHAP saves
FAST_MIN_ROW_TREES = 200_000
_ALGORITHMS = ("auto", "native", "fast")


def _dense_contributions(contrib: Any, n_outputs: int) -> np.ndarray:
    """LightGBM / XGBoost contributions (incl. the bias column) as (n_outputs, n_rows, n_features + 1)."""
    if isinstance(contrib, list):  # LightGBM, sparse input, multiclass: one CSR matrix per class
        return np.stack([c.toarray() for c in contrib])
    if sp.issparse(contrib):
        contrib = contrib.toarray()
    contrib = np.asarray(contrib, dtype=np.float64)
    if contrib.ndim == 3:  # XGBoost multiclass: (n_rows, n_classes, n_features + 1)
        return contrib.transpose(1, 0, 2)
    n_rows = contrib.shape[0]
    return contrib.reshape(n_rows, n_outputs, -1).transpose(1, 0, 2)


def _split_bias(contrib: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(local values, expected) from contributions whose last column is the bias (constant per output)."""
    return contrib[..., :-1], contrib[:, 0, -1].copy()


def _gradient_boosting_trees(model: Any, k: int) -> dict[str, Any]:
    """One class's trees of a multiclass sklearn GradientBoostingClassifier in shap's dict format."""
    trees = []
    for estimator in model.estimators_[:, k]:
        tree = estimator.tree_
        trees.append({
            "children_left": tree.children_left,
            "children_right": tree.children_right,
            "children_default": tree.children_left,
            "features": tree.feature,
            "thresholds": tree.threshold,
            "values": tree.value.reshape(-1, 1) * model.learning_rate,
            "node_sample_weight": tree.weighted_n_node_samples.astype(np.float64),
        })
    return {"trees": trees, "base_offset": 0.0, "tree_output": "raw_value", "objective": "squared_error",
            "input_dtype": np.float32, "internal_dtype": np.float64}


class _FastTreeMemo:
    """The tabulated TreeSHAP of a model, built on first use: a pure cache, thread-safe, pickled empty."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._built: tuple[Any, str | None] | None = None

    def get(self, model: Any) -> tuple[Any, str | None]:
        """(ShallowTreeShap or FastTreeShap, None), or (None, why the model needs the booster's own
        TreeSHAP). Trees at most 3 levels deep get per-tree tables in numpy (no compiling); deeper
        ones the compiled per-leaf tables."""
        with self._lock:
            if self._built is None:
                from ._shallowtree import MAX_DEPTH, ShallowTreeShap
                from ._tree_arrays import tree_arrays

                trees, reason = tree_arrays(model)
                if trees is None:
                    self._built = (None, reason)
                elif trees.max_depth <= MAX_DEPTH:
                    self._built = (ShallowTreeShap(trees), None)
                else:
                    from ._fasttree import FastTreeShap

                    self._built = (FastTreeShap(trees), None)
            return self._built

    def __getstate__(self) -> dict:
        return {}

    def __setstate__(self, state: dict) -> None:
        self.__init__()


def _n_trees(model: Any) -> int:
    booster = native_booster(model)
    if hasattr(booster, "num_trees"):  # LightGBM
        return int(booster.num_trees())
    return int(booster.num_boosted_rounds())  # XGBoost: one tree per round and output


class TreeShap(Explainer):
    """Exact SHAP values of tree ensembles (TreeSHAP, Lundberg et al. 2020).

    Parameters
    ----------
    model : LightGBM Booster / LGBMModel, XGBoost Booster / XGBModel, or a fitted scikit-learn tree
        model (decision trees, random forests, extra trees, gradient boosting, histogram gradient
        boosting).
    background : array-like, optional
        Reference rows, needed only for ``output="probability"`` (interventional TreeSHAP).
    output : {"auto", "margin", "probability"}
        ``"auto"``: the trees' own output — the margin (log-odds / raw score) for boosted
        classifiers, the averaged leaf probabilities for forests and single trees, the prediction
        for regressors. ``"probability"``: interventional TreeSHAP on predicted probabilities
        against ``background`` (binary classifiers).
    n_background : int
        At most this many background rows are used (a seeded, weight-proportional sample).
    algorithm : {"auto", "native", "fast"}
        For LightGBM and XGBoost margins: ``"native"`` calls the booster's own TreeSHAP;
        ``"fast"`` runs our tabulated TreeSHAP (same values to floating-point rounding: numba,
        parallel over rows; or, for trees at most 3 levels deep, one table per tree in numpy, with
        nothing to compile); ``"auto"`` takes ``"fast"`` when rows x trees reaches
        ``FAST_MIN_ROW_TREES`` and the model and rows allow it (numeric splits, dense numeric
        rows), else ``"native"``. ``params["algorithm"]`` says which one ran.

    Notes
    -----
    LightGBM models are explained by LightGBM's own ``predict(pred_contrib=True)`` and XGBoost by
    ``predict(pred_contribs=True)`` (sparse CSR input stays sparse), or, for many rows, by our
    tabulated path-dependent TreeSHAP (Yang 2021, "Fast TreeSHAP" v2: per leaf, a table of the
    SHAP weight for every pattern of satisfied path features, built once; a row costs one walk
    of each tree plus one lookup per leaf and path feature); scikit-learn models by
    ``shap.TreeExplainer`` (path-dependent, no background needed). Additivity holds exactly:
    ``local.sum(-1) + expected`` equals the model output in ``output_space``.

    Examples
    --------
    >>> import numpy as np
    >>> from lightgbm import LGBMRegressor
    >>> from explain_lib import TreeShap
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> model = LGBMRegressor(n_estimators=20, verbose=-1).fit(X, 2 * X[:, 0] - X[:, 1])
    >>> explanation = TreeShap(model).explain(X[:5])
    >>> explanation.local.shape  # (outputs, rows, features)
    (1, 5, 3)
    >>> bool(np.allclose(explanation.local.sum(-1) + explanation.expected[:, None], model.predict(X[:5])))
    True
    >>> explanation.get_ranked_global_names()
    ['x0', 'x1', 'x2']
    """

    method = "shap.tree"

    def __init__(self, model: Any, background: Any = None, *, output: str = "auto", n_background: int = 100,
                 background_weights: Any = None, features: Any = None, classes: Any = None,
                 model_task: str = "auto", random_state: int | None = 0, algorithm: str = "auto"):
        check_fitted(model)
        self.family = tree_family(model)
        if self.family is None:
            raise UnsupportedModelError(
                f"TreeShap explains LightGBM, XGBoost and scikit-learn tree models, not {type(model).__name__}. "
                "Use LinearShap for linear models, KernelShap for anything else, or TabularExplainer to choose."
            )
        if algorithm not in _ALGORITHMS:
            raise InvalidParameterError(f"algorithm must be 'auto', 'native' or 'fast', got {algorithm!r}.")
        if algorithm == "fast" and (self.family not in ("lightgbm", "xgboost") or output == "probability"):
            raise InvalidParameterError(
                "algorithm='fast' explains LightGBM and XGBoost margins; use algorithm='auto' for "
                f"{'output=probability' if output == 'probability' else type(model).__name__}."
            )
        if output not in ("auto", "margin", "probability"):
            raise InvalidParameterError(f"output must be 'auto', 'margin' or 'probability', got {output!r}.")
        super().__init__(model, features=features, classes=classes, model_task=model_task)
        if getattr(model, "n_outputs_", 1) > 1:
            raise UnsupportedModelError(
                "TreeShap does not explain multi-output regressors; explain one target at a time."
            )
        if output == "probability":
            if self.task != "classification":
                raise InvalidParameterError("output='probability' applies to classifiers only.")
            if len(self.classes) != 2:
                raise UnsupportedModelError(
                    "output='probability' is available for binary classifiers; explain this "
                    f"{len(self.classes)}-class model with output='auto' (margins) or with KernelShap."
                )
            from sklearn.ensemble import HistGradientBoostingClassifier

            if isinstance(model, HistGradientBoostingClassifier):
                # shap's interventional TreeSHAP mis-reads these trees: values off by up to 0.25 in probability
                raise UnsupportedModelError(
                    "output='probability' is not available for HistGradientBoostingClassifier (shap's "
                    "interventional TreeSHAP does not add up for it); use output='auto' (exact margins) or "
                    "KernelShap on predict_proba."
                )
            if background is None:
                raise InvalidParameterError(
                    "output='probability' needs background rows (interventional TreeSHAP); pass background=X_train."
                )
        if output == "margin" and self.family == "sklearn" and self.task == "classification" \
                and sklearn_tree_output_space(model) != "margin":
            raise InvalidParameterError(
                f"{type(model).__name__} averages leaf probabilities and has no margin; use output='auto'."
            )
        self.output = output
        self.algorithm = algorithm
        self._fast = _FastTreeMemo()
        self._min_row_trees: int | None = None  # None: FAST_MIN_ROW_TREES
        self.n_background = n_background
        self.random_state = random_state
        self.background = None
        if background is not None:
            tab = self._check_rows(background, name="background", allow_nan=True, numeric=self.family == "sklearn")
            weights = as_weights(background_weights, tab.n_rows)
            self.background = sample_rows(tab, weights, n_background, random_state)

    def settled_for_rows(self, n_rows: int | None) -> TreeShap:
        """This explainer with ``algorithm="auto"`` decided once for a job of ``n_rows`` rows (None: too many
        to count), so every part of the job runs the same TreeSHAP and the values do not depend on the part
        sizes. The copy shares the lookup-table cache; the rows' kind (sparse, categorical) still decides,
        alike for every part. Anything but an ``"auto"`` LightGBM / XGBoost margin explainer is returned as is.
        """
        if self.algorithm != "auto" or self.family not in ("lightgbm", "xgboost") or self.output == "probability":
            return self
        if n_rows is None or n_rows * _n_trees(self.model) >= FAST_MIN_ROW_TREES:
            return shallow_copy(self, _min_row_trees=0)
        return shallow_copy(self, algorithm="native")

    # ------------------------------------------------------------ back ends
    def _choose_fast(self, tab: Tabular) -> tuple[Any, str | None]:
        """(FastTreeShap or None, why not) for these rows of a LightGBM / XGBoost model."""
        if self.algorithm == "native":
            return None, None
        if self.algorithm == "auto":
            if tab.is_sparse or not tab.is_numeric:
                return None, None
            threshold = FAST_MIN_ROW_TREES if self._min_row_trees is None else self._min_row_trees
            if tab.n_rows * _n_trees(self.model) < threshold:
                return None, None
        elif not tab.is_numeric:
            raise InvalidInputError(
                f"algorithm='fast' takes numeric columns; {tab.non_numeric_columns()[:10]} are not. Encode them "
                "or use algorithm='auto' (the booster's own TreeSHAP handles its categorical columns)."
            )
        fast, reason = self._fast.get(self.model)
        if fast is None and self.algorithm == "fast":
            raise UnsupportedModelError(f"algorithm='fast' cannot explain this model: {reason}. "
                                        "Use algorithm='auto' or 'native'.")
        return fast, reason

    def _fast_values(self, fast: Any, tab: Tabular) -> tuple[np.ndarray, np.ndarray]:
        values = tab.values
        if tab.is_sparse:  # absent entries: 0 for LightGBM, missing for XGBoost (as their predict reads CSR)
            coo = values.tocoo()
            values = np.full(values.shape, 0.0 if self.family == "lightgbm" else np.nan)
            values[coo.row, coo.col] = coo.data
        else:
            values = tab.to_numpy()
        return fast.shap_values(values)

    def _native(self, tab: Tabular) -> tuple[np.ndarray, np.ndarray]:
        n_outputs = 1 if self.task != "classification" or len(self.classes) == 2 else len(self.classes)
        if self.family == "lightgbm":
            contrib = native_booster(self.model).predict(tab.values, pred_contrib=True)
        else:
            import xgboost

            matrix = xgboost.DMatrix(tab.values, enable_categorical=tab.is_frame, missing=np.nan)
            contrib = native_booster(self.model).predict(matrix, pred_contribs=True, strict_shape=False)
        return _split_bias(_dense_contributions(contrib, n_outputs))

    def _shap(self, tab: Tabular, probability: bool) -> tuple[np.ndarray, np.ndarray]:
        import shap

        X = tab.to_numpy().astype(np.float64)
        from sklearn.ensemble import GradientBoostingClassifier

        multiclass_gb = isinstance(self.model, GradientBoostingClassifier) and len(self.classes) > 2
        if multiclass_gb and not probability:
            return self._gradient_boosting_multiclass(X)
        if probability:
            background = self.background.to_numpy().astype(np.float64)
            explainer = shap.TreeExplainer(self.model, data=background, feature_perturbation="interventional",
                                           model_output="probability")
        else:
            explainer = shap.TreeExplainer(self.model, feature_perturbation="tree_path_dependent")
        values = np.asarray(explainer.shap_values(X, check_additivity=False), dtype=np.float64)
        expected = np.atleast_1d(np.asarray(explainer.expected_value, dtype=np.float64))
        if values.ndim == 3:  # (n_rows, n_features, n_outputs)
            return values.transpose(2, 0, 1), expected
        return values[None], expected[:1]

    def _gradient_boosting_multiclass(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """shap has no multiclass GradientBoostingClassifier: explain each class's trees, add the init."""
        import shap
        from sklearn.dummy import DummyClassifier

        init = getattr(self.model, "init_", None)
        if not (init == "zero" or isinstance(init, DummyClassifier)):
            raise UnsupportedModelError(
                "TreeShap explains a multiclass GradientBoostingClassifier only with a constant init "
                "(the default); use KernelShap for a model-based init."
            )
        local = []
        for k in range(len(self.classes)):
            explainer = shap.TreeExplainer(_gradient_boosting_trees(self.model, k))
            local.append(np.asarray(explainer.shap_values(X, check_additivity=False), dtype=np.float64))
        local = np.stack(local)
        # the constant init margin + the trees' mean output = decision_function - sum of contributions
        expected = (self.model.decision_function(X[:1]) - local[:, :1].sum(-1).T)[0]
        return local, expected

    # ---------------------------------------------------------------- verb
    def explain(self, X: Any, y: Any = None) -> Explanation:
        native = self.family in ("lightgbm", "xgboost")
        tab = self._check_rows(X, numeric=self.family == "sklearn")
        if tab.is_sparse and self.family == "sklearn" or tab.is_sparse and self.output == "probability":
            tab = Tabular(tab.values.toarray(), tab.features)
        if self.family == "sklearn" and self.output != "probability" and tab.has_missing():
            raise InvalidInputError(
                f"X has missing values; TreeShap cannot follow {type(self.model).__name__}'s missing-value "
                "routing exactly. Impute them first, or explain with KernelShap."
            )
        probability = self.output == "probability"
        if probability:
            local, expected = self._shap(tab, probability=True)
            output_space = "probability"
        elif native:
            fast, fast_unavailable = self._choose_fast(tab)
            local, expected = self._native(tab) if fast is None else self._fast_values(fast, tab)
            output_space = "margin" if self.task == "classification" else "raw"
        else:
            local, expected = self._shap(tab, probability=False)
            output_space = sklearn_tree_output_space(self.model) if self.task == "classification" else "raw"
        if self.task == "classification" and len(self.classes) == 2 and local.shape[0] == 1:
            local, expected = binary_pair(local[0], float(expected[0]), 1.0 if output_space == "probability" else 0.0)
        params = {"output": self.output, "backend": "shap" if probability or not native else self.family}
        if native and not probability:
            params["algorithm"] = "native" if fast is None else "fast"
            if fast_unavailable:
                params["fast_unavailable"] = fast_unavailable
        if probability:
            params.update(n_background=self.background.n_rows, random_state=self.random_state)
        return self._explanation(tab, local, expected, output_space=output_space, params=params)
