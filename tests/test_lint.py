"""The linter and the formatter (ruff, configured in pyproject.toml) are clean over the package,
the tests and every notebook."""

from __future__ import annotations

import subprocess
import sys

import pytest

from course_utils.tooling.paths import ROOT


@pytest.mark.parametrize(
    "command, fix",
    [
        (["check"], "ruff check --fix ."),
        (["format", "--check"], "ruff format . (then: python -m course_utils exercises build)"),
    ],
    ids=["ruff-check", "ruff-format"],
)
def test_ruff_is_clean(command, fix):
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "--no-cache", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{result.stdout[-4000:]}{result.stderr[-2000:]}\nFix: .venv/bin/python -m {fix}"
