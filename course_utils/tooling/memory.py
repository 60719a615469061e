"""The peak memory of a notebook's run: its kernel and every process the kernel starts.

The harness runs each notebook's kernel as a child process (lesson 09's kernel starts one more per
backend), so the peak is sampled, not read once: a thread sums the resident memory of this process's
descendants a few times a second and keeps the largest sum.  A peak between two samples can be
missed, so the figure is a lower bound good to the sampling interval (training holds its memory for
seconds, not milliseconds).
"""

from __future__ import annotations

import threading
from types import TracebackType

import psutil

#: Seconds between two samples.
INTERVAL_S = 0.25


def descendants_rss(process: psutil.Process) -> int:
    """Bytes resident in memory of ``process``'s descendants (processes that end while being read count 0)."""
    total = 0
    for child in process.children(recursive=True):
        try:
            total += child.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


class PeakMemory:
    """``with PeakMemory() as peak: ...`` then ``peak.megabytes``: the largest sum of the descendants' memory."""

    def __init__(self, interval_s: float = INTERVAL_S) -> None:
        self.interval_s = interval_s
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="peak-memory", daemon=True)
        self._process = psutil.Process()

    def _sample(self) -> None:
        while True:
            self.peak_bytes = max(self.peak_bytes, descendants_rss(self._process))
            if self._stop.wait(self.interval_s):
                return

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def megabytes(self) -> float:
        """The peak in MB (10**6 bytes), 0 when nothing ran."""
        return self.peak_bytes / 1e6
