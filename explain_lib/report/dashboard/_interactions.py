"""The dashboard's Interactions view data: exact SHAP interaction values (:class:`~explain_lib.Interactions`) of the
page's rows, compact and page-ready.

::

    {"features": [positions of the k chosen features among the view's features],
     "method", "n_rows_total",
     "matrix": k x k mean |value| over every explained row, mean over outputs (JSON numbers, exact float64),
     "partner": per chosen feature, the position (among the k) of its strongest partner by "matrix", -1 if k == 1,
     "per_class": [k x k per class] | None, "per_class_partner": [[...] per class] | None,
     "values": float32 (n_stored_outputs, n_rows, k (k + 1) / 2) | None: each shown row's upper triangle,
               diagonal included, row by row (i <= j: position i k - i (i - 1) / 2 + j - i),
     "binary_mirrored": bool}

The matrices and partners are :meth:`Interactions.summary`'s. Row values are symmetric, so only the upper triangle
travels; a binary classifier's class 0 values are class 1's negated, and then only class 1 is stored (as the
local values are, :mod:`._payload`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...interactions import Interactions
from .._page import encode_array

__all__ = ["interactions_payload"]


def interactions_payload(features: list[str], interactions: Interactions | None,
                         rows: np.ndarray | None) -> dict[str, Any] | None:
    """The Interactions view's data for a view over ``features``, on the page's ``rows`` (positions into the
    explained rows; None: no rows in the page). ``interactions`` must already be checked against the explanation
    (:func:`~explain_lib.interactions.check_interactions`)."""
    if interactions is None:
        return None
    position = {name: j for j, name in enumerate(features)}
    k = len(interactions.features)
    overall = interactions.summary(rows=[])
    per_class = None if interactions.classes is None else \
        [interactions.summary(rows=[], cls=c) for c in interactions.classes]
    payload: dict[str, Any] = {
        "features": [position[name] for name in interactions.features],
        "method": interactions.method, "n_rows_total": interactions.n_rows,
        "matrix": overall["matrix"], "partner": overall["partner"],
        "per_class": None if per_class is None else [s["matrix"] for s in per_class],
        "per_class_partner": None if per_class is None else [s["partner"] for s in per_class],
        "values": None, "binary_mirrored": False,
    }
    if rows is None:
        return payload
    upper = np.triu_indices(k)
    shown = interactions.values[:, np.asarray(rows, dtype=np.int64)][..., upper[0], upper[1]]
    mirrored = shown.shape[0] == 2 and bool(np.allclose(shown[0], -shown[1], rtol=0, atol=1e-9))
    payload.update(values=encode_array(shown[1:] if mirrored else shown, "float32"), binary_mirrored=mirrored)
    return payload
