"""Threshold checks: parsing, evaluation, and the real thresholds file."""

from __future__ import annotations

import pytest

from course_utils.tooling.paths import THRESHOLDS_FILE, course_notebooks, notebook_key
from course_utils.tooling.thresholds import SLOW_MACHINE_FACTOR, UNMEASURED_S, Check, ThresholdError, Thresholds


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


#: What a fresh-clone ``.ci/run`` must stay below, on the slowest machine it runs on.
CI_LIMIT_S = 30 * 60
#: Everything ``.ci/run`` does besides the harness's notebook runs and the Keras main step's lesson run: the main
#: install, the ``backends`` extra, the site's extra, build and browser test, assets, doctor, lint, unit tests, the
#: exercises under nbval, the wait for the lowest and highest versions' environments (which install and test beside
#: the main install, .ci/run), and the Keras main wheel's install. Measured in the fresh-clone CI of 2026-12-02
#: (ab80300): 1,798 s in all, the harness 1,037, lesson 04 on Keras main 181, the wait for the two environments
#: 12, and 19 for the lowest's lessons 02 and 03 beside the Keras main step, which .ci/run no longer runs.
REST_OF_CI_HERE_S = 1798 - 1037 - 181 - 19
#: That machine against the faster one: its harness without lesson 09 took 969 s, c5b9e78's 546.
HERE_AGAINST_FASTER = 969 / 546
#: The Keras main step after the tests (``.ci/run``): the wheel installed into a folder, then these notebooks in ci.
#: Lesson 04 only: lesson 02 passes there too (run by hand on 2026-12-02) but does not fit CI's 30 minutes.
KERAS_MAIN_RUNS = ("notebooks/04_batchnorm_trap",)


def test_the_ci_harness_fits_its_measured_budget():
    """Every run the harness makes (tests/test_notebooks.py: each notebook in ci; then the Keras main step's runs),
    at its ci ``measured_s`` in tests/thresholds.toml, plus the rest of CI scaled to the slowest machine, fits the
    30 minutes CI must stay below there.

    The ci ``measured_s`` are the fresh-clone CI's times on the faster machine times 1.8, with no margin of their
    own: the check is as tight as the measurements. A run without a ci ``measured_s`` would be counted at a guess,
    so it fails instead."""
    from test_notebooks import NOTEBOOKS

    thresholds = Thresholds.load(THRESHOLDS_FILE)
    runs = [notebook_key(notebook) for notebook in NOTEBOOKS] + list(KERAS_MAIN_RUNS)
    unmeasured = sorted({key for key in runs if thresholds.measured_s(key, "ci") is None})
    assert not unmeasured, (
        f"no ci measured_s in {THRESHOLDS_FILE} for {', '.join(unmeasured)}: run them "
        "('python -m course_utils run --profile ci NOTEBOOK') and record their wall time there"
    )
    harness_s = sum(thresholds.measured_s(key, "ci") for key in runs)
    rest_s = SLOW_MACHINE_FACTOR / HERE_AGAINST_FASTER * REST_OF_CI_HERE_S
    assert harness_s + rest_s <= CI_LIMIT_S, (
        f"the ci runs' measured_s add up to {harness_s / 60:.1f} min and the rest of CI takes about {rest_s / 60:.1f} "
        f"on the slower machine: {(harness_s + rest_s) / 60:.1f} min, over CI's {CI_LIMIT_S / 60:.0f}. Make a ci "
        "section cheaper (smaller sizes in its setup(overrides=...)) or move a claim to full."
    )


def test_budgets_leave_room_for_a_machine_half_as_fast_and_stop_only_hung_cells():
    limits = Thresholds({"notebooks/x": {"ci": {"measured_s": 100}}}).for_notebook("notebooks/x", "ci")
    assert limits.budget_s == 200 and limits.cell_limit_s == 1000
    unmeasured = Thresholds({"n": {"ci": {}}})  # never timed: the budget of a guess, and it says so
    assert unmeasured.measured_s("n", "ci") is None and unmeasured.for_notebook("n", "ci").measured_s == UNMEASURED_S


def test_a_check_written_for_some_keras_releases_applies_only_on_those():
    table = Thresholds(
        {
            "notebooks/x": {
                "ci": {
                    "checks": [
                        {"expr": "changed >= 1", "keras": "<3.16.0.dev0"},
                        {"expr": "changed <= 0", "keras": ">=3.16.0.dev0"},
                        {"expr": "accuracy >= 0.8"},
                    ]
                }
            }
        }
    )
    on = {
        v: [c.expr for c in table.for_notebook("notebooks/x", "ci", keras_version=v).checks]
        for v in ("3.15.1", "3.16.0.dev20260821", "3.16.1")
    }
    assert on["3.15.1"] == ["changed >= 1", "accuracy >= 0.8"]
    assert on["3.16.0.dev20260821"] == on["3.16.1"] == ["changed <= 0", "accuracy >= 0.8"]  # a main-branch build counts
    installed = table.for_notebook("notebooks/x", "ci").checks  # the installed Keras decides by default
    assert len(installed) == 2


def test_a_malformed_keras_specifier_is_refused_with_an_example():
    with pytest.raises(ThresholdError, match='not a version specifier; write e.g. ">=3.16.0.dev0"'):
        Thresholds({"notebooks/x": {"ci": {"checks": [{"expr": "a >= 1", "keras": "3.16 or later"}]}}})


def test_a_quick_run_without_a_section_of_its_own_is_held_to_the_ci_section():
    data = {
        "notebooks/a": {"ci": {"measured_s": 20, "checks": [{"expr": "acc >= 0.8", "measured": "0.9"}]}},
        "notebooks/b": {
            "ci": {"measured_s": 20, "checks": [{"expr": "acc >= 0.8", "measured": "0.9"}]},
            "quick": {"measured_s": 60, "checks": [{"expr": "gain_low > 0", "measured": "+0.02"}]},
        },
    }
    thresholds = Thresholds(data)
    same_as_ci = thresholds.for_notebook("notebooks/a", "quick")
    assert [c.expr for c in same_as_ci.checks] == ["acc >= 0.8"] and thresholds.measured_s("notebooks/a", "quick") == 20
    own = thresholds.for_notebook("notebooks/b", "quick")
    assert [c.expr for c in own.checks] == ["gain_low > 0"] and thresholds.measured_s("notebooks/b", "quick") == 60
    assert thresholds.for_notebook("notebooks/a", "smoke") is None  # smoke is based on nothing
