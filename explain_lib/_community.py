"""interpret-community's accessor names on :class:`~explain_lib.explanation.Explanation`.

A plain base class with ordinary methods and properties: existing notebooks call these names
(``global_importance_rank``, ``get_ranked_local_names``, ``get_raw_explanation`` ...), and they
return the same shapes and Python types as interpret-community's explanation mixins:

* local values are (n_rows, n_features) for regression and (n_classes, n_rows, n_features) for
  classification, as nested lists; an explanation of one 1-D row (``explain_local(x[0])``) drops
  the row axis, as interpret-community does;
* ranks are feature positions, highest importance first, computed as interpret-community computes them
  (``values.argsort()[..., ::-1]``), so equal values are ranked in the same order as there (the last of
  equal features first, for a handful of features); :meth:`Explanation.global_importance` keeps feature order
  for ties instead;
* ``expected_values`` is always a list (one value for regression, one per class otherwise);
* what an explanation read from interpret-community's folder holds and has no field of its own for
  (``eval_y_predicted``, ``eval_y_predicted_proba``, ``init_data``) comes back as it was saved
  (``Explanation.community_properties``).

The class holds no state and needs the attributes ``Explanation`` defines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._sample import model_outputs
from ._validation import check_positive_int
from .errors import InvalidParameterError

if TYPE_CHECKING:
    from .explanation import Explanation

__all__ = ["CommunityAccessors"]


def _rank(values: np.ndarray) -> np.ndarray:
    """Indices that sort ``values`` from highest to lowest along the last axis (ties keep order)."""
    return np.argsort(-values, axis=-1, kind="stable")


def community_rank(values: np.ndarray) -> np.ndarray:
    """Indices that sort ``values`` from highest to lowest along the last axis, equal values ordered as
    interpret-community orders them: it reverses numpy's ascending ``argsort``.

    Examples
    --------
    >>> community_rank(np.array([0.5, 0.0, 0.5, 0.0])).tolist()
    [2, 0, 3, 1]
    """
    return np.argsort(np.asarray(values), axis=-1)[..., ::-1]


def plain_rows(frame: pd.DataFrame) -> list[list[Any]]:
    """A frame's rows as nested lists of plain Python values, missing values as None (JSON-ready).

    Examples
    --------
    >>> plain_rows(pd.DataFrame({"a": [1.5, np.nan], "b": ["x", "y"]}))
    [[1.5, 'x'], [None, 'y']]
    """
    return frame.astype(object).where(frame.notna(), None).to_numpy().tolist()


# interpret-community's method names in its saved format, and ours
COMMUNITY_METHODS = {"shap.tree": "shap_tree", "shap.kernel": "shap_kernel", "shap.linear": "shap_linear",
                     "shap.deep": "shap_deep"}


def community_method(method: str) -> str:
    """interpret-community's name of one of our methods (``shap.tree`` -> ``shap_tree``); others as they are."""
    return COMMUNITY_METHODS.get(method, method)


def _is_shap(method: str) -> bool:
    return method.startswith(("shap.", "shap_"))


