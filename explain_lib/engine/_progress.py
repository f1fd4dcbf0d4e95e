"""Progress of a chunked job: one tqdm bar (rows/s, ETA) on a terminal; a status line now and then otherwise.

Remote jobs write stderr to a log file, where a bar's carriage returns make one unreadable line:
there the job prints ``explain-lib: explained 120000/1000000 rows (12%), 850 rows/s, ETA 17m 15s``
every ``interval`` seconds, and once at the end.
"""

from __future__ import annotations

import sys
import time

from .._progress import progress_bar, status


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {seconds:02d}s" if minutes else f"{seconds}s"


class RowProgress:
    """Counts explained rows; ``show`` True / False forces the bar on / everything off, None picks by terminal."""

    def __init__(self, total: int, done: int, description: str, *, show: bool | None, interval: float):
        self.total, self.done, self.interval = total, done, interval
        self.started = time.monotonic()
        self.first_done = done
        self.last_line = self.started
        self.lines = show is None and not sys.stderr.isatty()
        self.bar = None if self.lines or show is False else progress_bar(total, description, unit="row", show=True)
        if self.bar is not None:
            self.bar.update(done)
        if self.lines and done:
            status(f"resuming: {done}/{total} rows already explained")

    def update(self, rows: int) -> None:
        self.done += rows
        if self.bar is not None:
            self.bar.update(rows)
        elif self.lines and time.monotonic() - self.last_line >= self.interval:
            self._line()

    def _line(self) -> None:
        self.last_line = now = time.monotonic()
        rate = (self.done - self.first_done) / max(now - self.started, 1e-9)
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        eta = _clock(left) if left == left else "unknown"
        percent = 100 * self.done / self.total if self.total else 100
        status(f"explained {self.done}/{self.total} rows ({percent:.0f}%), {rate:.0f} rows/s, ETA {eta}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.lines:
            self._line()
