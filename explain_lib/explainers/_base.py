"""The shallow base every explainer shares: one verb, ``explain(X, y=None) -> Explanation``."""

from __future__ import annotations

import abc
import dataclasses
from typing import Any, ClassVar

import numpy as np

from .._community import Names
from .._validation import check_positive_int
from ..data import Tabular, as_tabular, refuse_non_finite_output
from ..errors import InvalidInputError, InvalidParameterError, did_you_mean
from ..explanation import Explanation
from ..models import ModelInput, check_fitted, infer_task, model_classes, model_input, predict_scores

__all__ = ["Explainer"]


def resolve_classes(task: str | None, model: Any, classes: Any, n_outputs: int | None = None) -> Names | None:
    """User-given class labels (checked against the model's count) or the model's own, as :class:`Names`
    (a tuple that also equals the list of the same labels, as interpret-community's ``classes`` list does).

    Examples
    --------
    >>> resolve_classes("classification", None, ["no", "yes"]) == ["no", "yes"]
    True
    """
    if task != "classification":
        return None
    known = model_classes(model)
    if classes is not None:
        labels = tuple(np.asarray(classes).tolist())
        expected = len(known) if known is not None else n_outputs
        if expected is not None and len(labels) != expected:
            raise InvalidParameterError(
                f"classes has {len(labels)} labels but the model has {expected} classes; give one label per class."
            )
        return Names(labels)
    if known is not None:
        return Names(known)
    if n_outputs is not None:
        return Names(range(max(n_outputs, 2)))
    return None


def stratified_positions(strata: np.ndarray, n: int, random_state: int | None) -> np.ndarray:
    """Sorted positions of ``n`` rows, each stratum represented in proportion (at least one row each)."""
    rng = np.random.default_rng(random_state)
    labels, counts = np.unique(strata, return_counts=True)
    quota = np.maximum(1, np.floor(counts * n / counts.sum()).astype(int))
    while quota.sum() > n:  # at-least-one rounding overshot: trim the largest strata
        quota[quota.argmax()] -= 1
    leftover = n - quota.sum()
    if leftover > 0:  # hand the rest to the strata with the largest remainders
        remainder = counts * n / counts.sum() - quota
        quota[np.argsort(-remainder, kind="stable")[:leftover]] += 1
    chosen = [rng.choice(np.flatnonzero(strata == label), size=min(q, c), replace=False)
              for label, q, c in zip(labels, quota, counts, strict=True)]
    return np.sort(np.concatenate(chosen))


def binary_pair(local_positive: np.ndarray, expected_positive: float, total: float) -> tuple[np.ndarray, np.ndarray]:
    """Both classes of a binary output from the positive class's values.

    ``total`` is what the two outputs sum to: 0 for margins (log-odds of class 0 = -log-odds of
    class 1), 1 for probabilities. Class 0's local values are the negation of class 1's.
    """
    local = np.stack([-local_positive, local_positive])
    expected = np.array([total - expected_positive, expected_positive], dtype=np.float64)
    return local, expected


def _one_row_as_table(X: Any) -> tuple[Any, bool]:
    """(a one-row table, True) for a 1-D row; (X, False) for anything else."""
    import pandas as pd

    if isinstance(X, pd.Series):
        return X.to_frame().T.infer_objects(), True
    if isinstance(X, (np.ndarray, list, tuple)) and np.ndim(X) == 1:
        return np.asarray(X).reshape(1, -1), True
    return X, False


# params whose value depends on the rows explained, and how the values of disjoint sets of rows
# combine into the value of their union (the chunked engines explain rows in parts): a sampled
# estimator's error estimate and budget
ROW_PARAMS: dict[str, str] = {"error": "max", "error_mean": "mean", "n_samples": "max", "rows_at_cap": "sum"}


def row_params(params: dict[str, Any]) -> dict[str, Any]:
    """The row-dependent entries of ``params`` (see :data:`ROW_PARAMS`)."""
    return {key: params[key] for key in ROW_PARAMS if key in params}


