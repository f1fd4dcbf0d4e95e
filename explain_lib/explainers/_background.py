"""Background (reference) data: weighted sampling and weighted k-means summaries."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from ..data import Tabular
from ..errors import InvalidParameterError

__all__ = ["sample_rows", "summarize", "unwrap_summary"]


def unwrap_summary(background: Any, weights: Any) -> tuple[Any, Any, bool]:
    """(rows, weights, is_summary) of a background; shap's ``DenseData`` gives its rows and weights.

    ``shap.kmeans(X, k)`` and ``shap.sample`` return a ``DenseData`` (k weighted centres), the
    background format of interpret-community's notebooks. Any other background is returned as it is.
    """
    legacy = sys.modules.get("shap.utils._legacy")  # loaded whenever a DenseData exists
    dense_data = getattr(legacy, "DenseData", None)
    if dense_data is None or not isinstance(background, dense_data):
        return background, weights, False
    if weights is not None:
        raise InvalidParameterError(
            "The background is a shap DenseData (e.g. shap.kmeans(X, k)) that carries its own weights; "
            "pass background_weights=None, or pass the plain rows with your weights."
        )
    return np.asarray(background.data), np.asarray(background.weights, dtype=np.float64), True


def sample_rows(tab: Tabular, weights: np.ndarray, n: int, random_state: int | None) -> Tabular:
    """At most ``n`` rows whose empirical distribution follows ``weights`` (seeded).

    Uniform weights: a sample without replacement. Other weights: a sample with replacement,
    drawn in proportion to the weights, so the sample is unweighted and unbiased.
    """
    uniform = np.allclose(weights, weights[0])
    if tab.n_rows <= n and uniform:
        return tab
    rng = np.random.default_rng(random_state)
    if uniform:
        rows = np.sort(rng.choice(tab.n_rows, size=n, replace=False))
    else:
        rows = np.sort(rng.choice(tab.n_rows, size=n, replace=True, p=weights))
    return tab.take(rows)


def summarize(tab: Tabular, weights: np.ndarray, n: int, random_state: int | None) -> tuple[Tabular, np.ndarray, str]:
    """At most ``n`` weighted rows that stand for the background; returns (rows, weights, how).

    Numeric data: weighted k-means with ``n`` clusters; each centre is snapped, feature by feature,
    to the nearest value that feature takes in the data (so binary and integer-coded features keep
    valid values), and weighs the total weight of its cluster. Non-numeric data (strings,
    categories): a seeded weighted sample of rows, which keeps every row a valid input.
    """
    if tab.n_rows <= n:
        return tab, weights, "none"
    if not tab.is_numeric:
        return sample_rows(tab, weights, n, random_state), np.full(n, 1.0 / n), "sample"
    from sklearn.cluster import KMeans

    values = tab.to_numpy().astype(np.float64)
    kmeans = KMeans(n_clusters=n, n_init=1, random_state=random_state).fit(values, sample_weight=weights)
    centres = kmeans.cluster_centers_
    for j in range(values.shape[1]):
        column = np.unique(values[:, j])
        position = np.clip(np.searchsorted(column, centres[:, j]), 1, max(len(column) - 1, 1))
        lower = column[position - 1]
        upper = column[np.minimum(position, len(column) - 1)]
        centres[:, j] = np.where(np.abs(centres[:, j] - lower) <= np.abs(upper - centres[:, j]), lower, upper)
    cluster_weights = np.bincount(kmeans.labels_, weights=weights, minlength=n)
    keep = cluster_weights > 0
    summary = tab.with_values(centres[keep]) if tab.is_frame else Tabular(centres[keep], tab.features)
    return summary, cluster_weights[keep] / cluster_weights[keep].sum(), "kmeans"
