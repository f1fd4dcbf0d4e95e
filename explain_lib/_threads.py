"""How many cores this process may run on, and how many threads its own thread pools should use."""

from __future__ import annotations

import os

__all__ = ["cores", "thread_budget"]


def cores() -> int:
    """The cores this process may run on (its CPU affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def thread_budget() -> int:
    """Threads for a pool of our own: ``OMP_NUM_THREADS`` when set (the chunked engine sets it to each
    worker's share of the cores, for the native libraries too), else ``cores()``."""
    try:
        return max(1, int(os.environ["OMP_NUM_THREADS"]))
    except (KeyError, ValueError):
        return cores()
