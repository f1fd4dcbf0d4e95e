"""Permutation feature importance: how much a metric drops when one feature's values are shuffled."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._progress import progress_bar
from .._validation import check_positive_int
from ..data import as_labels
from ..errors import InvalidParameterError, MissingLabelsError, UnsupportedModelError, did_you_mean
from ..explanation import Explanation
from ..features import transformer_of
from ..metrics import ALIASES, METRICS, lookup, metric_function
from ..models import ModelInput, call_model, model_classes
from ._base import Explainer, subset_positions
from ._forest_permutation import checked_forest_permuter, forest_scores

__all__ = ["PFIExplainer"]

_C, _R = "classification", "regression"
_NOT_GIVEN: Any = object()
_STACK_BYTES = 64 * 2**20  # a worker predicts all repeats of a feature in one call if its stacked copy fits


def _metric_name(metric: str, task: str) -> str:
    """The canonical name of a metric (aliases resolved), checked against the task; a scikit-learn scorer
    name our table lacks is scored by that scorer."""
    from sklearn.metrics import get_scorer_names

    name = ALIASES.get(metric, metric)
    if name not in METRICS:
        if name in get_scorer_names():
            return name
        hint = did_you_mean(metric, [*METRICS, *ALIASES, *get_scorer_names()])
        raise InvalidParameterError(
            f"Unknown metric {metric!r}.{hint} Valid names: {', '.join(METRICS)}, their neg_ / _score spellings, "
            "and scikit-learn's scorer names (sklearn.metrics.get_scorer_names()); or pass a function "
            "metric(y_true, y_pred) -> float."
        )
    if lookup(metric, task=task).greater_is_better is None:
        raise InvalidParameterError(f"metric {metric!r} has no better direction, so its drop does not rank "
                                    "features; pick a score or a loss (e.g. 'accuracy').")
    return name


def _call_metric(function: Callable, kwargs: dict[str, Any], y_true: Any, y_pred: np.ndarray) -> float:
    return float(function(y_true, y_pred, **kwargs))


def _call_scorer(scorer: Callable, model: Any, y_true: Any, rows: Any) -> float:
    return float(scorer(model, rows, y_true))


def _response(model: Any, response: str, binary: bool) -> Callable[[Any], Any]:
    """The model method whose output a metric scores."""
    has = {name: callable(getattr(model, name, None)) for name in ("predict_proba", "decision_function")}
    if response == "predict":
        return model.predict
    if response == "score" and binary and has["decision_function"]:
        return model.decision_function
    if has["predict_proba"]:
        return model.predict_proba
    if response == "score" and has["decision_function"]:
        return model.decision_function
    raise UnsupportedModelError(
        f"This metric scores predicted probabilities, but {type(model).__name__} has no predict_proba. "
        "Pick a metric of predicted labels (e.g. metric='accuracy') or fit the model with probabilities."
    )


def _permutation_orders(random_state: Any, n_rows: int, n_repeats: int) -> np.ndarray:
    """(n_repeats, n_rows) row orders, drawn as scikit-learn's permutation_importance draws them.

    One seed is drawn from ``random_state``; a RandomState seeded with it shuffles an index
    array once per repeat, and the column is re-indexed by it each time (the shuffles compose).
    """
    from sklearn.utils import check_random_state

    rng = np.random.RandomState(check_random_state(random_state).randint(np.iinfo(np.int32).max + 1))
    step, order = np.arange(n_rows), np.arange(n_rows)
    orders = np.empty((n_repeats, n_rows), dtype=np.intp)
    for repeat in range(n_repeats):
        rng.shuffle(step)
        order = orders[repeat] = order[step]
    return orders


def _stack(values: Any, copies: int) -> Any:
    """Our own copy of ``values`` with ``copies`` copies of its rows one below the other."""
    if isinstance(values, pd.DataFrame):
        return pd.concat([values] * copies, ignore_index=True)
    if sp.issparse(values):
        return sp.vstack([values] * copies, format="csc")
    return np.concatenate([values] * copies)


def _column(values: Any, j: int) -> Any:
    """Column ``j`` as an array with ``.take`` (an ExtensionArray keeps a DataFrame column's dtype)."""
    if isinstance(values, pd.DataFrame):
        return values.iloc[:, j].array
    if sp.issparse(values):
        return values[:, [j]].toarray().ravel()
    return values[:, j]


def _put_column(stacked: Any, j: int, column: Any) -> Any:
    """``stacked`` with column ``j`` replaced: in place for arrays and DataFrames, a new CSR matrix if sparse."""
    if isinstance(stacked, pd.DataFrame):
        stacked.isetitem(j, column)
    elif sp.issparse(stacked):
        return sp.hstack([stacked[:, :j], sp.csc_matrix(column.reshape(-1, 1)), stacked[:, j + 1:]], format="csr")
    else:
        stacked[:, j] = column
    return stacked


def _rows(data: Any, start: int, stop: int) -> Any:
    return data.iloc[start:stop] if isinstance(data, pd.DataFrame) else data[start:stop]


def _predictions(predict: Callable | None, rows: Any) -> Any:
    """The model's output on ``rows`` as an array (the rows themselves when a scorer predicts)."""
    if predict is None:
        return rows
    output = predict(rows)
    return output.toarray() if sp.issparse(output) else np.asarray(output)


def _permuted_scores(predict: Callable | None, score: Callable, values: Any, y: np.ndarray, columns: list[int],
                     orders: np.ndarray, per_call: int, column_done: Callable[[int], object] | None = None
                     ) -> np.ndarray:
    """(len(columns), n_repeats) metric values with each column permuted by each order in turn.

    One worker's share: it stacks ``per_call`` copies of ``values`` once, then for each column
    writes ``per_call`` permutations into it, predicts once, scores each block of rows, and
    restores the column. ``column_done(1)``, if given, is called after each column (in-process only).
    """
    n_rows, n_repeats = len(y), len(orders)
    stacked = _stack(values, per_call)
    unpermuted = np.tile(np.arange(n_rows), per_call)
    scores = np.empty((len(columns), n_repeats))
    for i, j in enumerate(columns):
        column = _column(values, j)
        for start in range(0, n_repeats, per_call):
            data = _put_column(stacked, j, column.take(orders[start:start + per_call].ravel()))
            predictions = _predictions(predict, data)
            for k in range(per_call):
                scores[i, start + k] = score(y, _rows(predictions, k * n_rows, (k + 1) * n_rows))
        if not sp.issparse(stacked):
            _put_column(stacked, j, column.take(unpermuted))
        if column_done is not None:
            column_done(1)
    return scores


def _threads_itself(model: Any) -> bool:
    """Whether the model spreads its own predictions over cores (it has an ``n_jobs`` setting, as
    scikit-learn's forests and neighbours, LightGBM and XGBoost have)."""
    model = getattr(model, "model", model) if isinstance(model, _TransformedModel) else model
    return hasattr(model, "n_jobs") and callable(getattr(model, "get_params", None)) \
        and "n_jobs" in model.get_params(deep=False)


def _scores_by_column(predict: Callable | None, score: Callable, values: Any, y: np.ndarray, columns: list[int],
                      orders: np.ndarray, per_call: int, *, n_jobs: int | None, show: bool | None,
                      threads_itself: bool = False) -> np.ndarray:
    """(len(columns), n_repeats) permuted scores, the columns split into contiguous chunks, one per joblib worker.

    A model that ``threads_itself`` is instead called from this process, one column after the other,
    with joblib's default ``n_jobs`` set to ours (threads), so its own predict spreads each call
    over the cores: no copy of the model or data per process, and no process competing with the
    model's threads. A bar counts the features: after each column when one process does all the
    work, after each finished chunk when workers do.
    """
    from joblib import Parallel, delayed, effective_n_jobs, parallel_config

    n_chunks = min(len(columns), effective_n_jobs(n_jobs))
    with progress_bar(len(columns), "PFIExplainer", unit="feature", show=show) as bar:
        if threads_itself and n_chunks > 1:
            with parallel_config(backend="threading", n_jobs=n_jobs):
                return _permuted_scores(predict, score, values, y, columns, orders, per_call, bar.update)
        if n_chunks == 1:
            return _permuted_scores(predict, score, values, y, columns, orders, per_call, bar.update)
        chunks = np.array_split(np.asarray(columns), n_chunks)
        finished = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(_permuted_scores)(predict, score, values, y, chunk.tolist(), orders, per_call) for chunk in chunks
        )
        scores = []
        for chunk, chunk_scores in zip(chunks, finished, strict=True):
            scores.append(chunk_scores)
            bar.update(len(chunk))
    return np.concatenate(scores)


