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


def test_ci_budget_fits_twenty_six_minutes():
    """Every notebook's time cap plus the negative control's add up to at most 26 minutes.

    A notebook over its cap fails its test (papermill also stops any single cell that runs longer).
    """
    from test_notebooks import NEGATIVE_CONTROL

    thresholds = Thresholds.load(THRESHOLDS_FILE)
    runs = course_notebooks() + [NEGATIVE_CONTROL]
    budget = sum(thresholds.for_notebook(notebook_key(nb), "ci").timeout_s for nb in runs)
    assert budget <= 26 * 60, f"the ci caps add up to {budget / 60:.1f} min"


def test_a_section_may_set_notebook_parameters_for_its_profile():
    thresholds = Thresholds({"notebooks/x": {"ci": {"timeout_s": 10, "parameters": {"EPOCHS": 3}}}})
    assert dict(thresholds.for_notebook("notebooks/x", "ci").parameters) == {"EPOCHS": 3}
    assert dict(Thresholds({"n": {"ci": {}}}).for_notebook("n", "ci").parameters) == {}
    with pytest.raises(ThresholdError, match="UPPER_CASE"):
        Thresholds({"notebooks/x": {"ci": {"parameters": {"epochs": 3}}}})
    with pytest.raises(ThresholdError, match="unknown key"):
        Thresholds({"notebooks/x": {"ci": {"timeout": 3}}})
