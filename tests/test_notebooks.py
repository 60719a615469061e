"""Execute every lesson and solution notebook in the ci profile and check what it claims.

One papermill run per notebook serves the thresholds (tests/thresholds.toml) and the output
contracts of its ``# NBVAL_CHECK_OUTPUT`` cells.  Deselect with ``-m "not notebooks"``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from course_utils.tooling import harness
from course_utils.tooling.negative_controls import ENVIRONMENT, PROFILE, claims, control_verdict
from course_utils.tooling.paths import EXERCISES, ROOT, THRESHOLDS_FILE, course_notebooks, notebook_key
from course_utils.tooling.thresholds import Thresholds

NOTEBOOKS = course_notebooks()
# A training notebook whose accuracy checks must fail when its network starts from random weights.
NEGATIVE_CONTROL = ROOT / "notebooks" / "02_include_top_surgery.ipynb"

pytestmark = pytest.mark.notebooks


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_notebook_runs_and_meets_its_thresholds(notebook: Path, request):
    run = harness.execute(notebook, "ci")
    request.config._course_runs.append(run)
    assert run.ok, run.failure_report()


def test_thresholds_fail_on_a_model_that_learned_nothing(request):
    """The negative control: with random weights, the accuracy thresholds must not be met."""
    run = harness.execute(NEGATIVE_CONTROL, PROFILE, environment=dict(ENVIRONMENT), tag=".random-weights")
    request.config._course_runs.append(run)
    assert run.error is None, run.failure_report()
    key = notebook_key(NEGATIVE_CONTROL)
    checks = claims(Thresholds.load(THRESHOLDS_FILE), key)
    assert checks, "the negative control needs accuracy checks to defeat"
    verdict = control_verdict(key, checks, run.metrics)  # the evaluator of the recorded controls too
    assert verdict.ok, "the live negative control:\n" + "\n".join(verdict.problems)
    run.problems = [p for p in run.problems if not p.startswith("threshold not met")]
    assert not run.problems, run.failure_report()
    run.note = "negative control, weights=None: its accuracy thresholds failed, as they must"


def test_exercises_run_under_nbval(tmp_path):
    """Every exercise runs under nbval (smoke profile): all cells outside the learner's part pass,
    each placeholder raises NotImplementedError with its task, and no check cell passes on it.

    The copies nbval runs have a probe cell after each placeholder and check cell that asserts the
    failure happened (``raises-exception`` alone would also accept a cell that did not fail).
    """
    import subprocess
    import sys
    import time

    from exercise_probes import nbval_copy

    exercises = sorted(EXERCISES.glob("*.ipynb"))
    assert exercises, "no exercises: run `python -m course_utils exercises build`"
    copies = [nbval_copy(nb, tmp_path / nb.name, {"PROFILE": "smoke"}) for nb in exercises]
    started = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval-lax",
            "--nbval-cell-timeout=300",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "--rootdir",
            str(tmp_path),
            *map(str, copies),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    print(f"nbval: {len(copies)} exercises in {time.perf_counter() - started:.0f} s")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
