"""Execute every lesson and solution notebook in the ci profile and check what it claims.

One papermill run per notebook serves the thresholds (tests/thresholds.toml) and the output
contracts of its ``# NBVAL_CHECK_OUTPUT`` cells.  Deselect with ``-m "not notebooks"``.

The negative controls (random weights) are recorded runs (tests/negative_controls.json, judged by
tests/test_negative_controls.py): CI's 30 minutes hold the ci runs and the Keras main step, not a
live control as well (until 2026-12-02 lesson 02's ran live here).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from course_utils.keras_backends import missing_packages
from course_utils.tooling import harness
from course_utils.tooling.paths import EXERCISES, course_notebooks

NOTEBOOKS = course_notebooks()
pytestmark = pytest.mark.notebooks
#: Lessons that need the optional ``backends`` extra (JAX and PyTorch beside TensorFlow).
NEEDS_BACKENDS = ("09_keras_backends",)


def _backends_or_skip(notebook: Path) -> None:
    missing = missing_packages() if notebook.stem in NEEDS_BACKENDS else []
    if missing:
        message = f'{notebook.name} needs {", ".join(missing)}: .venv/bin/python -m pip install -e ".[backends]"'
        if os.environ.get("CI"):
            pytest.fail(f"CI must run every lesson; {message}")
        pytest.skip(message)


@pytest.mark.parametrize(
    "notebook",
    [pytest.param(nb, marks=pytest.mark.backends) if nb.stem in NEEDS_BACKENDS else nb for nb in NOTEBOOKS],
    ids=lambda p: f"{p.parent.name}/{p.stem}",
)
def test_notebook_runs_and_meets_its_thresholds(notebook: Path, request):
    _backends_or_skip(notebook)
    run = harness.execute(notebook, "ci")
    request.config._course_runs.append(run)
    assert run.ok, run.failure_report()


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
