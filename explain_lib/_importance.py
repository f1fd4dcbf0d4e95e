"""Mean |local value| per output, summed in a fixed order so any split of the rows gives the same bits.

Floating-point addition is not associative: summing the rows of one matrix in a different grouping
changes the last bits. Importances must not depend on how the rows were split (one call, chunks on
many processes, Spark partitions), so every path sums the same way::

    block k        = rows [k * BLOCK_ROWS, (k + 1) * BLOCK_ROWS)   (fixed by the row's position)
    block_sum[k]   = block_abs_sum(local[:, block k])              (one numpy reduction, fixed layout)
    total          = block_sum[0] + block_sum[1] + ...             (left to right)
    per_output     = total / n_rows;  global = per_output.mean(axis=0)

A chunk that covers whole blocks reports their sums; rows of a block split between chunks are
kept until the block is complete (:class:`BlockAccumulator`), then summed like any other block.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = ["BLOCK_ROWS", "BlockAccumulator", "aggregate", "block_abs_sum", "importances_from_block_sums"]

BLOCK_ROWS = 4096


def block_abs_sum(block: np.ndarray) -> np.ndarray:
    """Sum of |values| over the rows of one block (n_outputs, rows, n_features) -> (n_outputs, n_features).

    The block is copied into one contiguous (rows, n_outputs * n_features) float64 layout first, so the
    reduction order depends only on the values and the row count, never on where the block came from.
    """
    n_outputs, n_rows, n_features = block.shape
    rows = np.ascontiguousarray(np.abs(np.asarray(block, dtype=np.float64)).transpose(1, 0, 2))
    return np.add.reduce(rows.reshape(n_rows, n_outputs * n_features), axis=0).reshape(n_outputs, n_features)


def importances_from_block_sums(block_sums: Iterable[np.ndarray], n_rows: int,
                                shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(per_output, global) from the block sums in block order."""
    total = np.zeros(shape, dtype=np.float64)
    for block_sum in block_sums:
        total += block_sum
    per_output = total / n_rows if n_rows else total
    return per_output, per_output.mean(axis=0)


def aggregate(local: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-output and global importance of a (n_outputs, n_rows, n_features) matrix, block by block.

    Works on a memory-mapped matrix without loading it whole: one block of rows at a time.
    """
    n_outputs, n_rows, n_features = local.shape
    sums = (block_abs_sum(local[:, start:start + BLOCK_ROWS]) for start in range(0, n_rows, BLOCK_ROWS))
    return importances_from_block_sums(sums, n_rows, (n_outputs, n_features))


class BlockAccumulator:
    """Collects the rows of a matrix of ``n_rows`` rows arriving in chunks, in any order.

    ``add(start, local)`` takes the chunk of rows [start, start + local.shape[1]); whole blocks are
    summed at once, partial ones wait for their other rows. ``result()`` gives (per_output, global)
    bit-identical to :func:`aggregate` on the assembled matrix.
    """

    def __init__(self, n_rows: int, n_outputs: int, n_features: int):
        self.n_rows, self.shape = n_rows, (n_outputs, n_features)
        self.sums: dict[int, np.ndarray] = {}
        self.pieces: dict[int, dict[int, np.ndarray]] = {}

    def _block_rows(self, block: int) -> int:
        return min(self.n_rows, (block + 1) * BLOCK_ROWS) - block * BLOCK_ROWS

    def add(self, start: int, local: np.ndarray) -> None:
        stop = start + local.shape[1]
        for block in range(start // BLOCK_ROWS, -(-stop // BLOCK_ROWS)):
            low, high = max(start, block * BLOCK_ROWS), min(stop, (block + 1) * BLOCK_ROWS)
            rows = local[:, low - start:high - start]
            if high - low == self._block_rows(block):
                self.sums[block] = block_abs_sum(rows)
                continue
            pieces = self.pieces.setdefault(block, {})
            pieces[low] = np.array(rows, dtype=np.float64)
            if sum(p.shape[1] for p in pieces.values()) == self._block_rows(block):
                whole = np.concatenate([pieces[key] for key in sorted(pieces)], axis=1)
                self.sums[block] = block_abs_sum(whole)
                del self.pieces[block]

    def add_summary(self, summary: dict[str, np.ndarray]) -> None:
        """Merge what :func:`chunk_summary` computed for one chunk (possibly in another process)."""
        for block, block_sum in zip(summary["blocks"].tolist(), summary["sums"], strict=True):
            self.sums[int(block)] = block_sum
        for key in ("head", "tail"):
            if summary[key].shape[1]:
                self.add(int(summary[f"{key}_start"]), summary[key])

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        n_blocks = -(-self.n_rows // BLOCK_ROWS)
        missing = [b for b in range(n_blocks) if b not in self.sums]
        if missing:
            raise RuntimeError(f"Rows of blocks {missing[:5]} never arrived; the matrix is incomplete.")
        return importances_from_block_sums((self.sums[b] for b in range(n_blocks)), self.n_rows, self.shape)


def chunk_summary(start: int, local: np.ndarray, n_rows: int) -> dict[str, np.ndarray]:
    """What one chunk contributes: sums of its whole blocks, and its rows of blocks shared with neighbours.

    Small (a few blocks of rows at most), so it can travel between processes and be saved beside
    the chunk's values for resuming.
    """
    stop = start + local.shape[1]
    first, last = start // BLOCK_ROWS, -(-stop // BLOCK_ROWS)
    blocks, sums = [], []
    head_end, tail_start = start, stop
    for block in range(first, last):
        low, high = max(start, block * BLOCK_ROWS), min(stop, (block + 1) * BLOCK_ROWS)
        if high - low == min(n_rows, (block + 1) * BLOCK_ROWS) - block * BLOCK_ROWS:
            blocks.append(block)
            sums.append(block_abs_sum(local[:, low - start:high - start]))
        elif low == start:
            head_end = high
        else:
            tail_start = low
    if head_end == stop:  # the chunk lies inside one block: all of it is the head
        tail_start = stop
    empty = local[:, :0]
    return {
        "blocks": np.asarray(blocks, dtype=np.int64),
        "sums": np.asarray(sums, dtype=np.float64).reshape(len(sums), local.shape[0], local.shape[2]),
        "head_start": np.int64(start), "head": np.array(local[:, :head_end - start]) if head_end > start else empty,
        "tail_start": np.int64(tail_start),
        "tail": np.array(local[:, tail_start - start:]) if tail_start < stop else empty,
    }
