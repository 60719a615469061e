"""Intervals and paired comparisons against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_utils.uncertainty import WITHIN_NOISE, accuracy_interval, compare, wilson_interval


def test_wilson_interval_of_8_out_of_10():
    # centre (0.8 + z²/20) / (1 + z²/10) = 0.7167, half-width 0.2266 (z = 1.96)
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4)
    assert high == pytest.approx(0.9433, abs=1e-4)


def test_wilson_interval_stays_inside_0_1_and_rejects_nonsense():
    assert wilson_interval(0, 5)[0] == 0.0
    assert wilson_interval(5, 5)[1] == 1.0
    with pytest.raises(ValueError, match="at least one"):
        wilson_interval(0, 0)
    with pytest.raises(ValueError, match="0..n"):
        wilson_interval(6, 5)


def test_accuracy_interval_from_flags():
    acc = accuracy_interval([True] * 8 + [False] * 2)
    assert (acc.value, acc.n) == (0.8, 10)
    assert (acc.low, acc.high) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    assert str(acc) == "0.800 [0.490, 0.943] on 10 images"


def flags(a_only: int, b_only: int, both: int, neither: int) -> tuple[np.ndarray, np.ndarray]:
    a = [True] * a_only + [False] * b_only + [True] * both + [False] * neither
    b = [False] * a_only + [True] * b_only + [True] * both + [False] * neither
    return np.array(a), np.array(b)


def agresti_min(a_only: int, b_only: int, n: int) -> tuple[float, float]:
    """The interval written out by hand: half an image added to each cell, then Wald."""
    p_a, p_b = (a_only + 0.5) / (n + 2), (b_only + 0.5) / (n + 2)
    half = 1.959964 * math.sqrt((p_a + p_b - (p_a - p_b) ** 2) / (n + 2))
    return p_a - p_b - half, p_a - p_b + half


def test_compare_ten_discordant_all_won_by_a():
    # p_a = 10.5/102 = 0.10294, p_b = 0.5/102 = 0.00490; se = sqrt((0.10784 - 0.00961)/102) = 0.03103
    result = compare(*flags(10, 0, 80, 10), name_a="fine-tuned", name_b="head only")
    assert result.difference == pytest.approx(0.1)
    assert (result.low, result.high) == pytest.approx((0.03722, 0.15886), abs=1e-4)
    assert result.verdict == "fine-tuned ahead beyond noise" and result.a_ahead and not result.b_ahead
    assert (result.a_only, result.b_only, result.n) == (10, 0, 100)


def test_compare_few_discordant_images():
    # 7 against 0 of 57 images: beyond noise (the exact McNemar test agrees: p = 2 / 2^7 = 0.016) ...
    seven = compare(*flags(7, 0, 50, 0))
    assert seven.low == pytest.approx(agresti_min(7, 0, 57)[0]) and seven.low > 0
    # ... 6 against 1: within noise (McNemar: p = 0.125), although A is 5 images ahead.
    six_one = compare(*flags(6, 1, 50, 0))
    assert six_one.verdict == WITHIN_NOISE and six_one.low < 0 < six_one.high
    # and symmetric: B ahead when the discordant pairs go the other way
    nine = compare(*flags(0, 9, 50, 0), name_b="B")
    assert nine.verdict == "B ahead beyond noise" and nine.b_ahead


def test_a_large_gap_keeps_its_uncertainty():
    # 400 against 0 of 2,000: the size of the gap is uncertain by about +-1.75 points, not +-0.
    result = compare(*flags(400, 0, 1000, 600))
    assert result.high - result.low == pytest.approx(2 * 1.959964 * math.sqrt((0.20030 - 0.19980**2) / 2002), abs=1e-4)
    assert 0.015 < (result.high - result.low) / 2 < 0.02


def test_compare_identical_predictions_is_within_noise():
    a = np.array([True, False, True])
    result = compare(a, a)
    assert result.difference == 0.0
    assert (result.low, result.high) == pytest.approx((-1.959964 / 5, 1.959964 / 5))
    assert result.verdict == WITHIN_NOISE


def test_compare_rejects_unpaired_or_score_inputs():
    with pytest.raises(ValueError, match="same images"):
        compare([True, False], [True])
    with pytest.raises(ValueError, match="predictions == labels"):
        compare(np.zeros((3, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="True/False"):
        compare([0.2, 0.9], [1, 0])


def test_interval_on_a_large_sample():
    # 300 vs 200 discordant of 5,000: p_a = 0.06008, p_b = 0.04008, se = 0.004466
    result = compare(*flags(300, 200, 4000, 500))
    assert result.difference == pytest.approx(0.02)
    assert (result.low, result.high) == pytest.approx((0.01124, 0.02875), abs=1e-4)
    assert result.verdict == "A ahead beyond noise"
    assert "images only A gets right" in str(result)
