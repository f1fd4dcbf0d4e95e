"""shap interop: the bodies of :meth:`Explanation.to_shap` and :meth:`Explanation.from_shap`.

They read an Explanation by its public attributes and return the fields of a new one, so this
module never imports :mod:`explain_lib.explanation` (which calls it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .errors import InvalidInputError, InvalidParameterError

if TYPE_CHECKING:
    from .explanation import Explanation


def to_shap(explanation: Explanation, cls: Any = None) -> Any:
    """The body of :meth:`Explanation.to_shap` (documented there)."""
    import shap

    local = explanation.require_local("to_shap()")
    if explanation.expected is None:
        raise InvalidParameterError("to_shap() needs expected (base) values; this explanation has none.")
    n_rows = local.shape[1]
    data = None if explanation.data is None else explanation.data.to_numpy(
        dtype=np.float64 if all(pd.api.types.is_numeric_dtype(t) and not isinstance(t, pd.CategoricalDtype)
                                for t in explanation.data.dtypes) else object)
    common = {"data": data, "feature_names": list(explanation.features)}
    if cls == "all" and explanation.task == "classification" and "all" not in explanation.classes:
        return shap.Explanation(values=local.transpose(1, 2, 0), base_values=np.tile(explanation.expected, (n_rows, 1)),
                                output_names=list(explanation.classes), **common)
    k = explanation.output_index(cls)
    return shap.Explanation(values=local[k], base_values=np.full(n_rows, explanation.expected[k]), **common)


def from_shap(shap_explanation: Any, *, output_space: str | None = None, classes: Any = None,
              task: str | None = None, method: str = "shap", params: Mapping[str, Any] | None = None,
              model_uri: str | None = None) -> dict[str, Any]:
    """The fields of :meth:`Explanation.from_shap`'s result (documented there), as keyword arguments."""
    values = np.asarray(shap_explanation.values, dtype=np.float64)
    if values.ndim == 1:  # one row
        values = values[None]
    if values.ndim not in (2, 3):
        raise InvalidInputError(f"shap values must be (rows, features[, outputs]), got shape {values.shape}.")
    n_rows = values.shape[0]
    local = values[None] if values.ndim == 2 else values.transpose(2, 0, 1)
    base = np.asarray(shap_explanation.base_values, dtype=np.float64).reshape(n_rows, -1).T
    if base.shape[0] != local.shape[0]:
        raise InvalidInputError(f"base_values of shape {base.shape[::-1]} do not match {local.shape[0]} output(s).")
    if not np.allclose(base, base[:, :1], rtol=0, atol=1e-9):
        raise InvalidInputError(
            "base_values differ between rows, but an Explanation has one expected value per output; explain "
            "against one background (e.g. shap.Explainer(model, background)) so every row shares it."
        )
    expected = base[:, 0]
    if classes is None and values.ndim == 3:
        names = getattr(shap_explanation, "output_names", None)
        classes = list(names) if names is not None else list(range(local.shape[0]))
    task = task or ("classification" if classes is not None else "regression")
    if output_space is None:
        if task == "classification":
            raise InvalidParameterError(
                "Say what a classifier's shap values explain: output_space='margin' (log-odds) or 'probability'."
            )
        output_space = "raw"
    if task == "classification" and local.shape[0] == 1 and classes is not None and len(classes) == 2:
        total = 1.0 if output_space == "probability" else 0.0
        local, expected = np.stack([-local[0], local[0]]), np.array([total - expected[0], expected[0]])
    names = shap_explanation.feature_names
    features = [f"x{j}" for j in range(local.shape[2])] if names is None else [str(n) for n in names]
    raw = shap_explanation.display_data if shap_explanation.display_data is not None else shap_explanation.data
    data = None
    if raw is not None and np.ndim(raw) == 2 and np.shape(raw) == (n_rows, len(features)):
        data = raw.set_axis(features, axis=1) if isinstance(raw, pd.DataFrame) \
            else pd.DataFrame(raw, columns=features)
    return {"local": local, "expected": expected, "features": features, "task": task, "output_space": output_space,
            "method": method, "classes": classes, "params": dict(params or {}), "data": data, "model_uri": model_uri}
