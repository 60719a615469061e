"""One file lock per shared thing the course writes (a Keras cache, a dataset folder, a TFDS dataset).

Two notebook kernels (or a kernel and ``python -m course_utils assets install``) may work on the
same cache at the same moment.  Each writer takes the lock next to what it writes, so the second
one waits, then finds the work done.  The locks come from the ``filelock`` library (advisory
``fcntl``/``msvcrt`` locks, released by the operating system when a process dies, so a killed
kernel never leaves a lock behind).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

#: How long to wait silently before saying that another process holds the lock.
QUIET_WAIT_S = 1.0


def lock_path(target: Path) -> Path:
    """The lock file that guards ``target``: a hidden sibling, ``.NAME.lock``."""
    return target.parent / f".{target.name.lstrip('.')}.lock"


@contextlib.contextmanager
def holding(target: Path, what: str) -> Iterator[None]:
    """Hold ``target``'s lock while the block runs; wait for it, saying so once after a second.

    ``what`` describes the work for the waiting message ("extracting cats_and_dogs_filtered.zip").
    """
    path = lock_path(Path(target))
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=QUIET_WAIT_S)
    except Timeout:
        print(f"Another process is {what}; waiting for it to finish ({path}).", file=sys.stderr, flush=True)
        lock.acquire()
    try:
        yield
    finally:
        lock.release()
