"""Model-agnostic Kernel SHAP: any model with predict / predict_proba, or a plain function."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..data import Tabular, as_weights
from ..errors import InvalidInputError, InvalidParameterError
from ..explanation import Explanation
from ..models import call_model, prediction_function
from ._background import summarize, unwrap_summary
from ._base import Explainer, binary_pair, resolve_classes
from ._kernel_estimator import DEFAULT_TOLERANCE, default_budget, shapley_values

__all__ = ["KernelShap"]

_log = logging.getLogger(__name__)


class KernelShap(Explainer):
    """Interventional SHAP values of any model, estimated from the model's predictions.

    The value of a coalition S of features for row x is the (weighted) mean model output over the
    background rows b with x's values on S and b's elsewhere. With at most ``exact_max_features``
    features every coalition is evaluated and the Shapley values are exact; above it the Kernel SHAP
    weighted regression (Lundberg & Lee 2017) estimates them, with the sum constraint solved
    exactly, so additivity holds in both cases. Each background row gets its own design of
    ``n_samples`` coalitions: complement pairs (paired sampling), stratified by coalition size with
    the same number per size (leverage-score sampling, Musco & Witter 2024), the sizes the budget
    covers enumerated and the rest drawn without replacement; its regression gives the Shapley
    values of the one-background-row game, and their weighted mean is the result. Independent
    designs average their sampling errors out over the background. With at most 40 features (and
    from 4 per feature to 512 complement pairs per design) the pairs are herded to balance their
    moments rather than drawn uniformly, and the regression gives way to kriging: the posterior
    mean of the Shapley values under a prior on the game's interactions of order 3 and up, again a
    fixed linear map per design (at the same model calls, about a third lower error on the
    12-feature MLP of ``benchmarks/kernel.py``, a fifth to a quarter on its 40-feature LightGBM).
    The prior then weights each feature by how far the model's output moves with it over the
    background (the mean |f(b) - f(b with that feature from another background row)|, one model
    call of features x background rows per ``explain``), which takes the error to 0.77-0.83x on
    the LightGBM and 0.88-0.90x on the MLP at the same model calls (``benchmarks/kernel_shapiq.py``).
    Designs depend on the seed, never on the rows, and are built and factorized once for all rows.

    Sampled values come with an error estimate: ``params["error"]`` is the largest, over rows,
    estimated root-mean-square error of a row's values (in output units; a jackknife over four
    groups of the sampled pairs; 0 when exact), ``params["error_mean"]`` its mean over rows.
    Against exact values it is of the same order as the true error, an overestimate (on the
    workloads of ``benchmarks/kernel.py``, averaged over rows: about 1.2x with the regression;
    1.5-1.7x with kriging, at the default budget and at 1024: it is the jackknife of the estimate
    before the features are weighted).
    ``n_samples="auto"`` doubles a row's budget until that estimate is at most ``tolerance`` times
    the standard deviation of the model output over the background, up to ``max_samples``; rows
    stopped by the cap are counted in ``params["rows_at_cap"]`` and a warning says so.

    Batch invariance: a row's model calls hold its own synthetic rows only (call sizes fixed by
    the budget, background and ``max_batch_rows``) and its arithmetic is done alone (on one BLAS
    thread), so a row gets the same bits alone, in any batch, or in any chunk of the chunked
    engine, as long as the model computes each output row from its input row alone. (The price:
    one model call per explained row at least; a model with a high per-call overhead pays it
    per row.)

    Classifiers are explained on ``predict_proba`` (``output_space="probability"``), or on
    ``decision_function`` (``"margin"``) when they have no probabilities; regressors on ``predict``.
    A plain function is explained as it is: a 1-D output is a regression, a 2-D output one column
    per class.

    Parameters
    ----------
    model : a fitted model (anything with predict / predict_proba, sklearn Pipelines included, fed
        the same rows they were trained on) or a function of a 2-D array.
    background : array-like
        Reference rows. More than ``n_background`` rows are summarized: numeric data by weighted
        k-means (centres snapped to observed values), other data by a seeded weighted sample.
        A shap ``DenseData`` (``shap.kmeans(X, k)``) is used as it is, with its weights.
        ``params["n_background"]`` / ``params["background_summary"]`` record what was used, and a
        log line (logger ``explain_lib.explainers.kernel``, INFO) says so.
    n_samples : int, "auto" or None, default None
        Coalitions per background row on the sampled path (the model sees ``n_samples`` x
        background rows synthetic rows per explained row, like shap's ``nsamples``); None:
        max(384, 8 x features), 448 up to 16 features. "auto": start there and double per row until
        the error estimate meets ``tolerance``.
    tolerance : float, default 0.005
        Target of ``n_samples="auto"``: estimated RMS error of a row's values / standard deviation
        of the model output over the background (the largest over outputs).
    max_samples : int, optional
        Cap of ``n_samples="auto"``; default 16 x the default budget.
    exact_max_features : int, default 10
        Rows with at most this many varying features are solved exactly (2^m coalitions).
    random_state : int or None, default 0
        Seed of the coalition designs; the same seed gives the same values.
    progress : bool or None, default None
        A bar on stderr counting the explained rows: True shows it, False hides it, None shows it
        only when stderr is a terminal. It never changes the result.
    relevance : bool, default False
        With at most 40 features, give each background row's game a prior of its own: each feature
        weighted by its sensitivity over the background times the row's step from that background
        row on it (in units of the background's typical step; for categories, whether they differ),
        so a feature on which the row and a background row agree counts for little in their game.
        At the same model calls 0.86x the default's RMS error on the 40-feature LightGBM of
        ``benchmarks/kernel_shapiq.py`` and 0.92x on its 12-feature MLP at their default budgets
        (0.80x and 0.81x at 1024 coalitions), for a factorization per background row, explained
        row and output (about 1 ms at 224 pairs of 12 features, 6 ms at 512 pairs of 40): 1.4x
        (384 coalitions) and 5.4x (1024) the time of a 100-tree LightGBM model, so worth it when
        the model is slow (on the cheap 12-feature MLP of ``benchmarks/kernel.py``, 3.7x the time
        of shap's KernelExplainer, where the default takes 0.157x). On 10 to 16 features (at the
        default budget) the pairs are also spent where the background rows' games are hard, in
        two stages at the same model calls (0.233x the RMS error of shapiq's best approximator on
        that MLP, where equal designs had 0.262x).
        ``params["error"]`` stays the first estimate's (with the allotment, the kriging variance of
        each game's own pairs).

    Examples
    --------
    With few features every coalition is evaluated: the values are exact. For a linear function they
    are the closed form ``coef * (x - mean of the background)``:

    >>> import numpy as np
    >>> from explain_lib import KernelShap
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> def f(rows):
    ...     return rows[:, 0] + 2 * rows[:, 1]
    >>> explanation = KernelShap(f, X[:20]).explain(X[:2])
    >>> explanation.params["estimator"], explanation.params["error"]
    ('exact', 0.0)
    >>> bool(np.allclose(explanation.local[0], [1, 2, 0] * (X[:2] - X[:20].mean(axis=0))))
    True
    """

    method = "shap.kernel"

    def __init__(self, model: Any, background: Any, *, n_background: int = 100, n_samples: int | str | None = None,
                 tolerance: float = DEFAULT_TOLERANCE, max_samples: int | None = None, exact_max_features: int = 10,
                 max_batch_rows: int = 250_000, background_weights: Any = None,
                 features: Any = None, classes: Any = None, model_task: str = "auto", random_state: int | None = 0,
                 progress: bool | None = None, relevance: bool = False):
        super().__init__(model, features=features, classes=classes, model_task=model_task)
        if n_background < 1:
            raise InvalidParameterError(f"n_background must be at least 1, got {n_background}.")
        if isinstance(n_samples, str) and n_samples != "auto":
            raise InvalidParameterError(f"n_samples must be an int, 'auto' or None, got {n_samples!r}.")
        if not isinstance(n_samples, str) and n_samples is not None and n_samples < 2:
            raise InvalidParameterError(
                f"n_samples must be at least 2 (or None for the default budget, or 'auto'), got {n_samples}.")
        if not tolerance > 0:
            raise InvalidParameterError(f"tolerance must be positive, got {tolerance}.")
        if max_samples is not None and max_samples < 2:
            raise InvalidParameterError(f"max_samples must be at least 2 (or None), got {max_samples}.")
        self._predict, self.output_space = prediction_function(model, self.task)
        background, background_weights, given_summary = unwrap_summary(background, background_weights)
        tab = self._check_rows(background, name="background")
        weights = as_weights(background_weights, tab.n_rows)
        if given_summary:  # an already summarized background (shap.kmeans) is used as it is
            self.background, self.background_weights, self.summary = tab, weights, "given"
        else:
            self.background, self.background_weights, self.summary = summarize(tab, weights, n_background,
                                                                                random_state)
        if self.summary in ("kmeans", "sample"):
            _log.info("KernelShap: the %d background rows are summarized to %d weighted %s (n_background=%d); "
                     "pass a larger n_background for accuracy, a smaller one for speed.", tab.n_rows,
                     self.background.n_rows, "k-means centres" if self.summary == "kmeans" else "sampled rows",
                     n_background)
        self.n_background = n_background
        self.n_samples = n_samples
        self.tolerance = tolerance
        self.max_samples = max_samples
        self.exact_max_features = exact_max_features
        self.max_batch_rows = max_batch_rows
        self.random_state = random_state
        self.progress = progress
        if not isinstance(relevance, (bool, np.bool_)):
            raise InvalidParameterError(f"relevance must be True or False, got {relevance!r}.")
        self.relevance = bool(relevance)
        if self.task is None or (self.task == "classification" and self.classes is None):
            # a plain function (or a network): the width of its output on one background row decides, now
            n_outputs = self._model_output(self.background)(self.background.to_numpy()[:1]).shape[1]
            self.task = self.task or ("classification" if n_outputs > 1 else "regression")
            self.classes = resolve_classes(self.task, self.model, classes, n_outputs)

    def _model_output(self, template: Tabular) -> Callable[[np.ndarray], np.ndarray]:
        """The model as a function of dense arrays, in the input form (DataFrame, dtypes) it was fitted on."""
        frame = template.values if template.is_frame else None
        all_float = frame is not None and all(dtype == np.float64 for dtype in frame.dtypes)

        def output(rows: np.ndarray) -> np.ndarray:
            if frame is None:
                values = rows
            elif all_float and rows.dtype == np.float64:  # the frame with_values builds, without a no-op astype
                values = pd.DataFrame(rows, columns=frame.columns, copy=False)
            else:
                values = template.with_values(rows).values
            result = np.asarray(self._predict(values), dtype=np.float64)
            return result.reshape(len(rows), -1)

        return output

    def explain(self, X: Any, y: Any = None) -> Explanation:
        tab = self._check_rows(X)
        rows = tab.to_numpy()
        background = self.background.to_numpy()
        if rows.dtype != background.dtype:
            rows, background = rows.astype(object), background.astype(object)
        predict = self._model_output(tab)
        call_model(predict, rows[:1])  # the model's own complaint about X, as an error of ours
        result = shapley_values(
            predict, rows, background, self.background_weights, n_samples=self.n_samples,
            tolerance=self.tolerance, max_samples=self.max_samples,
            exact_max_features=self.exact_max_features, max_batch_rows=self.max_batch_rows,
            random_state=self.random_state, progress=self.progress, relevance=self.relevance,
        )
        local, expected = result.phi, result.expected
        if self.task == "classification":
            if local.shape[0] == 1 and len(self.classes) == 2:
                local, expected = binary_pair(local[0], float(expected[0]), 0.0)
            elif local.shape[0] != len(self.classes):
                raise InvalidInputError(
                    f"The model returned {local.shape[0]} outputs per row but there are {len(self.classes)} "
                    "classes; pass classes= with one label per output column."
                )
        n_features = tab.n_features
        exact = n_features <= self.exact_max_features
        params = {
            "n_background": int(self.background.n_rows),
            "background_summary": self.summary,
            "estimator": "exact" if exact else "kernel_regression",
            "n_samples": 2**n_features if exact else int(result.n_samples.max(initial=0))
            or (self.n_samples if isinstance(self.n_samples, int) else default_budget(n_features)),
            "error": float(result.error.max(initial=0.0)),
            "error_mean": float(result.error.max(axis=0).mean()) if result.error.size else 0.0,
            "random_state": self.random_state,
            "relevance": self.relevance,
        }
        if self.n_samples == "auto":
            params.update(tolerance=self.tolerance, max_samples=self.max_samples,
                          rows_at_cap=int(result.at_cap.sum()))
            if result.at_cap.any():
                warnings.warn(
                    f"KernelShap: {int(result.at_cap.sum())} of {len(rows)} rows reached max_samples="
                    f"{self.max_samples or 16 * default_budget(n_features)} with their error estimate above "
                    f"tolerance={self.tolerance} (params['error'] = {params['error']:.3g}); raise max_samples "
                    "or tolerance.", UserWarning, stacklevel=2)
        return self._explanation(tab, local, expected, output_space=self.output_space, params=params)
