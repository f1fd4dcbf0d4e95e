"""``interpret_community.common.explanation_utils._summarize_data``: a background summary for Kernel SHAP."""

from __future__ import annotations

from typing import Any

__all__ = ["_summarize_data"]


def _summarize_data(X: Any, k: int = 10, use_gpu: bool = False, to_round_values: bool = True) -> Any:
    """interpret-community's background summary: ``shap.kmeans(X, k)`` (weighted centres) for more than
    ``10 * k`` dense rows, the column medians as one sparse row for sparse data, else ``X`` as it is.

    Every explainer here takes the result as ``initialization_examples`` (a ``shap.kmeans`` summary is
    used with its weights)."""
    import numpy as np
    import scipy.sparse as sp

    if type(X).__name__ == "DenseData":
        return X
    if sp.issparse(X):
        columns = X.tocsc()
        n_rows = X.shape[0]
        medians = np.zeros(X.shape[1])
        for j in np.flatnonzero(np.diff(columns.indptr)):  # a column without stored values has median 0
            stored = columns.data[columns.indptr[j]:columns.indptr[j + 1]]
            medians[j] = np.median(np.concatenate([stored, np.zeros(n_rows - stored.size)]))
        return sp.csr_matrix(medians.reshape(1, -1))
    if len(X) > 10 * k:
        import shap

        return shap.kmeans(X, k, to_round_values)
    return X
