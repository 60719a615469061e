"""A trained model someone can use: a photo written as a file, sizes on disk, single-image latency.

- :func:`write_photo`: an image array as a JPEG file, as a user's photo would arrive;
- :func:`size_on_disk`: bytes of a file, or of every file under a folder (a SavedModel);
- :func:`megabytes`: those bytes as text;
- :func:`median_latency`: the median time of a call, after warm-up calls;
- :func:`quiet_tensorflow`: TensorFlow's INFO lines (``Assets written to ...``) silenced in a block.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["write_photo", "size_on_disk", "megabytes", "median_latency", "quiet_tensorflow"]


def write_photo(image: Any, path: str | Path, quality: int = 95) -> Path:
    """Write ``image`` (``(H, W, 3)``, pixels in [0, 255]) as a JPEG file at ``path``; returns the path."""
    import tensorflow as tf

    image = np.asarray(image)
    if image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(f"write_photo takes one RGB image (H, W, 3), got shape {image.shape}: pass images[i].")
    if image.size and float(image.max()) <= 1.0:
        raise ValueError(
            "write_photo takes pixels in [0, 255], but every pixel of this image is at most 1: multiply by 255 first."
        )
    path = Path(path)
    if path.suffix.lower() not in (".jpg", ".jpeg"):
        raise ValueError(f"{path.name}: write_photo writes JPEG files; name it something.jpg.")
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.clip(np.rint(image.astype("float32")), 0, 255).astype("uint8")
    path.write_bytes(tf.io.encode_jpeg(pixels, quality=quality).numpy())
    return path


def size_on_disk(path: str | Path) -> int:
    """Bytes of the file at ``path``, or of all files under the folder at ``path``."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    if path.is_dir():
        return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())
    raise FileNotFoundError(f"{path} does not exist: save or export the model first.")


def megabytes(size: int) -> str:
    """``size`` bytes as ``"12.3 MB"`` (10**6 bytes)."""
    return f"{size / 1e6:.1f} MB"


def median_latency(call: Callable[[], Any], repeats: int = 20, warmup: int = 3) -> float:
    """Median seconds of ``call()`` over ``repeats`` calls, after ``warmup`` untimed calls (the first
    calls trace graphs and allocate memory, so they are slower than the ones a service makes)."""
    if repeats < 1 or warmup < 0:
        raise ValueError(f"repeats must be >= 1 and warmup >= 0, got {repeats} and {warmup}.")
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@contextmanager
def quiet_tensorflow() -> Iterator[None]:
    """Inside the block, TensorFlow's Python logger shows errors only (writing a SavedModel logs an
    INFO line per folder); its level is restored afterwards."""
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
