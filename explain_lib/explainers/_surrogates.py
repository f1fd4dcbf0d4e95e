"""Explainable (glass-box) models a MimicExplainer distils a black box into.

Each wraps one scikit-learn / LightGBM estimator behind the same small interface: ``fit``, the
surrogate's output (``predict_output``), its own importances (``native_importance``) and the
SHAP explainer of the fitted surrogate (``shap_explainer``). They are configured, never
subclassed by users; ``explainable_model_args`` go to the wrapped estimator unchanged.
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from ..errors import InvalidParameterError, did_you_mean
from ._base import Explainer
from .linear import LinearShap
from .tree import TreeShap

__all__ = [
    "SMALL_DATA_THRESHOLD",
    "ExplainableModel",
    "LGBMExplainableModel",
    "LinearExplainableModel",
    "SGDExplainableModel",
    "DecisionTreeExplainableModel",
    "explainable_model_class",
]


class ExplainableModel(abc.ABC):
    """A surrogate: ``task`` is "regression" (regression teachers, binary logits) or "classification"."""

    name: ClassVar[str]
    handles_categories: ClassVar[bool] = False
    accepts_any_args: ClassVar[bool] = False  # the estimator takes arbitrary keyword arguments (LightGBM)

    def __init__(self, *, task: str, random_state: int | None = 0, model_args: dict[str, Any] | None = None,
                 community: bool = False):
        self.task = task
        self.random_state = random_state
        self.community = community  # interpret-community's estimator defaults instead of ours
        self.model_args = dict(model_args or {})  # our own copy: the caller's dict is never changed
        self.model: Any = None

    @abc.abstractmethod
    def _estimator(self) -> Any:
        """A new, unfitted estimator for ``self.task``."""

    @classmethod
    def split_args(cls, model_args: dict[str, Any], task: str) -> tuple[dict[str, Any], list[str]]:
        """(the arguments the estimator fitted for ``task`` takes, the names of those it does not).

        interpret-community's own surrogate options (``sparse_data``) are consumed: sparse input is
        handled either way. Arguments of the other task's estimator (``solver`` for a classifier when
        a regressor is fitted) are returned as ignored, for the caller to say so.
        """
        args = {key: value for key, value in model_args.items() if key not in _COMMUNITY_OPTIONS}
        if cls.accepts_any_args:
            return args, []
        known = cls(task=task)._estimator().get_params()
        return {k: v for k, v in args.items() if k in known}, sorted(k for k in args if k not in known)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities of a classification surrogate (n, n_classes)."""
        return np.asarray(self.model.predict_proba(self.transform(X)))

    def transform(self, X: Any) -> Any:
        """The rows as the fitted estimator takes them (identity unless the surrogate scales)."""
        return X

    def fit(self, X: Any, y: np.ndarray) -> ExplainableModel:
        self.model = self._estimator().fit(self.transform_fit(X), y)
        return self

    def transform_fit(self, X: Any) -> Any:
        return X

    def predict_output(self, X: Any) -> np.ndarray:
        """Regression: predictions (n,). Classification: predicted class labels (n,)."""
        return np.asarray(self.model.predict(self.transform(X)))

    def predict(self, X: Any) -> np.ndarray:
        """interpret-community's name of :meth:`predict_output`, on rows as the surrogate takes them (after the
        explainer's transformations): a binary teacher's surrogate predicts its log-odds of the positive class,
        a multiclass one the position of the predicted class in ``classes``."""
        return self.predict_output(X)

    @abc.abstractmethod
    def native_importance(self) -> np.ndarray:
        """The surrogate's own global importance per input feature (no evaluation data needed)."""

    @abc.abstractmethod
    def shap_explainer(self, background: Any) -> Explainer:
        """The exact SHAP explainer of the fitted surrogate (fed ``transform(X)``)."""


