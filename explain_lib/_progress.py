"""What the user sees while long work runs: ``explain-lib: ...`` status lines and tqdm bars, on stderr.

Both go to stderr so stdout stays for results. Bars follow tqdm's ``disable=None`` rule by default:
shown only when stderr is a terminal, so logs and captured subprocess output carry no bar.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator

from tqdm import tqdm

__all__ = ["ARTIFACT_BARS_ENV", "progress_bar", "quiet_artifact_transfers", "quiet_logger", "status"]

ARTIFACT_BARS_ENV = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"


def status(message: str) -> None:
    """Print ``explain-lib: message`` on stderr, flushed at once (a parent process may be streaming it)."""
    print(f"explain-lib: {message}", file=sys.stderr, flush=True)


def progress_bar(total: int, description: str, *, unit: str, show: bool | None = None) -> tqdm:
    """A tqdm bar on stderr counting ``total`` ``unit``\\ s; use it as a context manager and ``update(n)``.

    Parameters
    ----------
    total : int
        The count the bar reaches when the work is done.
    description : str
        Printed before the bar, e.g. the explainer's name.
    unit : str
        What is counted, e.g. ``"row"`` or ``"feature"``.
    show : bool or None, default None
        True always shows the bar, False never; None shows it only when stderr is a terminal.
    """
    return tqdm(total=total, desc=description, unit=unit, file=sys.stderr, disable=None if show is None else not show,
                dynamic_ncols=True)


@contextlib.contextmanager
def quiet_artifact_transfers() -> Iterator[None]:
    """No MLflow "Downloading artifacts" bars inside the block (unless MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR is set).

    Our downloads are a step's inputs, not what the user waits for; their bars would flood a job's
    captured stderr (one bar per file, redrawn per chunk).
    """
    if ARTIFACT_BARS_ENV in os.environ:
        yield
        return
    os.environ[ARTIFACT_BARS_ENV] = "false"
    try:
        yield
    finally:
        os.environ.pop(ARTIFACT_BARS_ENV, None)


@contextlib.contextmanager
def quiet_logger(name: str, level: int = logging.ERROR) -> Iterator[None]:
    """Only records of ``level`` and above from the logger ``name`` inside the block.

    For a third-party warning about a choice we made deliberately and say so ourselves (MLflow's
    note on every cloudpickled model), not for warnings about the user's data.
    """
    logger = logging.getLogger(name)
    previous = logger.level
    logger.setLevel(max(level, logger.getEffectiveLevel()))
    try:
        yield
    finally:
        logger.setLevel(previous)
