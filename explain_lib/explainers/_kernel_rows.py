"""A row against the background for Kernel SHAP: which features vary, how far the row is from each
background row, and the model's input for a row's coalitions."""

from __future__ import annotations

import numpy as np

__all__ = ["SyntheticRows", "same", "steps", "varying_features"]


def same(values: np.ndarray, ref: object) -> np.ndarray:
    """Elementwise ``values == ref`` (``ref`` one value or an array of values' shape), treating NaN as equal
    to NaN (works on object dtype)."""
    eq = np.asarray(values == ref, dtype=bool)
    return eq | (np.asarray(values != values, dtype=bool) & np.asarray(ref != ref, dtype=bool))


def varying_features(X: np.ndarray, background: np.ndarray) -> np.ndarray:
    """(n, M) bool: feature j varies for row i unless x_ij equals background_bj for every b."""
    out = np.ones(X.shape, dtype=bool)
    for j in range(X.shape[1]):
        ref = background[0, j]
        if same(background[:, j], ref).all():  # only a constant background column can match x_ij
            out[:, j] = ~same(X[:, j], ref)
    return out


def steps(x: np.ndarray, background: np.ndarray) -> np.ndarray:
    """(n_bg, m): per feature, |x_j - b_j| over the background's typical |b_j - b'_j| (b' the next background
    row); for a column that is not numeric, whether x_j and b_j differ over the background's rate of
    difference. Missing values (NaN) agree with each other and are one typical step from anything else;
    a feature on which the background rows all agree has steps in units of 1."""
    out = np.empty(background.shape)
    for j, (col, ref) in enumerate(zip(background.T, x, strict=True)):
        nxt = np.roll(col, -1)
        try:
            col, ref, nxt = col.astype(np.float64), float(ref), nxt.astype(np.float64)
            step, pairs = np.abs(col - ref), np.abs(col - nxt)
            typical = pairs[~np.isnan(pairs)].mean() if (~np.isnan(pairs)).any() else 0.0
        except (TypeError, ValueError):  # categories: the step is whether they differ
            step, typical = (~same(col, ref)).astype(np.float64), np.mean(~same(col, nxt))
        typical = typical if typical > 0 else 1.0
        out[:, j] = np.where(same(col, ref), 0.0, np.where(np.isnan(step), 1.0, step / typical))
    return out


class SyntheticRows:
    """The model's input for one row on a design set: row (b, S) holds x on the features cols[S] and
    background row b elsewhere, the last row x itself, (n_bg c + 1, M).

    It is the largest array a row needs, so one is kept per design set and rewritten in place: when
    every feature varies, the positions a design takes from x are the same for every row, so only
    those are written again (the others keep the background's values from the first fill)."""

    def __init__(self, masks: np.ndarray, background: np.ndarray, dtype: np.dtype):
        n_bg, c, _ = masks.shape
        self.masks, self.background = masks, background
        self.rows = np.empty((n_bg * c + 1, background.shape[1]), dtype=dtype)
        self._body = self.rows[:-1].reshape(n_bg, c, background.shape[1])
        self._filled = False  # the background's values are in place outside the masks

    def fill(self, x: np.ndarray, cols: np.ndarray) -> np.ndarray:
        if len(cols) == len(x):  # every feature varies (cols is then 0 .. M - 1)
            if not self._filled:
                self._body[...] = self.background[:, None, :]
                self._filled = True
            np.copyto(self._body, x, where=self.masks)
        else:
            self._body[...] = self.background[:, None, :]
            self._body[:, :, cols] = np.where(self.masks, x[cols], self.background[:, None, cols])
            self._filled = False
        self.rows[-1] = x
        return self.rows
