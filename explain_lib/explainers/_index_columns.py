"""A DataFrame's index as features of a surrogate (MimicExplainer's ``reset_index``), and datetime
columns as numbers a surrogate can split on.

``reset_index`` (interpret-community's option):

- ``"ignore"``: the index is no feature and the model gets the rows without it (a fresh 0..n-1 index);
- ``"reset"``: each index level is a feature after the frame's columns (named by the level), and the
  model gets the rows with their index;
- ``"reset_teacher"``: the model gets the rows with their index, the surrogate never sees it (for an
  index whose information the columns already hold).

The rows kept inside the explainer are the frame's columns followed by one column per index level
(for the two resetting modes), so that augmented rows, whose columns are shuffled independently,
carry their own index values; :meth:`IndexColumns.teacher_rows` rebuilds the index from those columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..data import Tabular
from ..errors import InvalidInputError, InvalidParameterError, did_you_mean

__all__ = ["RESET_INDEX_MODES", "DatetimeDays", "IndexColumns", "reset_index_mode"]

RESET_INDEX_MODES = ("ignore", "reset", "reset_teacher")


def reset_index_mode(value: Any) -> str:
    """The mode ``value`` names: one of :data:`RESET_INDEX_MODES`, an enum of them, or a bool
    (``True`` resets, as interpret-community's "anything but ignore"; ``False`` ignores)."""
    if isinstance(value, (bool, np.bool_)):
        return "reset" if value else "ignore"
    value = getattr(value, "value", value)  # interpret-community's ResetIndex enum
    if value not in RESET_INDEX_MODES:
        raise InvalidParameterError(
            f"reset_index must be one of {RESET_INDEX_MODES} (or True for 'reset'), got {value!r}."
            + did_you_mean(str(value), RESET_INDEX_MODES))
    return value


def _level_labels(index: pd.Index) -> list[Any]:
    """The column label of each index level: its name, else pandas' own ("index", "level_0", ...)."""
    if index.nlevels == 1:
        return ["index" if index.name is None else index.name]
    return [f"level_{i}" if name is None else name for i, name in enumerate(index.names)]


@dataclass(frozen=True)
class IndexColumns:
    """How a mode treats the index of the rows the explainer was built on.

    ``levels`` are the index's level names (None for a mode that ignores the index, or rows that are
    no DataFrame), ``labels`` the columns they become, ``names`` their feature names and
    ``n_columns`` the frame's own column count.
    """

    mode: str
    levels: tuple[Any, ...] | None = None
    labels: tuple[Any, ...] = ()
    names: tuple[str, ...] = ()
    n_columns: int = 0

    @classmethod
    def of(cls, reset_index: Any, examples: Any, features: Any) -> tuple[IndexColumns, Any]:
        """(the treatment, the feature names of the frame's own columns) for ``reset_index`` on
        ``examples``; ``features`` may name the columns, or the columns and then the index levels."""
        mode = reset_index_mode(reset_index)
        if mode == "ignore" or not isinstance(examples, pd.DataFrame):
            return cls(mode), features
        index, n_columns = examples.index, examples.shape[1]
        labels = _level_labels(index)
        clashing = [label for label in labels if label in examples.columns]
        if clashing:
            raise InvalidInputError(
                f"initialization_examples has index levels named like its columns {clashing}: with "
                f"reset_index={mode!r} each level becomes a column. Rename the levels (frame.rename_axis(...)) "
                "or the columns.")
        names = tuple(str(label) for label in labels)
        if features is not None:
            given = [str(f) for f in features]
            if len(given) == n_columns + len(labels):
                features = given[:n_columns]
                names = tuple(given[n_columns:]) if mode == "reset" else names
            elif len(given) != n_columns:
                raise InvalidInputError(
                    f"features has {len(given)} names but initialization_examples has {n_columns} columns and "
                    f"{len(labels)} index level(s) {list(names)}; with reset_index={mode!r} give one name per "
                    "column, optionally followed by one per index level.")
        return cls(mode, tuple(index.names), tuple(labels), names, n_columns), features

    @property
    def resets(self) -> bool:
        return self.levels is not None

    def with_index(self, tab: Tabular, name: str) -> Tabular:
        """Checked rows (their own columns) with the index levels appended as columns, as kept inside."""
        if not self.resets:
            return tab
        frame = tab.values
        if not isinstance(frame, pd.DataFrame) or tuple(frame.index.names) != self.levels:
            found = list(frame.index.names) if isinstance(frame, pd.DataFrame) else f"a {type(frame).__name__}"
            raise InvalidInputError(
                f"{name} has index levels {found}, but with reset_index={self.mode!r} the model takes rows "
                f"indexed like initialization_examples, by {list(self.levels)}. Pass a DataFrame with that index "
                "(frame.set_index([...]) on the columns that hold it).")
        rows = frame.copy(deep=False)
        for position, label in enumerate(self.labels):
            rows[label] = frame.index.get_level_values(position)  # an Index is set by position, keeping its dtype
        return Tabular(rows, tab.features + self.names)

    def teacher_rows(self, rows: Any) -> Any:
        """The rows as the model takes them: indexed by the level columns (resetting modes), else with
        a fresh 0..n-1 index (the index is no input of the model)."""
        if not isinstance(rows, pd.DataFrame):
            return rows
        if not self.resets:
            default = isinstance(rows.index, pd.RangeIndex) and rows.index.start == 0 and rows.index.step == 1 \
                and rows.index.name is None
            return rows if default else rows.reset_index(drop=True)
        own, level_columns = rows.iloc[:, :self.n_columns], rows.iloc[:, self.n_columns:]
        if len(self.levels) == 1:
            index = pd.Index(level_columns.iloc[:, 0], name=self.levels[0])
        else:
            index = pd.MultiIndex.from_arrays([level_columns.iloc[:, i] for i in range(len(self.levels))],
                                              names=list(self.levels))
        return own.set_axis(index, axis=0)

    def surrogate_rows(self, tab: Tabular) -> Tabular:
        """The rows the surrogate learns from and explains: without the level columns for "reset_teacher"."""
        if self.mode != "reset_teacher" or not self.resets:
            return tab
        return Tabular(tab.values.iloc[:, :self.n_columns], tab.features[:self.n_columns])


@dataclass(frozen=True)
class DatetimeDays:
    """Datetime columns as days (fractional) since their earliest training value: one number per feature,
    which a surrogate splits on (and a linear one weighs) like any other; missing times stay missing (NaN).
    Days rather than interpret-community's seconds keep a linear surrogate's least squares well conditioned
    beside 0/1 columns (seconds reach 1e8 in a few years); the explanation's values do not depend on the unit."""

    origins: dict[Any, pd.Timestamp]

    @classmethod
    def fit(cls, frame: Any, skip: Any = ()) -> DatetimeDays:
        if not isinstance(frame, pd.DataFrame):
            return cls({})
        return cls({column: frame[column].min() for column, dtype in frame.dtypes.items()
                    if pd.api.types.is_datetime64_any_dtype(dtype) and column not in skip})

    def transform(self, frame: Any) -> Any:
        if not self.origins:
            return frame
        frame = frame.copy(deep=False)
        for column, origin in self.origins.items():
            frame[column] = ((frame[column] - origin) / pd.Timedelta(days=1)).astype(np.float64)
        return frame
