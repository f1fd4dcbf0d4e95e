"""interpret-community's saved-explanation folder format, read into and written from :class:`Explanation`.

interpret-community's ``save_explanation(explanation, path)`` writes one JSON file per property
and a metadata file (serialization version 1)::

    explanation_metadata.json   {"explanation_id", "model_type": "classification"|"regression",
                                 "data_type": "tabular", "model_task", "method", "model_class",
                                 "is_raw", "is_engineered", "global": bool, "local": bool,
                                 "num_classes", "num_examples", "num_features", "is_local_sparse",
                                 "serialization_version": 1}
    <property>.json             {"metadata": "ndarray"|"list"|"DataFrame"|"sparse"|..., "data": value}

for the properties ``features``, ``local_importance_values`` ((n_rows, n_features) for regression,
(n_classes, n_rows, n_features) for classification; "sparse": [data, indices, indptr, shape] per
class), ``expected_values`` (a list: one value for regression, one per class, and one value, the
positive class's log-odds, for a binary ``shap_linear`` explanation), ``classes``,
``global_importance_rank``, ``global_importance_values``, ``per_class_rank``, ``per_class_values``,
``eval_data`` and ``init_data`` (tags "list", "DataFrame", "DatasetWrapper" or "sparse"),
``eval_y_predicted`` (the model's ``predict`` output) and ``eval_y_predicted_proba``, each written only
when the explanation has it. Its method names are ``shap_tree``, ``shap_kernel``, ``shap_linear``,
``shap_deep``, ``mimic.<surrogate>``, ``pfi``; ours (``shap.tree`` ...) are mapped both ways.

Reading keeps what the folder holds and an Explanation has no field for (the predictions, the
background rows, the metadata) in ``Explanation.community_properties``, and writing puts it back as it
was, so a folder read and saved again holds every file it held, with the same values.

The format does not say in which space the values are (margin or probability). We add an
``output_space`` key to the metadata (interpret-community's reader ignores keys it does not know);
reading a folder without it, the space is inferred: ``"metric"`` for permutation importance, the
probabilities when the saved ``eval_y_predicted_proba`` match the values' sums or the method is
Kernel SHAP (which explains ``predict_proba`` there), else ``"margin"``
for classifiers and ``"raw"`` for regressors — and recorded in ``params["output_space_inferred"]``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._community import COMMUNITY_METHODS, community_method, community_rank, plain_rows
from ..errors import CorruptExplanationError, InvalidInputError, SchemaVersionError
from ..explanation import Explanation

__all__ = ["load_explanation", "save_explanation"]

METADATA_FILE = "explanation_metadata.json"
SERIALIZATION_VERSION = 1
_PROPERTIES = ("features", "local_importance_values", "expected_values", "classes", "global_importance_rank",
               "global_importance_values", "per_class_rank", "per_class_values", "eval_data",
               "eval_y_predicted", "eval_y_predicted_proba", "init_data")
# properties kept as the folder held them (Explanation.community_properties), written back as they were
_KEPT = ("eval_data", "eval_y_predicted", "eval_y_predicted_proba", "init_data", "features", "classes",
         "global_importance_values")
_OUR_METHODS = {name: ours for ours, name in COMMUNITY_METHODS.items()}


# ------------------------------------------------------------------------------------------- writing
def _kept(explanation: Explanation, name: str) -> list | None:
    """[tag, value] of a property as it was read from interpret-community's folder, or None."""
    kept = (explanation.community_properties or {}).get(name)
    return None if kept is None else list(kept)


def _property(explanation: Explanation, name: str) -> tuple[str, Any] | None:
    """(metadata tag, JSON value) of one property, or None when the explanation has no such value."""
    kept = _kept(explanation, name)
    if kept is not None and name in ("features", "classes"):  # unless the names were changed since
        ours = explanation.features if name == "features" else explanation.classes
        kept = kept if ours is not None and [str(v) for v in kept[1]] == [str(v) for v in ours] else None
    if kept is not None and name == "global_importance_values":  # as saved (whole numbers stay whole)
        kept = kept if np.array_equal(np.asarray(kept[1], dtype=np.float64), explanation.global_) else None
    if kept is not None:
        return kept[0], kept[1]
    if (name == "classes" and explanation.community_properties is not None and explanation.classes is not None
            and explanation.classes == tuple(range(len(explanation.classes)))):
        return None  # the folder named no classes: we numbered them
    if name == "eval_data":
        return None if explanation.data is None else ("DataFrame", plain_rows(explanation.data))
    if name == "init_data":
        rows = explanation.initialization_examples
        return None if rows is None else ("DataFrame", plain_rows(rows))
    if name == "local_importance_values":
        if explanation.local is None:
            return None
        return "list", (explanation.local[0] if explanation.task == "regression" else explanation.local).tolist()
    if name == "expected_values":
        return None if explanation.expected is None else ("list", explanation.expected_values)
    if name == "global_importance_rank":
        return "list", community_rank(explanation.global_).tolist()
    if name == "per_class_rank":
        return None if explanation.per_class is None else ("list", community_rank(explanation.per_class).tolist())
    value = getattr(explanation, name)
    if value is None:
        return None
    return "list", list(value) if name in ("features", "classes") else value


