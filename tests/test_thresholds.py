"""Threshold checks: parsing, evaluation, and the real thresholds file."""

from __future__ import annotations

import pytest

from course_utils.tooling.paths import THRESHOLDS_FILE, course_notebooks, notebook_key
from course_utils.tooling.thresholds import Check, ThresholdError, Thresholds


def test_lower_bound_and_relation():
    metrics = {"fixed": 0.9, "broken": 0.8, "acc": 0.95}
    assert Check("acc >= 0.9").evaluate(metrics)[0]
    assert Check("fixed > broken + 0.05").evaluate(metrics)[0]
    passed, why = Check("fixed > broken + 0.2", measured="0.93 vs 0.6").evaluate(metrics)
    assert not passed and "fixed = 0.9" in why and "0.93 vs 0.6" in why


def test_a_metric_that_was_not_recorded_fails():
    passed, why = Check("acc >= 0.5").evaluate({})
    assert not passed and "recorded no acc" in why


@pytest.mark.parametrize("expr", ["acc", "acc == 1", "0 < acc < 1", "__import__('os')", "acc >= 'x'"])
def test_malformed_checks_are_rejected(expr):
    with pytest.raises(ThresholdError):
        Check(expr).names()


def test_the_thresholds_file_parses_and_covers_every_notebook():
    thresholds = Thresholds.load(THRESHOLDS_FILE)
    for notebook in course_notebooks():
        key = notebook_key(notebook)
        limits = thresholds.for_notebook(key, "ci")
        assert limits is not None, f"{key} has no ci section in {THRESHOLDS_FILE}"
        for check in limits.checks:
            assert check.measured, f"{key}: '{check.expr}' must say what was measured when it was set"


def test_the_ci_harness_fits_its_measured_budget():
    """The measured ci times of every run, the live negative control's included, add up to at most 24 minutes.

    They were measured on the slower of the CI machines seen, or estimated for it (1.8x this machine);
    they are conservative: when they added up to 18.9 min, the harness took 16.7 min there, and the
    whole fresh-clone CI 21.6 min. At 24 measured minutes the harness takes about 21 there, and with
    the install, the unit tests and the exercises (about 5-6 min, exercise 08 now trains) the whole CI
    stays near 27 minutes on the slow machine, under the 30 it must stay below. (22.5 until issue 13
    added the capstone's deployment section, exercise 08's training and lesson 01's restart check.)"""
    from test_notebooks import NEGATIVE_CONTROL

    thresholds = Thresholds.load(THRESHOLDS_FILE)
    runs = course_notebooks() + [NEGATIVE_CONTROL]
    measured = sum(thresholds.for_notebook(notebook_key(nb), "ci").measured_s for nb in runs)
    assert measured <= 24 * 60, f"the measured ci times add up to {measured / 60:.1f} min"


def test_budgets_leave_room_for_a_machine_half_as_fast_and_stop_only_hung_cells():
    limits = Thresholds({"notebooks/x": {"ci": {"measured_s": 100}}}).for_notebook("notebooks/x", "ci")
    assert limits.budget_s == 200 and limits.cell_limit_s == 1000
    assert Thresholds({"n": {"ci": {}}}).for_notebook("n", "ci").measured_s > 0
