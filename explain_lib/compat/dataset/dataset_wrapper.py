"""``interpret_community.dataset.dataset_wrapper.DatasetWrapper``: rows with their original form kept.

explain-lib's explainers take numpy arrays, DataFrames and sparse matrices as they are, and a
``DatasetWrapper`` too (its ``original_dataset``). Explanations keep the explained rows as a
DataFrame (``Explanation.data``), never as a wrapper.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DatasetWrapper"]


class DatasetWrapper:
    """Holds a data set as given (``original_dataset``) with interpret-community's accessors.

    Examples
    --------
    >>> import numpy as np
    >>> wrapped = DatasetWrapper(np.zeros((3, 2)))
    >>> wrapped.dataset.shape, wrapped.original_dataset.shape
    ((3, 2), (3, 2))
    """

    def __init__(self, dataset: Any):
        self.original_dataset = dataset
        self.dataset = dataset.to_numpy() if hasattr(dataset, "to_numpy") else dataset

    @property
    def original_dataset_with_type(self) -> Any:
        return self.original_dataset

    @property
    def num_features(self) -> int:
        return self.dataset.shape[1]

    def typed_dataset(self) -> Any:
        return self.original_dataset
