"""Linear models for the page, and the links from a model's margins to its probabilities.

A linear model's margin of output ``g`` is ``sum_e x_e * coef[g, e] + intercept[g]``, added in
column order (scikit-learn's BLAS product may round differently in the last bits). Its SHAP values
have a closed form (:class:`~explain_lib.explainers.LinearShap`, interventional)::

    phi[g, f] = sum_{e of f} M[f, e] * (x_e * coef[g, e])  -  K[g, f]

with ``M`` the raw-to-engineered map (the identity without preprocessing) and ``K[g, f]`` the
feature's share of ``coef . mean(background)``, which :func:`linear_offsets` reads off the
explanation's own rows and checks on every one of them.

Links (``probabilities``): ``sigmoid`` (binary; LightGBM's with its sigmoid parameter), ``softmax``,
``ovr`` (liblinear: sigmoids normalised to sum 1), ``ovr-sigmoid`` (LightGBM multiclassova), the
single-precision ``sigmoid32`` / ``softmax32`` of XGBoost, and ``identity`` (forests, whose margins
are already probabilities).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ...models import is_linear_model
from .._page import encode_array
from ._carry_trees import NotCarried

__all__ = ["CarriedLinear", "carry_linear", "linear_offsets", "probabilities"]


def probabilities(link: str, margins: np.ndarray, scale: float = 1.0) -> np.ndarray | None:
    """(n_rows, n_classes) probabilities from (n_rows, n_groups) margins, as the library computes them.

    Examples
    --------
    >>> probabilities("sigmoid", np.array([[0.0], [np.log(3.0)]])).tolist()
    [[0.5, 0.5], [0.25, 0.75]]
    >>> probabilities("softmax", np.array([[0.0, 0.0]])).tolist()
    [[0.5, 0.5]]
    """
    m = np.asarray(margins, dtype=np.float64)
    if link == "identity":
        return m
    if link == "sigmoid":
        p = 1.0 / (1.0 + np.exp(-scale * m[:, 0]))
        return np.stack([1.0 - p, p], axis=1)
    if link == "softmax":
        e = np.exp(m - m.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    if link == "ovr":
        p = 1.0 / (1.0 + np.exp(-m))
        return p / p.sum(axis=1, keepdims=True)
    if link == "ovr-sigmoid":
        return 1.0 / (1.0 + np.exp(-scale * m))
    f32 = np.float32
    if link == "sigmoid32":
        x = np.minimum(-m[:, 0].astype(f32), f32(88.7))
        p = f32(1) / ((np.exp(x.astype(np.float64)).astype(f32) + f32(1)) + f32(1e-16))
        return np.stack([f32(1) - p, p], axis=1).astype(np.float64)
    if link == "softmax32":
        m32 = m.astype(f32)
        e = np.exp((m32 - m32.max(axis=1, keepdims=True)).astype(np.float64)).astype(f32)
        total = np.zeros(len(m))
        for k in range(e.shape[1]):
            total += e[:, k].astype(np.float64)
        return (e / total.astype(f32)[:, None]).astype(np.float64)
    return None


class CarriedLinear:
    """``coef`` (n_groups, n_inputs) and ``intercept`` (n_groups,) of a scikit-learn linear model."""

    family = "linear"

    def __init__(self, coef: np.ndarray, intercept: np.ndarray, description: str):
        self.coef, self.intercept, self.description = coef, intercept, description
        self.n_groups = coef.shape[0]
        self.link = "identity"
        self.link_scale = 1.0

    def margins(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        out = np.tile(self.intercept, (len(X), 1))
        for g in range(self.n_groups):  # one column at a time, as the page adds them
            total = np.zeros(len(X))
            for e in range(self.coef.shape[1]):
                total += X[:, e] * self.coef[g, e]
            out[:, g] = total + self.intercept[g]
        return out

    def payload(self) -> dict[str, Any]:
        return {"kind": "linear", "description": self.description, "n_groups": self.n_groups,
                "coef": encode_array(self.coef, "float64"), "n_inputs": int(self.coef.shape[1]),
                "intercept": [float(b) for b in self.intercept], "link": self.link, "link_scale": self.link_scale}


def carry_linear(model: Any) -> CarriedLinear:
    """A scikit-learn linear model's coefficients for the page.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 3.0]])
    >>> model = LinearRegression().fit(X, X @ [2.0, -1.0] + 0.5)
    >>> np.allclose(carry_linear(model).margins(X)[:, 0], model.predict(X))
    True
    """
    if not is_linear_model(model):
        raise NotCarried(f"{type(model).__name__} is not a linear model the page carries")
    coef = np.atleast_2d(np.asarray(model.coef_, dtype=np.float64))
    intercept = np.broadcast_to(np.asarray(model.intercept_, dtype=np.float64), (coef.shape[0],)).copy()
    return CarriedLinear(coef, intercept, f"{type(model).__name__}, {coef.shape[1]} coefficients")


def linear_offsets(linear: CarriedLinear, engineered: np.ndarray, local: np.ndarray,
                   feature_map: sp.csr_matrix) -> np.ndarray:
    """``K`` (n_groups, n_features) of the closed form, from rows whose SHAP values ``local`` (n_groups, n_rows,
    n_features) are known; every row must give the same ``K`` (to 1e-9 of the terms' size)."""
    offsets = np.empty((linear.n_groups, local.shape[2]))
    for g in range(linear.n_groups):
        terms = engineered * linear.coef[g]
        mapped = np.asarray(feature_map @ terms.T).T
        per_row = mapped - local[g]
        offsets[g] = per_row[0]
        spread = np.abs(per_row - per_row[0]).max(axis=0)
        scale = 1.0 + np.abs(mapped).max(axis=0)
        if (spread > 1e-9 * scale).any():
            worst = int(np.argmax(spread / scale))
            raise NotCarried(f"the explanation's values of feature {worst} do not follow the linear closed form "
                             f"coef * (x - mean) (they vary by {spread[worst]:.3g} across rows)")
    return offsets