def _metadata(explanation: Explanation) -> dict[str, Any]:
    classification = explanation.task == "classification"
    metadata = {
        "explanation_id": explanation.id,
        "model_type": "classification" if classification else "regression",
        "data_type": "tabular",
        "model_task": explanation.task,
        "method": community_method(explanation.method),
        "model_class": explanation.model_type,
        "is_raw": explanation.is_raw,
        "is_engineered": explanation.is_engineered,
        "global": True,
        "local": explanation.local is not None,
        "num_classes": explanation.num_classes if classification else 1,
        "num_examples": explanation.n_rows or 0,
        "num_features": explanation.n_features,
        "is_local_sparse": False,
        "serialization_version": SERIALIZATION_VERSION,
    }
    kept = _kept(explanation, "explanation_metadata")
    if kept is not None:  # what the folder said, for the keys that describe the same explanation
        metadata.update({key: value for key, value in kept[1].items() if key not in ("explanation_id", "method")})
    metadata["output_space"] = explanation.output_space
    return metadata


def save_explanation(explanation: Explanation, path: str | os.PathLike, exist_ok: bool = False) -> None:
    """Write ``explanation`` in interpret-community's saved format (see the module docstring).

    As there, ``path`` must not exist unless ``exist_ok=True`` (files of the same names are then
    replaced). Local values are written dense; what was read from interpret-community's folder and has no
    field here (``Explanation.community_properties``) is written back as it was.
    """
    if not isinstance(explanation, Explanation):
        raise InvalidInputError(f"Expected an explain_lib Explanation, got {type(explanation).__name__}.")
    folder = Path(path)
    if folder.exists() and not exist_ok:
        raise InvalidInputError(f"{folder} already exists; pass a new folder or exist_ok=True to write into it.")
    folder.mkdir(parents=True, exist_ok=True)
    for name in _PROPERTIES:
        entry = _property(explanation, name)
        if entry is not None:
            (folder / f"{name}.json").write_text(json.dumps({"metadata": entry[0], "data": entry[1]}))
    (folder / METADATA_FILE).write_text(json.dumps(_metadata(explanation)))


# ------------------------------------------------------------------------------------------- reading
def _dense(value: Any) -> np.ndarray:
    """A saved "sparse" value ([data, indices, indptr, shape], or one such list per class) as an array."""
    def one(parts: list) -> np.ndarray:
        data, indices, indptr, shape = parts
        return sp.csr_matrix((data, indices, indptr), shape=tuple(shape)).toarray()

    if value and isinstance(value[0], list) and value[0] and isinstance(value[0][0], list):
        return np.stack([one(parts) for parts in value])
    return one(value)


def _read_raw(folder: Path, name: str) -> tuple[str, Any] | None:
    """(tag, value) of ``<name>.json`` as saved, or None when the folder does not hold it."""
    path = folder / f"{name}.json"
    if not path.is_file():
        return None
    try:
        saved = json.loads(path.read_text())
        return saved["metadata"], saved["data"]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise InvalidInputError(
            f"{path} is not interpret-community's saved JSON ({{\"metadata\": ..., \"data\": ...}}): {error}."
        ) from error


def _value(raw: tuple[str, Any] | None) -> Any:
    if raw is None:
        return None
    tag, value = raw
    return _dense(value) if tag in ("sparse", "DatasetWrapperSparse") else value


def _output_space(meta: dict, method: str, task: str, local: np.ndarray | None, expected: np.ndarray | None,
                  proba: Any) -> tuple[str, bool]:
    """(the values' output space, whether it was inferred)."""
    if meta.get("output_space"):
        return meta["output_space"], False
    if method.startswith(("pfi", "permutation")):
        return "metric", True
    if task == "regression":
        return "raw", True
    if proba is not None and local is not None and expected is not None:
        sums = local.sum(axis=-1) + expected[:, None]
        proba = np.asarray(proba, dtype=np.float64)
        if proba.shape == sums.T.shape and np.allclose(sums.T, proba, atol=1e-6):
            return "probability", True
    if "kernel" in method:  # interpret-community's KernelExplainer explains predict_proba
        return "probability", True
    if local is None and expected is not None and np.all((expected >= 0) & (expected <= 1)) \
            and abs(expected.sum() - 1) < 1e-9:  # no values to check: base values that are a distribution
        return "probability", True
    return "margin", True