def _constant_columns(values: Any) -> np.ndarray:
    """Which columns hold one value in every row: permuting one changes nothing, so its drop is exactly 0."""
    if sp.issparse(values):
        columns = values.tocsc()
        stored = np.diff(columns.indptr)
        constant = stored == 0  # no stored values: all zeros
        for j in np.flatnonzero(stored == values.shape[0]):  # fully stored: constant if all stored values agree
            data = columns.data[columns.indptr[j]:columns.indptr[j + 1]]
            constant[j] = bool(np.all(data == data[0]))
        return constant
    if isinstance(values, pd.DataFrame):
        return (values.nunique(dropna=False) <= 1).to_numpy()
    try:
        return np.asarray(np.all(values == values[:1], axis=0), dtype=bool).reshape(-1)
    except (TypeError, ValueError):  # values that do not compare elementwise: permute them all
        return np.zeros(values.shape[1], dtype=bool)


def _nbytes(values: Any) -> int:
    if isinstance(values, pd.DataFrame):
        return int(values.memory_usage(index=False, deep=False).sum())
    return int(values.data.nbytes if sp.issparse(values) else values.nbytes)


class _TransformedModel:
    """The model fed ``transform(rows)``: raw rows in, the model's predictions out (classes_ kept)."""

    def __init__(self, model: Any, transform: Any):
        self.model, self.transform = model, transform
        for name in ("predict", "predict_proba", "decision_function"):
            if callable(getattr(model, name, None)):
                setattr(self, name, functools.partial(self._call, name))
        if hasattr(model, "classes_"):
            self.classes_ = model.classes_

    def _call(self, name: str, rows: Any) -> Any:
        return getattr(self.model, name)(self.transform.transform(rows))


