"""An explanation mapped to raw features: the fields that change (:func:`raw_fields`).

Read by ``Explanation.to_raw``; it takes an Explanation by its public attributes and never imports it.
"""

from __future__ import annotations

import uuid
from typing import Any

import pandas as pd

from .errors import InvalidInputError
from .features import FeatureMap

__all__ = ["raw_fields"]


def raw_fields(explanation: Any, mapping: FeatureMap, raw_data: Any = None) -> dict[str, Any]:
    """The fields that change when ``explanation`` (read by its public attributes) is mapped to raw features:
    each raw value is the sum of its engineered columns' shares. ``raw_data``: the raw rows, named by the raw
    features (or, unnamed, in their order). A partial map's values no longer add up to the model output, so
    the expected value is dropped (nothing is then recovered from additivity).

    Examples
    --------
    >>> from explain_lib import Explanation
    >>> e = Explanation(local=[[[1.0, 2.0, 4.0]]], expected=[0.5], features=["a0", "a1", "b"], task="regression",
    ...                 output_space="raw", method="demo")
    >>> fields = raw_fields(e, FeatureMap([[1, 1, 0], [0, 0, 1]], ["a", "b"], e.features), [[7, 8]])
    >>> fields["local"].tolist(), fields["features"], fields["data"].to_dict("records")
    ([[[3.0, 4.0]]], ('a', 'b'), [{'a': 7, 'b': 8}])
    """
    if mapping.matrix.shape[1] != explanation.n_features:
        raise InvalidInputError(
            f"The feature map has {mapping.matrix.shape[1]} engineered columns but this explanation has "
            f"{explanation.n_features} features; pass the transformations that produced these features."
        )
    if raw_data is not None:
        raw_data = pd.DataFrame(raw_data).copy(deep=False)  # the rows keep their labels; the caller's frame is kept
        raw_data.columns = [str(c) for c in raw_data.columns]
        wanted = list(mapping.raw_features)
        if set(wanted) <= set(raw_data.columns):
            raw_data = raw_data[wanted]
        elif raw_data.shape[1] == len(wanted):  # rows without the names (an array): the raw columns in order
            raw_data.columns = wanted
        else:
            raise InvalidInputError(f"raw_data has {raw_data.shape[1]} columns, not the map's {len(wanted)} raw "
                                    "features; pass the raw rows that were transformed.")
    local = None if explanation.local is None else mapping.apply(explanation.local)
    params = {**explanation.params, "engineered_explanation_id": explanation.id}
    if mapping.partial:
        params["feature_map_partial"] = True
    return {
        "local": local,
        "expected": None if mapping.partial else explanation.expected,
        "global_": None if local is not None else mapping.apply(explanation.global_),
        "per_class": None if local is not None or explanation.per_class is None
        else mapping.apply(explanation.per_class),
        "global_std": None,  # permutation drops of engineered columns do not add up to a raw feature's
        "global_repeats": None,
        "features": mapping.raw_features,
        "is_raw": True,
        "is_engineered": False,
        "data": raw_data,
        "id": uuid.uuid4().hex,
        "params": params,
        "community_properties": None,
    }
