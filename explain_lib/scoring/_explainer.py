"""ScoringExplainer: local importances at inference time, from a fitted explainer or a model."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from ..errors import InvalidParameterError, SchemaVersionError, UnsupportedModelError
from ..explainers import DeepShap, KernelShap, LinearShap, MimicExplainer, TabularExplainer, TreeShap
from ..explanation import Explanation
from ..features import FeatureMap, feature_map
from ..models import torch_network
from ._lean import lean_copy

__all__ = ["ScoringExplainer", "save", "load"]

FORMAT_NAME = "explain-lib/scoring-explainer"
SCHEMA_VERSION = 1
META_FILE = "scoring_explainer.json"
SCORING_FILE = "scoring_explainer.pkl"


def _explainer_model(explainer: Any) -> Any:
    """The model whose predictions the explanation is about, when the explainer still holds it."""
    if isinstance(explainer, MimicExplainer):
        return None  # the teacher stays behind: scoring copies hold only the surrogate
    model = getattr(explainer, "model", None)
    has_predict = callable(getattr(model, "predict", None))
    return model if has_predict else None


class ScoringExplainer:
    """Explain rows at inference time (azureml-interpret's scoring explainer, for explain-lib).

    Built from a fitted explainer of ours — ``TabularExplainer``, ``TreeShap``, ``LinearShap``,
    ``KernelShap``, ``DeepShap`` or ``MimicExplainer`` — it keeps a copy holding only what explaining new rows
    needs (a MimicExplainer's surrogate, never its teacher or training rows; a linear model's
    background mean; a Kernel SHAP background summary). Explaining does not change it.

    Raw and engineered features follow the original explainer: with ``transformations`` (or a
    Pipeline) it takes raw rows and returns raw-feature importances by default. ``feature_maps``
    (a list of raw -> engineered matrices, azureml-interpret's argument) instead takes engineered
    rows and returns engineered importances unless ``get_raw=True``.

    Parameters
    ----------
    original_explainer
        The fitted explainer used at training time.
    feature_maps
        Optional raw -> engineered maps (numpy or sparse matrices, chained in order).
    raw_features
        Names of the raw features of ``feature_maps``.
    """

    def __init__(self, original_explainer: Any, feature_maps: Any = None, *, raw_features: Any = None):
        self.explainer = lean_copy(original_explainer)
        self.feature_maps: FeatureMap | None = None
        if feature_maps is not None:
            has_own = getattr(self.explainer, "feature_map", None) is not None or getattr(
                self.explainer, "transform", None) is not None
            if has_own:
                raise InvalidParameterError(
                    "The original explainer already maps raw features through its transformations; pass "
                    "feature_maps= only for an explainer of engineered rows."
                )
            self.feature_maps = feature_maps if isinstance(feature_maps, FeatureMap) else feature_map(
                list(feature_maps) if isinstance(feature_maps, (list, tuple)) else feature_maps, raw_features)
        self.method = self.explainer.method
        self.task = self.explainer.task
        self.classes = self.explainer.classes
        self.model = _explainer_model(original_explainer)

    @classmethod
    def from_model(cls, model: Any, background: Any = None, **options: Any) -> ScoringExplainer:
        """The scoring explainer of ``model`` (``TabularExplainer(model, background, **options)``).

        Tree models need no background; other models are explained against ``background``
        (the training data or a sample), of which only a summary is kept.
        """
        return cls(TabularExplainer(model, background, **options))

    # ----------------------------------------------------------------- verbs
    def explain_local(self, evaluation_examples: Any, get_raw: bool | None = None) -> Explanation:
        """The :class:`Explanation` of the rows (local values, expected values, features).

        ``get_raw``: True for raw-feature importances, False for engineered ones, None for the
        default (raw when the original explainer had transformations, engineered with
        ``feature_maps``).
        """
        explainer = self.explainer
        if get_raw not in (None, True, False):
            raise InvalidParameterError(f"get_raw must be True, False or None, got {get_raw!r}.")
        if isinstance(explainer, TabularExplainer):
            return explainer.explain(evaluation_examples, raw=get_raw)
        explanation = explainer.explain(evaluation_examples)
        if isinstance(explainer, MimicExplainer):
            if get_raw is False and explanation.is_raw:
                raise InvalidParameterError(
                    "A MimicExplainer explains its surrogate over the raw features only; use get_raw=None or True."
                )
            if get_raw and not explanation.is_raw and self.feature_maps is not None:
                return explanation.to_raw(self.feature_maps)
            if get_raw and not explanation.is_raw:
                raise InvalidParameterError(
                    "get_raw=True needs transformations on the original explainer or feature_maps= here; this one "
                    "has neither."
                )
            return explanation
        if get_raw:
            if self.feature_maps is None:
                raise InvalidParameterError(
                    "get_raw=True needs a raw -> engineered map: build the explainer with transformations=, or "
                    "pass feature_maps= to the scoring explainer."
                )
            return explanation.to_raw(self.feature_maps)
        return explanation

    def explain(self, evaluation_examples: Any, get_raw: bool | None = None) -> list:
        """Local importance values as azureml-interpret returned them (JSON-ready nested lists).

        Regression: ``(n_rows, n_features)``; classification: one such matrix per class,
        ``(n_classes, n_rows, n_features)``. :meth:`explain_local` gives the full Explanation.
        """
        explanation = self.explain_local(evaluation_examples, get_raw=get_raw)
        local = explanation.local
        return (local[0] if explanation.task == "regression" else local).tolist()

    def predict(self, evaluation_examples: Any) -> list:
        """Same as :meth:`explain` (azureml-interpret's name, for scikit-learn style callers)."""
        return self.explain(evaluation_examples)

    def fit(self, X: Any, y: Any = None) -> ScoringExplainer:
        """Nothing to fit (scikit-learn's interface, so a scoring explainer can sit in a Pipeline)."""
        return self

    # ------------------------------------------------------------ feature names
    @property
    def raw_features(self) -> tuple[str, ...] | None:
        """Raw feature names (of the original explainer's transformations, or of ``feature_maps``), if any."""
        mapping = getattr(self.explainer, "feature_map", None) or self.feature_maps
        return None if mapping is None else tuple(mapping.raw_features)

    @property
    def engineered_features(self) -> tuple[str, ...] | None:
        """Names of the columns the model takes (after the transformations, if any)."""
        own = getattr(self.explainer, "feature_map", None)
        if own is not None:
            return tuple(own.engineered_features)
        names = getattr(_inner(self.explainer), "features", None)
        return None if names is None else tuple(names)

    @property
    def features(self) -> tuple[str, ...] | None:
        """Names of the features :meth:`explain` returns by default (``get_raw=None``), in its order."""
        own = getattr(self.explainer, "feature_map", None)
        return tuple(own.raw_features) if own is not None else self.engineered_features

    # ------------------------------------------------------------ persistence
    def _metadata(self) -> dict[str, Any]:
        from .._version import __version__

        return {
            "format": FORMAT_NAME,
            "schema_version": SCHEMA_VERSION,
            "class": type(self).__name__,
            "method": self.method,
            "task": self.task,
            "classes": None if self.classes is None else list(self.classes),
            "explainer": type(self.explainer).__name__,
            "has_model": self.model is not None,
            "explain_lib_version": __version__,
            "python_version": ".".join(map(str, sys.version_info[:3])),
        }

    def save(self, directory: str | os.PathLike = ".", *, exist_ok: bool = False) -> str:
        """Write the scoring explainer to ``directory``; returns the path of its pickle.

        The directory holds ``scoring_explainer.json`` (format, version, method, task, classes)
        and ``scoring_explainer.pkl`` (cloudpickle). Loading unpickles: load only files you trust.
        """
        import cloudpickle

        folder = Path(directory)
        if folder.exists() and any(folder.iterdir()) and not exist_ok:
            raise InvalidParameterError(
                f"{folder} already exists and is not empty; pass exist_ok=True to overwrite the scoring explainer "
                "there, or choose a new directory."
            )
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / SCORING_FILE
        with open(target, "wb") as stream:
            cloudpickle.dump(self, stream)
        (folder / META_FILE).write_text(json.dumps(self._metadata(), indent=2, default=str))
        return str(target)

    @classmethod
    def load(cls, directory: str | os.PathLike) -> ScoringExplainer:
        """Read a scoring explainer written by :meth:`save` (unpickles: only from a source you trust)."""
        import cloudpickle

        folder = Path(directory)
        meta_path = folder / META_FILE
        if not meta_path.is_file():
            raise InvalidParameterError(
                f"{folder} holds no saved scoring explainer ({META_FILE} is missing); pass the directory that "
                "ScoringExplainer.save() wrote."
            )
        meta = json.loads(meta_path.read_text())
        if meta.get("format") != FORMAT_NAME:
            raise InvalidParameterError(f"{meta_path} is not a scoring explainer (format {meta.get('format')!r}).")
        if int(meta.get("schema_version", 0)) > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"This scoring explainer was written with schema version {meta['schema_version']}; this explain-lib "
                f"reads up to {SCHEMA_VERSION}. Upgrade explain-lib to load it."
            )
        with open(folder / SCORING_FILE, "rb") as stream:
            loaded = cloudpickle.load(stream)
        if not isinstance(loaded, ScoringExplainer):
            raise InvalidParameterError(f"{folder / SCORING_FILE} does not hold a ScoringExplainer.")
        return loaded

    # -------------------------------------------------------------- monitoring
    def log_batch_importances(self, run_id: str, evaluation_examples: Any = None, *,
                              explanation: Explanation | None = None, get_raw: bool | None = None,
                              batch_id: str | None = None, tracking_uri: str | None = None) -> dict[str, Any]:
        """Append one scored batch's importances to an MLflow run, for tracking explanation drift over time.

        The run gets one metric step per batch and one small JSON file per batch; the layout is
        documented in :mod:`explain_lib.tracking._batches`. Returns what was logged (step, keys, file).
        """
        from ..tracking._batches import log_batch  # run history (MLflow), loaded only when asked for

        if explanation is None:
            if evaluation_examples is None:
                raise InvalidParameterError("Pass the scored rows (evaluation_examples) or their explanation=.")
            explanation = self.explain_local(evaluation_examples, get_raw=get_raw)
        return log_batch(explanation, run_id, batch_id=batch_id, tracking_uri=tracking_uri)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(method={self.method!r}, task={self.task!r}, "
                f"explainer={type(self.explainer).__name__})")


# ------------------------------------------------------------------- azureml-interpret names
def _inner(explainer: Any) -> Any:
    return explainer.explainer if isinstance(explainer, TabularExplainer) else explainer


def _surrogate_name(explainer: Any) -> str | None:
    return explainer.surrogate_class.name if isinstance(explainer, MimicExplainer) else None


class TreeScoringExplainer(ScoringExplainer):
    """A scoring explainer by TreeSHAP: from a tree explainer (or a Mimic with a tree surrogate),
    or, given another explainer of a tree model, a new TreeShap of that model."""

    def __init__(self, original_explainer: Any, feature_maps: Any = None, *, raw_features: Any = None):
        inner = _inner(original_explainer)
        if not isinstance(inner, TreeShap) and _surrogate_name(inner) not in ("lightgbm", "tree"):
            model = getattr(inner, "model", None)
            try:
                original_explainer = TreeShap(model, features=inner.features, classes=inner.classes)
            except UnsupportedModelError as error:
                raise UnsupportedModelError(
                    f"TreeScoringExplainer explains tree models; {type(original_explainer).__name__} explains a "
                    f"{type(model).__name__}. Use ScoringExplainer (any method) or KernelScoringExplainer."
                ) from error
        super().__init__(original_explainer, feature_maps, raw_features=raw_features)


class LinearScoringExplainer(ScoringExplainer):
    """A scoring explainer by the linear closed form: from a linear explainer (or a Mimic with a
    linear surrogate)."""

    def __init__(self, original_explainer: Any, feature_maps: Any = None, *, raw_features: Any = None):
        inner = _inner(original_explainer)
        if not isinstance(inner, LinearShap) and _surrogate_name(inner) not in ("linear", "sgd"):
            raise UnsupportedModelError(
                f"LinearScoringExplainer needs an explainer of a linear model (LinearShap, or a TabularExplainer or "
                f"MimicExplainer that uses one); got {type(original_explainer).__name__} explaining by "
                f"{getattr(inner, 'method', '?')}. Use ScoringExplainer, which keeps any method."
            )
        super().__init__(original_explainer, feature_maps, raw_features=raw_features)


class KernelScoringExplainer(ScoringExplainer):
    """A scoring explainer by Kernel SHAP: reuses a KernelShap explainer, or builds one of the
    original explainer's model against ``initialization_examples``."""

    def __init__(self, original_explainer: Any, initialization_examples: Any = None, feature_maps: Any = None, *,
                 raw_features: Any = None, n_background: int = 100):
        if initialization_examples is not None:
            model = _explainer_model(original_explainer)
            if model is None:
                raise InvalidParameterError(
                    f"{type(original_explainer).__name__} holds no model to explain with Kernel SHAP; build "
                    "KernelShap(model, initialization_examples) and pass that."
                )
            # The model explained on the rows it takes (a Pipeline: raw rows), against these examples.
            original_explainer = KernelShap(model, initialization_examples, n_background=n_background)
        elif not isinstance(_inner(original_explainer), KernelShap):
            raise InvalidParameterError(
                f"KernelScoringExplainer needs a KernelShap explainer or initialization_examples= (background rows) "
                f"to build one; got {type(original_explainer).__name__} without initialization_examples."
            )
        super().__init__(original_explainer, feature_maps, raw_features=raw_features)


class DeepScoringExplainer(ScoringExplainer):
    """A scoring explainer by Deep SHAP: reuses a DeepShap explainer, or builds one of the original
    explainer's PyTorch network against ``initialization_examples``. ``serializer`` (azureml-interpret's
    custom pickling of the network) is not needed: the network is saved with the explainer."""

    def __init__(self, original_explainer: Any, initialization_examples: Any = None, serializer: Any = None,
                 feature_maps: Any = None, *, raw_features: Any = None, n_background: int = 100):
        if initialization_examples is not None:
            model = getattr(_inner(original_explainer), "model", None)
            if torch_network(model) is None:
                raise UnsupportedModelError(
                    f"DeepScoringExplainer explains PyTorch networks; {type(original_explainer).__name__} explains "
                    f"a {type(model).__name__}. Use ScoringExplainer (any method) or KernelScoringExplainer."
                )
            original_explainer = DeepShap(model, initialization_examples, n_background=n_background)
        elif not isinstance(_inner(original_explainer), DeepShap):
            raise InvalidParameterError(
                f"DeepScoringExplainer needs a DeepShap explainer (or a TabularExplainer that chose one), or "
                f"initialization_examples= (background rows) to build one; got {type(original_explainer).__name__}."
            )
        super().__init__(original_explainer, feature_maps, raw_features=raw_features)


# ------------------------------------------------------------------- module-level functions
def save(scoring_explainer: ScoringExplainer, directory: str | os.PathLike = ".", exist_ok: bool = False) -> str:
    """azureml-interpret's ``save(scoring_explainer, directory, exist_ok)``: see :meth:`ScoringExplainer.save`."""
    if not isinstance(scoring_explainer, ScoringExplainer):
        raise InvalidParameterError(f"Expected a ScoringExplainer, got {type(scoring_explainer).__name__}.")
    return scoring_explainer.save(directory, exist_ok=exist_ok)


def load(directory: str | os.PathLike) -> ScoringExplainer:
    """azureml-interpret's ``load(directory)``: see :meth:`ScoringExplainer.load`."""
    return ScoringExplainer.load(directory)

