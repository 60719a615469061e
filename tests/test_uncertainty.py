"""Intervals and paired comparisons against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_utils.uncertainty import (
    WITHIN_NOISE,
    accuracy_interval,
    binomial_tail_at_least,
    clopper_pearson,
    compare,
    wilson_interval,
)


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


def test_binomial_tail_by_hand():
    assert binomial_tail_at_least(6, 7, 0.5) == pytest.approx(8 / 128)
    assert binomial_tail_at_least(0, 7, 0.3) == 1.0
    assert binomial_tail_at_least(8, 7, 0.3) == 0.0


def test_clopper_pearson_known_values():
    # 0 of 10: upper bound solves (1 - p)^10 = 0.025; 10 of 10 mirrors it.
    assert clopper_pearson(0, 10) == pytest.approx((0.0, 1 - 0.025**0.1), abs=1e-6)
    assert clopper_pearson(10, 10) == pytest.approx((0.025**0.1, 1.0), abs=1e-6)
    assert clopper_pearson(5, 10) == pytest.approx((0.1871, 0.8129), abs=1e-4)


def test_accuracy_interval_from_flags():
    acc = accuracy_interval([True] * 8 + [False] * 2)
    assert (acc.value, acc.n) == (0.8, 10)
    assert (acc.low, acc.high) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    assert str(acc) == "0.800 [0.490, 0.943] on 10 images"


def flags(a_only: int, b_only: int, both: int, neither: int) -> tuple[np.ndarray, np.ndarray]:
    a = [True] * a_only + [False] * b_only + [True] * both + [False] * neither
    b = [False] * a_only + [True] * b_only + [True] * both + [False] * neither
    return np.array(a), np.array(b)


def test_compare_ten_discordant_all_won_by_a():
    # p in [0.025^(1/10), 1] = [0.6915, 1]; difference = 10/100 * (2p - 1) in [0.0383, 0.1]
    result = compare(*flags(10, 0, 80, 10), name_a="fine-tuned", name_b="head only")
    assert result.difference == pytest.approx(0.1)
    assert (result.low, result.high) == pytest.approx((0.1 * (2 * 0.025**0.1 - 1), 0.1), abs=1e-6)
    assert result.verdict == "fine-tuned ahead beyond noise" and result.a_ahead
    assert (result.a_only, result.b_only, result.n) == (10, 0, 100)


def test_compare_agrees_with_the_exact_mcnemar_test():
    # 7 vs 0 discordant: two-sided exact p = 2 / 2^7 = 0.016 -> beyond noise.
    assert compare(*flags(7, 0, 50, 0)).low > 0
    # 6 vs 1: p = 2 * 8 / 128 = 0.125 -> within noise, although A is 5 images ahead.
    six_one = compare(*flags(6, 1, 50, 0))
    assert six_one.verdict == WITHIN_NOISE and six_one.low < 0 < six_one.high
    # and symmetric: B ahead when the discordant pairs go the other way
    assert compare(*flags(0, 9, 50, 0), name_b="B").verdict == "B ahead beyond noise"


def test_compare_identical_predictions_is_within_noise():
    a = np.array([True, False, True])
    result = compare(a, a)
    assert (result.difference, result.low, result.high) == (0.0, 0.0, 0.0)
    assert result.verdict == WITHIN_NOISE


def test_compare_rejects_unpaired_or_score_inputs():
    with pytest.raises(ValueError, match="same images"):
        compare([True, False], [True])
    with pytest.raises(ValueError, match="predictions == labels"):
        compare(np.zeros((3, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="True/False"):
        compare([0.2, 0.9], [1, 0])


def test_interval_is_accurate_on_a_large_sample():
    # 300 vs 200 discordant of 5,000: normal approximation of the difference's interval
    result = compare(*flags(300, 200, 4000, 500))
    d, n = 500, 5000
    half = 1.96 * math.sqrt(d) / n  # sd of (a_only - b_only) / n near p = 0.6 is about sqrt(d * 4pq)/n
    assert result.difference == pytest.approx(0.02)
    assert result.low == pytest.approx(0.02 - half * math.sqrt(4 * 0.6 * 0.4), abs=0.002)
    assert result.verdict == "A ahead beyond noise"
    assert "images only A gets right" in str(result)