def combine_row_params(parts: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    """The row-dependent params of all rows, from ``(n_rows, row_params)`` of disjoint parts of them."""
    combined: dict[str, Any] = {}
    for key, rule in ROW_PARAMS.items():
        weighted = [(n, part[key]) for n, part in parts if part.get(key) is not None]
        if not weighted:
            continue
        values = [value for _, value in weighted]
        if rule == "max":
            combined[key] = max(values)
        elif rule == "sum":
            combined[key] = sum(values)
        else:
            total = sum(n for n, _ in weighted)
            combined[key] = float(sum(n * value for n, value in weighted) / total) if total else values[0]
    return combined


def subset_positions(explain_subset: Any, features: tuple[str, ...]) -> list[int] | None:
    """interpret-community's ``explain_subset`` as column positions (None stays None).

    Each entry is a position, a feature's name, or the text of a position (an unnamed feature's name,
    which interpret-community keeps as the number itself). Anything else is an error naming the features.

    Examples
    --------
    >>> subset_positions([2, "age", "0"], ("age", "income", "hours"))
    [2, 0, 0]
    """
    if explain_subset is None:
        return None
    positions = []
    for entry in list(explain_subset):
        if isinstance(entry, (int, np.integer)) and not isinstance(entry, bool):
            position = int(entry)
        elif str(entry) in features:
            position = features.index(str(entry))
        elif str(entry).lstrip("-").isdigit():
            position = int(str(entry))
        else:
            raise InvalidParameterError(
                f"explain_subset entry {entry!r} is neither a column position nor a feature name."
                + did_you_mean(str(entry), features)
            )
        if not 0 <= position < len(features):
            raise InvalidParameterError(f"explain_subset must hold column positions in [0, {len(features)}), got "
                                        f"{entry!r}.")
        positions.append(position)
    if not positions:
        raise InvalidParameterError("explain_subset is empty; pass the columns to keep, or None for all.")
    return positions


def keep_subset(explanation: Explanation, explain_subset: Any) -> Explanation:
    """Only the ``explain_subset`` columns of an explanation (their values no longer add up to the model output)."""
    keep = subset_positions(explain_subset, explanation.features)
    if keep is None:
        return explanation
    data = None if explanation.data is None else explanation.data.iloc[:, keep]
    return dataclasses.replace(
        explanation, features=[explanation.features[j] for j in keep], data=data, per_class=None,
        local=None if explanation.local is None else explanation.local[:, :, keep],
        global_=None if explanation.local is not None else explanation.global_[keep],
        params={**explanation.params, "explain_subset": keep})


def shallow_copy(obj: Any, **changes: Any) -> Any:
    """A new object of the same class sharing ``obj``'s attributes, with ``changes`` applied (no pickling)."""
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    new.__dict__.update(changes)
    return new


class Explainer(abc.ABC):
    """Base of every explainer.

    Subclasses store their settings in ``__init__`` (cheap checks only) and do the work in
    :meth:`explain`. Data is positional, options are keyword-only.
    """

    method: ClassVar[str]

    def __init__(self, model: Any, *, features: Any = None, classes: Any = None, model_task: str = "auto"):
        check_fitted(model)
        self.model = model
        self.features = None if features is None else Names(str(f) for f in features)
        self.model_task = model_task
        self.task = infer_task(model, model_task)
        self._input: ModelInput = model_input(model)
        self.classes = resolve_classes(self.task, model, classes)

    # --------------------------------------------------------------- helpers
    def _check_rows(self, X: Any, *, name: str = "X", allow_nan: bool | None = None, numeric: bool = False) -> Tabular:
        """X as Tabular, checked against the model's input contract (``numeric``: numbers only)."""
        tab = as_tabular(
            X,
            name=name,
            features=self.features,
            expected_n_features=self._input.n_features,
            expected_names=self._input.feature_names,
            column_key=self._input.column_key,
        )
        if numeric and not tab.is_numeric:
            raise InvalidInputError(
                f"{name} has non-numeric columns {tab.non_numeric_columns()[:10]}, but {type(self.model).__name__} "
                "takes numbers only. Encode them first, or explain a scikit-learn Pipeline whose first steps encode "
                "them."
            )
        nan_ok = self._input.allow_nan if allow_nan is None else allow_nan
        if not nan_ok and tab.has_missing():
            raise InvalidInputError(
                f"{name} has missing values (NaN) but {type(self.model).__name__} cannot take them. "
                "Impute them first (e.g. sklearn.impute.SimpleImputer in a Pipeline) or drop those rows."
            )
        return tab

    def _explanation(self, tab: Tabular, local: np.ndarray, expected: np.ndarray, *, output_space: str,
                     params: dict[str, Any], **extra: Any) -> Explanation:
        refuse_non_finite_output(local, expected, tab.features, type(self).__name__)
        known = model_classes(self.model) if self.task == "classification" else None
        if known is not None and self.classes is not None and tuple(known) != tuple(self.classes):
            params = {**params, "model_classes": list(known)}  # the model's own labels, which classes= renamed
        return Explanation(
            local=local,
            expected=expected,
            features=tab.features,
            task=self.task or "regression",
            output_space=output_space,
            method=self.method,
            classes=self.classes,
            params=params,
            data=extra.pop("data", tab.to_frame()),
            **extra,
        )

    # ------------------------------------------------------------- the verb
    @abc.abstractmethod
    def explain(self, X: Any, y: Any = None) -> Explanation:
        """Explain the rows ``X``; ``y`` (true labels) is accepted for methods that use it."""

    def settled_for_rows(self, n_rows: int | None) -> Explainer:
        """The explainer to explain ``n_rows`` rows in parts (chunks, partitions), with every choice that
        depends on the number of rows made once for the whole job, so the values never depend on the part
        sizes. ``None``: a job too large to count (e.g. a Spark DataFrame).

        The engines call it once per job. This explainer makes no such choice and returns itself;
        :class:`TreeShap` (its ``algorithm="auto"``) and the explainers that delegate to another one
        return a settled copy. The explainer itself is never changed.
        """
        return self

    def _with_settled(self, attribute: str, n_rows: int | None) -> Explainer:
        """A shallow copy whose inner explainer ``attribute`` is settled for ``n_rows`` (itself when unchanged)."""
        inner = getattr(self, attribute)
        settled = inner.settled_for_rows(n_rows)
        if settled is inner:
            return self
        return shallow_copy(self, **{attribute: settled})

    # ------------------------------------------------ interpret-community names
    def explain_local(self, evaluation_examples: Any) -> Explanation:
        """Local explanation of ``evaluation_examples`` (same as :meth:`explain`).

        One 1-D row (``x_test[0, :]`` or a DataFrame row, a Series) is explained as a one-row table;
        the result's interpret-community accessors then drop the row axis, as interpret-community's do.
        """
        rows, single_row = _one_row_as_table(evaluation_examples)
        explanation = self.explain(rows)
        return dataclasses.replace(explanation, single_row=single_row, params={**explanation.params, "scope": "local"})

    def explain_global(self, evaluation_examples: Any, true_labels: Any = None, *, include_local: bool = True,
                       max_rows: int | None = None, random_state: int | None = 0, batch_size: int | None = None,
                       sampling_policy: Any = None) -> Explanation:
        """Global explanation of ``evaluation_examples``.

        ``max_rows``: explain at most this many rows, a seeded sample stratified by the model's
        prediction (its predicted class, or the decile of its predicted value), so global
        importances of large data cost a bounded amount; the sampling is recorded in
        ``params["sampling"]``. With ``include_local=False`` the local values are dropped; the explained rows
        are kept (``data``), as interpret-community keeps them (``eval_data``).
        ``batch_size`` (interpret-community's) changes nothing: rows are batched internally.
        ``sampling_policy`` (interpret-community's ``SamplingPolicy``): ``allow_eval_sampling=True`` is
        ``max_rows=max_dim_clustering`` (this stratified sample, not its clustering); False samples nothing.
        """
        if sampling_policy is not None:
            if not hasattr(sampling_policy, "allow_eval_sampling"):
                raise InvalidParameterError(
                    "sampling_policy takes interpret-community's SamplingPolicy (explain_lib.compat.common.policy); "
                    "or pass max_rows=n to explain a seeded sample of n rows stratified by the model's prediction."
                )
            if sampling_policy.allow_eval_sampling and max_rows is None:
                max_rows = int(getattr(sampling_policy, "max_dim_clustering", 50))
        sampling = None
        if max_rows is not None:
            evaluation_examples, true_labels, sampling = self.stratified_sample(
                evaluation_examples, true_labels, max_rows, random_state)
        explanation = self.explain(evaluation_examples, true_labels)
        if sampling is not None:
            explanation = dataclasses.replace(explanation, params={**explanation.params, "sampling": sampling})
        if include_local:
            return explanation
        return dataclasses.replace(explanation, local=None)

    def _prediction_scores(self, X: Any) -> np.ndarray:
        """The model's predictions on rows as the caller passes them (for stratified sampling)."""
        return predict_scores(self.model, X, self.task)

    def stratified_sample(self, X: Any, y: Any, max_rows: int, random_state: int | None) -> tuple[Any, Any, dict]:
        """At most ``max_rows`` rows of ``X`` (and their labels ``y``), stratified by the model's prediction.

        Returns the rows, the labels (or None) and a description of the sampling for ``params``.
        """
        check_positive_int(max_rows, "max_rows", allow_none=False)
        tab = as_tabular(X)
        info = {"policy": "stratified_by_prediction", "n_rows_total": tab.n_rows, "random_state": random_state}
        if tab.n_rows <= max_rows:
            return X, y, {**info, "n_rows_sampled": tab.n_rows}
        scores = np.asarray(self._prediction_scores(tab.values), dtype=np.float64)
        if self.task == "classification":
            strata = scores.argmax(axis=1) if scores.ndim == 2 else (scores > 0.5).astype(int)
        else:
            edges = np.quantile(scores.reshape(-1), np.linspace(0, 1, 11)[1:-1])
            strata = np.searchsorted(edges, scores.reshape(-1))
        rows = stratified_positions(strata, max_rows, random_state)
        taken = tab.take(rows).values
        y_taken = None if y is None else (y.iloc[rows] if hasattr(y, "iloc") else np.asarray(y)[rows])
        return taken, y_taken, {**info, "n_rows_sampled": int(rows.size)}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={type(self.model).__name__}, task={self.task!r})"