#: fewer training rows than this: a LightGBM surrogate may end in leaves of one row (``min_child_samples=1``, as
#: interpret-community sets), else its default of 20 rows per leaf leaves so few splits that it predicts a constant
SMALL_DATA_THRESHOLD = 50
_LGBM_LEAF_ARGS = ("min_child_samples", "min_data_in_leaf", "min_data_per_leaf", "min_data", "min_samples_leaf")
_LGBM_THREAD_ARGS = ("n_jobs", "num_threads", "num_thread", "nthread", "nthreads")
_LGBM_ONE_THREAD_CELLS = 2_000_000  # training matrices up to this many cells train on one thread
#: the default LightGBM surrogate: 400 trees of depth 3 (interactions of at most 3 features each) on
#: inputs binned to 63 levels (LightGBM's advice for speed; ~10% faster to train here). On our
#: reference teachers (MLPs, forests, boosted trees; binary, multiclass, regression) it matched
#: LightGBM's own default (100 trees of 31 leaves) in held-out fidelity, and a tree of depth 3 is
#: explained by one small table (numpy, nothing to compile).
LGBM_DEFAULT_SHAPE = {"n_estimators": 400, "learning_rate": 0.25, "max_depth": 3, "num_leaves": 8, "max_bin": 63}
#: the LightGBM arguments (and aliases) that shape the trees: setting any of them starts from
#: LightGBM's own defaults instead of ``LGBM_DEFAULT_SHAPE``, as interpret-community does
_LGBM_SHAPE_ARGS = frozenset({
    "n_estimators", "num_iterations", "num_iteration", "n_iter", "num_tree", "num_trees", "num_round",
    "num_rounds", "nrounds", "num_boost_round", "max_iter", "learning_rate", "shrinkage_rate", "eta",
    "num_leaves", "num_leaf", "max_leaves", "max_leaf", "max_leaf_nodes", "max_depth",
})


class LGBMExplainableModel(ExplainableModel):
    """LightGBM surrogate (categorical features native); importance = total split gain.

    By default 400 trees of depth 3 at learning rate 0.25 on inputs binned to 63 levels
    (``LGBM_DEFAULT_SHAPE``). Arguments that
    shape the trees (``n_estimators``, ``learning_rate``, ``num_leaves``, ``max_depth`` or one of
    their LightGBM aliases) replace that shape as a whole: the others then take LightGBM's own
    defaults, so code written for interpret-community gets the surrogate it got there.

    Unless ``model_args`` set the threads, a surrogate of up to 2 million cells (rows x columns)
    trains on one thread: a boosting round on so few rows is too short to share, and LightGBM's
    threads wait on each other at every split (its documentation warns against many threads for
    small data; on a busy machine two threads took 30x as long as one). SHAP values and predictions
    still use all cores.
    """

    name = "lightgbm"
    handles_categories = True
    accepts_any_args = True

    def estimator_args(self) -> dict[str, Any]:
        """The keyword arguments the LightGBM estimator is built with."""
        shaped = self.community or any(name in _LGBM_SHAPE_ARGS for name in self.model_args)
        return {"random_state": self.random_state, "verbose": -1, **({} if shaped else LGBM_DEFAULT_SHAPE),
                **self.model_args}

    def _estimator(self) -> Any:
        import lightgbm

        args = self.estimator_args()
        return lightgbm.LGBMRegressor(**args) if self.task == "regression" else lightgbm.LGBMClassifier(**args)

    def fit(self, X: Any, y: np.ndarray) -> ExplainableModel:
        estimator = self._estimator()
        if not any(name in self.model_args for name in _LGBM_THREAD_ARGS) \
                and np.prod(np.shape(X)) <= _LGBM_ONE_THREAD_CELLS:
            estimator.set_params(n_jobs=1)
        if np.shape(X)[0] < SMALL_DATA_THRESHOLD and not any(name in self.model_args for name in _LGBM_LEAF_ARGS):
            estimator.set_params(min_child_samples=1)
        self.model = estimator.fit(X, y)
        self.model.set_params(n_jobs=self.model_args.get("n_jobs"))  # predictions: LightGBM's default threads
        return self

    def native_importance(self) -> np.ndarray:
        return self.model.booster_.feature_importance(importance_type="gain").astype(np.float64)

    def shap_explainer(self, background: Any) -> Explainer:
        return TreeShap(self.model)


class DecisionTreeExplainableModel(ExplainableModel):
    """Decision tree surrogate; importance = impurity decrease (``feature_importances_``)."""

    name = "tree"

    def _estimator(self) -> Any:
        from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

        args = {"random_state": self.random_state, **self.model_args}
        return DecisionTreeRegressor(**args) if self.task == "regression" else DecisionTreeClassifier(**args)

    def native_importance(self) -> np.ndarray:
        return np.asarray(self.model.feature_importances_, dtype=np.float64)

    def shap_explainer(self, background: Any) -> Explainer:
        return TreeShap(self.model)