def _binary_expected(expected: np.ndarray, local: np.ndarray | None, path: Path) -> np.ndarray:
    """Both classes' expected values of a binary explanation saved with one (interpret-community's
    LinearExplainer: the positive class's log-odds; the other class's values are their negation)."""
    if local is None or not np.array_equal(local[0], -local[1]):
        raise CorruptExplanationError(
            f"{path} holds one expected value for a two-class explanation whose classes' values are not each "
            "other's negation, so the other class's expected value is unknown. Save the explanation again."
        )
    return np.array([-expected[0], expected[0]])


def _frame(raw: tuple[str, Any] | None, features: list[str]) -> pd.DataFrame | None:
    """Saved rows as a DataFrame with the feature names (None when they are not one row of values per feature)."""
    rows = _value(raw)
    if rows is None or np.ndim(rows) != 2 or np.shape(rows)[1] != len(features):
        return None
    frame = pd.DataFrame(np.asarray(rows, dtype=object) if not isinstance(rows, np.ndarray) else rows)
    frame = frame.infer_objects()
    frame.columns = features
    return frame


def load_explanation(path: str | os.PathLike) -> Explanation:
    """Read a folder written by interpret-community's ``save_explanation`` (or by :func:`save_explanation`)."""
    folder = Path(path)
    meta_path = folder / METADATA_FILE
    if not meta_path.is_file():
        raise InvalidInputError(
            f"No interpret-community explanation in {folder}: {METADATA_FILE} is missing. For folders written by "
            "Explanation.save(), use Explanation.load()."
        )
    try:
        meta = json.loads(meta_path.read_text())
    except json.JSONDecodeError as error:
        raise InvalidInputError(f"{meta_path} is not JSON: {error}.") from error
    if not isinstance(meta, dict) or "serialization_version" not in meta:
        raise SchemaVersionError(f"{meta_path} has no serialization_version: not interpret-community's format.")
    if meta["serialization_version"] > SERIALIZATION_VERSION:
        raise SchemaVersionError(
            f"{meta_path} has serialization version {meta['serialization_version']}; this reader knows "
            f"{SERIALIZATION_VERSION}."
        )
    raw = {name: _read_raw(folder, name) for name in _PROPERTIES}
    task = "classification" if meta.get("model_type") == "classification" else "regression"
    features = _value(raw["features"])
    local = _value(raw["local_importance_values"]) if meta.get("local") else None
    if local is not None:
        local = np.asarray(local, dtype=np.float64)
        if task == "regression":
            local = local[None]
        elif local.ndim == 2:  # a binary classifier saved with one matrix (the positive class)
            local = np.stack([-local, local])
    expected = _value(raw["expected_values"])
    expected = None if expected is None else np.atleast_1d(np.asarray(expected, dtype=np.float64))
    if task == "classification" and expected is not None and expected.size == 1:
        expected = _binary_expected(expected, local, folder / "expected_values.json")
    n_features = int(meta.get("num_features") or (local.shape[-1] if local is not None else len(features or [])))
    features = [f"x{i}" for i in range(n_features)] if features is None else [str(f) for f in features]
    classes = _value(raw["classes"])
    if task == "classification" and classes is None:
        classes = list(range(int(meta.get("num_classes") or (local.shape[0] if local is not None else 2))))
    global_values = _value(raw["global_importance_values"])
    per_class = _value(raw["per_class_values"])
    data = _frame(raw["eval_data"], features)
    if data is not None and local is not None and len(data) != local.shape[1]:
        data = None
    method = str(meta.get("method") or "interpret_community")
    output_space, inferred = _output_space(meta, method, task, local, expected, _value(raw["eval_y_predicted_proba"]))
    params: dict[str, Any] = {"model_type": meta.get("model_class"), "source_format": "interpret-community"}
    if inferred:
        params["output_space_inferred"] = True
    kept = {name: list(raw[name]) for name in _KEPT if raw[name] is not None}
    kept["explanation_metadata"] = ["metadata", {k: v for k, v in meta.items() if k != "output_space"}]
    return Explanation(
        local=local, expected=expected, features=features, task=task, output_space=output_space,
        method=_OUR_METHODS.get(method, method), classes=classes,
        global_=None if global_values is None else np.asarray(global_values, dtype=np.float64),
        per_class=None if per_class is None else np.asarray(per_class, dtype=np.float64), params=params,
        id=str(meta.get("explanation_id") or meta.get("id")), is_raw=bool(meta.get("is_raw")),
        is_engineered=bool(meta.get("is_engineered")), data=data, versions={}, community_properties=kept,
    )
