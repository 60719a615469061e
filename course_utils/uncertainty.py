"""How sure is a measured accuracy, and is one model really ahead of another?

An accuracy measured on ``n`` images is an estimate; :func:`accuracy_interval` gives its 95%
Wilson interval.  Two models scored on the *same* images are compared pairwise by
:func:`compare`: the images where exactly one of them is right (the discordant pairs) decide the
difference, and the images both get right or both get wrong only set the scale.  The 95% interval
of the difference is Agresti and Min's (2005): a Wald interval for paired proportions after adding
half an image to each of the four cells (both right, only A, only B, neither), which keeps close to
95% coverage even with a handful of discordant images.  "A ahead beyond noise" means that interval
lies above zero.  No randomness, no SciPy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: The verdict when the interval of the difference contains zero.
WITHIN_NOISE = "within noise"

_Z95 = 1.959963984540054  # two-sided 95% quantile of the standard normal


def _as_correct(correct: Sequence[bool] | np.ndarray, name: str) -> np.ndarray:
    flags = np.asarray(correct)
    if flags.ndim != 1:
        raise ValueError(
            f"{name} must be one True/False per image (shape (n,)), got shape {flags.shape}: "
            "pass predictions == labels, not scores."
        )
    if flags.dtype != bool and not np.isin(flags, (0, 1)).all():
        raise ValueError(f"{name} must hold True/False (or 0/1) per image: pass predictions == labels.")
    return flags.astype(bool)


def wilson_interval(successes: int, n: int, z: float = _Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``successes / n`` (95% by default)."""
    if n <= 0:
        raise ValueError("an interval needs at least one image (n >= 1)")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must lie in 0..n, got {successes} of {n}")
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Accuracy:
    """An accuracy on ``n`` images with its 95% Wilson interval."""

    value: float
    low: float
    high: float
    n: int

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}] on {self.n:,} images"


def accuracy_interval(correct: Sequence[bool] | np.ndarray) -> Accuracy:
    """Accuracy of one True/False per image (``predictions == labels``), with its 95% interval."""
    flags = _as_correct(correct, "correct")
    low, high = wilson_interval(int(flags.sum()), len(flags))
    return Accuracy(float(flags.mean()), low, high, len(flags))


@dataclass(frozen=True)
class Comparison:
    """Two models scored on the same images: ``difference`` is accuracy of A minus that of B."""

    name_a: str
    name_b: str
    accuracy_a: float
    accuracy_b: float
    difference: float
    low: float  # 95% interval of the difference
    high: float
    n: int  # images scored by both
    a_only: int  # images A gets right and B wrong
    b_only: int  # images B gets right and A wrong

    @property
    def verdict(self) -> str:
        """``"<A> ahead beyond noise"``, ``"<B> ahead beyond noise"`` or ``"within noise"``."""
        if self.a_ahead:
            return f"{self.name_a} ahead beyond noise"
        if self.b_ahead:
            return f"{self.name_b} ahead beyond noise"
        return WITHIN_NOISE

    @property
    def a_ahead(self) -> bool:
        """A is ahead beyond noise: the whole interval of the difference lies above zero."""
        return self.low > 0

    @property
    def b_ahead(self) -> bool:
        """B is ahead beyond noise: the whole interval of the difference lies below zero."""
        return self.high < 0

    def __str__(self) -> str:
        return (
            f"{self.name_a} {self.accuracy_a:.3f} vs {self.name_b} {self.accuracy_b:.3f} on the same {self.n:,} "
            f"images: {100 * self.difference:+.1f} points [{100 * self.low:+.1f}, {100 * self.high:+.1f}] "
            f"({self.a_only} images only {self.name_a} gets right, {self.b_only} only {self.name_b}) "
            f"-> {self.verdict}"
        )


def compare(
    correct_a: Sequence[bool] | np.ndarray,
    correct_b: Sequence[bool] | np.ndarray,
    name_a: str = "A",
    name_b: str = "B",
) -> Comparison:
    """Compare two models on the same images, given one True/False per image for each.

    The difference of accuracies is ``(a_only - b_only) / n``.  Its 95% interval is Agresti and
    Min's: with half an image added to each cell, ``p_a = (a_only + 1/2) / (n + 2)`` and
    ``p_b = (b_only + 1/2) / (n + 2)``, the interval is
    ``p_a - p_b ± z * sqrt((p_a + p_b - (p_a - p_b)^2) / (n + 2))``, clipped to [-1, 1].
    """
    a, b = _as_correct(correct_a, "correct_a"), _as_correct(correct_b, "correct_b")
    if a.shape != b.shape:
        raise ValueError(
            f"the two models were scored on different numbers of images ({len(a)} vs {len(b)}): "
            "a paired comparison needs both models' results on the same images, in the same order."
        )
    if len(a) == 0:
        raise ValueError("no images to compare")
    n = len(a)
    a_only, b_only = int((a & ~b).sum()), int((b & ~a).sum())
    p_a, p_b = (a_only + 0.5) / (n + 2), (b_only + 0.5) / (n + 2)
    half = _Z95 * math.sqrt((p_a + p_b - (p_a - p_b) ** 2) / (n + 2))
    low, high = max(-1.0, p_a - p_b - half), min(1.0, p_a - p_b + half)
    return Comparison(
        name_a, name_b, float(a.mean()), float(b.mean()), (a_only - b_only) / n, low, high, n, a_only, b_only
    )
