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
class), ``expected_values``, ``classes``, ``global_importance_rank``, ``global_importance_values``,
``per_class_rank``, ``per_class_values``, ``eval_data``, ``eval_y_predicted`` and
``eval_y_predicted_proba``, each written only when the explanation has it.

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

from ..errors import InvalidInputError, SchemaVersionError
from ..explanation import Explanation

__all__ = ["load_explanation", "save_explanation"]

METADATA_FILE = "explanation_metadata.json"
SERIALIZATION_VERSION = 1
_PROPERTIES = ("features", "local_importance_values", "expected_values", "classes", "global_importance_rank",
               "global_importance_values", "per_class_rank", "per_class_values", "eval_data",
               "eval_y_predicted", "eval_y_predicted_proba")


# ------------------------------------------------------------------------------------------- writing
def _property(explanation: Explanation, name: str) -> tuple[str, Any] | None:
    """(metadata tag, JSON value) of one property, or None when the explanation has no such value."""
    if name == "eval_data":
        if explanation.data is None:
            return None
        return "DataFrame", explanation.data.astype(object).where(explanation.data.notna(), None).to_numpy().tolist()
    if name in ("local_importance_values", "global_importance_rank", "per_class_rank"):
        if (name == "local_importance_values" and explanation.local is None) or (
                name == "per_class_rank" and explanation.per_class is None):
            return None
        value = getattr(explanation, name) if name != "local_importance_values" else (
            explanation.local[0] if explanation.task == "regression" else explanation.local).tolist()
        return "ndarray", value
    if name == "expected_values":
        if explanation.expected is None:
            return None
        values = explanation.expected.tolist()
        return "ndarray", values[0] if explanation.task == "regression" else values
    value = getattr(explanation, name)
    if value is None:
        return None
    if name in ("features", "classes"):
        return "list", list(value)
    return ("list" if name.startswith("eval_y") else "ndarray"), value


def save_explanation(explanation: Explanation, path: str | os.PathLike, exist_ok: bool = False) -> None:
    """Write ``explanation`` in interpret-community's saved format (see the module docstring).

    As there, ``path`` must not exist unless ``exist_ok=True`` (files of the same names are then
    replaced). Local values are written dense.
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
    classification = explanation.task == "classification"
    metadata = {
        "explanation_id": explanation.id,
        "model_type": "classification" if classification else "regression",
        "data_type": "tabular",
        "model_task": explanation.task,
        "method": explanation.method,
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
        "output_space": explanation.output_space,
    }
    (folder / METADATA_FILE).write_text(json.dumps(metadata))


# ------------------------------------------------------------------------------------------- reading
def _dense(value: Any) -> np.ndarray:
    """A saved "sparse" value ([data, indices, indptr, shape], or one such list per class) as an array."""
    def one(parts: list) -> np.ndarray:
        data, indices, indptr, shape = parts
        return sp.csr_matrix((data, indices, indptr), shape=tuple(shape)).toarray()

    if value and isinstance(value[0], list) and value[0] and isinstance(value[0][0], list):
        return np.stack([one(parts) for parts in value])
    return one(value)


def _read(folder: Path, name: str) -> Any:
    path = folder / f"{name}.json"
    if not path.is_file():
        return None
    try:
        saved = json.loads(path.read_text())
        tag, value = saved["metadata"], saved["data"]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise InvalidInputError(
            f"{path} is not interpret-community's saved JSON ({{\"metadata\": ..., \"data\": ...}}): {error}."
        ) from error
    if tag in ("sparse", "DatasetWrapperSparse"):
        return _dense(value)
    return value


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
    return "margin", True


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
    task = "classification" if meta.get("model_type") == "classification" else "regression"
    features = _read(folder, "features")
    local = _read(folder, "local_importance_values") if meta.get("local") else None
    if local is not None:
        local = np.asarray(local, dtype=np.float64)
        if task == "regression":
            local = local[None]
        elif local.ndim == 2:  # a binary classifier saved with one matrix (the positive class)
            local = np.stack([-local, local])
    expected = _read(folder, "expected_values")
    expected = None if expected is None else np.atleast_1d(np.asarray(expected, dtype=np.float64))
    n_features = int(meta.get("num_features") or (local.shape[-1] if local is not None else 0))
    features = [f"x{i}" for i in range(n_features)] if features is None else [str(f) for f in features]
    classes = _read(folder, "classes")
    if task == "classification" and classes is None:
        classes = list(range(int(meta.get("num_classes") or (local.shape[0] if local is not None else 2))))
    global_values = _read(folder, "global_importance_values")
    per_class = _read(folder, "per_class_values")
    data = _read(folder, "eval_data")
    if data is not None:
        data = pd.DataFrame(np.asarray(data, dtype=object) if np.ndim(data) == 2 else data)
        data = data.infer_objects()
        data.columns = features if data.shape[1] == len(features) else data.columns
        data = data if data.shape[1] == len(features) and local is not None and len(data) == local.shape[1] else None
    method = str(meta.get("method") or "interpret_community")
    output_space, inferred = _output_space(meta, method, task, local, expected,
                                           _read(folder, "eval_y_predicted_proba"))
    params: dict[str, Any] = {"model_type": meta.get("model_class"), "source_format": "interpret-community"}
    if inferred:
        params["output_space_inferred"] = True
    return Explanation(
        local=local, expected=expected, features=features, task=task, output_space=output_space, method=method,
        classes=classes, global_=None if global_values is None else np.asarray(global_values, dtype=np.float64),
        per_class=None if per_class is None else np.asarray(per_class, dtype=np.float64), params=params,
        id=str(meta.get("explanation_id") or meta.get("id")), is_raw=bool(meta.get("is_raw")),
        is_engineered=bool(meta.get("is_engineered")), data=data, versions={},
    )
