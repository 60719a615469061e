"""The tooling finds the course clone, and says what is wrong when there is none."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils.tooling import paths
from course_utils.tooling.cli import main
from course_utils.tooling.exercise_builder import build_all

PACKAGE = Path(paths.__file__).resolve().parents[1]


def test_the_clone_is_found_and_holds_the_notebooks():
    assert paths.is_course_root(paths.ROOT)
    notebooks = paths.course_notebooks()
    assert notebooks[0].parent.name == "notebooks" and notebooks[-1].parent.name == "solutions"
    assert paths.notebook_key(notebooks[0]) == "notebooks/" + notebooks[0].stem


def test_a_folder_that_is_no_clone_is_explained(tmp_path):
    with pytest.raises(paths.CourseNotFound, match="Run this command from inside the course's folder"):
        paths.require_root(tmp_path)


def test_bogus_and_outside_notebook_paths_are_explained(tmp_path):
    outside = tmp_path / "mine.ipynb"
    outside.write_text("{}")
    with pytest.raises(paths.CourseNotFound, match="outside the course"):
        paths.notebook_key(outside)
    with pytest.raises(paths.CourseNotFound, match="not a notebook file"):
        paths.notebook_key(tmp_path / "missing.ipynb")
    with pytest.raises(paths.CourseNotFound, match="not a notebook file"):
        paths.notebook_key(paths.ROOT / "README.md")


def test_cli_run_refuses_bogus_paths_before_running_anything(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.ipynb")]) == 2
    assert "not a notebook file" in capsys.readouterr().err


def test_exercises_are_never_built_from_nothing(tmp_path):
    with pytest.raises(FileNotFoundError, match="No solution notebooks"):
        build_all(write=False, solutions=tmp_path, exercises=tmp_path)


def _installed_elsewhere(tmp_path: Path) -> dict[str, str]:
    """An environment where course_utils is importable from a folder that holds no course."""
    site = tmp_path / "site"
    shutil.copytree(PACKAGE, site / "course_utils", ignore=shutil.ignore_patterns("__pycache__"))
    return {**os.environ, "PYTHONPATH": str(site)}


def test_outside_a_clone_the_commands_say_what_is_wrong(tmp_path):
    env, elsewhere = _installed_elsewhere(tmp_path), tmp_path / "elsewhere"
    elsewhere.mkdir()
    for command in (["run"], ["exercises", "build"], ["readme"]):
        result = subprocess.run(
            [sys.executable, "-m", "course_utils", *command],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert "No clone of the course found" in result.stderr and "Traceback" not in result.stderr, command


def test_a_package_installed_elsewhere_finds_the_clone_it_runs_in(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "from course_utils.tooling.paths import ROOT; print(ROOT)"],
        cwd=paths.ROOT / "notebooks",
        env=_installed_elsewhere(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == str(paths.ROOT), result.stderr
