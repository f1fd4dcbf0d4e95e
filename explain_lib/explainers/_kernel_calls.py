"""Kernel SHAP's calls of the model: each of a fixed make-up (its size set by the rows it is given,
the background and ``max_batch_rows``), so the same rows give the same bits whichever rows are
explained beside them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["Predict", "coalition_values", "predict_2d", "sensitivity", "weighted_mean"]

Predict = Callable[[np.ndarray], np.ndarray]


def predict_2d(predict: Predict, rows: np.ndarray, max_batch_rows: int) -> np.ndarray:
    """``predict`` on ``rows`` in chunks of at most ``max_batch_rows``, as an (n, K) float64 array."""
    parts = []
    for start in range(0, len(rows), max_batch_rows):
        chunk = rows[start : start + max_batch_rows]
        out = np.asarray(predict(chunk), dtype=np.float64)
        if out.ndim not in (1, 2) or out.shape[0] != len(chunk):
            raise ValueError(
                f"predict must return shape (n,) or (n, K) for n={len(chunk)} input rows, got {out.shape}"
            )
        parts.append(out.reshape(len(chunk), -1))
    return np.concatenate(parts, axis=0)


def weighted_mean(pred: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """sum_b w_b pred[..., b, :] in a fixed elementwise order, so equal inputs give bitwise equal sums."""
    acc = weights[0] * pred[..., 0, :]
    for b in range(1, len(weights)):
        acc += weights[b] * pred[..., b, :]
    return acc


def coalition_values(
    predict: Predict,
    x: np.ndarray,
    cols: np.ndarray,
    masks: np.ndarray,
    background: np.ndarray,
    weights: np.ndarray,
    max_batch_rows: int,
    n_out: int,
) -> np.ndarray:
    """v_x(S) = sum_b w_b f(x_S, background_b,notS) for one row x and every mask S over ``cols``: (K, c).

    The row's synthetic rows go to ``predict`` on their own, in calls whose sizes depend only on
    the number of masks, background rows and ``max_batch_rows``: the same row gives the same calls,
    hence the same bits, whichever rows are explained with it.
    """
    n_bg, n_feat = background.shape
    out = np.empty((n_out, len(masks)))
    step = max(1, max_batch_rows // n_bg)
    for start in range(0, len(masks), step):
        part = np.zeros((min(step, len(masks) - start), n_feat), dtype=bool)
        part[:, cols] = masks[start : start + step]
        synth = np.where(part[:, None, :], x[None, None, :], background[None, :, :])
        pred = predict_2d(predict, synth.reshape(-1, n_feat), max_batch_rows).reshape(len(part), n_bg, n_out)
        out[:, start : start + len(part)] = weighted_mean(pred, weights).T
    return out


def sensitivity(predict: Predict, background: np.ndarray, weights: np.ndarray, bg_pred: np.ndarray,
                 max_batch_rows: int) -> np.ndarray:
    """(K, M): sum_b w_b |f(b) - f(b with feature j taken from background row b + 1)|, how far the output
    moves with each feature over the background, whatever row is explained. Calls of a fixed make-up
    (whole features, at most ``max_batch_rows`` rows and about 4M values each), so the same background
    gives the same bits."""
    n_bg, n_feat = background.shape
    following = np.roll(background, -1, axis=0)
    step = max(1, min(max_batch_rows // n_bg, 2**22 // (n_bg * n_feat)))
    out = np.empty((bg_pred.shape[1], n_feat))
    for start in range(0, n_feat, step):
        features = np.arange(start, min(start + step, n_feat))
        swapped = np.repeat(background[None], len(features), axis=0)  # (features, n_bg, M)
        swapped[np.arange(len(features)), :, features] = following[:, features].T
        pred = predict_2d(predict, swapped.reshape(-1, n_feat), max_batch_rows).reshape(len(features), n_bg, -1)
        out[:, features] = weighted_mean(np.abs(pred - bg_pred), weights).T  # (features, K) summed over b
    return out