class LinearExplainableModel(ExplainableModel):
    """Linear surrogate: LinearRegression (regression) / LogisticRegression (classification).

    Importance = mean |coef| (over classes) x mean |x - mean(x)| on the training rows, which is the
    SHAP global importance of the surrogate on its training data.
    """

    name = "linear"

    def _estimator(self) -> Any:
        from sklearn.linear_model import LinearRegression, LogisticRegression

        if self.task == "regression":
            return LinearRegression(**self.model_args)
        return LogisticRegression(**{"max_iter": 1000, **self.model_args})

    def transform(self, X: Any) -> Any:
        """The rows as the array the estimator was fitted on (a DataFrame's column names would make
        scikit-learn warn that it was fitted without them)."""
        return X if sp.issparse(X) else np.asarray(X, dtype=np.float64)

    def fit(self, X: Any, y: np.ndarray) -> ExplainableModel:
        values = np.asarray(self.transform_fit(X), dtype=np.float64)
        estimator = self._estimator()
        if self.task == "classification" and estimator.get_params().get("solver") == "liblinear" \
                and len(np.unique(y)) > 2:
            self.model = _one_vs_rest(estimator, values, y)
        else:
            self.model = estimator.fit(values, y)
        self._spread = np.abs(values - values.mean(axis=0)).mean(axis=0)
        return self

    def native_importance(self) -> np.ndarray:
        coef = np.atleast_2d(self.model.coef_)
        return np.abs(coef).mean(axis=0) * self._spread

    def shap_explainer(self, background: Any) -> Explainer:
        return LinearShap(self.model, self.transform(background))


def _one_vs_rest(estimator: Any, X: np.ndarray, y: np.ndarray) -> Any:
    """``estimator`` (a liblinear LogisticRegression) fitted one class against the rest, as scikit-learn before 1.8
    fitted liblinear for several classes (it now refuses them): one binary fit per class, their coefficients as
    the rows of one linear model's ``coef_``, so its margins and SHAP values are each class's own."""
    from sklearn.base import clone

    classes = np.unique(y)
    fits = [clone(estimator).fit(X, (y == label).astype(int)) for label in classes]
    estimator.coef_ = np.vstack([fit.coef_ for fit in fits])
    estimator.intercept_ = np.concatenate([np.atleast_1d(fit.intercept_) for fit in fits])
    estimator.classes_ = classes
    estimator.n_features_in_ = X.shape[1]
    estimator.n_iter_ = np.concatenate([np.atleast_1d(fit.n_iter_) for fit in fits])
    return estimator


class SGDExplainableModel(LinearExplainableModel):
    """Linear surrogate fitted by SGD on standardized features (large or sparse data).

    SGDRegressor (squared error) / SGDClassifier (log loss). SHAP values are computed on the
    standardized features, which are one-to-one with the inputs, so they are the inputs' values.
    With interpret-community's defaults (``community``) the features are not scaled and the classifier
    takes scikit-learn's default loss (hinge), as there.
    """

    name = "sgd"

    def _estimator(self) -> Any:
        from sklearn.linear_model import SGDClassifier, SGDRegressor

        args = {"random_state": self.random_state, **self.model_args}
        if self.task == "regression":
            return SGDRegressor(**args)
        return SGDClassifier(**args) if self.community else SGDClassifier(**{"loss": "log_loss", **args})

    def transform_fit(self, X: Any) -> Any:
        values = np.asarray(X, dtype=np.float64)
        self._mean = values.mean(axis=0)
        self._scale = values.std(axis=0)
        self._scale[self._scale == 0] = 1.0
        if self.community:
            self._mean, self._scale = np.zeros_like(self._mean), np.ones_like(self._scale)
        return self.transform(values)

    def transform(self, X: Any) -> Any:
        return (np.asarray(X, dtype=np.float64) - self._mean) / self._scale

    def native_importance(self) -> np.ndarray:
        coef = np.atleast_2d(self.model.coef_)
        return np.abs(coef).mean(axis=0) * self._spread  # spread of the standardized features


_COMMUNITY_OPTIONS = ("sparse_data",)
_BY_NAME: dict[str, type[ExplainableModel]] = {
    cls.name: cls
    for cls in (LGBMExplainableModel, LinearExplainableModel, SGDExplainableModel, DecisionTreeExplainableModel)
}
_ALIASES = {"lgbm": "lightgbm", "decision_tree": "tree", "decisiontree": "tree"}


def explainable_model_class(explainable_model: Any) -> type[ExplainableModel]:
    """The surrogate class for a class, an instance's class, or a name ("lightgbm", "linear", "sgd", "tree")."""
    if isinstance(explainable_model, type) and issubclass(explainable_model, ExplainableModel):
        return explainable_model
    if isinstance(explainable_model, ExplainableModel):
        return type(explainable_model)
    if isinstance(explainable_model, str):
        key = explainable_model.lower()
        key = _ALIASES.get(key, key)
        if key in _BY_NAME:
            return _BY_NAME[key]
    raise InvalidParameterError(
        f"explainable_model must be one of {sorted(_BY_NAME)} or an ExplainableModel class, got "
        f"{explainable_model!r}." + did_you_mean(str(explainable_model), _BY_NAME)
    )

