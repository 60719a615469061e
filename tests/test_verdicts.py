"""The sentences sections end with: computed from the comparisons, saying what they rest on."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from course_utils import verdicts
from course_utils.uncertainty import Comparison


def _c(difference: float, half: float = 0.02, a: str = "frozen", b: str = "trainable") -> Comparison:
    return Comparison(a, b, 0.8 + difference, 0.8, difference, difference - half, difference + half, 1000, 0, 0)


def test_the_module_example_holds():
    assert doctest.testmod(verdicts).failed == 0


def test_one_run_says_it_is_one_training_run_and_gives_the_interval():
    text = verdicts.one_run(_c(0.002, half=0.011))
    assert text == (
        "frozen 0.802 vs trainable 0.800 on the same 1,000 images: +0.2 points [-0.9, +1.3], within noise (one training run)."
    )


def test_over_seeds_names_the_leader_by_the_mean_and_counts_both_directions():
    text = verdicts.over_seeds([_c(-0.05), _c(-0.03), _c(0.01, half=0.005)])
    assert text == (
        "trainable beat frozen by 2.3 points on average over 3 seeds (from -1.0 to +5.0; beyond noise in 2 of 3, the other way in 1)."
    )
    assert verdicts.over_seeds([_c(0.01)]) == verdicts.one_run(_c(0.01))


def test_over_seeds_refuses_nothing_or_a_mixture_of_comparisons():
    with pytest.raises(ValueError, match="at least one seed"):
        verdicts.over_seeds([])
    with pytest.raises(ValueError, match="same two settings"):
        verdicts.over_seeds([_c(0.1), _c(0.1, b="other")])


def test_points_never_shows_minus_zero():
    from course_utils.verdicts import points

    assert points(-0.0001) == "+0.0" and points(0.0404) == "+4.0" and points(-0.0404) == "-4.0"


def test_hierarchy_names_the_rise_the_peak_and_the_lead():
    from course_utils.verdicts import hierarchy

    n = 400
    rng = np.random.default_rng(0)

    def right(share):
        return rng.random(n) < share

    pretrained = [right(0.6), right(0.8), right(0.95), right(0.85)]
    random = [right(0.6), right(0.5), right(0.5), right(0.5)]
    sentence = hierarchy("flowers", ["a", "b", "c", "d"], pretrained, random)
    assert "peaks at c" in sentence and "beyond noise at 3 of 4 depths" in sentence
    assert "one training run" in sentence
    at_top = hierarchy("cats", ["a", "b"], [right(0.6), right(0.97)], [right(0.6), right(0.5)])
    assert "peaks at the last tap, b" in at_top and "beyond noise)" in at_top
    with pytest.raises(ValueError, match="one tap name"):
        hierarchy("x", ["a"], [right(0.5)], [right(0.5)])