class PFIExplainer(Explainer):
    """Permutation feature importance (Breiman 2001; Fisher, Rudin & Dominici 2019), global only.

    How much a metric of the model on ``(X, y)`` drops when one feature's values are shuffled
    across the rows, which breaks the feature's link with the target::

        baseline = metric(y, model(X))
        for each feature j, for r in 1..n_repeats:
            drop[j, r] = sign * (baseline - metric(y, model(X with column j re-ordered by permutation r)))
        global_[j] = mean_r drop[j, r];  global_std[j] = std_r drop[j, r]   # sign = -1 for error metrics

    Larger is more important for every metric; near 0 (or below) means the model does not rely on
    the feature for these rows.

    Parameters
    ----------
    model : a fitted model with ``predict`` (a Pipeline is fed X as given), or, with
        ``is_function=True``, a function of rows whose output the metric scores.
    metric : str or callable, optional
        A name: ``accuracy``, ``f1`` / ``precision`` / ``recall`` (+ ``_macro``, ``_micro``,
        ``_weighted``), ``roc_auc``, ``log_loss``, ``r2``, ``mean_absolute_error``,
        ``mean_squared_error``, ``median_absolute_error``, ... (the error message lists them all,
        scikit-learn's ``neg_*`` and interpret-community's ``*_score`` spellings work too, any other
        scikit-learn scorer name is scored by that scorer); or ``metric(y_true, y_pred,
        **metric_args) -> float``, given ``model.predict`` output. Default ``accuracy`` for
        classifiers (interpret-community's default, micro F1, is the same number), and
        interpret-community's ``mean_absolute_error`` for regressors (a drop in the target's own
        units). Binary
        ``f1`` / ``precision`` / ``recall`` score ``classes_[1]``; with more classes they are macro
        averages and ``roc_auc`` is one-vs-rest.
    n_repeats : int
        Permutations per feature.
    n_jobs : int, optional
        joblib workers over which the features are split; None means 1, -1 all cores. A model with
        its own ``n_jobs`` setting (scikit-learn forests, LightGBM, XGBoost) is instead called from
        this process with joblib's default ``n_jobs`` set to this, so it threads each call itself.
    random_state : int or None
        Seeds the permutations. Results do not depend on ``n_jobs``.
    features, classes, model_task
        Feature names, class names (default the model's ``classes_``), ``"auto"`` /
        ``"classification"`` / ``"regression"``.
    transformations : optional
        A fitted ColumnTransformer or a list of (columns, transformer) tuples that turns raw rows
        into the rows ``model`` was fitted on: X is raw, each raw column is permuted and the model
        scored on ``transformations.transform(X)``, so the importances are of raw features
        (``is_raw=True``); the same as passing ``make_pipeline(transformations, model)``.
    metric_args, is_error_metric, seed, explain_subset, is_function, for_classifier_use_predict_proba
        interpret-community's options: keyword arguments of the metric; a callable metric is an
        error (lower is better); alias of ``random_state``; the indexes of the only columns to
        explain; ``model`` is a function; a callable metric gets ``predict_proba`` output.
    progress : bool or None, default None
        A bar on stderr counting the features done: True shows it, False hides it, None shows it
        only when stderr is a terminal. It never changes the result.
    show_progress : bool, default True
        interpret-community's switch: False hides the bar (as ``progress=False``); True leaves it to ``progress``.
    allow_all_transformations
        Accepted for interpret-community compatibility; ignored.

    Notes
    -----
    Permutations are drawn as ``sklearn.inspection.permutation_importance`` draws them (one seed
    from ``random_state``, the same ``n_repeats`` shuffles for every feature: common random
    numbers, so features are compared on the same draws), hence both give the same importances for
    the same model, data, metric, ``n_repeats`` and ``random_state``, to floating-point rounding.
    A column holding one value in every row (a sparse column without stored values) permutes to itself: its
    drops are exactly 0, found without calling the model. Faster: a scikit-learn random forest or extra-trees
    model (single output, float rows) is not called per repeat: each row's own leaf and path are found once,
    and a permuted row is walked only from the first split on the permuted column where it goes another way
    (``_forest_permutation``), which gives the forest's own outputs bit for bit (checked on the unpermuted
    rows, else the model is called). Other models: a worker predicts all repeats of a feature in one call on
    ``n_repeats`` stacked copies of X (one call per repeat, the column permuted in place and restored, past 64
    MiB); a model with its own ``n_jobs`` threads those calls itself, others get processes over contiguous
    chunks of features, so the model is sent to each process once. X itself is never changed.

    The Explanation: ``global_`` the mean drop, ``local`` / ``expected`` / ``per_class`` None,
    ``output_space="metric"``; ``params``: ``metric``, ``greater_is_better``, ``baseline_score``
    (on unpermuted X), ``n_repeats``, ``random_state``; ``global_std`` the standard deviation of
    the drops over the repeats and ``global_repeats`` the (n_features, n_repeats) drops themselves,
    aligned with ``features``.

    Examples
    --------
    A feature the model ignores loses nothing when it is shuffled:

    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from explain_lib import PFIExplainer
    >>> X = np.random.default_rng(0).normal(size=(300, 3))
    >>> y = 2 * X[:, 0] - X[:, 1]
    >>> explanation = PFIExplainer(LinearRegression().fit(X, y), metric="mean_squared_error").explain(X, y)
    >>> explanation.output_space, explanation.local
    ('metric', None)
    >>> explanation.get_ranked_global_names()
    ['x0', 'x1', 'x2']
    >>> abs(float(explanation.global_[2])) < 1e-9
    True
    """

    method = "pfi"

    def __init__(self, model: Any, *, metric: str | Callable[..., float] | None = None, n_repeats: int = 5,
                 n_jobs: int | None = None, random_state: int | None = 0, features: Any = None, classes: Any = None,
                 transformations: Any = None, model_task: str = "auto", metric_args: dict[str, Any] | None = None,
                 is_error_metric: bool = False, seed: int | None = _NOT_GIVEN, explain_subset: Any = None,
                 is_function: bool = False, for_classifier_use_predict_proba: bool = False,
                 allow_all_transformations: bool = False, show_progress: bool = True, progress: bool | None = None):
        model_task = getattr(model_task, "value", model_task)  # interpret-community's ModelTask enum
        if is_function and not callable(model):
            raise InvalidParameterError(f"is_function=True needs a function of rows, got {type(model).__name__}.")
        if not is_function and not callable(getattr(model, "predict", None)):
            raise UnsupportedModelError(
                f"{type(model).__name__} has no predict(); pass a fitted model, or a function with is_function=True."
            )
        super().__init__(model, features=features, classes=classes,
                         model_task="auto" if model_task == "unknown" else model_task)
        if self.task is None:
            if classes is not None and getattr(model, "__name__", None) == "predict" \
                    and hasattr(getattr(model, "__self__", None), "predict"):  # a model's bound predict
                raise InvalidParameterError(
                    "Classes is specified but function was predict, not predict_proba: classes= names the columns "
                    f"of predict_proba, and this is {type(model.__self__).__name__}.predict, whose output is labels; "
                    "pass the model's predict_proba (with is_function=True), or the model itself, or drop classes=."
                )
            raise InvalidParameterError(
                "PFIExplainer cannot tell whether this function classifies or regresses; pass "
                "model_task='classification' or model_task='regression'."
            )
        check_positive_int(n_repeats, "n_repeats", allow_none=False)
        if seed is not _NOT_GIVEN:
            if random_state not in (0, seed):
                raise InvalidParameterError("seed is interpret-community's name for random_state; pass only one.")
            random_state = seed
        if isinstance(random_state, bool) or not isinstance(random_state, (int, np.integer, type(None))):
            raise InvalidParameterError(f"random_state must be an int or None, got {random_state!r}.")
        if not show_progress and progress:
            raise InvalidParameterError("show_progress=False hides the bar that progress=True asks for; pass only one.")
        if metric is not None and not isinstance(metric, str) and not callable(metric):
            raise InvalidParameterError(f"metric must be a name or a function, got {type(metric).__name__}.")
        self._metric_name = None
        if not callable(metric):
            self._metric_name = _metric_name(metric or ("accuracy" if self.task == _C else "mean_absolute_error"),
                                             self.task)
            if self._metric_name not in METRICS and (metric_args or is_function):
                raise InvalidParameterError(
                    f"metric {metric!r} is scored by scikit-learn's scorer, which takes neither metric_args nor "
                    "a function as model; use a name from our table or a callable metric."
                )
        self.metric, self.metric_args, self.is_error_metric = metric, dict(metric_args or {}), is_error_metric
        self.n_repeats, self.n_jobs, self.random_state = int(n_repeats), n_jobs, random_state
        self.progress = progress if show_progress else False
        self.explain_subset = explain_subset
        self.is_function, self.for_classifier_use_predict_proba = is_function, for_classifier_use_predict_proba
        self.transformations, self.allow_all_transformations = transformations, allow_all_transformations
        if classes is not None and self.task == _C and not is_function \
                and not callable(getattr(model, "predict_proba", None)):
            raise InvalidParameterError(
                "Classes is specified but model does not define predict_proba, only predict: classes= names the "
                f"columns of predict_proba, but {type(model).__name__} has only predict(), whose "
                f"output is its own labels {list(model_classes(model) or [])[:10]}; drop classes= (the labels name "
                "themselves) or fit the model with probabilities (e.g. SVC(probability=True))."
            )
        self._scored_model = model
        if transformations is not None:  # raw rows in: the model is scored on transform(rows)
            transform = transformer_of(transformations)
            if transform is None:
                raise InvalidParameterError(
                    "PFIExplainer permutes raw columns, so transformations= must transform rows: a fitted "
                    "ColumnTransformer or a list of (columns, transformer) tuples, not a feature map matrix."
                )
            self._scored_model = _TransformedModel(model, transform)
            names_in = getattr(transformations, "feature_names_in_", None)
            self._input = ModelInput(getattr(transformations, "n_features_in_", None),
                                     None if names_in is None else tuple(str(n) for n in names_in), True)

    def _scoring(self, labels: tuple | None) -> tuple[Callable | None, Callable, str, bool]:
        """(what to call on rows, metric(y, output), metric name, greater_is_better)."""
        if callable(self.metric):
            response = "proba" if self.for_classifier_use_predict_proba and self.task == _C else "predict"
            predict = self.model if self.is_function else _response(self._scored_model, response, False)
            score = functools.partial(_call_metric, self.metric, self.metric_args)
            name = getattr(self.metric, "__name__", type(self.metric).__name__)
            return predict, score, name, not self.is_error_metric
        name = self._metric_name
        if name not in METRICS:
            from sklearn.metrics import get_scorer

            return None, functools.partial(_call_scorer, get_scorer(name), self._scored_model), name, True
        binary = labels is not None and len(labels) == 2
        predict = self.model if self.is_function else _response(self._scored_model, METRICS[name].response, binary)
        return predict, metric_function(name, classes=labels, **self.metric_args), name, METRICS[name].greater_is_better

    def explain(self, X: Any, y: Any = None) -> Explanation:
        """Permutation importance of each column of ``X`` for predicting the true labels ``y``."""
        if y is None:
            raise MissingLabelsError(
                "Permutation importance needs the true labels of X: call explain(X, y) or "
                "explain_global(X, true_labels=y)."
            )
        tab = self._check_rows(X)
        y = as_labels(y, tab.n_rows, task=self.task, classes=None if self.is_function else model_classes(self.model))
        columns = subset_positions(self.explain_subset, tab.features) or list(range(tab.n_features))
        labels = None
        if self.task == _C:
            known = None if self.is_function else model_classes(self._scored_model)
            labels = known or self.classes or tuple(np.unique(y).tolist())
        predict, score, name, greater_is_better = self._scoring(labels)

        unpermuted = call_model(functools.partial(_predictions, predict), tab.values)
        baseline = score(y, unpermuted)
        orders = _permutation_orders(self.random_state, tab.n_rows, self.n_repeats)
        permuter = None if self.is_function else checked_forest_permuter(self._scored_model, predict, tab.values,
                                                                         unpermuted, self.n_jobs)
        constant = _constant_columns(tab.values)
        varying = [j for j in columns if not constant[j]]  # a constant column permutes to itself
        scores = np.full((len(columns), self.n_repeats), baseline, dtype=np.float64)
        if varying and permuter is not None:
            permuted = forest_scores(permuter, score, y, varying, orders, show=self.progress)
        elif varying:
            per_call = self.n_repeats if self.n_repeats * _nbytes(tab.values) <= _STACK_BYTES else 1
            permuted = _scores_by_column(predict, score, tab.values, y, varying, orders, per_call, n_jobs=self.n_jobs,
                                         show=self.progress, threads_itself=not self.is_function
                                         and _threads_itself(self._scored_model))
        if varying:
            scores[[columns.index(j) for j in varying]] = permuted
        drops = (baseline - scores) * (1.0 if greater_is_better else -1.0)
        params = {"metric": name, "greater_is_better": greater_is_better, "baseline_score": baseline,
                  "n_repeats": self.n_repeats, "random_state": self.random_state}
        return Explanation(local=None, expected=None, features=[tab.features[j] for j in columns], task=self.task,
                           output_space="metric", method=self.method, classes=self.classes or labels,
                           global_=drops.mean(axis=1), global_std=drops.std(axis=1), global_repeats=drops,
                           params=params, is_raw=self.transformations is not None,
                           data=None if tab.is_sparse else tab.to_frame().iloc[:, columns])  # the scored rows

    def explain_local(self, evaluation_examples: Any) -> Explanation:
        """Not available: permutation importance is a property of a metric over many rows."""
        raise InvalidParameterError(
            "Permutation importance is global only: it measures how a metric over all rows drops, so it has no "
            "per-row values. Use explain_global(X, true_labels=y) here, or TreeShap / LinearShap / KernelShap / "
            "TabularExplainer for local values."
        )
