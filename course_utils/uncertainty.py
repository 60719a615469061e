"""How sure is a measured accuracy, and is one model really ahead of another?

An accuracy measured on ``n`` images is an estimate; :func:`accuracy_interval` gives its 95%
Wilson interval.  Two models scored on the *same* images are compared pairwise by
:func:`compare`: only the images where exactly one of them is right (the discordant pairs)
carry information about which is better.  The interval of the difference comes from the exact
(Clopper-Pearson) interval of the share of discordant images won by the first model — the
interval behind the exact McNemar test — so "A ahead beyond noise" means that test rejects a tie
at the 5% level.  No randomness, no SciPy: the binomial tails are summed in log space.
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


def _log_binomial_pmf(k: int, n: int, p: float) -> float:
    if p <= 0.0:
        return 0.0 if k == 0 else -math.inf
    if p >= 1.0:
        return 0.0 if k == n else -math.inf
    log_choose = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
    return log_choose + k * math.log(p) + (n - k) * math.log1p(-p)


def binomial_tail_at_least(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    terms = [_log_binomial_pmf(i, n, p) for i in range(k, n + 1)]
    top = max(terms)
    if top == -math.inf:
        return 0.0
    return min(1.0, math.exp(top) * sum(math.exp(t - top) for t in terms))


def clopper_pearson(successes: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """The exact (Clopper-Pearson) interval of a binomial proportion, by bisection."""
    if n <= 0:
        raise ValueError("an interval needs at least one trial (n >= 1)")

    def solve(tail, target: float) -> float:  # tail(p) increases with p
        lo, hi = 0.0, 1.0
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if tail(mid) < target else (lo, mid)
        return (lo + hi) / 2

    # lower: P(X >= successes | p) = alpha/2; upper: P(X <= successes | p) = alpha/2, i.e. P(X > successes) = 1 - alpha/2
    lower = 0.0 if successes == 0 else solve(lambda p: binomial_tail_at_least(successes, n, p), alpha / 2)
    upper = 1.0 if successes == n else solve(lambda p: binomial_tail_at_least(successes + 1, n, p), 1 - alpha / 2)
    return lower, upper


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
        if self.low > 0:
            return f"{self.name_a} ahead beyond noise"
        if self.high < 0:
            return f"{self.name_b} ahead beyond noise"
        return WITHIN_NOISE

    @property
    def a_ahead(self) -> bool:
        return self.low > 0

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

    The difference of accuracies is ``(a_only - b_only) / n``.  Given the ``d = a_only + b_only``
    discordant images, ``a_only`` is Binomial(d, p) and the difference is ``d / n * (2p - 1)``; its
    95% interval maps the exact interval of ``p`` through that line.  It excludes zero exactly when
    the exact McNemar test rejects "no difference" at the 5% level.
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
    discordant = a_only + b_only
    if discordant == 0:
        low = high = 0.0
    else:
        p_low, p_high = clopper_pearson(a_only, discordant)
        low, high = discordant / n * (2 * p_low - 1), discordant / n * (2 * p_high - 1)
    return Comparison(
        name_a, name_b, float(a.mean()), float(b.mean()), (a_only - b_only) / n, low, high, n, a_only, b_only
    )
