"""Reading a learner's answers: a fraction, one True/False per image."""

from __future__ import annotations

from typing import Any

import numpy as np


def _fraction(value: Any) -> float | None:
    """``value`` as a float in [0, 1], or None when it is not a number there."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        return None
    value = float(value)
    return value if 0.0 <= value <= 1.0 else None


def _correct_flags(values: Any, n: int) -> np.ndarray | None:
    """``values`` as one True/False per image for ``n`` images, or None when it is not that."""
    flags = np.asarray(values)
    if flags.shape != (n,) or not (flags.dtype == bool or np.isin(flags, (0, 1)).all()):
        return None
    return flags.astype(bool)