class Names(tuple):
    """A tuple of names (``Explanation.features`` / ``classes``) that also equals the list of the same names,
    as interpret-community's ``features`` and ``classes`` are lists (``explanation.features == ["a", "b"]``).

    Examples
    --------
    >>> names = Names(["a", "b"])
    >>> names == ["a", "b"], names == ("a", "b"), names == ["b", "a"]
    (True, True, False)
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return tuple.__eq__(self, tuple(other) if isinstance(other, list) else other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = tuple.__hash__


def check_top_k(top_k: int | None) -> int | None:
    return check_positive_int(top_k, "top_k")


class CommunityAccessors:
    """interpret-community's explanation names, computed from the typed fields of ``Explanation``."""

    # ------------------------------------------------------------------ sizes and metadata
    @property
    def model_task(self: Explanation) -> str:
        return self.task

    @property
    def num_features(self: Explanation) -> int:
        return self.n_features

    @property
    def num_examples(self: Explanation) -> int | None:
        return self.n_rows

    @property
    def num_classes(self: Explanation) -> int | None:
        """The number of classes; None for regression (interpret-community has no such attribute there)."""
        return None if self.classes is None else len(self.classes)

    @property
    def is_local_sparse(self: Explanation) -> bool:
        """Local values are always dense arrays here (saved sparse when mostly zero)."""
        return False

    @property
    def model_type(self: Explanation) -> str | None:
        return self.params.get("model_type")

    @property
    def model_id(self: Explanation) -> str | None:
        """The explained model's id: the last part of ``model_uri`` (``models:/name/3`` -> ``name:3``)."""
        if not self.model_uri:
            return None
        uri = self.model_uri
        if uri.startswith("models:/"):
            parts = uri[len("models:/"):].split("/")
            return ":".join(parts) if len(parts) == 2 else parts[0]
        return uri

    # ------------------------------------------------------------------------- values
    def _single(self: Explanation, values: np.ndarray) -> np.ndarray:
        """Drop the row axis (the second-last) of an explanation of one 1-D row."""
        return values[..., 0, :] if self.single_row else values

    def _local_view(self: Explanation) -> np.ndarray:
        local = self.require_local("interpret-community's local accessors")
        return self._single(local[0] if self.task == "regression" else local)

    @property
    def expected_values(self: Explanation) -> list[float] | None:
        """A list: one value for regression, one per class for classification, except one value (the positive
        class's log-odds; the other class's is its negation) for a binary linear explanation, as
        interpret-community's LinearExplainer gives."""
        if self.expected is None:
            return None
        values = self.expected.tolist()
        if self.task == "regression":
            return values[:1]
        if (self.method == "shap.linear" and len(values) == 2 and self.output_space == "margin"
                and values[0] == -values[1]):
            return values[1:]
        return values

    @property
    def local_importance_values(self: Explanation) -> list:
        """(n_rows, n_features) for regression, (n_classes, n_rows, n_features) for classification."""
        return self._local_view().tolist()

    @property
    def global_importance_values(self: Explanation) -> list[float]:
        return self.global_.tolist()

    @property
    def global_importance_rank(self: Explanation) -> list[int]:
        """Feature positions, most important first."""
        return community_rank(self.global_).tolist()

    @property
    def per_class_values(self: Explanation) -> list[list[float]] | None:
        return None if self.per_class is None else self.per_class.tolist()

    @property
    def per_class_rank(self: Explanation) -> list[list[int]] | None:
        return None if self.per_class is None else community_rank(self.per_class).tolist()

    @property
    def _local_importance_values(self: Explanation) -> np.ndarray:
        """interpret-community's private array of the local values (same nesting as ``local_importance_values``),
        which its tests and some notebooks read."""
        return np.array(self._local_view())

    def _saved(self: Explanation, name: str) -> Any:
        """A property as read from interpret-community's folder (None when it did not hold it)."""
        saved = (self.community_properties or {}).get(name)
        return None if saved is None else saved[1]

    @property
    def init_data(self: Explanation) -> list | None:
        """The background rows as interpret-community's folder held them, or the initialization rows the
        explanation holds (``initialization_examples``) as nested lists; None otherwise (the background stays
        with the explainer here: log it with ``init_dataset=`` on upload)."""
        saved = self._saved("init_data")
        if saved is None and self.initialization_examples is not None:
            return self.initialization_examples.to_numpy().tolist()
        return saved

    @property
    def eval_data(self: Explanation) -> list | None:
        """The explained rows as nested lists (None when the explanation kept no data)."""
        return None if self.data is None else self.data.to_numpy().tolist()

    def _recovered_output(self: Explanation) -> np.ndarray | None:
        """The model output per row, from additivity (SHAP methods on the model itself only)."""
        return model_outputs(self) if _is_shap(self.method) else None

    @property
    def eval_y_predicted(self: Explanation) -> list | None:
        """What the model's ``predict`` returned for the explained rows, as interpret-community stores it: as
        read from its folder, else recovered from additivity (SHAP methods): the predicted value, or the model's
        own label of the class with the largest output (``params["model_classes"]`` when ``classes`` renamed
        them); None for other methods."""
        saved = self._saved("eval_y_predicted")
        if saved is not None:
            return saved
        output = self._recovered_output()
        if output is None:
            return None
        if self.task == "regression":
            return output[0].tolist()
        labels = self.params.get("model_classes") or self.classes
        return [labels[k] for k in output.argmax(axis=0)]

    @property
    def eval_y_predicted_proba(self: Explanation) -> list | None:
        """Class probabilities: as read from interpret-community's folder, else recovered from additivity when
        the explanation is in probability space."""
        saved = self._saved("eval_y_predicted_proba")
        if saved is not None:
            return saved
        output = self._recovered_output()
        if output is None or self.task != "classification" or self.output_space != "probability":
            return None
        return output.T.tolist()

    # ------------------------------------------------------------------------- rankings
    def _ranked_global(self: Explanation, top_k: int | None) -> np.ndarray:
        return community_rank(self.global_)[: check_top_k(top_k)]

    def get_feature_importance_dict(self: Explanation, top_k: int | None = None) -> dict[str, float]:
        return {self.features[i]: float(self.global_[i]) for i in self._ranked_global(top_k)}

    def get_ranked_global_names(self: Explanation, top_k: int | None = None) -> list[str]:
        return [self.features[i] for i in self._ranked_global(top_k)]

    def get_ranked_global_values(self: Explanation, top_k: int | None = None) -> list[float]:
        return self.global_[self._ranked_global(top_k)].tolist()

    def _ranked_per_class(self: Explanation, top_k: int | None) -> tuple[np.ndarray, np.ndarray]:
        if self.per_class is None:
            raise InvalidParameterError(
                "Per-class importances exist only for classification explanations with local values."
            )
        order = community_rank(self.per_class)[:, : check_top_k(top_k)]
        return order, np.take_along_axis(self.per_class, order, axis=1)

    def get_ranked_per_class_names(self: Explanation, top_k: int | None = None) -> list[list[str]]:
        order, _ = self._ranked_per_class(top_k)
        return np.asarray(self.features, dtype=object)[order].tolist()

    def get_ranked_per_class_values(self: Explanation, top_k: int | None = None) -> list[list[float]]:
        return self._ranked_per_class(top_k)[1].tolist()

    def get_local_importance_rank(self: Explanation) -> list:
        """Feature positions per row (and class), most important first; same nesting as the local values."""
        return community_rank(self._local_view()).tolist()

    def _ranked_local(self: Explanation, top_k: int | None) -> tuple[np.ndarray, np.ndarray]:
        local = self._local_view()
        order = community_rank(local)[..., : check_top_k(top_k)]
        return order, np.take_along_axis(local, order, axis=-1)

    def get_ranked_local_names(self: Explanation, top_k: int | None = None) -> list:
        order, _ = self._ranked_local(top_k)
        return np.asarray(self.features, dtype=object)[order].tolist()

    def get_ranked_local_values(self: Explanation, top_k: int | None = None) -> list:
        return self._ranked_local(top_k)[1].tolist()

    # --------------------------------------------------------------- raw features
    def get_raw_explanation(self: Explanation, feature_maps: Any, raw_feature_names: Any = None,
                            eval_data: Any = None) -> Explanation:
        """The explanation over raw features (see :meth:`Explanation.to_raw`).

        ``feature_maps``: a list of (n_raw, n_generated) matrices applied in order (or one matrix),
        a fitted ColumnTransformer, or a list of (columns, transformer) tuples. As in interpret-community, a
        matrix's columns need not sum to 1 (then the raw values no longer add up to the model output, and the
        expected value is dropped: ``params["feature_map_partial"]``).
        """
        names = None if raw_feature_names is None else [str(n) for n in raw_feature_names]
        frame = None
        if eval_data is not None:
            import pandas as pd

            frame = eval_data if isinstance(eval_data, pd.DataFrame) else pd.DataFrame(np.asarray(eval_data))
            if names is not None and not isinstance(eval_data, pd.DataFrame):
                frame.columns = names
            elif names is None and not isinstance(eval_data, pd.DataFrame):
                frame = None  # unnamed rows cannot be matched to the map's raw columns
            elif names is None:
                names = [str(c) for c in frame.columns]  # the raw rows name the raw features
        from .features import FeatureMap
        from .features import feature_map as read_map

        mapping = feature_maps if isinstance(feature_maps, FeatureMap) else read_map(feature_maps, names, partial=True)
        return self.to_raw(mapping, raw_data=frame)

    def get_raw_feature_importances(self: Explanation, feature_maps: Any) -> list:
        """Engineered values summed into raw features with ``feature_maps``, as nested lists.

        An explanation from ``explain_local`` (or one without global importances in the local
        sense) maps its local values: (n_rows, n_raw) or (n_classes, n_rows, n_raw); any other maps
        its global importances: (n_raw,) — interpret-community's local / global explanation rule.
        """
        from .features import FeatureMap
        from .features import feature_map as read_map

        mapping = feature_maps if isinstance(feature_maps, FeatureMap) else read_map(feature_maps, partial=True)
        if mapping.matrix.shape[1] != self.n_features:
            raise InvalidParameterError(
                f"The feature maps have {mapping.matrix.shape[1]} generated columns but this explanation has "
                f"{self.n_features} features; pass the maps of the transformations that produced them."
            )
        if self.local is not None and self.params.get("scope") == "local":
            return mapping.apply(self._local_view()).tolist()
        return mapping.apply(self.global_).tolist()
