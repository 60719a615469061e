"""The harness's peak-memory sampler sees a child process's memory, and the report shows it."""

from __future__ import annotations

import subprocess
import sys

from course_utils.tooling.memory import PeakMemory, descendants_rss

# A child that holds about 200 MB for a second, then exits.
_HOLD = "import time; block = bytearray(200_000_000); block[::4096] = b'x' * len(block[::4096]); time.sleep(1.0)"


def test_the_peak_counts_a_child_process_while_it_holds_its_memory():
    with PeakMemory(interval_s=0.05) as peak:
        subprocess.run([sys.executable, "-c", _HOLD], check=True)
    assert peak.megabytes >= 190, peak.megabytes
    assert descendants_rss(__import__("psutil").Process()) < 190e6  # the child is gone: the peak was sampled


def test_nothing_started_means_no_peak():
    with PeakMemory(interval_s=0.05) as peak:
        pass
    assert peak.megabytes < 190
