"""Data sets shipped with explain-lib, so demos and tests need no network.

Adult (census income): Becker, B. & Kohavi, R. (1996). Adult [Dataset]. UCI Machine Learning
Repository. https://doi.org/10.24432/C5XW20 — licensed CC BY 4.0. Shipped here unchanged but
gzip-compressed.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = ["load_adult", "ADULT_CATEGORICAL", "ADULT_TARGET"]

ADULT_TARGET = "income"
ADULT_CATEGORICAL = (
    "workclass", "education", "marital_status", "occupation", "relationship", "race", "sex", "native_country",
)


def load_adult(*, as_category: bool = True) -> tuple[pd.DataFrame, pd.Series]:
    """The UCI Adult census data: 32,561 people, 14 features, whether income exceeds $50K.

    Returns
    -------
    X : DataFrame
        Six integer columns and eight categorical ones (pandas ``category`` dtype, or plain strings
        with ``as_category=False``); "?" in the source is a missing value (NaN).
    y : Series of int named "income"
        1 where income is >50K, else 0.
    """
    with resources.files(__package__).joinpath("adult.csv.gz").open("rb") as handle:
        frame = pd.read_csv(handle, compression="gzip", na_values=["?"], skipinitialspace=True)
    y = (frame.pop(ADULT_TARGET).str.strip() == ">50K").astype(int).rename(ADULT_TARGET)
    for column in ADULT_CATEGORICAL:
        frame[column] = frame[column].astype("category" if as_category else object)
    return frame, y
