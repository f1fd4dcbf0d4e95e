"""MimicExplainer: explain a black box through a glass-box surrogate trained to mimic it."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from ..data import Tabular
from ..errors import InvalidInputError, InvalidParameterError, UnsupportedModelError
from ..explanation import Explanation
from ..features import FeatureMap, feature_map, raw_feature_names, transformer_of
from ..models import ModelInput, NetworkModel, prediction_function, torch_network
from ._base import Explainer, binary_pair, keep_subset, resolve_classes
from ._distillation import (
    augmentation_copies,
    check_training,
    check_values_output,
    logit,
    r2,
    rescaled,
    shuffled_columns,
    sigmoid,
    softmax,
)
from ._index_columns import DatetimeDays, IndexColumns
from ._surrogates import SMALL_DATA_THRESHOLD, ExplainableModel, explainable_model_class

__all__ = ["SMALL_DATA_THRESHOLD", "MimicExplainer"]

_MIN_ROWS_FOR_HOLDOUT = 10
_INNER_PARAMS = ("algorithm", "fast_unavailable")  # which TreeSHAP explained a tree surrogate, and why


class MimicExplainer(Explainer):
    """Global surrogate: distil the model into an explainable model, explain the surrogate exactly.

    Distillation targets (the teacher's outputs on the initialization examples, augmented)::

        regression   surrogate regressor  on  model.predict(X)
        binary       surrogate regressor  on  logit(clip(P(class 1), 1e-6, 1 - 1e-6))
        multiclass   surrogate classifier on  argmax P(class), every class present

    A seeded ``holdout_fraction`` of the initialization rows is kept out of training; fidelity is
    measured there (``explanation.fidelity``; with 0 on the training rows): R^2 for regression, R^2 on the logit
    (and class agreement) for binary, accuracy and macro-F1 against the teacher's class for multiclass.
    Local values are the surrogate's exact SHAP values (TreeShap for tree surrogates, LinearShap
    for linear ones); ``explain_global()`` without data gives the surrogate's own importances.

    ``augment_data`` appends up to ``max_num_of_augmentations`` copies of the training rows whose
    columns are permuted independently, labelled by the teacher (so the surrogate also learns
    the teacher away from the data's correlations).

    Categorical features (``categorical_features``, plus any non-numeric DataFrame column) are
    native in the LightGBM surrogate and one-hot encoded for the others; the explanation is over
    the raw features either way (one-hot values summed back).

    Parameters
    ----------
    model : the fitted black box (predict / predict_proba / decision_function).
    initialization_examples : array-like
        Rows to distil on (the training data or a sample of it).
    explainable_model : "lightgbm", "linear", "sgd", "tree" or an ExplainableModel class.
    explainable_model_args : dict, optional
        Keyword arguments of the surrogate's estimator. Those it does not take (e.g. ``solver``,
        meant for a classifier, when a binary teacher is distilled by regression on its log-odds)
        are ignored with a warning and listed in ``params["ignored_explainable_model_args"]``.
    shap_values_output : "default", "probability" or "teacher_probability"
        Classifiers: the surrogate's margins (default), or values rescaled to sum to the
        surrogate's / the teacher's probabilities (an approximation, see ``_in_probability``);
        regressors: "teacher_probability" rescales them to sum to the teacher's own predictions.
    explain_subset : list, optional
        Keep only these columns' values, by position or name (they then no longer add up to the model output).
    reset_index : "ignore", "reset" (or True) or "reset_teacher"
        A DataFrame's index: dropped ("ignore"), a feature after the columns that the model also gets as its
        index ("reset"), or the model's only ("reset_teacher"). Datetimes reach the surrogate as days.
    training : "explain-lib" or "interpret-community"
        The surrogate's estimator defaults and augmentation: ours, or interpret-community 0.32's (LightGBM's own
        100 trees of 31 leaves; SGD on unscaled features with scikit-learn's default loss; ``columns // rows - 1``
        shuffled copies, so none unless there are twice as many columns as rows). With ``holdout_fraction=0``
        and ``random_state=123`` it trains the surrogate interpret-community trained (``explain_lib.compat``'s
        MimicExplainer does), except that a binary teacher is still distilled by regression on its log-odds.

    Notes
    -----
    The surrogate is trained once, here (``.surrogate``, ``.fidelity``); explaining changes nothing
    on the explainer. With fewer than 10 rows nothing is held out (``fidelity["n_holdout"]`` 0,
    fidelity measured on the training rows). A classifier without ``classes_`` (a wrapper with
    only ``predict_proba``) gets classes 0..k-1 from the width of its output.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neural_network import MLPRegressor
    >>> from explain_lib import MimicExplainer
    >>> X = np.random.default_rng(0).normal(size=(300, 3))
    >>> teacher = MLPRegressor(hidden_layer_sizes=(16,), max_iter=500, random_state=0).fit(X, 2 * X[:, 0] - X[:, 1])
    >>> explainer = MimicExplainer(teacher, X, "linear")
    >>> explainer.fidelity["r2"] > 0.95  # held-out agreement of the surrogate with the teacher
    True
    >>> explainer.explain(X[:50]).get_ranked_global_names()
    ['x0', 'x1', 'x2']
    """

    method = "mimic"

    def __init__(self, model: Any, initialization_examples: Any, explainable_model: Any, *,
                 explainable_model_args: dict[str, Any] | None = None, augment_data: bool = True,
                 max_num_of_augmentations: int = 10, features: Any = None, classes: Any = None,
                 transformations: Any = None, allow_all_transformations: bool = False,
                 categorical_features: Any = None, model_task: str = "auto", random_state: int | None = 0,
                 holdout_fraction: float = 0.2, shap_values_output: str = "default", explain_subset: Any = None,
                 is_function: bool = False, reset_index: Any = "ignore", training: str = "explain-lib"):
        self.surrogate_class = explainable_model_class(explainable_model)
        self.training = check_training(training)
        self._index, features = IndexColumns.of(reset_index, initialization_examples, features)
        self.reset_index = self._index.mode
        if self._index.mode != "ignore" and transformations is not None:
            raise InvalidParameterError(
                f"reset_index={self._index.mode!r} cannot be combined with transformations (the index would have "
                "to pass through them): make the index a column the transformations handle (frame.reset_index()), "
                "or leave reset_index='ignore'.")
        super().__init__(model, features=None if transformations is not None else features, classes=classes,
                         model_task=model_task)
        if self.task is None:
            if not is_function and not callable(model):
                raise UnsupportedModelError(
                    f"MimicExplainer cannot call {type(model).__name__}: it has neither predict() nor predict_proba(). "
                    "A model to mimic needs predict() (a regressor, or a classifier with predict_proba() for its "
                    "probabilities), or pass a function of rows with is_function=True and model_task=."
                )
            raise InvalidParameterError(
                "MimicExplainer cannot tell whether this function classifies or regresses; pass "
                "model_task='classification' (it returns one probability per class) or model_task='regression'."
            )
        if not 0 <= holdout_fraction < 1:
            raise InvalidParameterError(f"holdout_fraction must lie in [0, 1), got {holdout_fraction}.")
        self.shap_values_output = check_values_output(shap_values_output, self.task)
        if explain_subset is not None and transformations is not None:
            raise InvalidParameterError(
                "explain_subset picks engineered columns, which transformations map away; pass one or the other "
                "(as interpret-community requires)."
            )
        self.explain_subset = explain_subset
        self.is_function = is_function
        self._teacher, self._teacher_space = prediction_function(model, self.task)
        self.augment_data = augment_data
        self.max_num_of_augmentations = max_num_of_augmentations
        self.random_state = random_state
        self.holdout_fraction = holdout_fraction
        self.transformations = transformations
        self._transform = transformer_of(transformations)
        self.feature_map: FeatureMap | None = None
        if transformations is not None:  # the model takes engineered rows; examples are raw
            self._input = ModelInput(None, None, True)
            self.feature_map = feature_map(transformations, raw_feature_names(features, initialization_examples),
                                           sample=initialization_examples,
                                           allow_all_transformations=allow_all_transformations)
        self.categorical_features = categorical_features
        self._examples = self._check_rows(initialization_examples, name="initialization_examples")
        if self._examples.n_rows < 2:
            raise InvalidInputError(
                "MimicExplainer needs at least 2 initialization rows to train a surrogate, got "
                f"{self._examples.n_rows}."
            )
        if self.task == "classification" and self.classes is None:  # a wrapper without classes_: count outputs
            n_outputs = np.atleast_2d(np.asarray(self._teacher(self._engineered(self._examples.take(np.arange(2))))))
            self.classes = resolve_classes(self.task, model, classes, n_outputs.shape[1] if n_outputs.shape[0] == 2
                                           else 2)
        if torch_network(model) is model:  # interpret-community hands a network over wrapped, with predict()
            self.model = NetworkModel(model, self.task, self.classes)
        surrogate_task = "classification" if self.task == "classification" and len(self.classes) > 2 else "regression"
        self.explainable_model_args, self.ignored_model_args = self.surrogate_class.split_args(
            dict(explainable_model_args or {}), surrogate_task)
        if self.ignored_model_args:
            warnings.warn(
                f"MimicExplainer: explainable_model_args {self.ignored_model_args} do not apply to the "
                f"{self.surrogate_class.name} surrogate fitted here (a {surrogate_task} model"
                + (": binary classifiers are distilled by regression on the teacher's log-odds" if
                   self.task == "classification" and surrogate_task == "regression" else "")
                + "); they are ignored.", UserWarning, stacklevel=2)
        if self.shap_values_output == "probability" and surrogate_task == "classification" and not hasattr(
                self.surrogate_class(task=surrogate_task, model_args=self.explainable_model_args,
                                     community=self._community)._estimator(), "predict_proba"):
            raise InvalidParameterError(
                f"shap_values_output='probability' needs a surrogate with class probabilities; this "
                f"{self.surrogate_class.name} surrogate has none (an SGD classifier's hinge loss, "
                "interpret-community's default, gives none): pass explainable_model_args={'loss': 'log_loss'}, or "
                "use the LightGBM surrogate.")
        # the rows its explanations hold as interpret-community's init_data (explain_lib.compat's MimicExplainer)
        self._held_examples: pd.DataFrame | None = None
        # training happens here, once: explaining never changes the explainer
        self._setup_inputs(self._examples)
        self.surrogate, self.fidelity = self._fit(surrogate_task)

    # ------------------------------------------------------------- teacher
    def _check_rows(self, X: Any, *, name: str = "X", **options: Any) -> Tabular:
        """The rows checked, with their index levels as columns when ``reset_index`` keeps the index."""
        return self._index.with_index(super()._check_rows(X, name=name, **options), name)

    def _engineered(self, tab: Tabular) -> Any:
        rows = self._index.teacher_rows(tab.values)
        return rows if self._transform is None else self._transform.transform(rows)

    def _teacher_targets(self, tab: Tabular) -> tuple[np.ndarray, np.ndarray | None]:
        """(surrogate targets, teacher scores per class or None) for the rows."""
        output = np.asarray(self._teacher(self._engineered(tab)), dtype=np.float64)
        if self.task == "regression":
            return output.reshape(-1), None
        if output.ndim == 1:  # a binary decision_function
            output = np.stack([-output, output], axis=1)
        if len(self.classes) == 2:
            target = logit(output[:, 1]) if self._teacher_space == "probability" else output[:, 1]
            return target, output
        return output.argmax(axis=1), output

    def _prediction_scores(self, X: Any) -> np.ndarray:
        return np.asarray(self._teacher(self._engineered(self._check_rows(X))))

    # ----------------------------------------------------- surrogate inputs
    def _categorical_columns(self, tab: Tabular) -> list[Any]:
        given = [] if self.categorical_features is None else list(self.categorical_features)
        columns = list(tab.values.columns) if tab.is_frame else list(range(tab.n_features))
        chosen = [columns[c] if isinstance(c, (int, np.integer)) and tab.is_frame else c for c in given]
        if tab.is_frame:  # datetimes are numbers to the surrogate (DatetimeDays)
            chosen += [c for c, t in tab.values.dtypes.items() if c not in chosen
                       and (not pd.api.types.is_numeric_dtype(t) or isinstance(t, pd.CategoricalDtype))
                       and not pd.api.types.is_datetime64_any_dtype(t)]
        return chosen

    def _setup_inputs(self, tab: Tabular) -> None:
        """Decide how raw rows become surrogate inputs (datetimes as days; native categories, one-hot, or
        as they are)."""
        self._categories: dict[Any, Any] = {}
        self._encoder = None
        self._datetimes = DatetimeDays({})
        if self.transformations is not None:
            return
        seen = self._index.surrogate_rows(tab)
        categorical = self._categorical_columns(seen)
        self._datetimes = DatetimeDays.fit(seen.values, skip=categorical)
        tab = self._surrogate_rows(tab)
        if not categorical:
            return
        frame = tab.values if tab.is_frame else pd.DataFrame(tab.to_numpy(), columns=list(tab.features))
        names = [c if tab.is_frame else tab.features[c] for c in categorical]
        if self.surrogate_class.handles_categories:
            self._categories = {c: pd.Categorical(frame[c].astype(object)).categories for c in names}
            return
        from sklearn.compose import ColumnTransformer
        from sklearn.preprocessing import OneHotEncoder

        self._encoder = ColumnTransformer(
            [("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False), names)],
            remainder="passthrough", verbose_feature_names_out=False,
        ).fit(frame)
        self.feature_map = feature_map(self._encoder, list(tab.features))

    def _surrogate_rows(self, tab: Tabular) -> Tabular:
        """The raw features the surrogate sees (``reset_index``), datetimes as days."""
        tab = self._index.surrogate_rows(tab)
        return tab.with_values(self._datetimes.transform(tab.values)) if self._datetimes.origins else tab

    def _surrogate_input(self, tab: Tabular) -> Any:
        if self.transformations is not None:
            engineered = self._engineered(tab)
            return engineered.toarray() if hasattr(engineered, "toarray") else np.asarray(engineered, dtype=np.float64)
        tab = self._surrogate_rows(tab)
        if not self._categories and self._encoder is None:
            return tab.to_numpy() if not tab.is_frame else tab.values
        frame = tab.values if tab.is_frame else pd.DataFrame(tab.to_numpy(), columns=list(tab.features))
        if self._encoder is not None:
            return np.asarray(self._encoder.transform(frame), dtype=np.float64)
        frame = frame.copy()
        for column, levels in self._categories.items():
            frame[column] = pd.Categorical(frame[column].astype(object), categories=levels)
        return frame

    # ------------------------------------------------------------- training
    @property
    def _community(self) -> bool:
        """The surrogate takes interpret-community's estimator defaults (``training="interpret-community"``)."""
        return self.training == "interpret-community"

    def _fit(self, surrogate_task: str) -> tuple[ExplainableModel, dict[str, float]]:
        """Train the surrogate on the (augmented) training rows; fidelity on the held-out rows.

        With fewer than 10 rows, or ``holdout_fraction`` 0, nothing is held out: the surrogate trains on every row
        and fidelity is measured on them (``n_holdout`` 0), as interpret-community trains on all rows.
        """
        tab = self._examples
        rng = np.random.default_rng(self.random_state)
        order = rng.permutation(tab.n_rows)
        n_holdout = 0 if tab.n_rows < _MIN_ROWS_FOR_HOLDOUT or not self.holdout_fraction \
            else max(2, round(self.holdout_fraction * tab.n_rows))
        train = tab.take(np.sort(order[n_holdout:]))
        holdout = tab.take(np.sort(order[:n_holdout])) if n_holdout else train
        parts = [train]
        if self.augment_data:
            copies = augmentation_copies(self.training, train.n_rows, train.n_features, self.max_num_of_augmentations)
            parts += [train.with_values(shuffled_columns(train, rng)) for _ in range(copies)]
        rows = parts[0] if len(parts) == 1 else Tabular(
            pd.concat([p.values for p in parts], ignore_index=True) if train.is_frame
            else np.concatenate([p.to_numpy() for p in parts]), train.features)
        targets, scores = self._teacher_targets(rows)
        inputs = self._surrogate_input(rows)
        if surrogate_task == "classification":  # every class present, so the surrogate has one output per class
            missing = np.setdiff1d(np.arange(len(self.classes)), targets)
            if missing.size:
                extra = scores[:, missing].argmax(axis=0)
                inputs = inputs.iloc[np.r_[np.arange(len(targets)), extra]] if isinstance(inputs, pd.DataFrame) \
                    else np.concatenate([inputs, inputs[extra]])
                targets = np.concatenate([targets, missing])
        surrogate = self.surrogate_class(task=surrogate_task, random_state=self.random_state,
                                         model_args=self.explainable_model_args,
                                         community=self._community).fit(inputs, targets)
        self._surrogate_explainer = surrogate.shap_explainer(inputs)  # built once: tables are cached across calls
        teacher = targets[: rows.n_rows, None] if scores is None else scores[: rows.n_rows]  # regression: predict()
        self._teacher_mean = teacher.mean(axis=0)
        self._train_rows, self._augmented_rows = train.n_rows, rows.n_rows - train.n_rows
        fidelity = self._fidelity(holdout, surrogate)
        fidelity["n_holdout"] = float(n_holdout)
        return surrogate, fidelity

    def _fidelity(self, tab: Tabular, surrogate: ExplainableModel) -> dict[str, float]:
        from sklearn.metrics import accuracy_score, f1_score

        targets, scores = self._teacher_targets(tab)
        predicted = surrogate.predict_output(self._surrogate_input(tab))
        result: dict[str, float] = {"n_holdout": float(tab.n_rows)}
        if self.task == "regression":
            result["r2"] = r2(targets, predicted)
        elif len(self.classes) == 2:
            result["r2_logit"] = r2(targets, predicted)
            result["accuracy"] = float(accuracy_score(scores.argmax(axis=1), (predicted > 0).astype(int)))
        else:
            result["accuracy"] = float(accuracy_score(targets, predicted))
            result["f1_macro"] = float(f1_score(targets, predicted, average="macro"))
        return result

    # ---------------------------------------------------------------- verbs
    def _finish(self, explanation: Explanation, tab: Tabular | None) -> Explanation:
        if self.feature_map is None:
            return explanation
        raw = tab.to_frame() if tab is not None else None
        return explanation.to_raw(self.feature_map, raw_data=raw)

    def _params(self) -> dict[str, Any]:
        params = {"explainable_model": self.surrogate_class.name, "explainable_model_args": self.explainable_model_args,
                  "augment_data": self.augment_data, "n_train_rows": self._train_rows,
                  "n_augmented_rows": self._augmented_rows, "teacher_output": self._teacher_space,
                  "random_state": self.random_state, "shap_values_output": self.shap_values_output,
                  "training": self.training}
        if self.ignored_model_args:
            params["ignored_explainable_model_args"] = list(self.ignored_model_args)
        return params

    def _in_probability(self, tab: Tabular, inputs: Any, local: np.ndarray, expected: np.ndarray,
                        output_space: str) -> tuple[np.ndarray, np.ndarray]:
        """Values rescaled so each row's sum is a probability minus the expected probability.

        ``"probability"``: the surrogate's own probabilities (sigmoid / softmax of its margins);
        ``"teacher_probability"``: the teacher's ``predict_proba``, the expected value being its mean
        on the surrogate's training rows. The logistic map is not linear, so this is an approximation
        (interpret-community's too): each row's values are scaled by one factor, or, where that would
        flip their sign, the remainder is spread in proportion to their magnitude (see ``rescaled``).
        """
        if self.shap_values_output == "teacher_probability":
            targets, scores = self._teacher_targets(tab)
            outputs = targets[None] if scores is None else scores.T  # a regressor's: its own predictions
            return rescaled(local, outputs - self._teacher_mean[:, None]), np.asarray(self._teacher_mean)
        if output_space == "probability":  # a tree classifier's values are probabilities already
            return local, expected
        margins = local.sum(axis=-1) + expected[:, None]  # (n_outputs, n_rows)
        if len(self.classes) == 2:
            positive = sigmoid(margins[1])
            probabilities, base = np.stack([1 - positive, positive]), sigmoid(expected[1])
            base = np.array([1 - base, base])
        else:
            probabilities = self.surrogate.predict_proba(inputs).T
            base = softmax(expected)
        return rescaled(local, probabilities - base[:, None]), base

    def settled_for_rows(self, n_rows: int | None) -> MimicExplainer:
        """This explainer with its surrogate's explainer settled for a job of ``n_rows`` rows
        (:meth:`Explainer.settled_for_rows`): a tree surrogate's TreeSHAP algorithm is chosen once."""
        return self._with_settled("_surrogate_explainer", n_rows)

    def explain(self, X: Any, y: Any = None) -> Explanation:
        surrogate = self.surrogate
        tab = self._check_rows(X)
        inputs = self._surrogate_input(tab)
        inner = self._surrogate_explainer.explain(surrogate.transform(inputs))
        local, expected = inner.local, inner.expected
        output_space = inner.output_space
        if self.task == "classification" and len(self.classes) == 2:
            local, expected = binary_pair(local[0], float(expected[0]), 0.0)
            output_space = "margin"
        if self.shap_values_output != "default":
            local, expected = self._in_probability(tab, inputs, local, expected, output_space)
            output_space = "probability" if self.task == "classification" else "raw"
        shown = self._index.surrogate_rows(tab)  # the explained features: without an index only the model sees
        features = self.feature_map.engineered_features if self.feature_map is not None else shown.features
        explanation = Explanation(
            local=local, expected=expected, features=features, task=self.task, output_space=output_space,
            method=f"{self.method}.{surrogate.name}", classes=self.classes,
            params={**self._params(), **{k: inner.params[k] for k in _INNER_PARAMS if k in inner.params}},
            fidelity=self.fidelity, data=None if self.feature_map is not None else shown.to_frame(),
            is_engineered=self.feature_map is not None, initialization_examples=self._held_examples,
        )
        return self._subset(self._finish(explanation, shown))

    def _subset(self, explanation: Explanation) -> Explanation:
        return keep_subset(explanation, self.explain_subset)

    def explain_global(self, evaluation_examples: Any = None, true_labels: Any = None, *,
                       include_local: bool = True, **options: Any) -> Explanation:
        """With rows: aggregated local values (options as :meth:`Explainer.explain_global`). Without: the
        surrogate's own importances."""
        if evaluation_examples is not None:
            return super().explain_global(evaluation_examples, true_labels, include_local=include_local, **options)
        surrogate = self.surrogate
        features = self.feature_map.engineered_features if self.feature_map is not None \
            else self._index.surrogate_rows(self._examples).features
        explanation = Explanation(
            local=None, expected=None, features=features, task=self.task,
            output_space="margin" if self.task == "classification" else "raw",
            method=f"{self.method}.{surrogate.name}", classes=self.classes, global_=surrogate.native_importance(),
            params={**self._params(), "importance": "surrogate_native"}, fidelity=self.fidelity,
            is_engineered=self.feature_map is not None, initialization_examples=self._held_examples,
        )
        return self._subset(self._finish(explanation, None))

    @property
    def surrogate_model(self) -> ExplainableModel:
        """interpret-community's name of the fitted surrogate (``.surrogate``; its estimator is ``.model``)."""
        return self.surrogate

    def _get_teacher_model_predictions(self, evaluation_examples: Any) -> np.ndarray:
        """interpret-community's helper: the model's ``predict`` on the rows (its class labels, or values)."""
        rows = self._engineered(self._check_rows(evaluation_examples))
        return np.asarray(self.model.predict(rows)) if callable(getattr(self.model, "predict", None)) \
            else np.asarray(self._teacher(rows))

    def _get_surrogate_model_predictions(self, evaluation_examples: Any) -> np.ndarray:
        """interpret-community's helper: the surrogate's predictions on the rows, as the model's labels or values."""
        tab = self._check_rows(evaluation_examples)
        predicted = self.surrogate.predict_output(self._surrogate_input(tab))
        if self.task == "regression":
            return predicted
        positions = (predicted > 0).astype(int) if len(self.classes) == 2 else predicted.astype(int)
        return np.asarray(self.classes, dtype=object)[positions]

    def get_surrogate_model_replication_measure(self, training_data: Any) -> float:
        """How well the surrogate replicates the model on these rows: R^2 (regression) or accuracy."""
        from sklearn.metrics import accuracy_score

        surrogate = self.surrogate
        tab = self._check_rows(training_data, name="training_data")
        if self.task == "regression" and tab.n_rows < 2:
            raise UnsupportedModelError(
                "Replication measure for regression surrogate not supported because of single instance in training "
                f"data: R^2 needs at least 2 rows, training_data has {tab.n_rows}. Pass more rows."
            )
        targets, scores = self._teacher_targets(tab)
        predicted = surrogate.predict_output(self._surrogate_input(tab))
        if self.task == "regression":
            return r2(targets, predicted)
        if len(self.classes) == 2:
            return float(accuracy_score(scores.argmax(axis=1), (predicted > 0).astype(int)))
        return float(accuracy_score(targets, predicted))
